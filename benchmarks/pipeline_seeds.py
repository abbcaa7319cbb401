"""The README's "see it work" figures and their spread: `scripts/pipeline_cpu.sh` run once per seed, each run
timed, and pass@1 and pass@N of CE and DCO at each checkpoint gathered over the seeds.

    python benchmarks/pipeline_seeds.py                  # seeds 0 1 2, the default pipeline (~7 min each)
    python benchmarks/pipeline_seeds.py --tiny --seeds 0 1 2 --out runs/pipeline_seeds_tiny

A seed whose report exists in --out is not run again (resume). Writes results.json (every run, its wall
time, what it was measured on), results.md (mean, standard deviation and range over seeds) and
over_training.png (mean ± standard deviation over seeds) into --out; the committed copy is
benchmarks/pipeline_seeds/.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from measured_on import environment, pin_kernels  # noqa: E402

from prover.io import atomic_write_text  # noqa: E402


def run_seed(seed: int, out: Path, tiny: bool) -> float:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROVER_")}  # the embedded Lean decides
    env.update(SEED=str(seed), OUT=str(out), **({"TINY": "1"} if tiny else {}))
    started = time.perf_counter()
    subprocess.run(["bash", "scripts/pipeline_cpu.sh"], cwd=ROOT, env=env, check=True)
    return time.perf_counter() - started


def gather(report: dict) -> list[dict]:
    """Per (method, step): solved, pass@1 and pass@N (%) of one seed's report."""
    rows = []
    for r in report["runs"]:
        n = max(r["pass_at_k"], key=int)
        rows.append({"method": r["method"], "step": r["step"], "solved": r["solved"], "theorems": r["theorems"],
                     "n": int(n), "pass@1": 100 * r["pass_at_k"]["1"]["pass_at_k"],
                     "pass@N": 100 * r["pass_at_k"][n]["pass_at_k"]})  # fmt: skip
    return rows


def over_seeds(seeds: list[dict], method: str, step: int, key: str) -> tuple[list[float], float, float]:
    """One (method, step)'s ``key`` in each seed's run, with their mean and standard deviation."""
    values = [r[key] for s in seeds for r in s["rows"] if (r["method"], r["step"]) == (method, step)]
    return values, statistics.mean(values), statistics.stdev(values) if len(values) > 1 else 0.0


def summary(results: dict) -> str:
    seeds = results["seeds"]
    keys = list(dict.fromkeys((r["method"], r["step"]) for s in seeds for r in s["rows"]))
    n = seeds[0]["rows"][0]["n"]
    lines = [f"# The CPU pipeline over {len(seeds)} seeds (scripts/pipeline_cpu.sh{' TINY=1' if results['tiny'] else ''})",
             "", "![over training](over_training.png)", "",
             f"| method | step | pass@1 (%) | pass@{n} (%) | solved |", "|---|---|---|---|---|"]  # fmt: skip
    for method, step in keys:
        cells = []
        for key in ("pass@1", "pass@N", "solved"):
            values, mean, spread = over_seeds(seeds, method, step, key)
            cells.append(f"{mean:.1f} ± {spread:.1f} ({min(values):.1f}-{max(values):.1f})")
        theorems = over_seeds(seeds, method, step, "theorems")[0][0]
        lines.append(f"| {method} | {step} | " + " | ".join(cells) + f" of {theorems} |")
    first, last = min(step for _, step in keys), max(step for _, step in keys)
    lines += ["", f"Mean ± standard deviation over seeds {[s['seed'] for s in seeds]} (range in brackets)."]
    for method in dict.fromkeys(m for m, _ in keys):
        change = [next(r["pass@N"] for r in s["rows"] if (r["method"], r["step"]) == (method, last))
                  - next(r["pass@N"] for r in s["rows"] if (r["method"], r["step"]) == (method, first))
                  for s in seeds]  # fmt: skip
        lines.append(f"- {method}: pass@{n} from step {first} to {last} changed by "
                     + ", ".join(f"{c:+.1f}" for c in change) + " points (one per seed)")  # fmt: skip
    walls = [s["seconds"] for s in seeds]
    env = results["environment"]
    lines.append(f"\nWall time per run: {', '.join(f'{w:.0f} s' for w in walls)} on {env['processor']} "
                 f"({env['cpu_count']} cores; kernels pinned as in benchmarks/measured_on.py).")  # fmt: skip
    return "\n".join(lines) + "\n"


def plot(results: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from prover.report.report import step_panel  # the report's panel: side by side, nothing below 0 %

    seeds = results["seeds"]
    keys = list(dict.fromkeys((r["method"], r["step"]) for s in seeds for r in s["rows"]))
    n = seeds[0]["rows"][0]["n"]
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.8))
    for ax, key in zip(axes, ("pass@1", "pass@N")):
        points: dict[str, list] = {}
        for method, step in keys:  # mean and standard deviation over the seeds
            _, mean, spread = over_seeds(seeds, method, step, key)
            points.setdefault(method, []).append((step, mean, spread))
        step_panel(ax, points, key if key == "pass@1" else f"pass@{n}")
    axes[0].legend(fontsize=8)
    fig.suptitle(f"CE against DCO over training, Lean-checked: mean ± standard deviation over {len(seeds)} seeds",
                 fontsize=9)  # fmt: skip
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--out", default=str(ROOT / "runs" / "pipeline_seeds"))
    parser.add_argument("--tiny", action="store_true", help="TINY=1 runs")
    args = parser.parse_args(argv)
    pin_kernels()  # what the pipeline does too: environment() below then says so
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    done = json.loads((out / "results.json").read_text()) if (out / "results.json").exists() else {"seeds": []}
    seeds = {s["seed"]: s for s in done["seeds"]}
    for seed in args.seeds:
        report = out / f"seed{seed}" / "report" / "report.json"
        if seed not in seeds or not report.exists():
            shutil.rmtree(out / f"seed{seed}", ignore_errors=True)  # a killed seed's half: run it again
            seconds = run_seed(seed, out / f"seed{seed}", args.tiny)
            seeds[seed] = {"seed": seed, "seconds": seconds, "rows": gather(json.loads(report.read_text()))}
            partial = {"tiny": args.tiny, "environment": environment(), "seeds": list(seeds.values())}
            atomic_write_text(str(out / "results.json"), json.dumps(partial, indent=1))  # a kill keeps its seeds
    results = {"tiny": args.tiny, "environment": environment(), "seeds": [seeds[s] for s in args.seeds]}
    atomic_write_text(str(out / "results.json"), json.dumps(results, indent=1))
    atomic_write_text(str(out / "results.md"), summary(results))
    plot(results, out / "over_training.png")
    print(summary(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())

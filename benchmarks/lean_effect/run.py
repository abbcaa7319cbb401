"""CE against DCO with Lean deciding every success: the bundled benchmark (data/lean_arith), tiny models
trained by `prover train`, N whole proofs per theorem sampled at temperature 1 by `prover search`, each
checked by the embedded Lean through the verifier. Each (method, seed) trains once; its checkpoints at
`--steps` are searched, so pass@k is read over training.

    python benchmarks/lean_effect/run.py --split valid --seeds 0 --n_prime 16 64 256   # choose N' on valid
    python benchmarks/lean_effect/run.py --n_prime N                                      # then test, once

Both write into --out (default runs/lean_effect; the models trained for valid serve the test run too);
the committed results are copies: benchmarks/lean_effect/ (test) and benchmarks/lean_effect/valid/.

Writes results.json (every run, and what it was measured on), results.md (mean ± standard error over
seeds) and pass_at_k.png.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))
from measured_on import environment, pin_kernels  # noqa: E402

DATA = ROOT / "data" / "lean_arith"
PROMPT = "{formal_statement}"


def prover(*argv: str) -> None:
    subprocess.run([sys.executable, "-m", "prover", "--log-level", "WARNING", *argv], check=True, cwd=ROOT)


def train(method: str, n_prime: int, seed: int, steps: list[int], out: Path) -> None:
    budget = ["--dco_n", str(n_prime), "--epsilon", "0"] if method == "dco" else []
    prover("train", "--tiny", "--data", str(DATA / "train.jsonl"), "--whole_prompt", PROMPT, "--loss", method,
           *budget, "--max_steps", str(max(steps)), "--warmup_steps", "0", "--global_batch_size", "32",
           "--per_device_batch_size", "32", "--learning_rate", "3e-3", "--eval_fraction", "0",
           "--save_steps", str(min(steps)), "--max_length", "128", "--seed", str(seed), "--output_dir", str(out))  # fmt: skip


def search(model: Path, args, seed: int, out: Path) -> dict:
    names = [json.loads(line)["name"] for line in (DATA / "benchmark.jsonl").read_text().splitlines()
             if json.loads(line)["split"] == args.split][: args.theorems]  # fmt: skip
    prover("search", "--model", str(model), "--benchmark", str(DATA / "benchmark.jsonl"), "--split", args.split,
           "--names", ",".join(names), "--strategy", "whole", "--sampler", "hf", "--n", str(args.n),
           "--whole_prompt", PROMPT, "--max_tokens_proof", "40", "--seed", str(seed), "--output_dir", str(out))  # fmt: skip
    return json.loads((out / "summary.json").read_text())


def table(runs: list[dict], ks: list[str]) -> list[str]:
    lines = ["| method | step | solved | " + " | ".join(f"pass@{k}" for k in ks) + " | Lean checks / attempts |",
             "|" + "---|" * (len(ks) + 4)]  # fmt: skip
    groups: dict[tuple, list[dict]] = {}
    for r in runs:
        groups.setdefault((r["method"], r["step"]), []).append(r)
    order = list(dict.fromkeys(r["method"] for r in runs))  # CE, then each N' as given
    for (method, step), group in sorted(groups.items(), key=lambda g: (order.index(g[0][0]), g[0][1])):
        cells = []
        for k in ks:
            values = [100 * r["pass_at_k"][k]["pass_at_k"] for r in group]
            se = f" ± {statistics.stdev(values) / len(values) ** 0.5:.1f}" if len(values) > 1 else ""  # one seed: no spread
            cells.append(f"{statistics.mean(values):.1f}{se}")
        solved = statistics.mean(r["solved"] for r in group)
        checks = sum(r["proof_checks"] for r in group) / sum(r["attempts"] for r in group)
        lines.append(f"| {method} | {step} | {solved:.1f} | " + " | ".join(cells) + f" | {checks:.2f} |")
    return lines


def plot(runs: list[dict], ks: list[str], path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    steps = sorted({r["step"] for r in runs})
    fig, axes = plt.subplots(1, len(steps), figsize=(4.5 * len(steps), 3.6), squeeze=False, sharey=True)
    for ax, step in zip(axes[0], steps):
        methods = list(dict.fromkeys(r["method"] for r in runs))
        for i, method in enumerate(methods):
            group = [r for r in runs if r["method"] == method and r["step"] == step]
            means = [statistics.mean(100 * r["pass_at_k"][k]["pass_at_k"] for r in group) for k in ks]
            errors = [statistics.stdev([100 * r["pass_at_k"][k]["pass_at_k"] for r in group]) / len(group) ** 0.5
                      if len(group) > 1 else 0 for k in ks]  # fmt: skip
            shift = 1.04 ** (i - (len(methods) - 1) / 2)
            ax.errorbar([int(k) * shift for k in ks], means, yerr=errors, marker="os^D"[i % 4], capsize=3,
                        label=method)  # fmt: skip
        ax.set_xscale("log", base=2)
        ax.set_xticks([int(k) for k in ks], ks)
        ax.set_title(f"after {step} steps", fontsize=9)
        ax.set_xlabel("k")
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel("pass@k (%), Lean-checked")
    axes[0][0].legend(fontsize=8)
    fig.suptitle(title, fontsize=9)
    seeds = len({r["seed"] for r in runs})
    fig.text(0.01, 0.01, f"mean over {seeds} seeds; error bars: ± 1 standard error over seeds" if seeds > 1
             else "one seed: no error bars", fontsize=7)  # fmt: skip
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    fig.savefig(path, dpi=120)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=str(ROOT / "runs" / "lean_effect"))
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--steps", type=int, nargs="+", default=[300, 1200])
    parser.add_argument("--n_prime", type=int, nargs="+", default=[16],  # chosen on valid: valid/results.md
                        help="DCO's budget N' (several: one DCO run each; chosen on --split valid)")
    parser.add_argument("--n", type=int, default=16, help="proofs sampled per theorem")
    parser.add_argument("--split", default="test", choices=["valid", "test"])
    parser.add_argument("--theorems", type=int, default=100, help="the first this many of the split")
    parser.add_argument("--native_kernels", action="store_true", help="the processor's own kernels: faster, other numbers per machine")
    parser.add_argument("--report", action="store_true", help="rewrite results.md and the plot from --out's results.json")
    args = parser.parse_args(argv)
    if args.report:
        print(report(json.loads((Path(args.out) / "results.json").read_text()), Path(args.out)))
        return 0
    if not args.native_kernels:
        pin_kernels()  # the same numbers on every x86-64 machine (benchmarks/measured_on.py)
    out = Path(args.out)
    started = time.perf_counter()
    runs = []
    for seed in args.seeds:
        for method, n_prime in [("ce", 1)] + [("dco", n) for n in args.n_prime]:
            label = "CE" if method == "ce" else f"DCO N'={n_prime}"
            run_dir = out / "runs" / (f"ce-seed{seed}" if method == "ce" else f"dco{n_prime}-seed{seed}")
            if not (run_dir / "train" / "final").exists():
                train(method, n_prime, seed, args.steps, run_dir / "train")
            for step in args.steps:
                model = run_dir / "train" / f"checkpoint-{step}"
                summary_dir = run_dir / f"search-{args.split}-{step}"  # the trained models serve both splits
                summary = (json.loads((summary_dir / "summary.json").read_text()) if (summary_dir / "summary.json").exists()
                           else search(model, args, seed, summary_dir))  # fmt: skip
                runs.append({"method": label, "seed": seed, "step": step, **{k: summary[k] for k in (
                    "solved", "theorems", "attempts", "pass_at_k", "proof_checks", "checks_reused")}})  # fmt: skip
                print(json.dumps(runs[-1]), flush=True)
    results = {"settings": vars(args), "environment": environment(), "runs": runs,
               "seconds": round(time.perf_counter() - started)}  # fmt: skip
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(results, indent=1))
    print(report(results, out))
    return 0


def report(results: dict, out: Path) -> str:
    """results.md and pass_at_k.png beside results.json, from what it holds."""
    args, runs = argparse.Namespace(**results["settings"]), results["runs"]
    ks = sorted({k for r in runs for k in r["pass_at_k"]}, key=int)
    title = (f"Lean-checked pass@k on data/lean_arith ({args.split}, first {args.theorems}), N = {args.n}, "
             f"seeds {args.seeds}")  # fmt: skip
    spread = "mean ± standard error over seeds" if len(args.seeds) > 1 else "one seed"
    lines = [f"# {title}", "", "![pass@k](pass_at_k.png)", "", *table(runs, ks), "",
             f"pass@k in % of the theorems, {spread}; solved: theorems with a proof Lean "
             "accepted among the N attempts, mean over seeds; Lean checks / attempts: the share of attempts whose "
             "proof Lean had to check (the rest drew a proof already checked).",
             f"Measured in {results['seconds']} s on {results['environment']['processor']} "
             f"({results['environment']['cpu_count']} cores, {results['environment']['torch_threads']} torch threads, "
             f"kernels {'pinned' if results['environment']['blas']['pinned'] else 'native'})."]  # fmt: skip
    if args.split == "valid" and len(args.n_prime) > 1:
        last, k = max(args.steps), max(ks, key=int)
        best = max(args.n_prime, key=lambda n: statistics.mean(
            r["pass_at_k"][k]["pass_at_k"] for r in runs if r["method"] == f"DCO N'={n}" and r["step"] == last))
        lines.append(f"Chosen for test: N'={best}, the highest pass@{k} after {last} steps.")
    (out / "results.md").write_text("\n".join(lines) + "\n")
    plot(runs, ks, out / "pass_at_k.png", title)
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())

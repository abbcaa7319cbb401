"""CE's pass@N falls with training while DCO holds it: the seed paper's effect at CPU scale.

Task ("mix"): two kinds of problems, with an exact checker: `a + b` (0 <= a, b < 31), which a tiny
transformer learns to generalize, and `a * b mod 31`, which it cannot learn in this budget and can only
memorize. 60% of the addition problems and 35% of the multiplication problems are the training set; the
rest are held out, split into validation and test problems (never trained on). Why: like MATH for the
paper's model, the test set mixes problems within the model's reach and problems beyond it. With training,
CE's pass@1 rises (additions), while on the multiplications it grows confident in wrong answers, so
pass@256 falls from its peak. Single-operation tasks (`--task add|modadd`) either generalize or memorize
as a whole and do not show both halves (README). Settings were chosen on the validation problems
(`--split valid`); the committed results are the test problems'.

Runs: CE and DCO with several N', same data, same seeds, same number of optimizer steps (epsilon 0: no
confidence filter, so no run stops early and the batches are the same), all trained by `prover train`
(tiny random Llama, the project's losses). After every epoch: 256 samples per problem at temperature 1
(drawn exactly: see `evaluate`), pass@k (k = 1..256) with the unbiased estimator, over all problems and per
operation; the greedy answer's probability, split by correct / wrong.

    python benchmarks/overconfidence/run.py --out benchmarks/overconfidence   # full: 3 seeds, the committed
                                                        # results.json, .md, .png (default --out: runs/overconfidence)
    python benchmarks/overconfidence/run.py --split valid --seeds 0 --out /tmp/oc   # try settings
    python benchmarks/overconfidence/run.py --quick --out /tmp/oc   # a reduced run (the test uses it)
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import shutil
import statistics
import sys
import time

KS = (1, 4, 16, 64, 256)


# A task is a list of operations; a problem is (operation, a, b) with 0 <= a, b < modulus.
OPERATIONS = {
    "+": (lambda a, b, m: f"{a} + {b}", lambda a, b, m: a + b),
    "+%": (lambda a, b, m: f"{a} + {b} mod {m}", lambda a, b, m: (a + b) % m),
    "*%": (lambda a, b, m: f"{a} * {b} mod {m}", lambda a, b, m: (a * b) % m),
}
TASKS = {"mix": ["+", "*%"], "add": ["+"], "modadd": ["+%"]}


def make_task(task: str, modulus: int, train_fraction: list[float], valid: int, test: int, seed: int = 1234):
    """Training, validation and test problems, disjoint; `train_fraction` per operation (one for all)."""
    operations = TASKS[task]
    fractions = train_fraction * len(operations) if len(train_fraction) == 1 else train_fraction
    if len(fractions) != len(operations):
        raise ValueError(f"--train_fraction needs 1 or {len(operations)} values for {operations}")
    rng = random.Random(seed)
    train, rest = [], []
    for op, fraction in zip(operations, fractions):
        problems = [(op, a, b) for a in range(modulus) for b in range(modulus)]
        rng.shuffle(problems)
        n_train = int(len(problems) * fraction)
        train += problems[:n_train]
        rest += problems[n_train:]
    rng.shuffle(train)
    rng.shuffle(rest)
    if len(rest) < valid + test:
        raise ValueError(
            f"only {len(rest)} problems are left for {valid} validation and {test} test problems"
        )
    return train, rest[:valid], rest[valid : valid + test]


def state(problem, modulus: int) -> str:
    op, a, b = problem
    return OPERATIONS[op][0](a, b, modulus)


def answer(problem, modulus: int) -> str:
    op, a, b = problem
    return str(OPERATIONS[op][1](a, b, modulus))


def write_training_data(problems, modulus: int, path: str) -> None:
    """Tactic-pair JSONL for `prover train`: the problem as the state, the answer as the tactic."""
    with open(path, "w", encoding="utf-8") as handle:
        for problem in problems:
            handle.write(
                json.dumps({"state": state(problem, modulus), "tactic": answer(problem, modulus)}) + "\n"
            )


def train_run(
    method: str, n_prime: int | None, seed: int, data: str, out: str, args, steps_per_epoch: int
) -> str:
    from prover.config import TrainConfig
    from prover.train.loop import run_train

    cfg = TrainConfig(
        tiny=True, data=data, data_kind="tactic", loss="ce" if method == "ce" else "dco", **({"dco_n": n_prime} if n_prime else {}),
        epsilon=args.epsilon if method == "dco" else 0.0, output_dir=out, global_batch_size=args.batch,
        per_device_batch_size=args.batch, max_steps=args.epochs * steps_per_epoch, learning_rate=args.lr,
        warmup_steps=0, weight_decay=args.weight_decay, eval_fraction=0.0, save_steps=steps_per_epoch, logging_steps=steps_per_epoch,
        max_length=64, seed=seed,
    )  # fmt: skip
    return run_train(cfg)


def answer_probabilities(model, tokenizer, prompts: list[str], answers: list[str]):
    """Each answer's probability under the model (teacher forcing): its tokens, then eos, after the prompt,
    tokenized as in training (prompt and target apart)."""
    import torch

    rows, spans = [], []
    for prompt, text in zip(prompts, answers):
        prompt_ids = tokenizer(prompt)["input_ids"]
        answer_ids = tokenizer(text, add_special_tokens=False)["input_ids"] + [tokenizer.eos_token_id]
        rows.append(prompt_ids + answer_ids)
        spans.append((len(prompt_ids), answer_ids))
    batch = torch.full((len(rows), max(map(len, rows))), tokenizer.pad_token_id)
    for i, row in enumerate(rows):
        batch[i, : len(row)] = torch.tensor(row)  # right padding: a causal model never sees it
    with torch.no_grad():
        logp = torch.log_softmax(model(batch).logits.double(), dim=-1)
    return torch.stack([
        sum(logp[i, start - 1 + t, token] for t, token in enumerate(ids)) for i, (start, ids) in enumerate(spans)
    ]).exp()  # fmt: skip


def prompt(problem, modulus: int) -> str:
    from prover.prompts import TACTIC_PROMPT

    return TACTIC_PROMPT.format(state=state(problem, modulus))


def evaluate(model_dir: str, problems, modulus: int, samples: int, seed: int) -> dict:
    """pass@k from `samples` temperature-1 samples per problem, and the greedy answer's confidence.

    A sample is correct when the model generates the answer's tokens and then eos, so the number of correct
    samples is drawn from Binomial(samples, p) with p that sequence's probability: the distribution of
    sampling, without generating the wrong answers. (Other token sequences that spell the answer are left
    out; tests/test_overconfidence_bench.py checks against real samples that they do not matter.)
    """
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from prover.metrics import pass_at_k
    from prover.search.samplers import HFSampler

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForCausalLM.from_pretrained(model_dir).eval()
    prompts = [prompt(problem, modulus) for problem in problems]
    answers = [answer(problem, modulus) for problem in problems]
    p_correct = answer_probabilities(model, tokenizer, prompts, answers)
    generator = torch.Generator().manual_seed(seed)
    correct = torch.binomial(torch.full_like(p_correct, samples), p_correct.clamp(0, 1), generator=generator)

    def passes(indices) -> dict:
        return {str(k): statistics.fmean(pass_at_k(samples, int(correct[i]), k) for i in indices) for k in KS}

    by_operation = {}
    for i, (op, _, _) in enumerate(problems):
        by_operation.setdefault(op, []).append(i)
    greedy = HFSampler(model, tokenizer).generate(prompts, 1, temperature=0.0, max_tokens=4)
    confidence = {"correct": [], "wrong": []}
    for (completion,), text in zip(greedy, answers):
        confidence["correct" if completion.text.strip() == text else "wrong"].append(
            math.exp(completion.logprob)
        )
    return {
        "pass_at": passes(range(len(problems))),
        "greedy_confidence": confidence,
        "by_operation": {op: {"problems": len(ix), "pass_at": passes(ix)} for op, ix in by_operation.items()},
    }


def checkpoints_by_epoch(run_dir: str, steps_per_epoch: int, epochs: int) -> list[str]:
    """The model after each epoch; a run that stopped early (everything confident) keeps its last model."""
    final = os.path.join(run_dir, "final")
    return [
        path if os.path.isdir(path := os.path.join(run_dir, f"checkpoint-{e * steps_per_epoch}")) else final
        for e in range(1, epochs + 1)
    ]


def label(method: str, n_prime) -> str:
    return "CE" if method == "ce" else f"DCO N'={n_prime}"


def mean_se(xs: list[float]) -> str:
    se = statistics.stdev(xs) / math.sqrt(len(xs)) if len(xs) > 1 else 0.0
    return f"{statistics.fmean(xs):.1f} ± {se:.1f}"


def table(runs: list[dict], epochs: set[int] | None = None, operation: str | None = None) -> str:
    """Rows: method and epoch; columns: pass@k in %, mean ± standard error over seeds (of one operation)."""
    groups: dict = {}
    for run in runs:
        for epoch in run["epochs"]:
            if epochs is None or epoch["epoch"] in epochs:
                values = epoch["by_operation"][operation] if operation else epoch
                groups.setdefault((run["method"], run["n_prime"]), {}).setdefault(epoch["epoch"], []).append(
                    values["pass_at"]
                )
    lines = [
        "| method | epoch | " + " | ".join(f"pass@{k}" for k in KS) + " |",
        "|---|---|" + "---|" * len(KS),
    ]
    for (method, n_prime), by_epoch in groups.items():
        for epoch, values in sorted(by_epoch.items()):
            cells = [mean_se([100 * v[str(k)] for v in values]) for k in KS]
            lines.append(f"| {label(method, n_prime)} | {epoch} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def report(runs: list[dict], results: dict) -> str:
    """results.md: every fifth epoch, then each operation apart, then every epoch."""
    last = max(e["epoch"] for e in runs[0]["epochs"])
    selected = {1, *range(5, last + 1, 5), last}
    seeds = sorted({r["seed"] for r in runs})
    parts = [
        f"pass@k in % of {results['test_problems']} {results['evaluated_on']} problems, mean ± standard error "
        f"over seeds {seeds}.\n\n## Selected epochs\n\n{table(runs, selected)}"
    ]
    for op, form in results["task"].items():
        parts.append(f"\n## `{form}` problems only\n\n{table(runs, selected, op)}")
    parts.append(f"\n## Every epoch\n\n{table(runs)}")
    return "".join(parts)


def plots(runs: list[dict], out: str, split: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    methods = sorted({(r["method"], r["n_prime"] or 0) for r in runs}, key=lambda m: (m[0] != "ce", m[1]))
    fig, axes = plt.subplots(1, len(KS), figsize=(3.2 * len(KS), 3), sharex=True)
    for ax, k in zip(axes, KS):
        for method, n_prime in methods:
            mine = [r for r in runs if r["method"] == method and (r["n_prime"] or 0) == n_prime]
            epochs = [e["epoch"] for e in mine[0]["epochs"]]
            means = [
                statistics.fmean(100 * r["epochs"][i]["pass_at"][str(k)] for r in mine)
                for i in range(len(epochs))
            ]
            ax.plot(epochs, means, marker=".", label=label(method, n_prime))
        ax.set_title(f"pass@{k}")
        ax.set_xlabel("epoch")
    axes[0].set_ylabel(f"% of {split} problems")
    axes[-1].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(os.path.join(out, "pass_at_k.png"), dpi=110)
    plt.close(fig)
    last = {m: [r for r in runs if (r["method"], r["n_prime"] or 0) == m] for m in methods}
    fig, axes = plt.subplots(1, len(methods), figsize=(3.2 * len(methods), 2.8), sharey=True, squeeze=False)
    axes = axes[0]
    for ax, (method, n_prime) in zip(axes, methods):
        correct = [
            p for r in last[(method, n_prime)] for p in r["epochs"][-1]["greedy_confidence"]["correct"]
        ]
        wrong = [p for r in last[(method, n_prime)] for p in r["epochs"][-1]["greedy_confidence"]["wrong"]]
        ax.hist([correct, wrong], bins=10, range=(0, 1), label=["greedy correct", "greedy wrong"])
        ax.set_title(label(method, n_prime))
        ax.set_xlabel("p(greedy answer), last epoch")
    axes[0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(os.path.join(out, "confidence.png"), dpi=110)
    plt.close(fig)


def main() -> int:
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from measured_on import environment, pin_kernels

    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--out",
        default=os.path.join("runs", "overconfidence"),
        help="output folder (the committed results are regenerated only when told: --out benchmarks/overconfidence)",
    )
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--methods", nargs="+", default=["ce", "dco:4", "dco:16", "dco:256"])
    parser.add_argument(
        "--task", default="mix", choices=sorted(TASKS), help=f"operations: {TASKS}".replace("%", "%%")
    )
    parser.add_argument("--modulus", type=int, default=31, help="operands 0 <= a, b < modulus")
    parser.add_argument(
        "--train_fraction",
        type=float,
        nargs="+",
        default=[0.6, 0.35],
        help="of each operation's problems (one value: all)",
    )
    parser.add_argument("--valid_problems", type=int, default=200)
    parser.add_argument("--test_problems", type=int, default=200)
    parser.add_argument(
        "--split", default="test", choices=["valid", "test"], help="evaluate on: tune settings on valid"
    )
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--weight_decay", type=float, default=0.0)
    parser.add_argument("--epsilon", type=float, default=0.0, help="DCO's confidence filter")
    parser.add_argument("--samples", type=int, default=256)
    parser.add_argument(
        "--quick", action="store_true", help="a reduced run: 1 seed, CE and DCO N'=256, 2 epochs"
    )
    parser.add_argument(
        "--native_kernels", action="store_true", help="the processor's own kernels: faster, other numbers per machine"
    )
    args = parser.parse_args()
    if not args.native_kernels:
        pin_kernels()  # the same numbers on every x86-64 machine (benchmarks/measured_on.py)
    if args.quick:
        args.seeds, args.methods, args.epochs = [0], ["ce", "dco:256"], 2
        args.modulus, args.valid_problems, args.test_problems = 11, 10, 20
    import logging

    from prover.io import atomic_write_text

    logging.basicConfig(level=logging.WARNING)
    os.makedirs(args.out, exist_ok=True)
    work = os.path.join(args.out, "work")
    train, valid, test = make_task(
        args.task, args.modulus, args.train_fraction, args.valid_problems, args.test_problems
    )
    evaluated = valid if args.split == "valid" else test
    data = os.path.join(work, "train.jsonl")
    os.makedirs(work, exist_ok=True)
    write_training_data(train, args.modulus, data)
    steps_per_epoch = math.ceil(len(train) / args.batch)
    started = time.perf_counter()
    runs = []
    for seed in args.seeds:
        for spec in args.methods:
            method, _, n = spec.partition(":")
            n_prime = int(n) if n else None
            run_dir = os.path.join(work, f"{spec.replace(':', '')}-seed{seed}")
            shutil.rmtree(run_dir, ignore_errors=True)
            train_run(method, n_prime, seed, data, run_dir, args, steps_per_epoch)
            epochs = []
            for epoch, path in enumerate(
                checkpoints_by_epoch(run_dir, steps_per_epoch, args.epochs), start=1
            ):
                epochs.append({"epoch": epoch, **evaluate(path, evaluated, args.modulus, args.samples, seed)})
            runs.append({"method": method, "n_prime": n_prime, "seed": seed, "epochs": epochs})
            for k in ("1", "256"):
                curve = " ".join(f"{100 * e['pass_at'][k]:.0f}" for e in epochs)
                print(f"{spec:>8} seed {seed} pass@{k:<3} by epoch: {curve}", flush=True)
            print(f"({time.perf_counter() - started:.0f}s)", flush=True)
    settings = {k: v for k, v in vars(args).items() if k != "out"}
    results = {
        "task": {op: OPERATIONS[op][0]("a", "b", args.modulus) for op in TASKS[args.task]},
        "settings": settings,
        "train_problems": len(train),
        "evaluated_on": args.split,
        "test_problems": len(evaluated),
        "runs": runs,
        "environment": environment(),
    }
    atomic_write_text(os.path.join(args.out, "results.json"), json.dumps(results, indent=1))
    atomic_write_text(os.path.join(args.out, "results.md"), report(runs, results))
    plots(runs, args.out, args.split)
    shutil.rmtree(work, ignore_errors=True)
    print(table(runs, {1, args.epochs // 2, args.epochs}))
    print(f"total {time.perf_counter() - started:.0f}s -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

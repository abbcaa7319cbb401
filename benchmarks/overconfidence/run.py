"""CE's pass@N falls with training while DCO holds it: the seed paper's effect at CPU scale.

Task: modular addition, "a + b mod P" -> the residue as a decimal string, with an exact checker. A random
TRAIN_FRACTION of the P^2 problems is the training set, and TEST_PROBLEMS other problems are held out
(never trained on). Why this task: every answer is short and checkable, the answer space is small enough
to compute the model's exact probability of every answer, and a tiny transformer trained from scratch
partly generalizes, so pass@1 rises while over-confidence can make large-k coverage fall.

Runs: CE and DCO with several N', same data, same seeds, same number of optimizer steps, all trained by
`prover train` (tiny random Llama, the project's losses and confidence filter). After every epoch: the
model's probability of each of the P answer strings (teacher forcing, answer + eos) and of everything else
(the invalid remainder); 256 samples per problem at temperature 1 are drawn from that exact distribution;
pass@k (k = 1..256) with the unbiased estimator; the greedy answer's probability (greedy decoding),
split by correct / wrong.

    python benchmarks/overconfidence/run.py                 # full: 3 seeds, writes results.json, .md, .png
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

HERE = os.path.dirname(os.path.abspath(__file__))
KS = (1, 4, 16, 64, 256)


def make_task(modulus: int, train_fraction: float, test_problems: int, seed: int = 1234):
    """Problems (a, b) with 0 <= a, b < modulus, split into training and held-out test problems."""
    pairs = [(a, b) for a in range(modulus) for b in range(modulus)]
    random.Random(seed).shuffle(pairs)
    n_train = int(len(pairs) * train_fraction)
    train, test = pairs[:n_train], pairs[n_train : n_train + test_problems]
    assert not set(train) & set(test)
    return train, test


TASK = {"name": "modadd"}


def state(a: int, b: int, modulus: int) -> str:
    return f"{a} + {b} mod {modulus}" if TASK["name"] == "modadd" else f"{a} + {b}"


def answer(a: int, b: int, modulus: int) -> int:
    return (a + b) % modulus if TASK["name"] == "modadd" else a + b


def candidates(modulus: int) -> list[int]:
    return list(range(modulus)) if TASK["name"] == "modadd" else list(range(2 * modulus - 1))


def train_run(
    method: str, n_prime: int | None, seed: int, data: str, out: str, args, steps_per_epoch: int
) -> str:
    from prover.config import TrainConfig
    from prover.train import run_train

    cfg = TrainConfig(
        tiny=True, data=data, data_kind="tactic", loss="ce" if method == "ce" else "dco", n=n_prime or 1,
        epsilon=args.epsilon if method == "dco" else 0.0, output_dir=out, global_batch_size=args.batch,
        per_device_batch_size=args.batch, max_steps=args.epochs * steps_per_epoch, learning_rate=args.lr,
        warmup_steps=0, weight_decay=0.0, eval_fraction=0.0, save_steps=steps_per_epoch, logging_steps=steps_per_epoch,
        max_length=64, seed=seed,
    )  # fmt: skip
    return run_train(cfg)


def evaluate(model_dir: str, test, modulus: int, samples: int, seed: int) -> dict:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from prover.metrics import pass_at_k
    from prover.sample import HFSampler

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForCausalLM.from_pretrained(model_dir).eval()
    prompts = [state(a, b, modulus) + ":::" for a, b in test]
    answers = [str(r) for r in candidates(modulus)]
    eos = tokenizer.eos_token_id
    answer_ids = [tokenizer(a, add_special_tokens=False)["input_ids"] + [eos] for a in answers]
    generator = torch.Generator().manual_seed(seed)
    passes = {k: [] for k in KS}
    for prompt, (a, b) in zip(prompts, test):
        prompt_ids = tokenizer(prompt)["input_ids"]
        rows = [prompt_ids + ids for ids in answer_ids]
        width = max(map(len, rows))
        batch = torch.full((len(rows), width), tokenizer.pad_token_id)
        for i, row in enumerate(rows):
            batch[i, : len(row)] = torch.tensor(row)
        with torch.no_grad():
            logp = torch.log_softmax(model(batch).logits.double(), dim=-1)
        seq = torch.stack([
            sum(logp[i, len(prompt_ids) - 1 + t, tok] for t, tok in enumerate(ids)) for i, ids in enumerate(answer_ids)
        ])  # fmt: skip
        probs = seq.exp()
        distribution = torch.cat([probs, (1 - probs.sum()).clamp(min=0).unsqueeze(0)])  # + the invalid rest
        draws = torch.multinomial(distribution.float(), samples, replacement=True, generator=generator)
        correct = int((draws == candidates(modulus).index(answer(a, b, modulus))).sum())
        for k in KS:
            passes[k].append(pass_at_k(samples, correct, k))
    greedy = HFSampler(model, tokenizer).generate(prompts, 1, temperature=0.0, max_tokens=4)
    confidence = {"correct": [], "wrong": []}
    for (c,), (a, b) in zip(greedy, test):
        confidence["correct" if c.text.strip() == str(answer(a, b, modulus)) else "wrong"].append(
            math.exp(c.logprob)
        )
    return {
        "pass_at": {str(k): statistics.fmean(v) for k, v in passes.items()},
        "greedy_confidence": confidence,
    }


def checkpoints_by_epoch(run_dir: str, steps_per_epoch: int, epochs: int) -> list[str]:
    """The model after each epoch; a run that stopped early (everything confident) keeps its last model."""
    final = os.path.join(run_dir, "final")
    return [
        path if os.path.isdir(path := os.path.join(run_dir, f"checkpoint-{e * steps_per_epoch}")) else final
        for e in range(1, epochs + 1)
    ]


def table(runs: list[dict]) -> str:
    groups: dict = {}
    for run in runs:
        key = (run["method"], run["n_prime"])
        for epoch in run["epochs"]:
            groups.setdefault(key, {}).setdefault(epoch["epoch"], []).append(epoch["pass_at"])
    lines = [
        "| method | epoch | " + " | ".join(f"pass@{k}" for k in KS) + " |",
        "|---|---|" + "---|" * len(KS),
    ]
    for (method, n_prime), epochs in groups.items():
        label = "CE" if method == "ce" else f"DCO N'={n_prime}"
        for epoch, values in sorted(epochs.items()):
            cells = []
            for k in KS:
                xs = [100 * v[str(k)] for v in values]
                se = statistics.stdev(xs) / math.sqrt(len(xs)) if len(xs) > 1 else 0.0
                cells.append(f"{statistics.fmean(xs):.1f} ± {se:.1f}")
            lines.append(f"| {label} | {epoch} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def plots(runs: list[dict], out: str) -> None:
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
            ax.plot(epochs, means, marker=".", label="CE" if method == "ce" else f"DCO N'={n_prime}")
        ax.set_title(f"pass@{k}")
        ax.set_xlabel("epoch")
    axes[0].set_ylabel("% of test problems")
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
        ax.set_title("CE" if method == "ce" else f"DCO N'={n_prime}")
        ax.set_xlabel("p(greedy answer), last epoch")
    axes[0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(os.path.join(out, "confidence.png"), dpi=110)
    plt.close(fig)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", default=HERE)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--methods", nargs="+", default=["ce", "dco:4", "dco:16", "dco:256"])
    parser.add_argument(
        "--task", default="modadd", choices=["modadd", "add"], help="a + b mod P, or a + b (0 <= a, b < P)"
    )
    parser.add_argument("--modulus", type=int, default=31)
    parser.add_argument("--train_fraction", type=float, default=0.3)
    parser.add_argument("--test_problems", type=int, default=200)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--epsilon", type=float, default=0.1)
    parser.add_argument("--samples", type=int, default=256)
    parser.add_argument(
        "--quick", action="store_true", help="a reduced run: 1 seed, CE and DCO N'=256, 2 epochs"
    )
    args = parser.parse_args()
    if args.quick:
        args.seeds, args.methods, args.epochs, args.test_problems, args.modulus = (
            [0],
            ["ce", "dco:256"],
            2,
            20,
            11,
        )
    import logging

    TASK["name"] = args.task

    logging.basicConfig(level=logging.WARNING)
    os.makedirs(args.out, exist_ok=True)
    work = os.path.join(args.out, "work")
    train, test = make_task(args.modulus, args.train_fraction, args.test_problems)
    data = os.path.join(work, "train.jsonl")
    os.makedirs(work, exist_ok=True)
    with open(data, "w", encoding="utf-8") as handle:
        for a, b in train:
            handle.write(
                json.dumps({"state": state(a, b, args.modulus), "tactic": str(answer(a, b, args.modulus))})
                + "\n"
            )
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
                epochs.append({"epoch": epoch, **evaluate(path, test, args.modulus, args.samples, seed)})
            runs.append({"method": method, "n_prime": n_prime, "seed": seed, "epochs": epochs})
            last = epochs[-1]["pass_at"]
            print(
                f"{spec:>8} seed {seed}: pass@1 {last['1']:.3f}  pass@256 {last['256']:.3f}  ({time.perf_counter() - started:.0f}s)",
                flush=True,
            )
    settings = {k: v for k, v in vars(args).items() if k != "out"}
    results = {
        "task": "modular addition",
        "settings": settings,
        "train_problems": len(train),
        "test_problems": len(test),
        "runs": runs,
    }
    with open(os.path.join(args.out, "results.json"), "w", encoding="utf-8") as handle:
        json.dump(results, handle, indent=1)
    with open(os.path.join(args.out, "results.md"), "w", encoding="utf-8") as handle:
        handle.write(table(runs))
    plots(runs, args.out)
    shutil.rmtree(work, ignore_errors=True)
    print(table(runs))
    print(f"total {time.perf_counter() - started:.0f}s -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Cost of DCO over CE in the trainer's own optimizer step (``ProverTrainer.train_step``: sampling, forward,
the objective from ``prover.train.loss``, backward, AdamW), measured side by side in one run.

1. epsilon = 0: CE, DCO (sequence), DCO over tactic traces and DCO-step on the same model and data, methods
   interleaved step by step; the median step time of each as a ratio to CE. The DCO weight comes from the
   training forward itself, so the goal is DCO <= 1.05x CE.
2. The confidence filter (epsilon = 0.1): DCO-step trained until the model is confident, beside CE for the
   same steps. Per quarter of the run: candidates scored per optimizer step, the scoring forwards' share of
   the step, the fraction dropped, and the wall ratio to CE's step; then the ratio over the whole run.
   Goal: <= 1.3x CE averaged over a run, every batch full.

    python benchmarks/loss_overhead.py [--rounds 30] [--hidden 256] [--layers 4] [--filter_steps 240]

Everything is built locally (tokenizer, random Llama, synthetic tactic data); nothing is downloaded.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from tqdm.auto import tqdm


def make_data(path: Path, units: int, steps_per_trace: int, seed: int = 0) -> None:
    """Tactic pairs in traces of ``steps_per_trace`` steps: states of ~120 characters, tactics of ~30."""
    rng = random.Random(seed)
    words = ["intro", "apply", "exact", "simp", "rw", "have", "obtain", "linarith", "norm_num", "omega"]
    lines = []
    for u in range(units):
        for s in range(steps_per_trace):
            state = " ".join(
                f"h{rng.randrange(50)} : x{rng.randrange(9)} ≤ {rng.randrange(99)}" for _ in range(6)
            )
            tactic = " ".join(rng.choice(words) for _ in range(3)) + f" h{rng.randrange(50)}"
            lines.append({"state": state + f"\n⊢ goal{u}", "tactic": tactic, "trace_id": f"t{u}", "step": s})
    path.write_text("".join(json.dumps(r) + "\n" for r in lines))


def make_model(directory: Path, data: Path, hidden: int, layers: int) -> None:
    from prover.train.data import read_examples
    from prover.train.tiny import build_tiny_model, build_tokenizer
    from prover.train.tokenize import PromptFormat

    fmt = PromptFormat()
    examples = read_examples(str(data))
    tokenizer = build_tokenizer((fmt.prompt(e) + fmt.target(e) for e in examples), vocab_size=1024)
    model = build_tiny_model(tokenizer, hidden_size=hidden, layers=layers, heads=max(1, hidden // 64))
    model.save_pretrained(directory)
    tokenizer.save_pretrained(directory)


def trainer(model: Path, data: Path, out: Path, **settings):
    from prover.config import TrainConfig
    from prover.train.loop import ProverTrainer

    settings = {"epsilon": 0.0, **settings}
    cfg = TrainConfig(model=str(model), data=str(data), output_dir=str(out), eval_fraction=0.0, warmup_steps=0,
                      save_steps=10**9, max_length=512, global_batch_size=16, per_device_batch_size=8,
                      max_steps=10**6, **settings)  # fmt: skip
    made = ProverTrainer(cfg)
    made.model.train()
    made.score_seconds = 0.0
    score = made.sampler.score
    if score is not None:

        def timed(candidates):
            started = time.perf_counter()
            try:
                return score(candidates)
            finally:
                made.score_seconds += time.perf_counter() - started

        made.sampler.score = timed
    return made


def timed_step(t) -> tuple[float, dict | None]:
    started = time.perf_counter()
    record = t.train_step()
    return time.perf_counter() - started, record


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=30, help="timed steps per method (epsilon = 0)")
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--filter_steps", type=int, default=240, help="steps of the epsilon = 0.1 run")
    parser.add_argument(
        "--lr", type=float, default=1e-3, help="learning rate of the filter run (confident soon)"
    )
    args = parser.parse_args()
    import logging

    import torch

    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="loss-overhead-") as tmp:
        root = Path(tmp)
        traces, pairs = root / "traces.jsonl", root / "pairs.jsonl"
        make_data(traces, units=128, steps_per_trace=2)
        make_data(pairs, units=32, steps_per_trace=1, seed=1)
        make_model(root / "model", traces, args.hidden, args.layers)
        make_model(root / "model_pairs", pairs, args.hidden, args.layers)

        # 1. epsilon = 0, interleaved
        methods = {
            "ce": trainer(root / "model", traces, root / "ce", loss="ce"),
            "dco_step (N_eff=16), each pair": trainer(root / "model", traces, root / "dco", loss="dco_step", n_eff=16),
            "dco over traces (N=16)": trainer(root / "model", traces, root / "dcot", loss="dco", dco_n=16),
            "dco_step (N_eff=4)": trainer(root / "model", traces, root / "step", loss="dco_step", n_eff=4),
        }
        times: dict[str, list[float]] = {name: [] for name in methods}  # seconds per trained example
        for t in methods.values():
            timed_step(t)  # warm-up
        for _ in tqdm(range(args.rounds), desc="epsilon 0", unit="round"):
            for name, t in methods.items():
                seconds, record = timed_step(t)
                times[name].append(seconds / record["examples"])
        base = statistics.median(times["ce"])
        n_params = sum(p.numel() for p in methods["ce"].model.parameters()) / 1e6
        print(f"{args.rounds} rounds, 16 units per step (2 micro-batches of 8; a trace unit is 2 examples), "
              f"{n_params:.1f}M parameters, {torch.get_num_threads()} threads")  # fmt: skip
        print(f"{'method (epsilon 0)':<26}{'ms per example':>16}{'ratio to CE':>14}")
        for name, samples in times.items():
            median = statistics.median(samples)
            print(f"{name:<26}{median * 1e3:>16.2f}{median / base:>14.3f}")

        # 2. the confidence filter over a run, beside CE for the same steps
        ce = trainer(root / "model_pairs", pairs, root / "ce_run", loss="ce", learning_rate=args.lr)
        dco = trainer(root / "model_pairs", pairs, root / "filter_run", loss="dco_step", n_eff=16,
                      learning_rate=args.lr, epsilon=0.1)  # fmt: skip
        timed_step(ce), timed_step(dco)
        rows = []
        for _ in tqdm(range(args.filter_steps), desc="epsilon 0.1", unit="step"):
            ce_s, _ = timed_step(ce)
            dco.score_seconds = 0.0
            dco_s, record = timed_step(dco)
            if record is None:
                break  # every unit confident under the current weights
            assert record["examples"] == 16, "a batch was not full"
            rows.append((ce_s, dco_s, dco.score_seconds, record["scored"], record["filtered"]))
        print(f"\nconfidence filter (DCO-step N_eff=16, epsilon 0.1, lr {args.lr:g}, 32 units): {len(rows)} steps"
              + ("" if len(rows) == args.filter_steps else " (then every unit was confident: the run stops)"))  # fmt: skip
        print(
            f"{'part of the run':<18}{'scored/step':>13}{'scoring share':>15}{'dropped':>10}{'ratio to CE':>13}"
        )
        quarter = max(1, len(rows) // 4)
        for q in range(0, len(rows), quarter):
            part = rows[q : q + quarter]
            ratio = sum(r[1] for r in part) / sum(r[0] for r in part)
            print(f"{f'steps {q + 1}-{q + len(part)}':<18}{statistics.fmean(r[3] for r in part):>13.1f}"
                  f"{sum(r[2] for r in part) / sum(r[1] for r in part):>15.2f}"
                  f"{statistics.fmean(r[4] for r in part):>10.2f}{ratio:>13.2f}")  # fmt: skip
        total = sum(r[1] for r in rows) / sum(r[0] for r in rows)
        print(f"DCO with the filter / CE, whole run: {total:.2f}x per optimizer step (goal <= 1.3x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

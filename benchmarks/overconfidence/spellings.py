"""How much of the correct answers' probability the benchmark's exact draw leaves out.

run.py draws the number of correct samples from p(the answer's canonical tokens, then eos). A model can also
spell the right answer with other tokens. This trains CE for some epochs with run.py's settings, samples
real completions at temperature 1 for the test problems, and prints the rate of samples that read as the
right answer, beside the canonical p, and pass@k from both.

    python benchmarks/overconfidence/spellings.py [--epochs 1] [--seed 0] [--samples 256]
"""

from __future__ import annotations

import argparse
import importlib.util
import math
import statistics
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--samples", type=int, default=256)
    args = parser.parse_args()
    spec = importlib.util.spec_from_file_location("oc_run", HERE / "run.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    import logging

    from transformers import AutoModelForCausalLM, AutoTokenizer

    from prover.config import TrainConfig
    from prover.metrics import pass_at_k
    from prover.search.samplers import HFSampler
    from prover.train.loop import run_train

    logging.basicConfig(level=logging.WARNING)
    modulus, batch = 31, 32
    train, _, test = bench.make_task("mix", modulus, [0.6, 0.35], 200, 200)
    with tempfile.TemporaryDirectory(prefix="spellings-") as tmp:
        data = str(Path(tmp) / "train.jsonl")
        bench.write_training_data(train, modulus, data)
        steps = args.epochs * math.ceil(len(train) / batch)
        model_dir = run_train(
            TrainConfig(tiny=True, data=data, data_kind="tactic", loss="ce", epsilon=0.0, output_dir=tmp + "/run",
                        global_batch_size=batch, per_device_batch_size=batch, max_steps=steps, learning_rate=1e-3,
                        warmup_steps=0, eval_fraction=0.0, save_steps=10**6, logging_steps=10**6, max_length=64,
                        seed=args.seed)
        )  # fmt: skip
        tokenizer = AutoTokenizer.from_pretrained(model_dir)
        model = AutoModelForCausalLM.from_pretrained(model_dir).eval()
        prompts = [bench.prompt(p, modulus) for p in test]
        answers = [bench.answer(p, modulus) for p in test]
        canonical = bench.answer_probabilities(model, tokenizer, prompts, answers).tolist()
        samples = HFSampler(model, tokenizer).generate(
            prompts, args.samples, temperature=1.0, top_p=1.0, max_tokens=6, seed=list(range(len(prompts)))
        )
    hits = [sum(c.text.strip() == text for c in cs) for cs, text in zip(samples, answers)]
    sampled = statistics.fmean(h / args.samples for h in hits)
    exact = statistics.fmean(canonical)
    n = args.samples
    pass_sampled = statistics.fmean(pass_at_k(n, h, n) for h in hits)
    pass_exact = statistics.fmean(1 - (1 - p) ** n for p in canonical)
    print(f"CE after {args.epochs} epoch(s), seed {args.seed}, {len(test)} test problems, {n} samples each")
    print(f"rate of samples that read as the right answer: {100 * sampled:.2f}%")
    print(f"canonical p (what run.py draws from):          {100 * exact:.2f}%")
    print(f"share of the correct mass the canonical spelling leaves out: {100 * (1 - exact / sampled):.1f}%")
    print(
        f"pass@{n}: sampled {100 * pass_sampled:.1f}%, expected from the canonical p {100 * pass_exact:.1f}%"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Sampling overlapped with Lean against one after the other, side by side: whole-proof search on the
bundled benchmark (data/lean_arith, every proof checked by the embedded Lean), the same run with each
round sampled in parts that Lean checks while the next part samples, the next batch's first part included
(strategies.CHUNKS), and with the parts one after the other (CHUNKS = 1).

    python benchmarks/search_overlap.py --model runs/pipeline/train-dco      # a trained whole-proof model
    python benchmarks/search_overlap.py --tiny                                 # trains one first (1 min)

Prints, per mode: search wall, generation, Lean busy, their overlap, and wall / max(generation, Lean
busy) (1.0 is perfect overlap; the goal is at most 1.1). The records of the two modes must be equal.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data" / "lean_arith"


def train_tiny(out: Path) -> str:
    from prover.config import TrainConfig
    from prover.train.loop import run_train

    return run_train(TrainConfig(tiny=True, data=str(DATA / "train.jsonl"), whole_prompt="{formal_statement}",
                                 loss="ce", max_steps=150, warmup_steps=0, global_batch_size=32,
                                 per_device_batch_size=32, learning_rate=3e-3, eval_fraction=0.0,
                                 save_steps=100000, max_length=128, output_dir=str(out)))  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="")
    parser.add_argument("--tiny", action="store_true", help="train a tiny whole-proof model first")
    parser.add_argument("--n", type=int, default=16)
    parser.add_argument("--split", default="test")
    parser.add_argument("--chunks", type=int, nargs="+", default=[],
                        help="parts per round to compare (default: strategies.CHUNKS), beside one part")  # fmt: skip
    args = parser.parse_args()
    from prover.config import SearchConfig
    from prover.lean import embedded
    from prover.search import strategies
    from prover.search.run import Search

    if embedded.command() is None:
        raise SystemExit(embedded.HINT)
    with tempfile.TemporaryDirectory(prefix="overlap-") as tmp:
        model = args.model or (train_tiny(Path(tmp) / "model") if args.tiny else "")
        if not model:
            raise SystemExit("give --model DIR (a whole-proof model) or --tiny")
        rows, records = {}, {}
        modes = [("one after the other", 1)] + [(f"overlapped, {c} parts", c) for c in args.chunks or [strategies.CHUNKS]]
        for name, chunks in modes:
            strategies.CHUNKS = chunks
            out = Path(tmp) / f"search-{chunks}"
            cfg = SearchConfig(model=model, benchmark=str(DATA / "benchmark.jsonl"), split=args.split,
                               strategy="whole", sampler="hf", n=args.n, whole_prompt="{formal_statement}",
                               max_tokens_proof=40, greedy=False, output_dir=str(out))  # fmt: skip
            seconds = Search(cfg).run().seconds
            rows[name] = seconds
            records[name] = [{k: v for k, v in json.loads(line).items() if k != "lean_seconds"}
                             for line in (out / "attempts.jsonl").read_text().splitlines()]  # fmt: skip
    print(f"{'mode':22} {'search s':>9} {'generation s':>13} {'Lean busy s':>12} {'overlap s':>10} {'wall/max':>9}")
    for name, s in rows.items():
        ratio = s.search / max(s.generation, s.lean_busy)
        print(f"{name:22} {s.search:9.1f} {s.generation:13.1f} {s.lean_busy:12.1f} {s.overlap:10.1f} {ratio:9.2f}")
    base = rows["one after the other"].search
    same = all(r == records["one after the other"] for r in records.values())
    print(f"records equal: {same} ({len(records['one after the other'])} attempts); speed-up "
          + ", ".join(f"{name}: {base / s.search:.2f}x" for name, s in rows.items() if s.search != base))  # fmt: skip
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())

"""Cost of DCO over CE: full training steps (forward, loss, backward, AdamW) of a small random Llama on the
same batches, methods interleaved round by round, median step time printed as a ratio to CE.

    python benchmarks/loss_overhead.py [--rounds 30] [--hidden 256] [--layers 4] [--batch 8] [--length 256]

With epsilon = 0 the DCO weight comes from the training forward itself, so the target is DCO <= 1.05x CE.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from prover.loss import ce_loss, dco_loss, dco_step_loss


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--vocab", type=int, default=8192)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--length", type=int, default=256)
    args = parser.parse_args()

    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=args.vocab, hidden_size=args.hidden, intermediate_size=args.hidden * 4,
        num_hidden_layers=args.layers, num_attention_heads=max(1, args.hidden // 64), max_position_embeddings=args.length,
    )  # fmt: skip
    model = LlamaForCausalLM(config)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-5)
    input_ids = torch.randint(args.vocab, (args.batch, args.length))
    labels = input_ids.clone()
    labels[:, : args.length // 2] = -100  # the prompt half is masked, as for a tactic model
    groups = torch.arange(args.batch) // 2  # traces of two steps each, for whole-proof DCO

    methods = {
        "ce": lambda logits: ce_loss(logits, labels),
        "dco (N=16)": lambda logits: dco_loss(logits, labels, 16),
        "dco over traces (N=16)": lambda logits: dco_loss(logits, labels, 16, group_ids=groups),
        "dco_step (N_eff=4)": lambda logits: dco_step_loss(logits, labels, 4),
    }
    times: dict[str, list[float]] = {name: [] for name in methods}

    def step(loss_fn) -> float:
        started = time.perf_counter()
        logits = model(input_ids=input_ids, use_cache=False).logits
        loss_fn(logits).backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        return time.perf_counter() - started

    for loss_fn in methods.values():  # warm-up
        step(loss_fn)
    for _ in range(args.rounds):
        for name, loss_fn in methods.items():
            times[name].append(step(loss_fn))

    base = statistics.median(times["ce"])
    print(f"{args.rounds} rounds, batch {args.batch} x {args.length} tokens, vocab {args.vocab}, "
          f"{sum(p.numel() for p in model.parameters()) / 1e6:.1f}M parameters, {torch.get_num_threads()} threads")  # fmt: skip
    print(f"{'method':<26}{'median step (ms)':>18}{'ratio to CE':>14}")
    for name, samples in times.items():
        median = statistics.median(samples)
        print(f"{name:<26}{median * 1e3:>18.1f}{median / base:>14.3f}")


if __name__ == "__main__":
    main()

"""DCO inside the trainers people already use: ``compute_loss_func`` for transformers' ``Trainer`` and TRL's
``SFTTrainer`` (which passes it on), computed by ``loss.objective``, the function ``prover train`` uses.

    trainer = Trainer(..., compute_loss_func=CoverageLoss("dco", n=16))
    trainer = coverage_trainer(SFTTrainer)(..., coverage=CoverageLoss("dco", n=16))

TRL 1.16 deprecates ``SFTTrainer``'s ``compute_loss_func`` (it runs a second forward for its metrics) and
asks for a subclass that overrides ``compute_loss``: ``coverage_trainer`` makes one from any Trainer class.

The Trainer gives the model's outputs, the labels as its collator made them (``-100`` on the prompt and on
padding; the causal shift is done here) and ``num_items_in_batch``, the target tokens of the whole
accumulated batch (over all processes with ``average_tokens_across_devices``). The loss is
``sum_i w_i (-log p_i) / num_items_in_batch``: with ``loss="ce"`` exactly the Trainer's own token-mean CE,
and the Trainer, seeing a ``compute_loss_func``, treats it as already scaled for gradient accumulation, so
accumulated micro-batches equal one big batch. ``-log p_i`` is the example's summed token NLL (DCO's ``p``
is the whole target's probability): ``prover train --ce_reduction sum`` weights the same way and differs
only in its normalizer (examples, not tokens).

What the plugged-in form cannot do: the confidence filter's refills (``prover train`` drops confident
units *before* a step and draws others in their place; a loss function only sees the batch it is given:
``epsilon`` leaves them out of the loss instead, so a batch trains fewer examples), and DCO over tactic
traces (``prover train``'s ``dco`` on LeanDojo traces weights every step by the whole proof's ``p``, which
needs a trace's steps in one forward: the Trainer's collator does not group them). Step-level DCO
(``dco_step`` with ``N_eff``) and whole-proof DCO are exact here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from prover.config import LOSSES


@dataclass(frozen=True)
class CoverageLoss:
    """``compute_loss_func(outputs, labels, num_items_in_batch)`` for ``Trainer`` / ``SFTTrainer``.

    ``loss``: ``ce``, ``dco`` (N = ``n``, for whole proofs or single tactics) or ``dco_step`` (N_eff = ``n``
    per tactic); ``epsilon``: examples with F(N, p) <= epsilon are left out of the loss."""

    loss: str = "dco"
    n: float = 16
    epsilon: float = 0.0

    def __post_init__(self):
        if self.loss not in LOSSES:
            raise ValueError(f"loss must be one of {', '.join(LOSSES)}, got {self.loss!r}")
        if self.n < 1:
            raise ValueError(f"n must be >= 1, got {self.n}")
        if not 0.0 <= self.epsilon < 1.0:
            raise ValueError(f"epsilon must be in [0, 1), got {self.epsilon}")

    def __call__(self, outputs, labels, num_items_in_batch=None):
        from prover.train.loss import IGNORE_INDEX, objective

        if labels is None:
            raise ValueError("CoverageLoss needs the batch's labels (a causal-LM collator sets them)")
        logits = outputs["logits"] if isinstance(outputs, Mapping) else outputs[0]
        if num_items_in_batch is None:  # called outside Trainer's accumulation: this batch's target tokens
            num_items_in_batch = (labels[:, 1:] != IGNORE_INDEX).sum()
        if hasattr(num_items_in_batch, "to"):
            num_items_in_batch = num_items_in_batch.to(logits.device)
        return objective(logits, labels, self.loss, self.n, "sum", None, num_items_in_batch, self.epsilon).loss


def coverage_trainer(base: type) -> type:
    """A subclass of ``base`` (``transformers.Trainer``, ``trl.SFTTrainer``, ...) taking ``coverage=`` (a
    ``CoverageLoss``) whose ``compute_loss`` is that loss on one forward of the model, scaled as the Trainer
    scales its own token-normalized losses (so accumulation and several processes equal one big batch)."""

    class CoverageTrainer(base):
        def __init__(self, *args, coverage: CoverageLoss, **kwargs):
            super().__init__(*args, **kwargs)
            self.coverage = coverage
            self.loss_is_scaled_for_ga = True  # normalized by the accumulated batch's tokens

        def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
            forward = {k: v for k, v in inputs.items() if k != "labels"}
            outputs = model(**forward, use_cache=False)
            loss = self.coverage(outputs, inputs.get("labels"), num_items_in_batch)
            if self.args.average_tokens_across_devices and num_items_in_batch is not None:
                loss = loss * self.accelerator.num_processes  # num_items_in_batch counts every process's tokens
            return (loss, outputs) if return_outputs else loss

    CoverageTrainer.__name__ = CoverageTrainer.__qualname__ = f"Coverage{base.__name__}"
    return CoverageTrainer

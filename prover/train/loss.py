"""Training objectives: cross-entropy and Direct Coverage Optimization (DCO), as pure tensor functions.

DCO trains for pass@N coverage, ``-log(1 - (1 - p)^N)`` with ``p = p(y | x)`` under teacher forcing. Its
gradient is CE's scaled by ``F(N, p) = N p (1-p)^(N-1) / (1 - (1-p)^N)``, so it is implemented as CE weighted by
a detached ``F`` computed from the same forward pass: no extra forward over CE. Everything that touches
probabilities works on ``log p`` in float64 (``p`` of a long sequence underflows). Nothing here knows about
models, data loaders or the trainer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from prover.config import LOSS_REGISTRY, LOSSES

IGNORE_INDEX = -100
_LOG2 = math.log(2.0)


def _log1mexp(x: torch.Tensor) -> torch.Tensor:
    """log(1 - exp(x)) for x <= 0, accurate at both ends (Maechler 2012)."""
    near_zero = x > -_LOG2
    # Evaluate each branch only on inputs where it is finite, so autograd through `where` stays NaN-free.
    a = torch.where(near_zero, x, torch.full_like(x, -1.0))
    b = torch.where(near_zero, torch.full_like(x, -1.0), x)
    return torch.where(near_zero, torch.log(-torch.expm1(a)), torch.log1p(-torch.exp(b)))


def log_coverage_weight(logp: torch.Tensor, n: int | float | torch.Tensor) -> torch.Tensor:
    """log F(N, p), from log p, in float64; finite for every log p <= 0 and N >= 1 (``-inf`` only at p = 1).

    With q = -log(1 - p) and y = N q:  log F = log(p / q) - (N - 1) q - log((1 - e^{-y}) / y).
    ``log(p / q)`` and ``log((1 - e^{-y}) / y)`` use series where p or y is tiny, so nothing underflows
    and no large terms cancel (log p = -1e4 has p = 0 in float64, yet F is then 1 to the last bit).

    Args:
        logp: log-probabilities of the targets, any shape, values <= 0.
        n: sample budget N >= 1 (a number or a tensor broadcastable to ``logp``).

    Returns:
        float64 tensor of log F, broadcast shape of ``logp`` and ``n``.
    """
    logp = torch.as_tensor(logp).to(torch.float64).clamp(max=0.0)
    n = torch.as_tensor(n, dtype=torch.float64, device=logp.device)
    if bool((n < 1).any()):
        raise ValueError(f"coverage budget N must be >= 1, got {n.min().item()}")
    p = torch.exp(logp)
    # log(p / q) with q = -log(1 - p) = p (1 + p/2 + p^2/3 + p^3/4 + ...); the series is exact in float64 for p < 1e-5,
    # and keeps the large terms log p and log q from cancelling (which would cost monotonicity near F = 1).
    tiny_p = logp < math.log(1e-5)
    q_direct = -_log1mexp(torch.where(tiny_p, torch.full_like(logp, -1.0), logp))
    log_p_over_q = torch.where(tiny_p, -torch.log1p(p / 2 + p * p / 3 + p * p * p / 4), logp - torch.log(q_direct))
    log_q = logp - log_p_over_q
    q = torch.exp(log_q)  # inf at p = 1
    log_y = torch.log(n) + log_q
    y = torch.exp(log_y)
    # log((1 - e^{-y}) / y), by its series for y < 1e-5 (exact in float64 there).
    tiny_y = log_y < math.log(1e-5)
    y_safe = torch.where(tiny_y, torch.ones_like(y), y)
    log_ratio = torch.where(
        tiny_y,
        torch.log1p(-y / 2 + y * y / 6 - y * y * y / 24),
        torch.log(-torch.expm1(-y_safe)) - torch.where(tiny_y, torch.zeros_like(log_y), log_y),
    )
    n_minus_one = n - 1
    decay = torch.where(n_minus_one == 0, torch.zeros_like(q), -n_minus_one * q)  # avoid 0 * inf at p = 1
    # log F = log N + log p - (N - 1) q - log(1 - e^{-y}),  with log N + log p = log y + log(p / q)
    log_f = log_p_over_q + decay - log_ratio
    log_f = torch.where(logp == 0, torch.full_like(log_f, -math.inf), log_f)  # p = 1: F(N > 1, 1) = 0
    return torch.where(n == 1, torch.zeros_like(log_f), log_f)  # F(1, p) = 1 exactly


def coverage_weight(logp: torch.Tensor, n: int | float | torch.Tensor) -> torch.Tensor:
    """F(N, p) = N p (1-p)^(N-1) / (1 - (1-p)^N), taking log p; float64, detached, in [0, 1].

    F(1, p) = 1 (DCO with N = 1 is CE), F -> 1 as p -> 0, F(N, 1) = 0 for N > 1, decreasing in p.
    """
    with torch.no_grad():
        return torch.exp(log_coverage_weight(logp, n))


def dco_exact(logp: torch.Tensor, n: int | float | torch.Tensor) -> torch.Tensor:
    """The coverage objective -log(1 - (1-p)^N), differentiable in log p (for tests and analysis).

    Its derivative in log p is -F(N, p), so its gradient is F times the summed-token CE's gradient.
    Valid for log p > -700 (where p is a normal float64).
    """
    logp = logp.to(torch.float64)
    n = torch.as_tensor(n, dtype=torch.float64, device=logp.device)
    return -_log1mexp(n * _log1mexp(logp.clamp(max=-1e-300)))


def token_logprobs(logits: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-token log p of the next-token targets, with the usual causal shift.

    Args:
        logits: (B, T, V) model outputs.
        labels: (B, T) aligned with the inputs, ``IGNORE_INDEX`` where not a target.

    Returns:
        ``(token_logp, mask)``, both (B, T): log p of target t+1 at position t, and whether it is a target.
    """
    shifted = torch.cat([labels[:, 1:], torch.full_like(labels[:, :1], IGNORE_INDEX)], dim=1)  # (B, T)
    vocab = logits.size(-1)
    # Shift the labels rather than slicing the logits: no copy of the (B, T, V) tensor.
    nll = F.cross_entropy(
        logits.reshape(-1, vocab).to(torch.promote_types(logits.dtype, torch.float32)),
        shifted.reshape(-1),
        ignore_index=IGNORE_INDEX,
        reduction="none",
    ).view_as(shifted)
    mask = shifted != IGNORE_INDEX
    return -nll, mask


def sequence_stats(logits: torch.Tensor, labels: torch.Tensor, reduction: str = "mean"):
    """(per-example CE, per-example log p, target-token counts), each (B,), from one forward's logits.

    ``reduction`` is how an example's CE pools its tokens: ``mean`` (the paper's code) or ``sum``.
    """
    token_logp, mask = token_logprobs(logits, labels)
    counts = mask.sum(dim=1)  # (B,)
    logp = (token_logp * mask).sum(dim=1)  # (B,)
    if reduction == "mean":
        ce = -logp / counts.clamp(min=1)
    elif reduction == "sum":
        ce = -logp
    else:
        raise ValueError(f"reduction must be 'mean' or 'sum', got {reduction!r}")
    return ce, logp, counts


def group_logprob(logp: torch.Tensor, group_ids: torch.Tensor) -> torch.Tensor:
    """log p(proof) for each example's group: the sum of its group's step log-probabilities. (B,) -> (B,)."""
    n_groups = int(group_ids.max().item()) + 1 if group_ids.numel() else 0
    totals = torch.zeros(n_groups, dtype=logp.dtype, device=logp.device).index_add_(0, group_ids, logp)
    return totals[group_ids]


def dco_weights(logp: torch.Tensor, n: int | float, group_ids: torch.Tensor | None = None) -> torch.Tensor:
    """Detached per-example weights F(N, p); with ``group_ids`` every step gets F(N, p(its whole proof))."""
    with torch.no_grad():
        scored = group_logprob(logp.detach(), group_ids) if group_ids is not None else logp.detach()
        return coverage_weight(scored, n)


@dataclass
class LossOutput:
    """The objective of one forward (normalized as asked) and its per-example parts, each (B,)."""

    loss: torch.Tensor
    ce: torch.Tensor  # the example's CE (mean or sum over its target tokens)
    logp: torch.Tensor  # log p(target | prompt) of the example
    weights: torch.Tensor  # detached F(N, p) the example's CE is scaled by (1 for CE)


def objective(
    logits: torch.Tensor,
    labels: torch.Tensor,
    loss: str,
    n: int | float = 1,
    reduction: str = "mean",
    group_ids: torch.Tensor | None = None,
    num_items_in_batch: int | float | torch.Tensor | None = None,
    epsilon: float = 0.0,
) -> LossOutput:
    """The training objective ``loss`` (``ce``, ``dco``, ``dco_step``) from one forward's logits.

    Every objective is ``sum_i w_i CE_i`` normalized: ``w = 1`` for CE; for DCO ``w = F(N, p)``, detached,
    so the gradient is F times CE's. With ``group_ids`` (``dco`` over the steps of tactic traces) p is the
    whole proof's probability, the product of its steps' p(tactic | state), and every step of a trace gets
    F(N, p(proof)); all steps of a trace must be in ``logits``. ``num_items_in_batch`` replaces the batch
    mean by ``sum / num_items_in_batch`` (gradient accumulation over micro-batches equals one big batch).
    ``epsilon`` > 0 leaves examples with F <= epsilon out of the loss (weight 0: what the confidence filter
    drops, for trainers that cannot draw refills; ``prover train`` filters before the step instead).
    """
    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {', '.join(LOSSES)}, got {loss!r}")
    ce, logp, _ = sequence_stats(logits, labels, reduction)
    # CE is DCO with N = 1, whose weight is exactly 1 (F(1, p) = 1 is tested to the bit)
    spec = LOSS_REGISTRY[loss]
    weights = dco_weights(logp, 1 if spec.budget is None else n, group_ids if spec.over_traces else None)
    if epsilon > 0:
        weights = torch.where(weights > epsilon, weights, torch.zeros_like(weights))
    weighted = weights.to(ce.dtype) * ce
    total = weighted.mean() if num_items_in_batch is None else weighted.sum() / num_items_in_batch
    return LossOutput(total, ce, logp, weights)

"""The losses: F(N, p) against a 60-digit reference, gradients against autograd of the closed form."""

from __future__ import annotations

import math

import mpmath
import pytest
import torch

from prover.train.loss import (
    coverage_weight,
    dco_exact,
    dco_weights,
    group_logprob,
    log_coverage_weight,
    objective,
    sequence_stats,
    token_logprobs,
)

# shorthands for ``objective(...).loss``, the function training calls


def ce_loss(
    logits: torch.Tensor,
    labels: torch.Tensor,
    reduction: str = "mean",
    num_items_in_batch: int | float | None = None,
) -> torch.Tensor:
    """Cross-entropy: each example's token CE (mean or sum over its tokens), averaged over examples."""
    return objective(logits, labels, "ce", reduction=reduction, num_items_in_batch=num_items_in_batch).loss


def dco_loss(
    logits: torch.Tensor,
    labels: torch.Tensor,
    n: int | float,
    reduction: str = "mean",
    group_ids: torch.Tensor | None = None,
    num_items_in_batch: int | float | None = None,
) -> torch.Tensor:
    """Sequence-level DCO: per example F(N, p).detach() times its CE (``group_ids``: over whole traces)."""
    return objective(logits, labels, "dco", n, reduction, group_ids=group_ids, num_items_in_batch=num_items_in_batch).loss


def dco_step_loss(
    logits: torch.Tensor,
    labels: torch.Tensor,
    n_eff: int | float,
    reduction: str = "mean",
    num_items_in_batch: int | float | None = None,
) -> torch.Tensor:
    """Step-level DCO: each (state, tactic) example weighted by F(N_eff, p(tactic | state))."""
    return objective(logits, labels, "dco_step", n_eff, reduction, num_items_in_batch=num_items_in_batch).loss


mpmath.mp.dps = 60
LOGPS = [
    -1e4,
    -2000,
    -745.5,
    -700,
    -100,
    -37,
    -20,
    -11.51,
    -11.5,
    -5,
    -1,
    -0.6932,
    -0.6931,
    -0.3,
    -1e-3,
    -1e-6,
    -1e-9,
    -1e-13,
    -1e-20,
    -1e-100,
    -1e-300,
    0.0,
]
NS = [1, 2, 3, 5, 16, 64, 100, 256, 1000, 4096, 10_000, 65_536, 123_457, 1_000_000]


def reference_log_f(logp: float, n: int) -> mpmath.mpf:
    """log F in exact arithmetic: enough digits that 1 - p keeps p's leading digits (p = e^-10000 too)."""
    if n == 1:
        return mpmath.mpf(0)
    if logp == 0:
        return -mpmath.inf
    digits = 60 + int(-logp / 2.302585) if logp < -1 else 60 + int(-math.log10(-logp))
    with mpmath.workdps(digits):
        x = mpmath.mpf(logp)
        log1mp = mpmath.log(-mpmath.expm1(x))  # log(1 - p)
        result = mpmath.log(n) + x + (n - 1) * log1mp - mpmath.log(-mpmath.expm1(n * log1mp))
    assert mpmath.isfinite(result), (logp, n)
    return +result


@pytest.mark.parametrize("n", NS)
def test_coverage_weight_matches_high_precision_reference(n):
    got_log = log_coverage_weight(torch.tensor(LOGPS, dtype=torch.float64), n)
    got = coverage_weight(torch.tensor(LOGPS, dtype=torch.float64), n)
    assert torch.isfinite(got).all()
    for logp, g_log, g in zip(LOGPS, got_log.tolist(), got.tolist()):
        ref = reference_log_f(logp, n)
        if ref == -mpmath.inf:
            assert g == 0.0 and g_log == -math.inf
            continue
        assert abs(g_log - float(ref)) <= 1e-9 * max(1.0, abs(float(ref))), (logp, n)
        ref_f = mpmath.exp(ref)
        if ref_f > mpmath.mpf("1e-290"):  # representable in float64 with full precision
            assert abs(g - float(ref_f)) <= 1e-9 * float(ref_f), (logp, n, g, float(ref_f))
        else:
            assert g < 1e-280


def test_n_equal_one_is_exactly_one():
    logp = torch.tensor(LOGPS, dtype=torch.float64)
    assert torch.equal(coverage_weight(logp, 1), torch.ones_like(logp))


@pytest.mark.parametrize("n", [2, 16, 1_000_000])
def test_weight_tends_to_one_as_p_vanishes(n):
    assert coverage_weight(torch.tensor([-1e4]), n).item() == 1.0
    tiny = coverage_weight(torch.tensor([-60.0]), n).item()  # F = 1 - (N-1) p / 2 + O(p^2)
    assert abs(tiny - (1 - (n - 1) * math.exp(-60) / 2)) < 1e-15


@pytest.mark.parametrize("n", [2, 3, 16, 1_000_000])
def test_weight_is_zero_at_certainty(n):
    assert coverage_weight(torch.tensor([0.0]), n).item() == 0.0


@pytest.mark.parametrize("n", [2, 4, 16, 256, 4096, 1_000_000])
def test_weight_is_monotone_decreasing_in_p(n):
    logp = torch.linspace(-50, 0, 20_001, dtype=torch.float64)
    log_f = log_coverage_weight(logp, n)
    assert (log_f[1:] <= log_f[:-1] + 1e-15).all()
    assert log_f[-1] < log_f[0]


def test_weight_accepts_a_tensor_of_budgets():
    logp = torch.tensor([-2.0, -2.0, -2.0], dtype=torch.float64)
    n = torch.tensor([1.0, 4.0, 64.0], dtype=torch.float64)
    expected = torch.stack([coverage_weight(logp[i : i + 1], int(n[i])) for i in range(3)]).flatten()
    assert torch.allclose(coverage_weight(logp, n), expected, rtol=0, atol=0)


def test_budget_below_one_is_rejected():
    with pytest.raises(ValueError, match="N must be >= 1"):
        coverage_weight(torch.tensor([-1.0]), 0)


# --------------------------------------------------------------------------- gradients


def _batch(seed: int = 0, batch: int = 3, length: int = 7, vocab: int = 11):
    generator = torch.Generator().manual_seed(seed)
    logits = torch.randn(batch, length, vocab, generator=generator, dtype=torch.float64) * 0.5
    labels = torch.randint(vocab, (batch, length), generator=generator)
    labels[:, :2] = -100  # the prompt
    labels[1, 5:] = -100  # padding
    return logits, labels


@pytest.mark.parametrize("n", [1, 2, 8, 64, 1000])
def test_dco_exact_gradient_is_f_times_summed_ce_gradient(n):
    logits, labels = _batch()
    logits.requires_grad_(True)
    _, logp, _ = sequence_stats(logits, labels, "sum")
    (grad_dco,) = torch.autograd.grad(dco_exact(logp, n).sum(), logits)
    logits2 = logits.detach().clone().requires_grad_(True)
    ce, logp2, _ = sequence_stats(logits2, labels, "sum")
    weights = coverage_weight(logp2.detach(), n)
    (grad_ce,) = torch.autograd.grad((weights * ce).sum(), logits2)
    assert torch.allclose(grad_dco, grad_ce, rtol=1e-6, atol=1e-12)
    assert grad_ce.abs().max() > 0


@pytest.mark.parametrize("n", [2, 16, 4096])
@pytest.mark.parametrize("logp", [-30.0, -3.0, -0.5, -1e-4])
def test_dco_exact_derivative_in_logp_is_minus_f(n, logp):
    x = torch.tensor(logp, dtype=torch.float64, requires_grad=True)
    (grad,) = torch.autograd.grad(dco_exact(x, n), x)
    assert grad.item() == pytest.approx(-coverage_weight(x.detach(), n).item(), rel=1e-9)


def test_dco_exact_with_n_one_is_ce():
    logp = torch.tensor([-0.1, -3.0, -40.0], dtype=torch.float64)
    assert torch.allclose(dco_exact(logp, 1), -logp, rtol=1e-12)


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_dco_with_n_one_is_ce_in_value_and_gradient(reduction):
    logits, labels = _batch(1)
    a = logits.clone().requires_grad_(True)
    b = logits.clone().requires_grad_(True)
    loss_dco = dco_loss(a, labels, 1, reduction)
    loss_ce = ce_loss(b, labels, reduction)
    assert loss_dco.item() == loss_ce.item()
    (ga,) = torch.autograd.grad(loss_dco, a)
    (gb,) = torch.autograd.grad(loss_ce, b)
    assert torch.equal(ga, gb)


def test_ce_mean_is_the_per_example_token_mean():
    logits, labels = _batch(2)
    per_example = []
    for i in range(logits.size(0)):
        targets = labels[i, 1:]
        keep = targets != -100
        per_example.append(torch.nn.functional.cross_entropy(logits[i, :-1][keep], targets[keep]))
    assert ce_loss(logits, labels).item() == pytest.approx(torch.stack(per_example).mean().item(), rel=1e-12)


def test_dco_is_f_weighted_ce_batch_mean():
    logits, labels = _batch(3)
    ce, logp, _ = sequence_stats(logits, labels, "mean")
    expected = (coverage_weight(logp, 16) * ce).mean()
    assert dco_loss(logits, labels, 16).item() == pytest.approx(expected.item(), rel=1e-12)


def test_dco_step_is_per_example_dco_with_n_eff():
    logits, labels = _batch(4)
    assert dco_step_loss(logits, labels, 4).item() == dco_loss(logits, labels, 4).item()


def test_trace_steps_are_weighted_by_the_whole_proofs_probability():
    logits, labels = _batch(5, batch=4)
    groups = torch.tensor([0, 0, 1, 1])
    ce, logp, _ = sequence_stats(logits, labels, "mean")
    proof_logp = torch.stack([logp[:2].sum(), logp[:2].sum(), logp[2:].sum(), logp[2:].sum()])
    weights = dco_weights(logp, 8, groups)
    assert torch.equal(weights, coverage_weight(proof_logp, 8))
    expected = (weights * ce).mean()
    assert dco_loss(logits, labels, 8, group_ids=groups).item() == pytest.approx(expected.item(), rel=1e-12)
    # a whole proof is less likely than each of its steps, so its weight is larger (closer to 1)
    assert (weights >= dco_weights(logp, 8)).all()


def test_num_items_in_batch_makes_accumulation_exact():
    logits, labels = _batch(6, batch=4)
    full = dco_loss(logits, labels, 8)
    parts = dco_loss(logits[:2], labels[:2], 8, num_items_in_batch=4) + dco_loss(
        logits[2:], labels[2:], 8, num_items_in_batch=4
    )
    assert parts.item() == pytest.approx(full.item(), rel=1e-12)


def test_confident_examples_stop_pulling():
    """The point of DCO: an example the model already gets right contributes (almost) no gradient."""
    logits = torch.zeros(1, 3, 5, dtype=torch.float64)
    logits[0, 0, 2] = 12.0  # p(target) ~ 1
    labels = torch.tensor([[-100, 2, -100]])
    logits.requires_grad_(True)
    (g_dco,) = torch.autograd.grad(dco_loss(logits, labels, 256), logits)
    logits2 = logits.detach().clone().requires_grad_(True)
    (g_ce,) = torch.autograd.grad(ce_loss(logits2, labels), logits2)
    assert g_dco.abs().max() < 1e-3 * g_ce.abs().max()


def test_coverage_weight_on_random_points_matches_reference():
    generator = torch.Generator().manual_seed(0)
    logps = -(10 ** (torch.rand(300, generator=generator, dtype=torch.float64) * 24 - 20))  # -1e-20 .. -1e4
    ns = torch.floor(10 ** (torch.rand(300, generator=generator, dtype=torch.float64) * 6)).clamp(
        1, 1_000_000
    )
    got = log_coverage_weight(logps, ns)
    for logp, n, g in zip(logps.tolist(), ns.tolist(), got.tolist()):
        ref = float(reference_log_f(logp, int(n)))
        assert abs(g - ref) <= 1e-9 * max(1.0, abs(ref)), (logp, n)
        if ref > -660:  # F itself is a normal float64 there
            assert abs(math.exp(g) - math.exp(ref)) <= 1e-9 * math.exp(ref), (logp, n)


# --------------------------------------------------------------------------- what mutation testing found untested


@pytest.mark.parametrize("n", [2, 3, 16, 4096])
def test_series_regions_are_exact_to_the_last_bits(n):
    """Below p = 1e-5 and N q = 1e-5 the series are exact in float64: every term they keep matters there."""
    edge = math.log(1e-5)
    logps = [edge - d for d in (1e-3, 0.01, 0.1, 0.5, 2.0, 8.0)] + [math.log(1e-5 / n) - d for d in (1e-3, 0.01, 0.1, 0.7, 3.0)]
    got = log_coverage_weight(torch.tensor(logps, dtype=torch.float64), n).tolist()
    for logp, g in zip(logps, got):
        ref = float(reference_log_f(logp, n))
        assert abs(g - ref) <= 4e-15 * max(1.0, abs(ref)), (logp, n, g, ref)  # a few float64 ulps of 1
        if n * math.exp(logp) < 1e-5:  # both series: exact relative to F's own size
            assert abs(g - ref) <= 1e-14 * abs(ref), (logp, n, g, ref)


def test_log_p_above_zero_is_certainty():
    """A log p rounded just above 0 (a sum of float log-probabilities) is p = 1, not p > 1."""
    assert coverage_weight(torch.tensor([1e-9, 0.5], dtype=torch.float64), 16).tolist() == [0.0, 0.0]


def test_float32_log_probabilities_are_weighted_in_float64():
    logp32 = torch.tensor([-12.0, -3.0, -1e-3], dtype=torch.float32)
    logp64 = logp32.to(torch.float64)
    for n in (16, torch.tensor([16.0, 16.0, 16.0])):
        got = log_coverage_weight(logp32, n)
        assert got.dtype == torch.float64 and torch.equal(got, log_coverage_weight(logp64, n))
    exact = dco_exact(logp32, 16)
    assert exact.dtype == torch.float64 and torch.equal(exact, dco_exact(logp64, 16))


def test_dco_exact_at_certainty_is_zero_loss():
    assert dco_exact(torch.tensor([0.0], dtype=torch.float64), 16).item() == 0.0


def test_low_precision_logits_are_scored_in_float32():
    logits, labels = _batch(7)
    low = logits.to(torch.bfloat16)
    got, mask = token_logprobs(low, labels)
    want, _ = token_logprobs(low.float(), labels)
    assert got.dtype == torch.float32 and torch.equal(got[mask], want[mask])


def test_one_target_token_is_its_own_mean():
    logits, labels = _batch(8, batch=2)
    labels[0, 3:] = -100  # one target: label at position 2
    ce, logp, counts = sequence_stats(logits, labels)  # reduction: mean by default
    assert counts[0].item() == 1 and ce[0].item() == -logp[0].item()
    assert ce[1].item() == pytest.approx(-logp[1].item() / counts[1].item(), rel=1e-12)


def test_sum_reduction_is_each_examples_summed_token_ce():
    logits, labels = _batch(9)
    ce, logp, _ = sequence_stats(logits, labels, "sum")
    assert torch.equal(ce, -logp)
    assert ce_loss(logits, labels, "sum").item() == pytest.approx((-logp).mean().item(), rel=1e-12)
    assert ce_loss(logits, labels, "sum").item() != pytest.approx(ce_loss(logits, labels).item(), rel=1e-3)


@pytest.mark.parametrize("call", [lambda: sequence_stats(*_batch(), "median"), lambda: ce_loss(*_batch(), "max")])
def test_unknown_reduction_is_named(call):
    with pytest.raises(ValueError, match="reduction must be 'mean' or 'sum', got '(median|max)'"):
        call()


def test_unknown_loss_is_named_with_the_choices():
    with pytest.raises(ValueError, match=r"loss must be one of ce, dco, dco_step, got 'cee'"):
        objective(*_batch(), "cee")


def test_empty_batch_of_trace_steps():
    assert group_logprob(torch.zeros(0, dtype=torch.float64), torch.zeros(0, dtype=torch.long)).numel() == 0


def test_objective_defaults_and_parts():
    logits, labels = _batch(10)
    logits = logits.float()
    ce, logp, _ = sequence_stats(logits, labels)
    for loss in ("ce", "dco", "dco_step"):
        out = objective(logits, labels, loss)  # N = 1, mean over tokens: plain CE whatever the loss
        assert out.loss.dtype == torch.float32 and out.loss.item() == pytest.approx(ce.mean().item(), rel=1e-6)
        assert torch.equal(out.ce, ce) and torch.equal(out.logp, logp)
        assert out.weights.dtype == torch.float64 and torch.equal(out.weights, torch.ones(3, dtype=torch.float64))
    # CE ignores a budget and trace groups; the step loss ignores trace groups
    groups = torch.tensor([0, 0, 1])
    assert objective(logits, labels, "ce", 16, group_ids=groups).loss.item() == ce_loss(logits, labels).item()
    step = objective(logits, labels, "dco_step", 16, group_ids=groups)
    assert torch.equal(step.weights, coverage_weight(logp, 16))


def test_every_loss_honours_num_items_in_batch():
    logits, labels = _batch(11, batch=4)
    for loss in (ce_loss, lambda *a, **k: dco_loss(*a[:2], 8, *a[2:], **k), lambda *a, **k: dco_step_loss(*a[:2], 8, *a[2:], **k)):
        whole = loss(logits, labels, "sum")
        halves = loss(logits[:2], labels[:2], "sum", num_items_in_batch=4) + loss(logits[2:], labels[2:], "sum", num_items_in_batch=4)
        assert halves.item() == pytest.approx(whole.item(), rel=1e-12)
        assert loss(logits[:2], labels[:2], "sum", num_items_in_batch=4).item() != pytest.approx(loss(logits[:2], labels[:2], "sum").item())


def test_dco_exact_has_a_finite_gradient_at_certainty():
    x = torch.tensor([0.0, -1e-320], dtype=torch.float64, requires_grad=True)
    (grad,) = torch.autograd.grad(dco_exact(x, 16).sum(), x)
    assert torch.isfinite(grad).all()


def test_a_budget_given_as_a_python_float_keeps_float64():
    x = torch.tensor([-3.0, -20.0], dtype=torch.float64)
    budget = 16_777_217.0  # 2^24 + 1: float32 would round it
    assert torch.equal(dco_exact(x, budget), dco_exact(x, torch.tensor(budget, dtype=torch.float64)))


def test_the_step_loss_honours_its_reduction():
    logits, labels = _batch(12)
    summed = dco_step_loss(logits, labels, 8, "sum")
    assert summed.item() == dco_loss(logits, labels, 8, "sum").item()
    assert summed.item() != pytest.approx(dco_step_loss(logits, labels, 8).item(), rel=1e-3)

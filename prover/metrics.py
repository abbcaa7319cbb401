"""pass@k estimators and confidence diagnostics; pure (numpy only).

* ``pass_at_k``: the unbiased estimator of Chen et al. (2021), 1 - C(n-c, k) / C(n, k), computed as a
  product so that n in the thousands is exact in float64.
* ``pass_at_k_groups``: the seed paper's estimator, the fraction of disjoint groups of k samples (in
  sample order) that hold a success.
* ``estimate``: a run's pass@k table, or why it is not estimable (unfinished, stop_on_first): the one
  place both a search's summary.json and the report get it from (a shared module: search and report are
  different stages).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np


def pass_at_k(n: int, c: int, k: int) -> float:
    """Probability that k of the n samples, drawn without replacement, hold at least one of the c successes."""
    if not 0 <= c <= n:
        raise ValueError(f"need 0 <= c <= n, got c={c}, n={n}")
    if not 1 <= k <= n:
        raise ValueError(f"need 1 <= k <= n, got k={k}, n={n}")
    if n - c < k:
        return 1.0
    # C(n-c, k) / C(n, k) = prod_{i = n-c+1}^{n} (1 - k / i)
    return float(1.0 - np.prod(1.0 - k / np.arange(n - c + 1, n + 1)))


def pass_at_k_groups(successes: Sequence[bool], k: int) -> float:
    """Fraction of the floor(n / k) disjoint groups of k consecutive samples with a success."""
    n = len(successes)
    if not 1 <= k <= n:
        raise ValueError(f"need 1 <= k <= n, got k={k}, n={n}")
    groups = np.asarray(successes[: (n // k) * k], dtype=bool).reshape(-1, k)
    return float(groups.any(axis=1).mean())


def default_ks(n: int) -> list[int]:
    """1, 2, 4, ... up to n, and n itself."""
    ks = [2**i for i in range(int(math.log2(n)) + 1)] if n >= 1 else []
    return ks + ([n] if ks and ks[-1] != n else [])


def pass_at_k_table(
    results: Mapping[str, Sequence[bool]], ks: Sequence[int] | None = None
) -> dict[int, dict[str, float]]:
    """Per k: the mean over problems of both estimators and the standard error of the unbiased one.

    Every problem must have the same number of samples n (a run that stops early is not estimable past 1).
    """
    counts = {len(s) for s in results.values()}
    if len(counts) != 1:
        raise ValueError(f"every problem needs the same number of samples, got {sorted(counts)}")
    (n,) = counts
    table = {}
    for k in ks or default_ks(n):
        unbiased = np.array([pass_at_k(n, int(sum(s)), k) for s in results.values()])
        groups = np.array([pass_at_k_groups(s, k) for s in results.values()])
        stderr = float(unbiased.std(ddof=1) / math.sqrt(len(unbiased))) if len(unbiased) > 1 else 0.0
        table[k] = {"pass_at_k": float(unbiased.mean()), "stderr": stderr, "groups": float(groups.mean())}
    return table


def confidence_split(confidence: Sequence[float], correct: Sequence[bool]) -> dict[str, list[float]]:
    """The model's probability of its greedy answer, split by whether that answer was right."""
    return {
        "correct": [float(p) for p, ok in zip(confidence, correct) if ok],
        "wrong": [float(p) for p, ok in zip(confidence, correct) if not ok],
    }


def unfinished(
    results: dict[str, list[bool]], expected: list[str], n: int, stop_on_first: bool
) -> str | None:
    """Why a run's attempts are not all there (killed, or still running), or None: every theorem of
    ``expected`` needs ``n`` attempts (or, with ``stop_on_first``, a proof)."""
    started = [t for t in expected if results.get(t)]
    done = [t for t in started if len(results[t]) >= n or (stop_on_first and any(results[t]))]
    if len(done) == len(expected):
        return None
    attempts = sum(len(results[t]) for t in started)
    return (f"unfinished: {attempts} of {n * len(expected)} attempts, {len(done)} of {len(expected)} theorems "
            "done (finish it with prover search --resume); pass@k is not estimable")  # fmt: skip


def estimate(
    results: dict[str, list[bool]], expected: list[str] | None, n: int | None, stop_on_first: bool
) -> tuple[dict | None, str]:
    """pass@k of a run's ``results`` ("k" -> {"pass_at_k", "stderr"}), or None and why it is not
    estimable. ``expected`` (its theorems) and ``n`` tell a finished run from one that stopped early; without
    them (an old run's config) the theorems must at least have as many attempts each."""
    if expected and n and (why := unfinished(results, expected, n, stop_on_first)) is not None:
        return None, why
    if stop_on_first:
        return (
            None,
            "stop_on_first: attempts stopped at the first proof, so only solved / theorems is estimable",
        )
    if not results:
        return None, ""
    if len({len(v) for v in results.values()}) != 1:
        return (
            None,
            "the theorems have different numbers of attempts (an unfinished run?): only solved / theorems is estimable",
        )
    return {str(k): v for k, v in pass_at_k_table(results).items()}, ""

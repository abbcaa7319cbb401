"""pass@k estimators against exact enumeration over subsets, and their edge cases."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from prover.metrics import confidence_split, default_ks, pass_at_k, pass_at_k_groups, pass_at_k_table


@pytest.mark.parametrize("n", [1, 2, 5, 8])
def test_unbiased_estimator_equals_enumeration_of_all_subsets(n):
    for c in range(n + 1):
        successes = [True] * c + [False] * (n - c)
        for k in range(1, n + 1):
            subsets = list(itertools.combinations(range(n), k))
            exact = sum(any(successes[i] for i in s) for s in subsets) / len(subsets)
            assert pass_at_k(n, c, k) == pytest.approx(exact, abs=1e-12)


def test_edge_cases():
    assert pass_at_k(10, 0, 5) == 0.0
    assert pass_at_k(10, 10, 1) == 1.0
    assert pass_at_k(10, 1, 10) == 1.0  # k = n: any success is found
    assert pass_at_k(10, 3, 1) == pytest.approx(0.3)
    with pytest.raises(ValueError):
        pass_at_k(10, 3, 11)  # k > n is not estimable
    with pytest.raises(ValueError):
        pass_at_k(10, 11, 1)


def test_large_n_is_exact():
    n, c, k = 4096, 7, 256
    exact = 1 - math.comb(n - c, k) / math.comb(n, k)
    assert pass_at_k(n, c, k) == pytest.approx(exact, rel=1e-12)


def test_group_estimator_counts_disjoint_groups():
    successes = [False, False, True, False, False, False, False, True, False]
    assert pass_at_k_groups(successes, 1) == pytest.approx(2 / 9)
    assert pass_at_k_groups(successes, 2) == pytest.approx(
        2 / 4
    )  # groups (0,1) (2,3) (4,5) (6,7); 8 left over
    assert pass_at_k_groups(successes, 9) == 1.0
    with pytest.raises(ValueError):
        pass_at_k_groups(successes, 10)


def test_table_has_both_estimators_and_a_standard_error():
    results = {"a": [True, False, False, False], "b": [False] * 4, "c": [True] * 4}
    table = pass_at_k_table(results)
    assert sorted(table) == [1, 2, 4]
    assert table[1]["pass_at_k"] == pytest.approx((0.25 + 0 + 1) / 3)
    assert table[4]["pass_at_k"] == pytest.approx(2 / 3) and table[4]["groups"] == pytest.approx(2 / 3)
    assert table[1]["stderr"] > 0
    with pytest.raises(ValueError, match="same number of samples"):
        pass_at_k_table({"a": [True], "b": [True, False]})


def test_default_ks_are_powers_of_two_and_n():
    assert default_ks(8) == [1, 2, 4, 8] and default_ks(10) == [1, 2, 4, 8, 10] and default_ks(1) == [1]


def test_confidence_split():
    assert confidence_split([0.9, 0.2, 0.5], [True, False, True]) == {"correct": [0.9, 0.5], "wrong": [0.2]}


def test_the_standard_error_is_over_problems():
    table = pass_at_k_table({"a": [True, False], "b": [False, False], "c": [True, True]}, ks=[1])
    per_problem = np.array([0.5, 0.0, 1.0])
    assert table[1]["pass_at_k"] == pytest.approx(0.5)
    assert table[1]["stderr"] == pytest.approx(per_problem.std(ddof=1) / np.sqrt(3))  # 0.2887
    assert pass_at_k_table({"a": [True, False]}, ks=[1])[1]["stderr"] == 0.0  # one problem: no spread
    two = pass_at_k_table({"a": [True], "b": [False]}, ks=[1])[1]
    assert two["stderr"] == pytest.approx(0.5)  # std(ddof=1) of (1, 0) is 0.7071, over sqrt(2)


@pytest.mark.parametrize(("n", "c", "k"), [(4, -1, 1), (4, 5, 1), (4, 1, 0), (4, 1, 5)])
def test_impossible_counts_are_refused(n, c, k):
    with pytest.raises(ValueError, match="need"):
        pass_at_k(n, c, k)


def test_ks_and_group_sizes_at_the_edges():
    assert default_ks(0) == [] and default_ks(1) == [1] and default_ks(6) == [1, 2, 4, 6]
    assert default_ks(512) == [1, 2, 4, 8, 16, 32, 64, 128, 256, 512]  # n itself once
    with pytest.raises(ValueError, match="need 1 <= k"):
        pass_at_k_groups([True, False], 0)
    with pytest.raises(ValueError, match="every problem needs the same number of samples"):
        pass_at_k_table({})

"""nnlib.stats: McNemar's exact test, the paired bootstrap, mean and spread over seeds."""
from __future__ import annotations

import math

import numpy as np
import pytest

from nnlib import stats


def _vectors(both_right, only_a, only_b, both_wrong):
    """Correctness vectors with the given counts of each of the four kinds of items."""
    a = [1] * both_right + [1] * only_a + [0] * only_b + [0] * both_wrong
    b = [1] * both_right + [0] * only_a + [1] * only_b + [0] * both_wrong
    return np.array(a), np.array(b)


# --- binomial_two_sided ---------------------------------------------------------------------

def _direct(k, n):
    """Two-sided p-value as the sum of every outcome no more likely than k (the textbook form)."""
    pk = math.comb(n, k) / 2 ** n
    return min(1.0, sum(math.comb(n, i) / 2 ** n for i in range(n + 1)
                        if math.comb(n, i) / 2 ** n <= pk * (1 + 1e-12)))


@pytest.mark.parametrize("n", [1, 2, 5, 10, 17, 40])
def test_binomial_two_sided_is_the_direct_sum(n):
    for k in range(n + 1):
        assert stats.binomial_two_sided(k, n) == pytest.approx(_direct(k, n), rel=1e-12)


@pytest.mark.parametrize("k, n, p", [
    (0, 0, 1.0),            # no disagreements: no evidence
    (0, 1, 1.0),            # one disagreement can never be significant
    (0, 5, 2 / 32),         # 0.0625: five to nothing is not yet p < 0.05
    (0, 6, 2 / 64),         # 0.03125: six to nothing is
    (1, 10, 2 * 11 / 1024), # 0.021484375
    (5, 10, 1.0),
    (2, 12, 2 * (1 + 12 + 66) / 4096),
])
def test_binomial_two_sided_known_cases(k, n, p):
    assert stats.binomial_two_sided(k, n) == pytest.approx(p, rel=1e-15)
    assert stats.binomial_two_sided(n - k, n) == stats.binomial_two_sided(k, n)


def test_binomial_two_sided_matches_scipy():
    scipy_stats = pytest.importorskip("scipy.stats")
    for n in (3, 25, 60, 200):
        for k in range(0, n + 1, max(1, n // 7)):
            want = scipy_stats.binomtest(k, n, 0.5, alternative="two-sided").pvalue
            assert stats.binomial_two_sided(k, n) == pytest.approx(want, rel=1e-9)


@pytest.mark.parametrize("k, n, match", [(-1, 3, "k must"), (4, 3, "k must be at most"),
                                          (1, -2, "n must"), (1.5, 3, "k must")])
def test_binomial_two_sided_rejects(k, n, match):
    with pytest.raises(ValueError, match=match):
        stats.binomial_two_sided(k, n)


# --- mcnemar ----------------------------------------------------------------------------------

def test_mcnemar_counts_only_the_disagreements():
    a, b = _vectors(900, 3, 12, 85)
    res = stats.mcnemar(a, b)
    assert (res.b, res.c) == (3, 12)
    assert res.p_value == pytest.approx(_direct(3, 15), rel=1e-12)
    # the items both got right or both got wrong do not move the test
    a2, b2 = _vectors(10, 3, 12, 0)
    assert stats.mcnemar(a2, b2) == res


def test_mcnemar_is_symmetric_and_order_free():
    a, b = _vectors(50, 7, 2, 9)
    ab, ba = stats.mcnemar(a, b), stats.mcnemar(b, a)
    assert (ab.b, ab.c) == (ba.c, ba.b) and ab.p_value == ba.p_value
    perm = np.random.default_rng(0).permutation(len(a))
    assert stats.mcnemar(a[perm], b[perm]) == ab


def test_mcnemar_identical_models_give_p_one():
    a = np.array([True, False, True, True])
    assert stats.mcnemar(a, a) == stats.McNemar(0, 0, 1.0)


def test_mcnemar_detects_a_clear_difference_and_not_a_coin_flip():
    assert stats.mcnemar(*_vectors(0, 0, 10, 0)).p_value == pytest.approx(2 / 1024)
    assert stats.mcnemar(*_vectors(0, 10, 10, 0)).p_value == 1.0


@pytest.mark.parametrize("a, b, match", [
    ([1, 0, 1], [1, 0], "same items"),
    ([1, 2, 0], [1, 0, 0], "correct_a must hold only"),
    ([1, 0], [[1, 0]], "correct_b must be a non-empty 1-D"),
    ([], [], "correct_a must be a non-empty"),
    (["x", "y"], [1, 0], "correct_a must hold only"),
])
def test_mcnemar_rejects(a, b, match):
    with pytest.raises(ValueError, match=match):
        stats.mcnemar(a, b)


# --- paired_bootstrap -------------------------------------------------------------------------

def test_paired_bootstrap_difference_interval_and_seed():
    a, b = _vectors(900, 5, 25, 70)
    diff, low, high = stats.paired_bootstrap(a, b, num_resamples=4000, seed=1)
    assert diff == pytest.approx(0.02)
    assert low < diff < high
    # the resampled difference has standard deviation sqrt((b + c)/n - diff^2)/sqrt(n) ≈ 0.0053:
    # the 95 % interval spans about ±1.96 of those
    sd = math.sqrt((30 / 1000 - 0.02 ** 2) / 1000)
    assert high - low == pytest.approx(2 * 1.96 * sd, rel=0.1)
    assert low > 0                      # 25 to 5 is a clear difference
    assert stats.paired_bootstrap(a, b, num_resamples=4000, seed=1) == (diff, low, high)
    assert stats.paired_bootstrap(a, b, num_resamples=4000, seed=2) != (diff, low, high)


def test_paired_bootstrap_is_narrower_than_unpaired():
    """Pairing is the point: the shared items add no noise, so the interval is far narrower than
    the one from two independent accuracies' standard errors."""
    a, b = _vectors(850, 10, 20, 120)
    _, low, high = stats.paired_bootstrap(a, b, num_resamples=3000, seed=0)
    pa, pb = a.mean(), b.mean()
    unpaired = 2 * 1.96 * math.sqrt(pa * (1 - pa) / 1000 + pb * (1 - pb) / 1000)
    assert high - low < 0.6 * unpaired


def test_paired_bootstrap_of_identical_models_is_zero():
    a = np.array([1, 0, 1, 1, 0])
    assert stats.paired_bootstrap(a, a, num_resamples=50) == (0.0, 0.0, 0.0)


@pytest.mark.parametrize("kwargs, match", [
    ({"num_resamples": 0}, "num_resamples"), ({"level": 1.0}, "level"),
    ({"level": 0}, "level"), ({"seed": -1}, "seed")])
def test_paired_bootstrap_rejects(kwargs, match):
    with pytest.raises(ValueError, match=match):
        stats.paired_bootstrap([1, 0], [0, 1], **kwargs)


# --- mean_spread ------------------------------------------------------------------------------

def test_mean_spread_is_mean_and_sample_std():
    assert stats.mean_spread([0.9, 0.92, 0.94]) == pytest.approx((0.92, 0.02))
    assert stats.mean_spread([1, 1]) == (1.0, 0.0)


@pytest.mark.parametrize("values", [[0.9], [], [[1, 2], [3, 4]], [1, float("nan")], "ab"])
def test_mean_spread_rejects(values):
    with pytest.raises(ValueError, match="values must be"):
        stats.mean_spread(values)

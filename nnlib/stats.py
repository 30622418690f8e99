"""Comparing trained models honestly (chapter 16, used wherever two models meet the same test set).

Two classifiers scored on the *same* test items are not two independent accuracies: most items
both get right, some both get wrong, and only the items where they disagree say which is better.

- :func:`mcnemar` -- McNemar's exact test from the two correctness vectors: the discordant counts
  ``b`` (only the first model right) and ``c`` (only the second right) and the two-sided exact
  binomial p-value of ``min(b, c)`` under Binomial(b + c, 1/2).
- :func:`paired_bootstrap` -- a seeded paired bootstrap of the accuracy difference (the same
  resampled items for both models) and its percentile interval.
- :func:`mean_spread` -- the mean and the sample standard deviation of a score over seeds.

Pure numpy and the standard library: no SciPy, no TensorFlow.
"""
from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from ._check import non_negative_int, positive_int, unit_interval

__all__ = ["McNemar", "mcnemar", "binomial_two_sided", "paired_bootstrap", "mean_spread"]


class McNemar(NamedTuple):
    """The result of :func:`mcnemar` (chapter 16): discordant counts ``b``, ``c`` and the p-value."""

    b: int
    c: int
    p_value: float


def _correct(name: str, value) -> np.ndarray:
    """``value`` as a 1-D bool array if it holds only 0/1 or True/False, else ValueError."""
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a 1-D array of 0/1 or bools, got {value!r}") from None
    if arr.ndim != 1 or len(arr) == 0:
        raise ValueError(f"{name} must be a non-empty 1-D array of 0/1 or bools, got shape {arr.shape}")
    if arr.dtype != bool:
        if not np.issubdtype(arr.dtype, np.number) or not np.all((arr == 0) | (arr == 1)):
            raise ValueError(f"{name} must hold only 0/1 or True/False, got {value!r}")
    return arr.astype(bool)


def _pair(correct_a, correct_b) -> tuple[np.ndarray, np.ndarray]:
    a = _correct("correct_a", correct_a)
    b = _correct("correct_b", correct_b)
    if len(a) != len(b):
        raise ValueError(f"correct_a and correct_b must score the same items, got lengths "
                         f"{len(a)} and {len(b)}")
    return a, b


def binomial_two_sided(k, n) -> float:
    """Two-sided exact p-value of ``k`` successes in ``n`` fair coin flips (chapter 16).

    ``min(1, 2 * P(X <= min(k, n - k)))`` for X ~ Binomial(n, 1/2), summed exactly with integer
    binomial coefficients; 1.0 when ``n`` is 0 (no evidence either way).
    """
    n = non_negative_int("n", n)
    k = non_negative_int("k", k)
    if k > n:
        raise ValueError(f"k must be at most n = {n}, got {k}")
    if n == 0:
        return 1.0
    tail = sum(math.comb(n, i) for i in range(min(k, n - k) + 1))
    return min(1.0, 2 * tail / 2 ** n)


def mcnemar(correct_a, correct_b) -> McNemar:
    """McNemar's exact test for two classifiers on the same test items (chapter 16).

    ``correct_a`` and ``correct_b`` say, item by item, whether each model got it right. Items both
    got right or both got wrong carry no information about which is better; ``b`` counts the items
    only A got right, ``c`` those only B got right. If the models were equally good, each of the
    ``b + c`` disagreements would go either way with probability 1/2, so the p-value is the exact
    two-sided binomial tail of ``min(b, c)`` (:func:`binomial_two_sided`).
    """
    a, b = _pair(correct_a, correct_b)
    only_a = int(np.sum(a & ~b))
    only_b = int(np.sum(~a & b))
    return McNemar(only_a, only_b, binomial_two_sided(min(only_a, only_b), only_a + only_b))


def paired_bootstrap(correct_a, correct_b, *, num_resamples=2000, level=0.95, seed=0):
    """Paired bootstrap of the accuracy difference B − A on the same items (chapter 16).

    Draws ``num_resamples`` resamples of the item indices with replacement (``seed``ed), scores
    *both* models on each resample, and returns ``(difference, low, high)``: the observed
    difference in accuracy and the percentile interval holding the central ``level`` of the
    resampled differences. Pairing keeps the items both models share from adding noise.
    """
    a, b = _pair(correct_a, correct_b)
    num_resamples = positive_int("num_resamples", num_resamples)
    level = unit_interval("level", level)
    if level == 0:
        raise ValueError(f"level must be in (0, 1), got {level!r}")
    rng = np.random.default_rng(non_negative_int("seed", seed))
    diff = b.astype(np.int64) - a.astype(np.int64)
    idx = rng.integers(0, len(diff), size=(num_resamples, len(diff)))
    resampled = diff[idx].sum(axis=1) / len(diff)
    low, high = np.quantile(resampled, [(1 - level) / 2, (1 + level) / 2])
    return float(diff.mean()), float(low), float(high)


def mean_spread(values) -> tuple[float, float]:
    """Mean and sample standard deviation (``ddof=1``) of a score over seeds (chapter 16).

    Needs at least two values: one seed has no spread to report.
    """
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"values must be a 1-D array of numbers, got {values!r}") from None
    if arr.ndim != 1 or len(arr) < 2 or not np.all(np.isfinite(arr)):
        raise ValueError(f"values must be a 1-D array of at least 2 finite numbers, got {values!r}")
    return float(arr.mean()), float(arr.std(ddof=1))

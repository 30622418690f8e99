"""Softmax and the cross-entropy of integer labels, computed stably in float32 (chapter 3).

Each function follows the steps of TensorFlow's kernels, so results agree with TensorFlow to
float32 rounding. ``exp`` and ``log`` come from :mod:`nnlib.portable` (the same bits on every
CPU; numpy's own, like TensorFlow's, pick an AVX2 or AVX-512 version and differ in the last bit).
The probability-based ``cross_entropy`` of chapter 2 lives in :mod:`nnlib.losses`.
:func:`four_blobs` makes the small 2-D, four-class problem of the chapter's decision regions.
"""
from __future__ import annotations

import numpy as np

from ._check import finite_array, non_negative_int, positive_int, positive_number
from .portable import exp, log

__all__ = ["EPSILON", "softmax", "log_softmax", "sparse_categorical_cross_entropy", "CENTERS", "four_blobs"]

EPSILON = 1e-7  # keras.config.epsilon(): how far from 0 and 1 Keras clips probabilities


def _logits(name: str, z) -> np.ndarray:
    z = finite_array(name, z)
    if z.ndim == 0 or z.shape[-1] == 0:
        raise ValueError(f"{name} must have at least one class on its last axis, got shape {z.shape}")
    return z


def softmax(z) -> np.ndarray:
    """Softmax over the last axis: ``exp(z - max z) / sum exp(z - max z)``, in float32 (chapter 3)."""
    z = _logits("z", z)
    e = exp(z - z.max(axis=-1, keepdims=True))
    return e * (np.float32(1) / e.sum(axis=-1, keepdims=True))  # TF multiplies by 1/sum


def log_softmax(z) -> np.ndarray:
    """Log of the softmax, ``(z - max z) - log sum exp(z - max z)``, over the last axis (chapter 3).

    Never takes the log of a probability, so it stays finite where the probability underflows to 0.
    """
    return _log_softmax(_logits("z", z))


def _log_softmax(z):
    shifted = z - z.max(axis=-1, keepdims=True)
    return shifted - log(exp(shifted).sum(axis=-1, keepdims=True))


def _labels(y_true, y_pred: np.ndarray) -> np.ndarray:
    """Integer class indices shaped like ``y_pred`` without its last axis, or a ValueError."""
    y = np.asarray(y_true)
    if y.dtype == bool or not (np.issubdtype(y.dtype, np.integer) or np.issubdtype(y.dtype, np.floating)):
        raise ValueError(f"y_true must hold integer class indices, got dtype {y.dtype}: {y_true!r}")
    if np.issubdtype(y.dtype, np.floating) and (not np.all(np.isfinite(y)) or np.any(y != np.round(y))):
        raise ValueError(f"y_true must hold integer class indices (0, 1, 2, ...), got {y_true!r}")
    # Keras accepts a trailing axis of length 1, as in labels stored with shape (m, 1)
    if y.ndim == y_pred.ndim and y.ndim > 0 and y.shape[-1] == 1:
        y = y[..., 0]
    if y.shape != y_pred.shape[:-1]:
        hint = (" (these look like one-hot rows: pass their argmax, as tf.argmax(y_, 1) does)"
                if y.shape == y_pred.shape else "")
        raise ValueError(f"y_true must have shape {y_pred.shape[:-1]} (y_pred's shape without its "
                         f"last axis), got shape {y.shape}{hint}")
    num_classes = y_pred.shape[-1]
    bad = (y < 0) | (y >= num_classes)
    if np.any(bad):
        raise ValueError(f"y_true must hold class indices in [0, {num_classes - 1}] for "
                         f"{num_classes} classes, got {np.asarray(y)[bad].ravel()[:5].tolist()}")
    return y.astype(np.int64)


def _probabilities(y_pred) -> np.ndarray:
    p = _logits("y_pred", y_pred)  # finite, with a class axis
    if np.any((p < 0) | (p > 1)):
        raise ValueError(f"y_pred must hold probabilities in [0, 1] when from_logits=False, got values "
                         f"from {p.min():g} to {p.max():g} (logits? pass from_logits=True)")
    sums = p.sum(axis=-1)
    if np.any(np.abs(sums - 1) > 1e-3):
        raise ValueError(f"y_pred rows must sum to 1 when from_logits=False, got row sums "
                         f"{sums.ravel()[:5].tolist()} (logits? pass from_logits=True)")
    return p


def sparse_categorical_cross_entropy(y_true, y_pred, from_logits=True) -> np.ndarray:
    """Per-example ``-log softmax(z)[y]`` for integer labels ``y_true`` (chapter 3).

    ``y_pred`` holds logits (``from_logits=True``, the stable way, as
    ``tf.nn.sparse_softmax_cross_entropy_with_logits``) or probabilities (``from_logits=False``,
    clipped to ``[EPSILON, 1 - EPSILON]`` as Keras does). Returns one loss per example
    (shape ``y_pred.shape[:-1]``); its mean is what ``keras.losses.SparseCategoricalCrossentropy``
    reports.
    """
    if not isinstance(from_logits, (bool, np.bool_)):
        raise ValueError(f"from_logits must be True or False, got {from_logits!r}")
    if from_logits:
        z = _logits("y_pred", y_pred)
    else:
        # Keras: log of the clipped probabilities, then the same kernel as for logits
        z = log(np.clip(_probabilities(y_pred), np.float32(EPSILON), np.float32(1 - EPSILON)))
    y = _labels(y_true, z)
    return np.float32(0) - np.take_along_axis(_log_softmax(z), y[..., None], axis=-1)[..., 0]  # 0 - x: no -0.0


def _cross_entropy_and_grad(z, y):
    """The mean ``-log softmax(z)[y]`` over a batch of logits ``z`` (n, classes) and integer labels ``y``,
    and its gradient ``(softmax(z) - onehot(y)) / n``: the loss every numpy trainer uses (chapter 3).

    Unchecked, for trainers (NaN logits give NaN, no error); from :func:`log_softmax`, so finite
    even where a probability underflows.
    """
    rows = np.arange(len(y))
    with np.errstate(over="ignore", invalid="ignore"):
        logp = _log_softmax(z)
        grad = exp(logp)
        grad[rows, y] -= np.float32(1)
    return float(-np.mean(logp[rows, y])), (grad / np.float32(len(y))).astype(np.float32)


# --- a small multi-class problem in the plane ------------------------------------------------------

#: The centres of :func:`four_blobs`' classes: one in the middle, three around it.
CENTERS = np.array([[0.0, 0.0], [0.0, 2.6], [-2.25, -1.3], [2.25, -1.3]], dtype=np.float32)


def four_blobs(num_per_class=60, spread=0.75, seed=0):
    """2-D points in four classes, for multi-class decision regions (chapter 3).

    Class ``k`` is ``num_per_class`` points drawn from a normal distribution around
    ``CENTERS[k]`` with standard deviation ``spread`` in each coordinate, from
    ``numpy.random.default_rng(seed)``. Returns ``(X, y)``: float32 points ``(n, 2)`` and integer
    labels, class by class.
    """
    num_per_class = positive_int("num_per_class", num_per_class)
    spread = positive_number("spread", spread)
    rng = np.random.default_rng(non_negative_int("seed", seed))
    y = np.repeat(np.arange(len(CENTERS)), num_per_class)
    X = CENTERS[y].astype(np.float64) + rng.normal(0.0, spread, size=(len(y), 2))
    return X.astype(np.float32), y

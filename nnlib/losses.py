"""Loss functions and the yogurt example of note 000, in float32 (chapter 2: loss functions).

The mean squared error; note 000's asymmetric cost/profit loss, where it aims and its exact
minimum; the data, start and mini-batch gradient descent of the original course scripts
(reproducing their printed weights to the last digit); and the cross-entropies. Softmax and the
cross-entropy of integer labels from logits are in :mod:`nnlib.softmax` (chapter 3).
"""
from __future__ import annotations

import itertools
import math
import numbers

import numpy as np

from . import _check

__all__ = ["mse", "cost_profit_loss", "target_quantile",
           "cost_profit_best_weights", "yogurt_data", "YOGURT_SEED", "YOGURT_W0", "linear_sgd",
           "cross_entropy", "binary_cross_entropy", "binary_cross_entropy_from_logits"]

F32 = np.float32


# --- argument checks -------------------------------------------------------------------

def _pair(y_true, y_pred, true_name="y_true", pred_name="y_pred"):
    """Both arguments as float32 arrays of one shape, finite and not empty."""
    a = _check.finite_array(true_name, y_true)
    b = _check.finite_array(pred_name, y_pred)
    if a.shape != b.shape:
        raise ValueError(f"{pred_name} must have the same shape as {true_name} {a.shape}, "
                         f"got shape {b.shape}")
    if a.size == 0:
        raise ValueError(f"{true_name} and {pred_name} must not be empty, got shape {a.shape}")
    return a, b


def _probabilities(name, p):
    """Raise ValueError unless every entry of ``p`` lies in [0, 1]."""
    lo, hi = float(p.min()), float(p.max())
    if lo < 0 or hi > 1:
        raise ValueError(f"{name} must hold probabilities in [0, 1], got values from {lo:.7g} to {hi:.7g}")


def _probability_pair(y, p, eps, y_name, p_name):
    """:func:`_pair` of probabilities in [0, 1], ``p`` clipped to ``[eps, 1 - eps]`` when ``eps > 0``."""
    if isinstance(eps, bool) or not isinstance(eps, numbers.Real) or not 0 <= eps < 0.5:
        raise ValueError(f"eps must be a number in [0, 0.5), got {eps!r}")
    y, p = _pair(y, p, y_name, p_name)
    _probabilities(y_name, y)
    _probabilities(p_name, p)
    return y, (np.clip(p, F32(eps), F32(1) - F32(eps)) if eps > 0 else p)


# --- mean squared error ----------------------------------------------------------------

def mse(y_true, y_pred):
    """Mean squared error ``mean((y_true - y_pred)^2)`` over all entries, float32 (chapter 2).

    Note 000's ``tf.reduce_mean(tf.square(y_ - y))``; Keras's ``MeanSquaredError`` gives the
    same value (it averages each row, then the rows).
    """
    a, b = _pair(y_true, y_pred)
    return F32(np.mean(np.square(a - b), dtype=F32))


def _mse_grad(a, b):
    """The gradient of :func:`mse` with respect to ``y_pred = b`` in TensorFlow's order: ``1/n`` (from
    the mean) back through the square (``g * (d * 2)``, ``d = a - b``) and the minus sign."""
    return -((F32(1) / F32(a.size)) * ((a - b) * F32(2)))


# --- note 000's asymmetric (cost / profit) loss ----------------------------------------------

def _cost_profit(cost, profit):
    return _check.positive_number("cost", cost), _check.positive_number("profit", profit)


def cost_profit_loss(y_true, y_pred, cost, profit):
    """Note 000's custom loss ``sum(where(y_pred > y_true, cost*(y_pred - y_true),
    profit*(y_true - y_pred)))``, float32 (chapter 2).

    Over-predicting by one unit costs ``cost``; under-predicting by one unit loses ``profit``.
    """
    cost, profit = _cost_profit(cost, profit)
    a, b = _pair(y_true, y_pred)
    per_item = np.where(b > a, (b - a) * F32(cost), (a - b) * F32(profit))
    return F32(np.sum(per_item, dtype=F32))


def target_quantile(cost, profit) -> float:
    """Where the cost/profit loss aims: the ``profit / (cost + profit)`` quantile (chapter 2).

    For one uncertain demand, a stock ``c`` has expected loss ``cost*E(c - D)+ + profit*E(D - c)+``;
    its slope is ``cost*P(D < c) - profit*P(D > c)``, zero where ``P(D < c) = profit/(cost+profit)``.
    """
    cost, profit = _cost_profit(cost, profit)
    return profit / (cost + profit)


def cost_profit_best_weights(X, y, cost, profit):
    """The exact minimum of :func:`cost_profit_loss` for ``y ≈ X·w`` (no bias), in float64 (chapter 2).

    The loss is piecewise linear and convex in ``w``, so a minimum sits where ``d`` of the data
    points are fitted exactly (``d`` = number of features): try every such choice, keep the best.
    Meant for small data sets (note 000's 32 points and 2 features: 496 candidates).
    Returns ``(w, loss)`` with ``w`` of shape ``(d, 1)``.
    """
    cost, profit = _cost_profit(cost, profit)
    X = _check.finite_array("X", X, dtype=np.float64)
    y = _check.finite_array("y", y, dtype=np.float64)
    if X.ndim != 2 or y.shape not in ((len(X),), (len(X), 1)):
        raise ValueError(f"X must have shape (n, d) and y shape (n, 1), got {X.shape} and {y.shape}")
    n, d = X.shape
    if not 1 <= d <= n or math.comb(n, d) > 200_000:
        raise ValueError(f"X must have at least as many rows as columns and few enough rows to try "
                         f"every choice of {d} of them, got shape {X.shape}")
    y = y.reshape(n)
    best_w, best_loss = None, np.inf
    for rows in itertools.combinations(range(n), d):
        A = X[list(rows)]
        if abs(np.linalg.det(A)) < 1e-12:
            continue
        w = np.linalg.solve(A, y[list(rows)])
        r = X @ w - y
        loss = float(np.sum(np.where(r > 0, cost * r, -profit * r)))
        if loss < best_loss:
            best_w, best_loss = w, loss
    if best_w is None:
        raise ValueError(f"X has rank below {d}: no choice of {d} rows determines w")
    return best_w.reshape(d, 1), best_loss


# --- the yogurt example: data, start and training loop of the original course scripts ----------

YOGURT_SEED = 23455
# What TF1's tf.random_normal([2, 1], stddev=1, seed=1) drew for w1 in the original scripts.
YOGURT_W0 = np.array([[-0.8113182], [1.4845988]], dtype=F32)


def yogurt_data(seed=YOGURT_SEED, n=32, return_noise=False):
    """Note 000's yogurt data, drawn exactly as the original script did (chapter 2).

    ``X = rdm.rand(n, 2)``; then, row by row, ``y = x1 + x2 + (rdm.rand()/10 - 0.05)``, all in
    float64; TensorFlow's float32 placeholders then rounded both. Returns float32 ``X`` (n, 2) and
    ``y`` (n, 1), and with ``return_noise=True`` also the float64 noise (n,) added to each sum.
    """
    seed = _check.non_negative_int("seed", seed)
    n = _check.non_negative_int("n", n)
    rdm = np.random.RandomState(seed)
    X = rdm.rand(n, 2)
    noise = np.array([rdm.rand() / 10.0 - 0.05 for _ in range(n)])
    y = np.array([[x1 + x2 + e] for (x1, x2), e in zip(X, noise)]).reshape(n, 1)
    out = (X.astype(F32), y.astype(F32))
    return out + (noise,) if return_noise else out


def linear_sgd(X, y, w0, lr, num_steps, batch_size=8, loss="mse", cost=None, profit=None):
    """Mini-batch gradient descent for ``y ≈ X·w`` (no bias), batches taken in order, float32
    (chapter 2).

    ``loss`` is ``"mse"`` (:func:`mse`) or ``"cost_profit"`` (:func:`cost_profit_loss`, with
    ``cost`` and ``profit``). Step ``i`` uses rows ``start:start + batch_size`` with
    ``start = (i * batch_size) % n``, as note 000's scripts did, and TensorFlow's arithmetic:
    ``y_hat = X_b·w`` (products added feature by feature), ``d`` = the loss's gradient with
    respect to ``y_hat``, the weight gradient ``X_b^T·d`` summed row after row, then
    ``w <- w - g*lr``. Returns the weights after every step, shape ``(num_steps + 1, d)``;
    row 0 is ``w0``.
    """
    if loss == "mse":
        if cost is not None or profit is not None:
            raise ValueError(f"cost and profit belong to loss='cost_profit', got loss='mse' "
                             f"with cost={cost!r}, profit={profit!r}")
        grad = _mse_grad
    elif loss == "cost_profit":
        cost, profit = _cost_profit(cost, profit)
        cost32, minus_profit32 = F32(cost), F32(-profit)
        grad = lambda a, b: np.where(b > a, cost32, minus_profit32)  # noqa: E731
    else:
        raise ValueError(f"loss must be 'mse' or 'cost_profit', got {loss!r}")
    X = _check.finite_array("X", X)
    y = _check.finite_array("y", y)
    w = _check.finite_array("w0", w0)
    if X.ndim != 2 or len(X) == 0:
        raise ValueError(f"X must be a non-empty 2-D array (rows = examples), got shape {X.shape}")
    n, d = X.shape
    if y.shape != (n, 1):
        raise ValueError(f"y must have shape ({n}, 1) to match X {X.shape}, got shape {y.shape}")
    if w.shape not in ((d,), (d, 1)):
        raise ValueError(f"w0 must have shape ({d}, 1) to match X {X.shape}, got shape {w.shape}")
    lr32 = F32(_check.positive_number("lr", lr))
    num_steps = _check.non_negative_int("num_steps", num_steps)
    batch_size = _check.batch_size(batch_size, n)
    w = w.reshape(d).copy()
    history = np.empty((num_steps + 1, d), dtype=F32)
    history[0] = w
    add = np.add.reduce
    with np.errstate(over="ignore", invalid="ignore"):
        for i in range(num_steps):
            start = (i * batch_size) % n
            xb, yb = X[start:start + batch_size], y[start:start + batch_size]
            y_hat = add(xb * w, axis=1, keepdims=True)    # x1*w1 + x2*w2 (+ ...), in order
            g = add(xb * grad(yb, y_hat), axis=0)         # rows added one after another
            w = w - g * lr32
            history[i + 1] = w
    return history


# --- cross-entropy -------------------------------------------------------------------------

def cross_entropy(y_true, y_pred, base=math.e, eps=0.0):
    """Cross-entropy ``-sum(y_true * log_base(y_pred))`` over the last axis, float32 (chapter 2).

    Probabilities in (no softmax, no renormalising). One value per example: shape
    ``y_true.shape[:-1]``. Terms with ``y_true == 0`` count 0 (so ``log 0`` there does no harm);
    a true class predicted with probability 0 gives ``inf``. ``eps > 0`` first clips ``y_pred``
    to ``[eps, 1 - eps]`` as Keras (1e-7) and note 000's TF1 line (1e-12, at the top only) do.
    ``base=10`` gives note 000's numbers; TensorFlow and Keras use the natural log.
    """
    if _check.positive_number("base", base) == 1:
        raise ValueError(f"base must be a finite number > 0 other than 1, got {base!r}")
    a, p = _probability_pair(y_true, y_pred, eps, "y_true", "y_pred")
    if a.ndim == 0:
        raise ValueError(f"y_true must have a class axis (its last axis), got a scalar {y_true!r}")
    with np.errstate(divide="ignore"):
        log_p = np.log(np.where(a > 0, p, F32(1)))
    if base != math.e:
        log_p = log_p / F32(math.log(base))
    return -np.sum(a * log_p, axis=-1, dtype=F32)


def binary_cross_entropy(y, p, eps=0.0):
    """Binary cross-entropy per entry, ``-y*log(p) - (1-y)*log(1-p)``, natural log, float32
    (chapter 2).

    Note 004's loss for one example of a yes/no problem; ``y`` may be 0, 1 or in between.
    ``eps > 0`` clips ``p`` to ``[eps, 1 - eps]`` first (Keras uses 1e-7); without it a
    confident wrong answer (``p`` exactly 0 or 1) gives ``inf``.
    Average the result for Keras's ``BinaryCrossentropy()`` value.
    """
    y, p = _probability_pair(y, p, eps, "y", "p")
    with np.errstate(divide="ignore", invalid="ignore"):
        pos = np.where(y > 0, y * np.log(np.where(y > 0, p, F32(1))), F32(0))
        neg = np.where(y < 1, (F32(1) - y) * np.log(np.where(y < 1, F32(1) - p, F32(1))), F32(0))
    return -(pos + neg)


def binary_cross_entropy_from_logits(y, z):
    """Binary cross-entropy of ``p = sigmoid(z)`` computed from the logit ``z`` directly,
    per entry, float32 (chapter 2).

    ``max(z, 0) - z*y + log(1 + exp(-|z|))``: TensorFlow's ``sigmoid_cross_entropy_with_logits``
    and Keras's ``from_logits=True``. Never takes the log of a rounded probability, so it stays
    exact where ``sigmoid(z)`` rounds to 0 or 1.
    """
    y, z = _pair(y, z, "y", "z")
    _probabilities("y", y)
    return (np.maximum(z, F32(0)) - z * y) + np.log1p(np.exp(-np.abs(z)))

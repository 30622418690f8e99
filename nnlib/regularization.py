"""L1 and L2 weight penalties, and note 000's circle example (chapter 11: overfitting and regularization).

A regularized loss adds a penalty on the weights to the data loss::

    loss = data_loss + penalty(w)
    L1:  penalty = lam * sum(|w|)      gradient  lam * sign(w)
    L2:  penalty = lam * sum(w ** 2)   gradient  2 * lam * w

These are Keras 3's ``keras.regularizers.L1(lam)`` and ``L2(lam)``. TensorFlow 1's
``tf.contrib.layers.l2_regularizer(scale)``, which the notes use, was ``scale * sum(w ** 2) / 2``,
so ``l2_regularizer(0.01)`` is ``L2(0.005)`` (:func:`keras_l2_from_tf1`).

The example of note 000 (the course code's ``generateds.py``/``forward.py``/``backward.py``) is
:func:`circle_data` and a 2-11-1 network; :func:`train_circle_nets` trains one per penalty at once,
in float32 numpy, stacked along a leading "model" axis: that makes the note's 40000 Adam steps
affordable inside a notebook.
"""
from __future__ import annotations

import numpy as np

from . import _check
from .optimizers import Adam
from .portable import matmul

__all__ = ["l1_penalty", "l2_penalty", "l1_grad", "l2_grad", "penalty", "penalty_grad",
           "keras_l2_from_tf1", "l1_minimizer", "l2_minimizer", "circle_data", "init_circle_net",
           "circle_forward", "train_circle_nets", "circle_metrics", "PENALTIES"]

F32 = np.float32
PENALTIES = ("none", "l1", "l2")


def _lam(lam) -> np.float32:
    return F32(_check.non_negative_number("lam", lam))


def _kind(kind) -> str:
    return _check.one_of("kind", kind, PENALTIES)


def l1_penalty(w, lam):
    """``lam * sum(|w|)`` in float32, as ``keras.regularizers.L1(lam)(w)`` (chapter 11)."""
    return _lam(lam) * np.sum(np.abs(_check.finite_array("w", w)), dtype=F32)


def l2_penalty(w, lam):
    """``lam * sum(w**2)`` in float32, as ``keras.regularizers.L2(lam)(w)`` (chapter 11)."""
    return _lam(lam) * np.sum(np.square(_check.finite_array("w", w)), dtype=F32)


def l1_grad(w, lam):
    """Gradient of the L1 penalty, ``lam * sign(w)`` (0 at w = 0, as TensorFlow) (chapter 11)."""
    return _lam(lam) * np.sign(_check.finite_array("w", w))


def l2_grad(w, lam):
    """Gradient of the L2 penalty, ``2 * lam * w`` (chapter 11)."""
    return F32(2) * _lam(lam) * _check.finite_array("w", w)


def penalty(w, kind, lam):
    """The penalty of ``kind`` ('none', 'l1' or 'l2') with strength ``lam`` (chapter 11)."""
    kind, lam = _kind(kind), _lam(lam)
    if kind == "none":
        return F32(0)
    return (l1_penalty if kind == "l1" else l2_penalty)(w, lam)


def penalty_grad(w, kind, lam):
    """The gradient of :func:`penalty` with respect to ``w`` (chapter 11)."""
    kind, lam = _kind(kind), _lam(lam)
    if kind == "none":
        return np.zeros_like(_check.finite_array("w", w))
    return (l1_grad if kind == "l1" else l2_grad)(w, lam)


def keras_l2_from_tf1(scale):
    """The Keras 3 ``L2`` factor equal to TF1's ``l2_regularizer(scale)``: ``scale / 2`` (chapter 11)."""
    return _lam(scale) / F32(2)


def l1_minimizer(a, lam):
    """argmin over w of ``(w - a)**2 / 2 + lam*|w|``: soft thresholding, exactly 0 for |a| <= lam (chapter 11)."""
    a = _check.finite_array("a", a)
    return np.sign(a) * np.maximum(np.abs(a) - _lam(lam), F32(0))


def l2_minimizer(a, lam):
    """argmin over w of ``(w - a)**2 / 2 + lam*w**2``: ``a / (1 + 2 lam)``, never 0 unless a is (chapter 11)."""
    return _check.finite_array("a", a) / (F32(1) + F32(2) * _lam(lam))


def circle_data(num_points=300, seed=2):
    """Note 000's data: ``RandomState(seed).randn(n, 2)``, y = 1 where x0² + x1² < 2 (chapter 11).

    Returns ``X`` (n, 2) and ``y`` (n, 1), both float32. The note used seed 2 and 300 points;
    any other seed draws a fresh sample from the same distribution (a held-out test set).
    """
    n = _check.positive_int("num_points", num_points)
    X = np.random.RandomState(_check.non_negative_int("seed", seed)).randn(n, 2)
    y = np.array([[int(x0 * x0 + x1 * x1 < 2)] for x0, x1 in X])
    return X.astype(F32), y.astype(F32)


def init_circle_net(seed=0, num_models=1):
    """Weights of ``num_models`` 2-11-1 networks: w ~ N(0, 1) as ``tf.random_normal``, b = 0.01 (chapter 11).

    Returns a dict of stacked float32 arrays ``w1 (M, 2, 11)``, ``b1 (M, 11)``, ``w2 (M, 11, 1)``,
    ``b2 (M, 1)``. Every model starts from the same seeded weights, so models differ only in
    their penalty.
    """
    rng = np.random.default_rng(_check.non_negative_int("seed", seed))
    m = _check.positive_int("num_models", num_models)
    w1 = rng.standard_normal((2, 11)).astype(F32)
    w2 = rng.standard_normal((11, 1)).astype(F32)
    return {"w1": np.repeat(w1[None], m, 0), "b1": np.full((m, 11), 0.01, F32),
            "w2": np.repeat(w2[None], m, 0), "b2": np.full((m, 1), 0.01, F32)}


def circle_forward(params, X):
    """Outputs ``(M, n, 1)`` of the stacked networks: relu(X w1 + b1) w2 + b2 (chapter 11)."""
    X = _check.finite_array("X", X)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"X must have shape (n, 2), got {X.shape!r}")
    h = np.maximum(matmul(X, params["w1"]) + params["b1"][:, None, :], F32(0))
    return matmul(h, params["w2"]) + params["b2"][:, None, :]


def _specs(penalties):
    try:
        pairs = [(kind, lam) for kind, lam in penalties]
    except (TypeError, ValueError):  # not iterable, or not pairs
        raise ValueError(f"penalties must be a list of (kind, lam) pairs, got {penalties!r}") from None
    if not pairs:
        raise ValueError(f"penalties must list at least one (kind, lam) pair, got {penalties!r}")
    return [(_kind(kind), _lam(lam)) for kind, lam in pairs]


def train_circle_nets(X, y, penalties, lr=1e-4, batch_size=30, num_steps=40000, record_every=0, seed=0):
    """Train one 2-11-1 network per ``(kind, lam)`` in ``penalties`` with Adam on MSE + penalty (chapter 11).

    Batches are taken in order, ``X[(i*batch_size) % n : ... + batch_size]`` as note 000's loop
    does; the penalty applies to ``w1`` and ``w2`` (not the biases), Keras's convention (an L2
    given as TF1's ``l2_regularizer(s)`` is ``('l2', s / 2)``). The update is chapter 8's
    :meth:`nnlib.optimizers.Adam.step` (Keras 3's order of operations) on all models at once, with
    TF1's ``epsilon=1e-8``. Matrix products go through :func:`nnlib.portable.matmul`
    (a fixed order of additions), so the weights after 40000 steps are the same bits on every CPU.
    Returns ``(params, history)``: the final stacked weights and, if ``record_every > 0``, a list
    of ``(step, params copy)``.
    """
    X = _check.finite_array("X", X)
    y = _check.finite_array("y", y)
    if X.ndim != 2 or X.shape[1] != 2 or y.shape != (X.shape[0], 1):
        raise ValueError(f"X must have shape (n, 2) and y shape (n, 1), got {X.shape!r} and {y.shape!r}")
    specs = _specs(penalties)
    num_steps = _check.non_negative_int("num_steps", num_steps)
    lr = F32(_check.positive_number("lr", lr))
    batch_size = _check.batch_size(batch_size, X.shape[0])
    record_every = _check.non_negative_int("record_every", record_every)
    adam = Adam(epsilon=1e-8)

    m = len(specs)
    init = init_circle_net(seed, num_models=m)
    names = ("w1", "b1", "w2", "b2")
    ends = np.cumsum([0] + [init[k][0].size for k in names])

    def views(flat):
        return [flat[:, a:b].reshape(init[k].shape) for k, a, b in zip(names, ends[:-1], ends[1:])]

    # one flat (M, P) buffer for all parameters, and views of it per layer: Adam then updates
    # every model with one call per step (the per-call overhead dominates here)
    theta = np.concatenate([init[k].reshape(m, -1) for k in names], axis=1)
    grad = np.zeros_like(theta)
    w1, b1, w2, b2 = views(theta)
    g_w1, g_b1, g_w2, g_b2 = views(grad)
    l1 = np.array([l if k == "l1" else 0 for k, l in specs], F32)[:, None, None]
    l2 = np.array([F32(2) * l if k == "l2" else 0 for k, l in specs], F32)[:, None, None]
    state = adam.init(theta)
    n = X.shape[0]

    def snapshot():
        return dict(zip(names, (v.copy() for v in (w1, b1, w2, b2))))

    history = [(0, snapshot())] if record_every else []
    zero, two = F32(0), F32(2)
    for i in range(num_steps):
        start = (i * batch_size) % n
        xb, yb = X[start:start + batch_size], y[start:start + batch_size]
        scale = two / F32(len(xb))
        z = matmul(xb, w1) + b1[:, None, :]
        h = np.maximum(z, zero)
        d_out = (matmul(h, w2) + b2[:, None, :] - yb) * scale   # d mean((out - y)^2) / d out
        matmul(h.transpose(0, 2, 1), d_out, out=g_w2)
        np.sum(d_out, axis=1, out=g_b2)
        d_z = matmul(d_out, w2.transpose(0, 2, 1)) * (z > zero)
        matmul(xb.T, d_z, out=g_w1)
        np.sum(d_z, axis=1, out=g_b1)
        g_w1 += l1 * np.sign(w1) + l2 * w1
        g_w2 += l1 * np.sign(w2) + l2 * w2
        theta[:], state = adam.step(theta, grad, state, i + 1, lr)
        if record_every and (i + 1) % record_every == 0:
            history.append((i + 1, snapshot()))
    return snapshot(), history


def circle_metrics(params, X, y, penalties=None):
    """Per model: MSE, accuracy (output > 0.5 means red) and, given ``penalties``, the total loss (chapter 11)."""
    out = circle_forward(params, X)
    y = _check.finite_array("y", y)
    mse = np.mean(np.square(out - y[None]), axis=(1, 2), dtype=F32)
    acc = np.mean((out > 0.5) == (y[None] > 0.5), axis=(1, 2))
    result = {"mse": mse, "accuracy": acc}
    if penalties is not None:
        pen = [penalty(params["w1"][i], k, l) + penalty(params["w2"][i], k, l)
               for i, (k, l) in enumerate(_specs(penalties))]
        result["loss"] = mse + np.array(pen, F32)
    return result

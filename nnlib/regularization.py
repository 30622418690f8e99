"""L1 and L2 weight penalties, note 000's circle example, dropout, weight decay and early stopping
(chapter 13: overfitting and regularization).

A regularized loss adds a penalty on the weights to the data loss::

    loss = data_loss + penalty(w)
    L1:  penalty = lam * sum(|w|)      gradient  lam * sign(w)
    L2:  penalty = lam * sum(w ** 2)   gradient  2 * lam * w

These are Keras 3's ``keras.regularizers.L1(lam)`` and ``L2(lam)``. TensorFlow 1's
``tf.contrib.layers.l2_regularizer(scale)``, which the notes use, was ``scale * sum(w ** 2) / 2``,
so ``l2_regularizer(0.01)`` is ``L2(0.005)`` (:func:`keras_l2_from_tf1`).

The example of note 000 (the course code's ``generateds.py``/``forward.py``/``backward.py``) is
:func:`circle_data` and a 2-11-1 network; :func:`train_circle_nets` trains one per penalty at once,
in float32 numpy, stacked along a leading "model" axis, at a fixed learning rate or on a schedule
(one per model if need be): that makes the course's 40000 Adam steps affordable inside a
notebook. :func:`boundary_shape` measures how far a trained network's boundary is from convex.

The rest of the chapter uses the 8x8 digits: :func:`dropout` (inverted, as
``keras.layers.Dropout``), the SGD identity "L2 is weight decay" (:func:`sgd_l2_step`,
:func:`sgd_decay_step`), data augmentation (one-pixel shifts :func:`shift_images` and
:func:`random_shifts`, :func:`subpixel_shifts`, :func:`pixel_noise`) and :func:`train_digits`, a
64-hidden-10 network with dropout, L2, AdamW's decoupled decay, augmentation and early stopping.
"""
from __future__ import annotations

import numpy as np

from . import _check
from .optimizers import Adam
from .portable import matmul, power

__all__ = ["l1_penalty", "l2_penalty", "l1_grad", "l2_grad", "penalty", "penalty_grad",
           "keras_l2_from_tf1", "l1_minimizer", "l2_minimizer", "circle_data", "init_circle_net",
           "circle_forward", "train_circle_nets", "circle_metrics", "boundary_shape", "PENALTIES",
           "dropout_mask",
           "dropout", "sgd_l2_step", "sgd_decay_step", "shift_images", "random_shifts",
           "subpixel_shifts", "pixel_noise",
           "init_digits_net", "digits_logits", "digits_eval", "train_digits", "OPTIMIZERS"]

F32 = np.float32
PENALTIES = ("none", "l1", "l2")


def _lam(lam) -> np.float32:
    return F32(_check.non_negative_number("lam", lam))


def _kind(kind) -> str:
    return _check.one_of("kind", kind, PENALTIES)


def l1_penalty(w, lam):
    """``lam * sum(|w|)`` in float32, as ``keras.regularizers.L1(lam)(w)`` (chapter 13)."""
    return _lam(lam) * np.sum(np.abs(_check.finite_array("w", w)), dtype=F32)


def l2_penalty(w, lam):
    """``lam * sum(w**2)`` in float32, as ``keras.regularizers.L2(lam)(w)`` (chapter 13)."""
    return _lam(lam) * np.sum(np.square(_check.finite_array("w", w)), dtype=F32)


def l1_grad(w, lam):
    """Gradient of the L1 penalty, ``lam * sign(w)`` (0 at w = 0, as TensorFlow) (chapter 13)."""
    return _lam(lam) * np.sign(_check.finite_array("w", w))


def l2_grad(w, lam):
    """Gradient of the L2 penalty, ``2 * lam * w`` (chapter 13)."""
    return F32(2) * _lam(lam) * _check.finite_array("w", w)


def penalty(w, kind, lam):
    """The penalty of ``kind`` ('none', 'l1' or 'l2') with strength ``lam`` (chapter 13)."""
    kind, lam = _kind(kind), _lam(lam)
    if kind == "none":
        return F32(0)
    return (l1_penalty if kind == "l1" else l2_penalty)(w, lam)


def penalty_grad(w, kind, lam):
    """The gradient of :func:`penalty` with respect to ``w`` (chapter 13)."""
    kind, lam = _kind(kind), _lam(lam)
    if kind == "none":
        return np.zeros_like(_check.finite_array("w", w))
    return (l1_grad if kind == "l1" else l2_grad)(w, lam)


def keras_l2_from_tf1(scale):
    """The Keras 3 ``L2`` factor equal to TF1's ``l2_regularizer(scale)``: ``scale / 2`` (chapter 13)."""
    return _lam(scale) / F32(2)


def l1_minimizer(a, lam):
    """argmin over w of ``(w - a)**2 / 2 + lam*|w|``: soft thresholding, exactly 0 for |a| <= lam (chapter 13)."""
    a = _check.finite_array("a", a)
    return np.sign(a) * np.maximum(np.abs(a) - _lam(lam), F32(0))


def l2_minimizer(a, lam):
    """argmin over w of ``(w - a)**2 / 2 + lam*w**2``: ``a / (1 + 2 lam)``, never 0 unless a is (chapter 13)."""
    return _check.finite_array("a", a) / (F32(1) + F32(2) * _lam(lam))


def circle_data(num_points=300, seed=2):
    """Note 000's data: ``RandomState(seed).randn(n, 2)``, y = 1 where x0² + x1² < 2 (chapter 13).

    Returns ``X`` (n, 2) and ``y`` (n, 1), both float32. The note used seed 2 and 300 points;
    any other seed draws a fresh sample from the same distribution (a held-out test set).
    """
    n = _check.positive_int("num_points", num_points)
    X = np.random.RandomState(_check.non_negative_int("seed", seed)).randn(n, 2)
    y = np.array([[int(x0 * x0 + x1 * x1 < 2)] for x0, x1 in X])
    return X.astype(F32), y.astype(F32)


def init_circle_net(seed=0, num_models=1):
    """Weights of ``num_models`` 2-11-1 networks: w ~ N(0, 1) as ``tf.random_normal``, b = 0.01 (chapter 13).

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
    """Outputs ``(M, n, 1)`` of the stacked networks: relu(X w1 + b1) w2 + b2 (chapter 13)."""
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


def _rates(lr, num_steps, num_models):
    """``lr`` as float32 rates of shape (num_steps, num_models), or a float32 scalar for one number."""
    if np.ndim(lr) > 0:
        rates = _check.finite_array("lr", lr)
        if rates.shape == (num_steps,):
            rates = np.repeat(rates[:, None], num_models, axis=1)
        if rates.shape != (num_steps, num_models):
            raise ValueError(f"lr must be a number, an array of num_steps = {num_steps} rates or one of "
                             f"shape (num_steps, models) = {(num_steps, num_models)}, "
                             f"got shape {rates.shape}")
        if not (rates > 0).all():
            raise ValueError(f"lr must hold rates > 0, got {rates.min()!r}")
        return rates
    return F32(_check.positive_number("lr", lr))


def train_circle_nets(X, y, penalties, lr=1e-4, batch_size=30, num_steps=40000, record_every=0, seed=0):
    """Train one 2-11-1 network per ``(kind, lam)`` in ``penalties`` with Adam on MSE + penalty (chapter 13).

    ``lr`` is one number for every step and model, or a schedule: an array of ``num_steps``
    rates, step ``i`` (counting from 0, as Keras's ``optimizer.iterations`` and TF1's
    ``global_step``) using ``lr[i]`` (e.g. :func:`nnlib.lr_decay.exponential_decay` at
    ``np.arange(num_steps)``), or an array of shape ``(num_steps, len(penalties))``, one
    schedule per model (a model's bits do not depend on the others'). Batches are taken in
    order, ``X[(i*batch_size) % n : ... + batch_size]`` as note 000's loop does; the penalty
    applies to ``w1`` and ``w2`` (not the biases), Keras's convention (an L2 given as TF1's
    ``l2_regularizer(s)`` is ``('l2', s / 2)``). The update is chapter 8's
    :meth:`nnlib.optimizers.Adam.step` (Keras 3's order of operations), written out in place so
    that one pass updates all models, with TF1's ``epsilon=1e-8``. The matrix products add in
    :func:`nnlib.portable.matmul`'s fixed order, so the weights after 40000 steps are the same bits
    on every CPU, and the same bits as a plain loop of ``matmul`` and ``Adam.step`` calls.
    Returns ``(params, history)``: the final stacked weights and, if ``record_every > 0``, a list
    of ``(step, params copy)``.
    """
    X = _check.finite_array("X", X)
    y = _check.finite_array("y", y)
    if X.ndim != 2 or X.shape[1] != 2 or y.shape != (X.shape[0], 1):
        raise ValueError(f"X must have shape (n, 2) and y shape (n, 1), got {X.shape!r} and {y.shape!r}")
    specs = _specs(penalties)
    num_steps = _check.non_negative_int("num_steps", num_steps)
    lr = _rates(lr, num_steps, len(specs))
    batch_size = _check.batch_size(batch_size, X.shape[0])
    record_every = _check.non_negative_int("record_every", record_every)
    adam = Adam(epsilon=1e-8)

    m = len(specs)
    init = init_circle_net(seed, num_models=m)
    units = init["w1"].shape[2]
    mu = m * units
    n = X.shape[0]
    zero, two = F32(0), F32(2)

    # The networks are tiny, so a step costs what its numpy calls cost. All parameters live in
    # one flat buffer, in blocks (every model's w1[0], then w1[1], b1, w2, b2), so Adam and the
    # penalty update every model with one call each; arrays are allocated once and operations
    # write into them (out=); the hidden layer is laid out (example, model, unit), so that the
    # sums over a batch are sums over the first axis. The sums add in the order
    # nnlib.portable.matmul and np.sum add (one after another over the examples, numpy's
    # pairwise scheme over the 11 units and over a batch's outputs), and the update is chapter
    # 8's Adam.step written in place: the weights are the same bits as the plain loop's
    # (tests/nnlib/test_regularization.py keeps that loop and compares).
    theta = np.empty(4 * mu + m, F32)
    grad = np.zeros_like(theta)

    def views(flat):   # w1 (M, 2, 11), b1 (M, 11), w2 (M, 11, 1), b2 (M, 1), sharing flat's memory
        return (flat[:2 * mu].reshape(2, m, units).transpose(1, 0, 2), flat[2 * mu:3 * mu].reshape(m, units),
                flat[3 * mu:4 * mu].reshape(m, units, 1), flat[4 * mu:].reshape(m, 1))

    names = ("w1", "b1", "w2", "b2")
    for k, v in zip(names, views(theta)):
        v[...] = init[k]
    w1, b1, w2, b2 = views(theta)
    w1_0, w1_1 = theta[None, :mu], theta[None, mu:2 * mu]           # (1, M*11): the model-unit axis
    b1_r, w2_r = theta[None, 2 * mu:3 * mu], theta[None, 3 * mu:4 * mu]
    b2_r = theta[None, 4 * mu:]                                    # (1, M)
    g_w1, g_b1 = grad[:2 * mu].reshape(2, mu), grad[2 * mu:3 * mu]
    g_w2, g_b2 = grad[3 * mu:4 * mu].reshape(m, units), grad[4 * mu:]
    # the penalty's gradient, l1 * sign(w) + 2 * l2 * w, with coefficients 0 on the biases
    lam1 = np.array([l if k == "l1" else 0 for k, l in specs], F32)
    lam2 = np.array([F32(2) * l if k == "l2" else 0 for k, l in specs], F32)
    c_l1, c_l2 = np.zeros_like(theta), np.zeros_like(theta)
    for block in (slice(0, mu), slice(mu, 2 * mu), slice(3 * mu, 4 * mu)):
        c_l1[block], c_l2[block] = np.repeat(lam1, units), np.repeat(lam2, units)
    # a term whose coefficients are all 0 adds only zeros (+0 or -0), which change no sum: skip it
    has_l1, has_l2 = bool(c_l1.any()), bool(c_l2.any())
    # Adam.step's step sizes alpha_t = lr * sqrt(1 - beta_2^t) / (1 - beta_1^t), all t at once
    beta_1, beta_2, eps = F32(adam.beta_1), F32(adam.beta_2), F32(adam.epsilon)
    steps = np.arange(1, num_steps + 1)
    if np.ndim(lr) == 0:
        alphas = lr * np.sqrt(F32(1) - power(beta_2, steps)) / (F32(1) - power(beta_1, steps))
    else:   # (num_steps, M): the step size of each model; `owner` maps theta's entries to models
        alphas = (lr * np.sqrt(F32(1) - power(beta_2, steps))[:, None]
                  / (F32(1) - power(beta_1, steps))[:, None])
        owner = np.concatenate([np.repeat(np.arange(m), units)] * 4 + [np.arange(m)])
        if (alphas == alphas[:, :1]).all():    # the same rates for every model: one per step
            alphas, owner = np.ascontiguousarray(alphas[:, 0]), None
        else:
            alpha_vec = np.empty_like(theta)
    one_b1, one_b2 = F32(1 - adam.beta_1), F32(1 - adam.beta_2)
    mom, vel = adam.init(theta)
    t_a, t_b = np.empty_like(theta), np.empty_like(theta)

    def snapshot():
        return dict(zip(names, (v.copy() for v in (w1, b1, w2, b2))))

    def batch(start):   # a batch's pieces, work arrays and views of them, made on first use
        xb, yb = X[start:start + batch_size], y[start:start + batch_size]
        b = len(xb)
        z = np.empty((b, mu), F32)
        h, prod, d_z = np.empty_like(z), np.empty_like(z), np.empty_like(z)
        out = np.empty((b, m), F32)
        return dict(x0=xb[:, 0, None], x1=xb[:, 1, None], x3=xb[:, :, None], yb=yb,
                    scale=two / F32(b), z=z, h=h, prod=prod, mask=np.empty(z.shape, bool), d_z=d_z,
                    out=out, out_t=np.empty((m, b), F32), prod_w1=np.empty((b, 2, mu), F32),
                    # (example, model, unit) views, the output as a column, the batch axis last
                    h3=h.reshape(b, m, units), prod3=prod.reshape(b, m, units),
                    d_z3=d_z.reshape(b, m, units), d_out=out[:, :, None], out_T=out.T,
                    d_z_w1=d_z[:, None, :])

    batches = {}
    history = [(0, snapshot())] if record_every else []
    for i in range(num_steps):
        start = (i * batch_size) % n
        bt = batches.get(start)
        if bt is None:
            bt = batches[start] = batch(start)
        z, h, prod, d_z, out = bt["z"], bt["h"], bt["prod"], bt["d_z"], bt["out"]
        prod3, d_z3, d_out = bt["prod3"], bt["d_z3"], bt["d_out"]
        # z = X w1 + b1 (matmul's k = 2 order: x0 w1[0], then + x1 w1[1]); h = relu(z)
        np.multiply(bt["x0"], w1_0, out=z)
        np.multiply(bt["x1"], w1_1, out=prod)
        z += prod
        z += b1_r
        np.maximum(z, zero, out=h)
        # out = h w2 + b2 - y, then * 2 / b: the gradient of the mean squared error. The sum over
        # the units is matmul's for one column, numpy's pairwise sum over a contiguous axis
        np.multiply(h, w2_r, out=prod)
        np.add.reduce(prod3, axis=-1, out=out)
        out += b2_r
        out -= bt["yb"]
        out *= bt["scale"]
        # g_w2 = h^T d_out, g_w1 = X^T d_z, g_b1: sums over the examples, one after another;
        # g_b2 = np.sum(d_out) over the examples, numpy's pairwise sum
        np.multiply(bt["h3"], d_out, out=prod3)
        np.add.reduce(prod3, axis=0, out=g_w2)
        np.copyto(bt["out_t"], bt["out_T"])
        np.add.reduce(bt["out_t"], axis=1, out=g_b2)
        # d_z = (d_out w2^T) * (z > 0), matmul's k = 1 path: w2 masked to the active units, times
        # d_out (a product by 1 or 0 is exact, zeros keep their signs: the same bits)
        np.greater(z, zero, out=bt["mask"])
        np.multiply(w2_r, bt["mask"], out=d_z)
        np.multiply(d_z3, d_out, out=d_z3)
        np.multiply(bt["x3"], bt["d_z_w1"], out=bt["prod_w1"])
        np.add.reduce(bt["prod_w1"], axis=0, out=g_w1)
        np.add.reduce(d_z, axis=0, out=g_b1)
        # + the penalty's gradient, l1 * sign(w) + l2 * w
        if has_l1:
            np.sign(theta, out=t_a)
            t_a *= c_l1
            if has_l2:
                np.multiply(c_l2, theta, out=t_b)
                t_a += t_b
            grad += t_a
        elif has_l2:
            np.multiply(c_l2, theta, out=t_a)
            grad += t_a
        # Adam: m, v move towards g, g^2; w <- w - alpha_t * m / (sqrt(v) + epsilon)
        np.subtract(grad, mom, out=t_a)
        t_a *= one_b1
        mom += t_a
        np.square(grad, out=t_a)
        t_a -= vel
        t_a *= one_b2
        vel += t_a
        if alphas.ndim == 1:
            np.multiply(mom, alphas[i], out=t_a)
        else:
            np.take(alphas[i], owner, out=alpha_vec)
            np.multiply(mom, alpha_vec, out=t_a)
        np.sqrt(vel, out=t_b)
        t_b += eps
        t_a /= t_b
        theta -= t_a
        if record_every and (i + 1) % record_every == 0:
            history.append((i + 1, snapshot()))
    return snapshot(), history


def _hull(points):
    """The convex hull of 2-D points (Andrew's monotone chain), counterclockwise, as a list of tuples."""
    pts = sorted(set(points))
    if len(pts) < 3:
        return pts

    def chain(seq):
        out = []
        for p in seq:
            while len(out) >= 2 and ((out[-1][0] - out[-2][0]) * (p[1] - out[-2][1])
                                     - (out[-1][1] - out[-2][1]) * (p[0] - out[-2][0])) <= 0:
                out.pop()
            out.append(p)
        return out

    return chain(pts)[:-1] + chain(pts[::-1])[:-1]


def _area(points):
    """The area of a simple polygon (shoelace formula), its products added exactly by ``math.fsum``."""
    import math

    n = len(points)
    return abs(math.fsum(points[i][0] * points[(i + 1) % n][1] - points[(i + 1) % n][0] * points[i][1]
                         for i in range(n))) / 2


def boundary_shape(xx, yy, probs, level=0.5):
    """The ``level`` contour of ``probs`` on the grid ``xx, yy``, and how far it is from convex (chapter 13).

    The contour is contourpy's (matplotlib's contour code): straight pieces between the points
    where the level crosses the grid's cell edges. Returns a dict with ``pieces`` (how many
    separate lines), ``closed`` (whether all of them close), ``length`` (their total length) and,
    for the longest closed line, the ``area`` it encloses, the area of its convex hull
    ``hull_area``, and ``dent_share = 1 - area / hull_area``: the part of the hull that the region
    leaves out, 0 for a convex boundary (NaN when no line closes). A ReLU network's boundary is
    a polygon; ``dent_share`` measures its dents and spikes. The sums are ``math.fsum``'s, so the
    numbers depend only on ``probs``, not on the CPU.
    """
    import math

    import contourpy

    xx, yy = _check.finite_array("xx", xx, np.float64), _check.finite_array("yy", yy, np.float64)
    probs = _check.finite_array("probs", probs, np.float64)
    if xx.ndim != 2 or xx.shape != yy.shape or xx.shape != probs.shape:
        raise ValueError(f"xx, yy and probs must be 2-D arrays of one shape, got {xx.shape!r}, "
                         f"{yy.shape!r} and {probs.shape!r}")
    level = float(_check.finite_array("level", level, np.float64))
    lines = contourpy.contour_generator(xx, yy, probs).lines(level)
    closed = [bool(len(line) > 3 and (line[0] == line[-1]).all()) for line in lines]
    length = math.fsum(math.fsum(np.hypot(*np.diff(line, axis=0).T).tolist()) for line in lines)
    out = {"pieces": len(lines), "closed": bool(lines) and all(closed), "length": length,
           "area": math.nan, "hull_area": math.nan, "dent_share": math.nan}
    rings = [line for line, c in zip(lines, closed) if c]
    if rings:
        ring = [tuple(p) for p in max(rings, key=len)[:-1].tolist()]
        area, hull_area = _area(ring), _area(_hull(ring))
        # the hull holds the region, so 1 - area / hull_area >= 0 but for rounding
        out.update(area=area, hull_area=hull_area, dent_share=max(0.0, 1 - area / hull_area))
    return out


def circle_metrics(params, X, y, penalties=None):
    """Per model: MSE, accuracy (output > 0.5 means red) and, given ``penalties``, the total loss (chapter 13)."""
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


# --- dropout, decoupled weight decay, early stopping, augmentation (chapter 13, issue 16) ------

def _rate(p):
    p = _check.non_negative_number("p", p)
    if p >= 1:
        raise ValueError(f"p must be a drop rate in [0, 1), got {p!r}")
    return p


def dropout_mask(shape, p, seed=0):
    """A keep-mask for inverted dropout: each entry True with probability ``1 - p`` (chapter 13)."""
    p = _rate(p)
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(
        _check.non_negative_int("seed", seed))
    return rng.random(shape) >= p


def dropout(x, p, mask=None, training=True, seed=0):
    """Inverted dropout (chapter 13): in training ``x / (1 - p)`` where ``mask`` keeps, else 0;
    at inference (``training=False``) the identity.

    In float32, as ``keras.layers.Dropout``: ``x`` times the float32 of ``1 / (1 - p)``, then
    zeros where dropped. Without ``mask`` one is drawn by :func:`dropout_mask` with ``seed``.
    """
    x = _check.finite_array("x", x)
    p = _rate(p)
    if not training or p == 0:
        return x
    if mask is None:
        mask = dropout_mask(x.shape, p, seed)
    mask = np.asarray(mask)
    if mask.shape != x.shape or mask.dtype != bool:
        raise ValueError(f"mask must be a boolean array of shape {x.shape!r}, got "
                         f"{mask.dtype} {mask.shape!r}")
    return np.where(mask, x * F32(1 / (1 - p)), F32(0))


def sgd_l2_step(w, g, lr, lam):
    """One SGD step on data gradient ``g`` plus ``L2(lam)``'s: ``w - lr*(g + 2*lam*w)`` (chapter 13)."""
    w, g = _check.finite_array("w", w), _check.finite_array("g", g)
    lr = F32(_check.positive_number("lr", lr))
    return w - lr * (g + F32(2) * _lam(lam) * w)


def sgd_decay_step(w, g, lr, lam):
    """The same step written as weight decay: ``(1 - 2*lr*lam)*w - lr*g`` (chapter 13)."""
    w, g = _check.finite_array("w", w), _check.finite_array("g", g)
    lr = F32(_check.positive_number("lr", lr))
    return (F32(1) - F32(2) * lr * _lam(lam)) * w - lr * g


def shift_images(X, dx, dy, side=8):
    """Square images (rows of ``X``, ``side`` x ``side``) moved ``dx`` pixels right and ``dy``
    down, zeros shifted in (chapter 13)."""
    X = _check.finite_array("X", X)
    side = _check.positive_int("side", side)
    if X.ndim != 2 or X.shape[1] != side * side:
        raise ValueError(f"X must have shape (n, {side * side}), got {X.shape!r}")
    dx, dy = int(dx), int(dy)
    if abs(dx) >= side or abs(dy) >= side:
        raise ValueError(f"dx and dy must be below {side} in size, got {dx} and {dy}")
    img = X.reshape(-1, side, side)
    out = np.zeros_like(img)
    out[:, max(dy, 0):side + min(dy, 0), max(dx, 0):side + min(dx, 0)] = \
        img[:, max(-dy, 0):side - max(dy, 0), max(-dx, 0):side - max(dx, 0)]
    return out.reshape(X.shape)


def random_shifts(X, seed=0, side=8):
    """Each image moved by its own random (dx, dy) in {-1, 0, 1}², one-pixel augmentation (chapter 13)."""
    X = _check.finite_array("X", X)
    rng = _generator(seed)
    side = _check.positive_int("side", side)
    if X.ndim != 2 or X.shape[1] != side * side:
        raise ValueError(f"X must have shape (n, {side * side}), got {X.shape!r}")
    d = rng.integers(-1, 2, size=(len(X), 2))
    # pad each image with a ring of zeros; a shift by (dx, dy) is the window at (1 - dy, 1 - dx)
    padded = np.pad(X.reshape(-1, side, side), ((0, 0), (1, 1), (1, 1)))
    windows = np.lib.stride_tricks.sliding_window_view(padded, (side, side), axis=(1, 2))
    return windows[np.arange(len(X)), 1 - d[:, 1], 1 - d[:, 0]].reshape(X.shape)


def _generator(seed):
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(_check.non_negative_int("seed", seed))


def subpixel_shifts(X, max_shift=0.5, seed=0, side=8):
    """Each image moved by its own random (dx, dy), uniform in [-max_shift, max_shift] pixels,
    by bilinear interpolation with zeros shifted in: a milder augmentation than
    :func:`random_shifts` (chapter 13)."""
    X = _check.finite_array("X", X)
    max_shift = _check.unit_interval("max_shift", max_shift, include_one=True)
    rng = _generator(seed)
    t = rng.uniform(-max_shift, max_shift, size=(len(X), 2)).astype(F32)
    out = X
    for axis, (ux, uy) in enumerate(((1, 0), (0, 1))):
        a = np.abs(t[:, axis])[:, None]
        plus = shift_images(out, ux, uy, side)        # the neighbour one pixel back
        minus = shift_images(out, -ux, -uy, side)
        near = np.where(t[:, axis:axis + 1] >= 0, plus, minus)
        out = (F32(1) - a) * out + a * near
    return out


def pixel_noise(X, std=0.05, seed=0):
    """``X`` plus Gaussian noise of standard deviation ``std`` on every pixel, clipped to
    [0, 1] (pixels as :mod:`nnlib.data` scales them), an augmentation (chapter 13)."""
    X = _check.finite_array("X", X)
    std = _check.non_negative_number("std", std)
    rng = _generator(seed)
    return np.clip(X + rng.normal(0, std, X.shape).astype(F32), F32(0), F32(1))


OPTIMIZERS = ("sgd", "adam", "adamw")


def init_digits_net(hidden=64, seed=0):
    """A 64-``hidden``-10 ReLU network, Glorot-uniform weights and zero biases, as Keras's Dense (chapter 13)."""
    hidden = _check.positive_int("hidden", hidden)
    rng = np.random.default_rng(_check.non_negative_int("seed", seed))
    net = {}
    for name, (n_in, n_out) in (("1", (64, hidden)), ("2", (hidden, 10))):
        r = np.sqrt(6.0 / (n_in + n_out))
        net["w" + name] = rng.uniform(-r, r, (n_in, n_out)).astype(F32)
        net["b" + name] = np.zeros(n_out, F32)
    return net


def digits_logits(net, X):
    """The logits of :func:`init_digits_net`'s network at inference (dropout off) (chapter 13)."""
    from .portable import dot

    X = _check.finite_array("X", X)
    return dot(np.maximum(dot(X, net["w1"]) + net["b1"], F32(0)), net["w2"]) + net["b2"]


def digits_eval(net, X, y):
    """``(mean cross-entropy, accuracy)`` of the network on ``X, y`` (chapter 13)."""
    from .softmax import _cross_entropy_and_grad

    z = digits_logits(net, X)
    loss, _ = _cross_entropy_and_grad(z, np.asarray(y))
    return loss, float(np.mean(z.argmax(axis=1) == np.asarray(y)))


def train_digits(X, y, X_val, y_val, hidden=64, optimizer="sgd", lr=0.1, num_epochs=30,
                 batch_size=32, p=0.0, lam=0.0, weight_decay=0.0, augment=False, patience=None,
                 record_train=False, seed=0):
    """Train a 64-``hidden``-10 ReLU net on the 8x8 digits with softmax cross-entropy (chapter 13).

    Regularizers: dropout at rate ``p`` on the hidden layer (:func:`dropout`), ``L2(lam)`` on both
    weight matrices added to the gradient, AdamW's decoupled ``weight_decay`` (``optimizer`` is
    'sgd', 'adam' or 'adamw': chapter 8's :mod:`nnlib.optimizers` rules), one-pixel
    :func:`random_shifts` of every batch (``augment=True``) or any augmentation
    ``augment(X_batch, rng)`` (:func:`subpixel_shifts`, :func:`pixel_noise`), and early stopping: with ``patience``,
    stop once the validation loss has not improved for that many epochs and return the best
    epoch's weights. Products are :func:`nnlib.portable.dot`'s, so runs are the same bits on
    every CPU. Returns a dict: ``net`` (final, or best with ``patience``), ``history`` (per
    epoch: training loss (dropout off; NaN unless ``record_train``), validation loss, validation accuracy), ``best_epoch``, ``epochs_run``,
    ``state`` (the optimizer's state per weight, after the last step).
    """
    from .optimizers import SGD, AdamW
    from .portable import dot
    from .portable import exp

    X, X_val = _check.finite_array("X", X), _check.finite_array("X_val", X_val)
    y, y_val = np.asarray(y), np.asarray(y_val)
    optimizer = _check.one_of("optimizer", optimizer, OPTIMIZERS)
    lr = F32(_check.positive_number("lr", lr))
    num_epochs = _check.non_negative_int("num_epochs", num_epochs)
    batch_size = _check.batch_size(batch_size, len(X))
    p, lam = _rate(p), _lam(lam)
    wd = _check.non_negative_number("weight_decay", weight_decay)
    if wd and optimizer != "adamw":
        raise ValueError(f"weight_decay needs optimizer='adamw', got {optimizer!r}")
    if patience is not None:
        patience = _check.positive_int("patience", patience)
    if augment is True:
        augment = random_shifts
    elif augment is not False and augment is not None and not callable(augment):
        raise ValueError("augment must be False, True or a function (X, rng) -> X, "
                         f"got {augment!r}")
    rule = {"sgd": SGD(), "adam": Adam(), "adamw": AdamW(weight_decay=wd)}[optimizer]
    net = init_digits_net(hidden, seed)
    state = {k: rule.init(v) for k, v in net.items()}
    rng = np.random.default_rng(_check.non_negative_int("seed", seed) + 1000)
    scale = F32(1 / (1 - p)) if p else None
    history, best, best_loss, best_epoch, t = [], None, np.inf, 0, 0
    for epoch in range(1, num_epochs + 1):
        order = rng.permutation(len(X))
        for s in range(0, len(X), batch_size):
            idx = order[s:s + batch_size]
            xb = augment(X[idx], rng) if augment else X[idx]
            z1 = dot(xb, net["w1"]) + net["b1"]
            h = np.maximum(z1, F32(0))
            if p:
                keep = rng.random(h.shape) >= p
                h = np.where(keep, h * scale, F32(0))
            z2 = dot(h, net["w2"]) + net["b2"]
            e = exp(z2 - z2.max(axis=1, keepdims=True))   # softmax - onehot, over the batch
            dz = e / e.sum(axis=1, keepdims=True)
            dz[np.arange(len(idx)), y[idx]] -= F32(1)
            dz /= F32(len(idx))
            grads = {"w2": dot(h.T, dz), "b2": dz.sum(axis=0)}
            dh = dot(dz, net["w2"].T)
            if p:
                dh = np.where(keep, dh * scale, F32(0))
            dh = dh * (z1 > 0)
            grads["w1"], grads["b1"] = dot(xb.T, dh), dh.sum(axis=0)
            t += 1
            for k in net:
                g = grads[k]
                if lam and k[0] == "w":
                    g = g + F32(2) * lam * net[k]
                net[k], state[k] = rule.step(net[k], g.astype(F32), state[k], t, lr)
        val_loss, val_acc = digits_eval(net, X_val, y_val)
        train_loss = digits_eval(net, X, y)[0] if record_train else np.nan
        history.append((train_loss, val_loss, val_acc))
        if val_loss < best_loss:
            best_loss, best_epoch = val_loss, epoch
            best = {k: v.copy() for k, v in net.items()}
        elif patience is not None and epoch - best_epoch >= patience:
            break
    return {"net": best if patience is not None else net, "history": history,
            "best_epoch": best_epoch, "epochs_run": len(history), "state": state}

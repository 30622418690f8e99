"""Chapter 16 (capstone): the course's techniques added one at a time to note 004's network, each
row tuned on validation data and trained from several seeds.

:func:`train_runs` trains one row in numpy, every ``(learning rate, seed)`` side by side, with
He initialization, batch normalization, Adam, exponential decay, a moving average of the weights
(batch-norm statistics recomputed for the averaged weights) and L2, in a fixed order of
additions (the same bits on every CPU). For the bridge to Keras: ``model.fit``'s loop written out
(:func:`train_loop`, :func:`run`), ``model.evaluate``'s scores from one forward pass
(:func:`scores`), and two models compared on the same images by the images one gets right and
the other wrong (:func:`gained_lost`, :func:`clear_gain`).

TensorFlow and Keras are imported inside the functions that need them, after ``nnlib.tf_setup()``.
"""
from __future__ import annotations

import numbers
import time

import numpy as np

from ._check import non_negative_int, positive_int, positive_number
from .training import digit_network, steps_per_epoch

__all__ = ["epoch_orders", "train_loop", "run", "scores", "gained_lost", "clear_gain", "SIZES", "Runs",
           "train_runs"]


def epoch_orders(num_samples, num_epochs, seed=0) -> list[np.ndarray]:
    """The order :func:`train_loop` visits the samples in, one permutation per epoch (chapter 16)."""
    num_samples = positive_int("num_samples", num_samples)
    rng = np.random.default_rng(non_negative_int("seed", seed))
    return [rng.permutation(num_samples) for _ in range(non_negative_int("num_epochs", num_epochs))]


def _model_and_data(model, X, y):
    """``X`` as float32 and ``y`` as an array after checking them and that ``model`` is a Keras model."""
    import keras

    if not isinstance(model, keras.Model):
        raise ValueError(f"model must be a keras.Model, got {type(model).__name__}")
    X = np.asarray(X, dtype=np.float32)
    y = np.asarray(y)
    if X.ndim < 2 or y.ndim != 1 or len(X) != len(y) or len(X) == 0:
        raise ValueError(f"X and y must be (n, features) and (n,), got {X.shape} and {y.shape}")
    return X, y


def train_loop(X, y, model, optimizer, *, batch_size=32, num_epochs=1, seed=0):
    """Minibatch training, ``model.fit`` written out: the loop of chapters 4 and 8 on a Keras model (chapter 16).

    Every epoch visits the samples in a new random order (:func:`epoch_orders`), in batches of
    ``batch_size`` (the last one smaller when ``batch_size`` does not divide the data). For each batch:
    the mean ``SparseCategoricalCrossentropy(from_logits=True)`` over the batch plus the layers'
    regularization losses (``model.losses``), its gradient by ``tf.GradientTape``, and
    ``optimizer.apply``. All full batches of an epoch run inside one ``tf.function`` traced once, so
    a short run costs a fraction of ``fit``'s setup.
    With ``use_ema=True`` the optimizer's moving averages are copied into the weights at the end, as
    ``fit`` does. Returns the mean training loss of each epoch (a list of floats).
    """
    import keras
    import tensorflow as tf

    X, y = _model_and_data(model, X, y)
    if not isinstance(optimizer, keras.optimizers.Optimizer):
        raise ValueError(f"optimizer must be a keras.optimizers.Optimizer, got {type(optimizer).__name__}")
    batch_size = positive_int("batch_size", batch_size)
    orders = epoch_orders(len(X), num_epochs, seed)
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    weights = model.trainable_variables
    optimizer.build(weights)

    def step(xb, yb):
        with tf.GradientTape() as tape:
            value = loss_fn(yb, model(xb, training=True))
            if model.losses:
                value = value + tf.add_n(model.losses)
        optimizer.apply(tape.gradient(value, weights), weights)
        return value

    @tf.function
    def full_batches(xs, ys):
        total = tf.constant(0.0)
        for i in tf.range(tf.shape(xs)[0]):
            total += step(xs[i], ys[i])
        return total

    last_batch = tf.function(step)
    full = len(X) // batch_size
    losses = []
    for order in orders:
        head, tail = order[:full * batch_size], order[full * batch_size:]
        total = 0.0
        if full:
            total += float(full_batches(X[head].reshape(full, batch_size, *X.shape[1:]),
                                        y[head].reshape(full, batch_size)))
        if len(tail):
            total += float(last_batch(X[tail], y[tail]))
        losses.append(total / (full + bool(len(tail))))
    if getattr(optimizer, "use_ema", False) and orders:
        optimizer.finalize_variable_values(weights)
    return losses


def run(X, y, init="glorot_uniform", batch_norm=False, l2=0.0, adam=False, sgd_lr=0.01,
        lr_decay=None, ema=None, batch_size=32, num_epochs=5, seed=0, adam_lr=1e-3):
    """One capstone model (chapter 16): build, train, return ``(model, optimizer, losses, seconds)``.

    The network is :func:`digit_network` with ``init``, ``batch_norm`` and ``l2``. The optimizer is
    SGD at ``sgd_lr``, or Adam at ``adam_lr`` when ``adam``; ``lr_decay`` multiplies its learning rate by
    that factor per epoch (Keras ``ExponentialDecay`` with ``decay_steps`` = steps per epoch);
    ``ema`` keeps a moving average of the weights with that decay (Keras ``use_ema`` and
    ``ema_momentum``), copied into the weights at the end. ``seed`` fixes the starting weights
    (``keras.utils.set_random_seed``) and the batch order (:func:`train_loop`), so two runs differ
    only in the options. ``losses`` is the mean training loss of each epoch; ``seconds`` the
    training time, tracing included.
    """
    import keras

    for name, value in (("lr_decay", lr_decay), ("ema", ema)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, numbers.Real)
                                  or not 0 < value < 1):
            raise ValueError(f"{name} must be None or a number in (0, 1), got {value!r}")
    lr = positive_number("adam_lr", adam_lr) if adam else positive_number("sgd_lr", sgd_lr)
    seed = non_negative_int("seed", seed)
    if np.ndim(X) != 2:
        raise ValueError(f"X must be (samples, features), got shape {np.shape(X)}")
    keras.utils.set_random_seed(seed)
    net = digit_network(num_inputs=np.shape(X)[1], init=init, batch_norm=batch_norm, l2=l2)
    if lr_decay is not None:
        lr = keras.optimizers.schedules.ExponentialDecay(
            lr, decay_steps=steps_per_epoch(len(X), batch_size), decay_rate=float(lr_decay))
    extra = {"use_ema": True, "ema_momentum": float(ema)} if ema is not None else {}
    opt = keras.optimizers.Adam(lr, **extra) if adam else keras.optimizers.SGD(lr, **extra)
    start = time.perf_counter()
    losses = train_loop(X, y, net, opt, batch_size=batch_size, num_epochs=num_epochs, seed=seed)
    return net, opt, losses, time.perf_counter() - start


def scores(model, X, y) -> dict:
    """Mean cross-entropy and accuracy of a classifier with logit outputs on ``(X, y)`` (chapter 16).

    One forward pass in inference mode (batch normalization uses its moving statistics), then
    chapter 3's float32 :func:`nnlib.softmax.sparse_categorical_cross_entropy` and the share of
    ``argmax`` predictions equal to ``y``. That is what ``model.evaluate`` reports for a model
    compiled with ``SparseCategoricalCrossentropy(from_logits=True)`` and ``metrics=["accuracy"]``,
    with one difference: ``evaluate``'s loss also adds the layers' regularization losses (an L2
    penalty), which are not a property of the test data. Returns ``{"loss": ..., "accuracy": ...,
    "right": ...}``, ``right`` a boolean array: which images the model classifies right.
    """
    from .softmax import sparse_categorical_cross_entropy

    X, y = _model_and_data(model, X, y)
    logits = np.asarray(model(X, training=False), dtype=np.float32)
    loss = sparse_categorical_cross_entropy(y, logits, from_logits=True).mean(dtype=np.float32)
    right = logits.argmax(axis=1) == y
    return {"loss": float(loss), "accuracy": float(np.mean(right)), "right": right}


def gained_lost(right_before, right_after) -> tuple[int, int]:
    """Images a second model gets right that a first got wrong, and the reverse (chapter 16).

    ``right_before`` and ``right_after`` are boolean arrays over the same images (``scores``'s
    ``"right"``). Images both get right, or both wrong, say nothing about which model is better;
    the difference in images right is ``gained - lost``. Returns ``(gained, lost)``.
    """
    before, after = (np.asarray(r) for r in (right_before, right_after))
    if before.dtype != bool or after.dtype != bool or before.ndim != 1 or before.shape != after.shape:
        raise ValueError(f"right_before and right_after must be boolean arrays of one length, got "
                         f"{before.dtype}{before.shape} and {after.dtype}{after.shape}")
    return int(np.sum(after & ~before)), int(np.sum(before & ~after))


def clear_gain(gained, lost, z=2.0) -> bool:
    """Whether ``gained - lost`` exceeds ``z`` standard deviations of chance, sqrt(gained + lost) (chapter 16).

    If the two models were equally good, each image only one of them gets right would be as likely
    to favour either: ``gained - lost`` is then a sum of ``gained + lost`` steps of +1 or -1, with
    mean 0 and standard deviation ``sqrt(gained + lost)`` (the sign test; McNemar's test in its
    normal approximation). With ``z = 2``, chance goes that far in about one comparison in 40.
    """
    gained, lost = non_negative_int("gained", gained), non_negative_int("lost", lost)
    return gained - lost > positive_number("z", z) * np.sqrt(gained + lost)


# --- the numpy capstone: every row tuned on validation, over seeds (issue 16 item 6) ------------

F32 = np.float32
#: The capstone's numpy network: note 004's widths on the 8x8 digits' 64 pixels.
SIZES = (64, 25, 15, 10)


class Runs:
    """What :func:`train_runs` returns (chapter 16): networks trained side by side, one per
    ``(lr, seed)``, row-major (``lrs`` outer), with what the protocol needs of each.

    ``right[i]``: which validation images network ``i`` classifies right (its EMA weights if
    ``ema``, with batch-norm statistics recomputed for them); ``right_stale[i]``: the same with
    the training weights' moving statistics (only with ``ema`` and ``batch_norm``, else None);
    ``losses[i, e]``: mean training loss of epoch ``e``; ``lrs``, ``seeds`` as given.
    """

    def __init__(self, lrs, seeds, right, right_stale, losses, params, stats):
        self.lrs, self.seeds = list(lrs), list(seeds)
        self.right, self.right_stale, self.losses = right, right_stale, losses
        self.params, self.stats = params, stats

    def right_on(self, X, y, lr) -> np.ndarray:
        """Which images of ``(X, y)`` the networks trained at ``lr`` classify right, one row per
        seed (the weights and statistics :attr:`right` was scored with)."""
        X, y = np.asarray(X, dtype=F32), np.asarray(y)
        if X.ndim != 2 or X.shape[1] != SIZES[0] or y.shape != (len(X),):
            raise ValueError(f"X and y must be (n, {SIZES[0]}) and (n,), got {X.shape} and {y.shape}")
        k = self.lrs.index(lr) * len(self.seeds)
        return (_forward(self.params, X, False, self.stats)[0].argmax(axis=2) == y)[k:k + len(self.seeds)]

    def index(self, lr, seed) -> int:
        """Row of network ``(lr, seed)``."""
        return self.lrs.index(lr) * len(self.seeds) + self.seeds.index(seed)

    def accuracy(self, stale=False) -> np.ndarray:
        """Validation accuracy per ``(lr, seed)`` as a ``len(lrs) x len(seeds)`` array."""
        right = self.right_stale if stale else self.right
        if right is None:
            raise ValueError("stale=True needs a run with ema and batch_norm")
        return right.mean(axis=1).reshape(len(self.lrs), len(self.seeds))

    def best_lr(self):
        """The learning rate with the highest mean validation accuracy over the seeds (the
        smallest such rate on a tie)."""
        return self.lrs[int(np.argmax(self.accuracy().mean(axis=1)))]

    def at(self, lr, stale=False) -> np.ndarray:
        """``right`` of the networks trained at ``lr``, one row per seed."""
        right = self.right_stale if stale else self.right
        k = self.lrs.index(lr) * len(self.seeds)
        return right[k:k + len(self.seeds)]


def _sum_rows(A):
    """Sum over axis 1 of a (runs, rows, features) stack in a fixed order (no BLAS, no SIMD)."""
    ones = np.ones((A.shape[0], 1, A.shape[1]), F32)
    return np.einsum("rik,rkj->rij", ones, np.ascontiguousarray(A), optimize=False)


def _bn_moments(z):
    n = F32(z.shape[1])
    mean = _sum_rows(z) / n
    var = _sum_rows(np.square(z - mean)) / n
    return mean, var


def _forward(params, X, training, stats=None):
    """Logits of every network for ``X`` (one batch per network, or one for all), and the cache.
    ``stats``: per batch-norm layer ``(mean, var)`` to normalize with (inference), else the batch's."""
    from .network import _mul

    Ws, bs, gammas, betas = params["W"], params["b"], params["gamma"], params["beta"]
    R, L = len(Ws[0]), len(Ws)
    a = X if X.ndim == 3 else np.broadcast_to(X, (R, *X.shape))
    cache = []
    for k in range(L):
        z = _mul(a, Ws[k])
        z += bs[k]
        bn = None
        if k < L - 1 and gammas[k] is not None:
            mean, var = _bn_moments(z) if training or stats is None else stats[k]
            inv = F32(1) / np.sqrt(var + F32(1e-3))
            xhat = (z - mean) * inv
            bn = (xhat, inv, mean, var)
            z = gammas[k] * xhat + betas[k]
        cache.append((a, z, bn))
        a = z if k == L - 1 else np.maximum(z, F32(0))
    return a, cache


def _backward(params, cache, g):
    from .network import _mul

    Ws, L = params["W"], len(params["W"])
    grads = {"W": [None] * L, "b": [None] * L, "gamma": [None] * L, "beta": [None] * L}
    for k in range(L - 1, -1, -1):
        a, z, bn = cache[k]
        if k < L - 1:
            g = g * (z > 0)
            if bn is not None:
                xhat, inv, _, _ = bn
                n = F32(g.shape[1])
                grads["gamma"][k] = _sum_rows(g * xhat)
                grads["beta"][k] = _sum_rows(g)
                gx = g * params["gamma"][k]
                g = inv / n * (n * gx - _sum_rows(gx) - xhat * _sum_rows(gx * xhat))
        grads["W"][k] = _mul(np.swapaxes(a, 1, 2), g)
        grads["b"][k] = _sum_rows(g)
        if k > 0:
            g = _mul(g, np.swapaxes(Ws[k], 1, 2))
    return grads


def _init_params(R, seeds_per_net, init, batch_norm):
    from .initialization import initialize

    L = len(SIZES) - 1
    W = [np.stack([initialize(init, (SIZES[k], SIZES[k + 1]), seed=1000 * s + k) for s in seeds_per_net])
         for k in range(L)]
    b = [np.zeros((R, 1, SIZES[k + 1]), F32) for k in range(L)]
    bn = [batch_norm and k < L - 1 for k in range(L)]
    gamma = [np.ones((R, 1, SIZES[k + 1]), F32) if bn[k] else None for k in range(L)]
    beta = [np.zeros((R, 1, SIZES[k + 1]), F32) if bn[k] else None for k in range(L)]
    return {"W": W, "b": b, "gamma": gamma, "beta": beta}


def _trainable(params):
    """(group, layer) of every trainable array; a Dense layer before batch norm has no bias, as in Keras."""
    out = []
    for k in range(len(params["W"])):
        out.append(("W", k))
        if params["gamma"][k] is None:
            out.append(("b", k))
        else:
            out += [("gamma", k), ("beta", k)]
    return out


def train_runs(X, y, X_val, y_val, *, lrs, seeds=(0, 1, 2), init="glorot_uniform", batch_norm=False,
               adam=False, lr_decay=None, ema=None, l2=0.0, batch_size=32, num_epochs=10) -> Runs:
    """One capstone row in numpy (chapter 16): ``len(lrs) * len(seeds)`` networks of :data:`SIZES`
    trained side by side, one configuration, every ``(lr, seed)``; scored on ``(X_val, y_val)``.

    The options are those of :func:`run` (Keras): ``init`` (``"glorot_uniform"`` or
    ``"he_normal"``), ``batch_norm`` (before each hidden ReLU, momentum 0.99, epsilon 1e-3; the
    Dense layer before it has no bias), SGD or ``adam`` (Keras's Adam, beta 0.9 / 0.999, epsilon
    1e-7), ``lr_decay`` (the rate times ``lr_decay`` per epoch, smooth, as ``ExponentialDecay``),
    ``ema`` (moving average of the trainable weights, Keras's ``use_ema``: no decay ramp) and
    ``l2`` (``l2 * sum(w**2)`` on every kernel). ``seed`` fixes a network's starting weights and
    its batch order, so two rows' networks of one seed differ only in the options.
    With ``ema`` the networks are scored with their averaged weights, and with ``batch_norm`` as
    well the batch-norm statistics are recomputed for those weights (one pass over ``X`` in
    training mode, the whole training set as one batch); :attr:`Runs.right_stale` keeps the
    scores with the training weights' moving statistics, what Keras's ``use_ema`` gives.
    Every sum runs in a fixed order (no BLAS), so the results are the same bits on every CPU.
    """
    from .network import _stacked_loss_and_grad
    from . import portable

    lrs = [positive_number(f"lrs[{i}]", lr) for i, lr in enumerate(lrs)]
    seeds = [non_negative_int(f"seeds[{i}]", s) for i, s in enumerate(seeds)]
    if not lrs or not seeds:
        raise ValueError(f"lrs and seeds must each list at least one value, got {lrs} and {seeds}")
    if init not in ("glorot_uniform", "he_normal"):
        raise ValueError(f"init must be 'glorot_uniform' or 'he_normal', got {init!r}")
    for name, value in (("lr_decay", lr_decay), ("ema", ema)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, numbers.Real)
                                  or not 0 < value < 1):
            raise ValueError(f"{name} must be None or a number in (0, 1), got {value!r}")
    l2 = F32(l2 if l2 == 0 else positive_number("l2", l2))
    X, X_val = (np.asarray(a, dtype=F32) for a in (X, X_val))
    y, y_val = np.asarray(y), np.asarray(y_val)
    if X.ndim != 2 or X.shape[1] != SIZES[0] or y.shape != (len(X),) or X_val.ndim != 2 \
            or X_val.shape[1] != SIZES[0] or y_val.shape != (len(X_val),):
        raise ValueError(f"X, y and X_val, y_val must be (n, {SIZES[0]}) pixels and (n,) labels, got "
                         f"{X.shape}, {y.shape}, {X_val.shape}, {y_val.shape}")
    batch_size = positive_int("batch_size", batch_size)
    num_epochs = positive_int("num_epochs", num_epochs)
    per_net_seed = [s for _ in lrs for s in seeds]
    per_net_lr = np.array([lr for lr in lrs for _ in seeds], F32)[:, None, None]
    R = len(per_net_seed)
    params = _init_params(R, per_net_seed, init, batch_norm)
    names = _trainable(params)
    L = len(params["W"])
    moving = [(np.zeros_like(params["b"][k]), np.ones_like(params["b"][k]))
              if params["gamma"][k] is not None else None for k in range(L)]
    m = {key: np.zeros_like(params[key[0]][key[1]]) for key in names}
    v = {key: np.zeros_like(params[key[0]][key[1]]) for key in names}
    avg = None
    b1, b2, b1_t, b2_t = F32(0.9), F32(0.999), F32(1), F32(1)
    rngs = [np.random.default_rng(s) for s in per_net_seed]
    per_epoch = -(-len(X) // batch_size)
    losses = np.zeros((R, num_epochs), F32)
    step = 0
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for epoch in range(num_epochs):
            orders = np.stack([rng.permutation(len(X)) for rng in rngs])
            for start in range(0, len(X), batch_size):
                idx = orders[:, start:start + batch_size]
                out, cache = _forward(params, X[idx], True)
                for k in range(L - 1):
                    if moving[k] is not None:
                        _, _, mean, var = cache[k][2]
                        moving[k] = tuple(F32(0.99) * old + F32(0.01) * new
                                          for old, new in zip(moving[k], (mean, var)))
                loss, g = _stacked_loss_and_grad("softmax_ce", out, y[idx])
                losses[:, epoch] += loss
                grads = _backward(params, cache, g)
                rate = per_net_lr
                if lr_decay is not None:
                    rate = rate * portable.power(F32(lr_decay), step / per_epoch)
                if adam:
                    b1_t, b2_t = b1_t * b1, b2_t * b2
                    rate = rate * np.sqrt(F32(1) - b2_t) / (F32(1) - b1_t)
                for key in names:
                    w, dw = params[key[0]][key[1]], grads[key[0]][key[1]]
                    if key[0] == "W" and l2:
                        dw = dw + F32(2) * l2 * w
                    if adam:
                        m[key] += (F32(1) - b1) * (dw - m[key])
                        v[key] += (F32(1) - b2) * (np.square(dw) - v[key])
                        w -= rate * m[key] / (np.sqrt(v[key]) + F32(1e-7))
                    else:
                        w -= rate * dw
                if ema is not None:
                    if avg is None:
                        avg = {key: params[key[0]][key[1]].copy() for key in names}
                    else:
                        for key in names:
                            avg[key] = F32(ema) * avg[key] + F32(1 - ema) * params[key[0]][key[1]]
                step += 1
            losses[:, epoch] /= F32(per_epoch)
        stats = [None if mv is None else mv for mv in moving]
        right_stale = None
        if ema is not None:
            averaged = {g: list(params[g]) for g in params}
            for (group, k), value in avg.items():
                averaged[group][k] = value
            if batch_norm:
                right_stale = _forward(averaged, X_val, False, stats)[0].argmax(axis=2) == y_val
                _, cache = _forward(averaged, X, True)
                stats = [None if c[2] is None else c[2][2:] for c in cache]
            params = averaged
        right = _forward(params, X_val, False, stats)[0].argmax(axis=2) == y_val
    return Runs(lrs, seeds, right, right_stale, losses, params, stats)

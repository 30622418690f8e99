"""Learning-rate schedules in float32 (chapter 6: learning-rate decay).

The notes decay the learning rate exponentially with TensorFlow 1's
``tf.train.exponential_decay``; Keras 3 has the same schedule as
``keras.optimizers.schedules.ExponentialDecay``. Both compute, in float32::

    p  = float32(step) / float32(decay_steps)      # floor(p) when staircase=True
    lr = float32(base_lr) * pow(float32(decay_rate), p)

:func:`exponential_decay` does the same arithmetic in numpy. Three details make every bit agree
with TensorFlow's. ``pow`` takes float32 operands (``float32(0.99)`` is 0.99000001, not 0.99).
For one value, TensorFlow's CPU kernel calls the C library's float32 ``powf``; we call the same
``powf`` (numpy's own float32 ``power`` may use a SIMD routine that rounds differently, and
float64 ``pow`` rounded to float32 differs from ``powf`` in a few cases per thousand). And
TensorFlow on the CPU flushes float32 results below 1.2e-38 (subnormal numbers) to zero, so we
do too. On a whole tensor of steps TensorFlow switches to a vectorised ``pow`` that may differ
from ``powf`` in the last bit or two; an optimizer asks for one step at a time.

The chapter's other schedules follow Keras 3 the same way: :func:`piecewise_constant`
(``PiecewiseConstantDecay``, the step schedule) returns one of its float32 values exactly;
:func:`cosine_decay` (``CosineDecay``, with or without a linear warm-up) does Keras's float32
operations in Keras's order, with the C library's float32 ``cosf``, which rounds as
TensorFlow's CPU kernel does for one value (on a tensor of steps TensorFlow's vectorised cosine
may differ by up to one ulp of the base rate). :class:`ReduceLROnPlateau` is Keras's callback of that name as a
small object for a numpy loop, and :func:`train_scheduled` is the course's mini-batch SGD
(:func:`nnlib.network.train`) with a rate that may change at every update;
:func:`nnlib.network.train_together` runs several of those trainings side by side, bit for bit.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import functools
from typing import Callable

import math
import numbers

import numpy as np

from . import _check
from .learning_rate import Trace, gd_trace

__all__ = ["exponential_decay", "decayed_gd_trace", "step_budget", "piecewise_constant",
           "cosine_decay", "ReduceLROnPlateau", "train_scheduled",
           "rate_sums", "noisy_quadratic_rms"]

F32 = np.float32
_TINY = np.finfo(F32).tiny  # the smallest normal float32, 1.1754944e-38


def _flush_subnormals(x: np.ndarray) -> np.ndarray:
    """Set float32 values below the smallest normal number to 0, as TensorFlow's CPU kernels do."""
    return np.where(np.abs(x) < _TINY, F32(0), x).astype(F32)


@functools.lru_cache(maxsize=None)
def _c_powf():
    """The C library's ``powf(float, float)``, or None where it cannot be loaded."""
    for name in filter(None, (ctypes.util.find_library("m"), ctypes.util.find_library("c"))):
        try:
            fn = ctypes.CDLL(name).powf
        except (OSError, AttributeError):
            continue
        fn.restype, fn.argtypes = ctypes.c_float, [ctypes.c_float, ctypes.c_float]
        return fn
    return None


@functools.lru_cache(maxsize=None)
def _c_cosf():
    """The C library's ``cosf(float)``, or None where it cannot be loaded."""
    for name in filter(None, (ctypes.util.find_library("m"), ctypes.util.find_library("c"))):
        try:
            fn = ctypes.CDLL(name).cosf
        except (OSError, AttributeError):
            continue
        fn.restype, fn.argtypes = ctypes.c_float, [ctypes.c_float]
        return fn
    return None


def _cos32(x: np.ndarray) -> np.ndarray:
    """``cos(x)`` for float32 ``x``, rounded as C's ``cosf`` rounds it (one call per distinct x)."""
    cosf = _c_cosf()
    if cosf is None:  # no C library: the float64 cosine rounded once (nearly always the same)
        return np.cos(x.astype(np.float64)).astype(F32)
    values, where = np.unique(x, return_inverse=True)
    out = np.array([cosf(v) for v in values.tolist()], dtype=F32)
    return out[where].reshape(x.shape)


def _pow32(rate: np.float32, p: np.ndarray) -> np.ndarray:
    """``rate ** p`` for float32 operands, rounded as C's ``powf`` rounds it (one call per distinct p)."""
    powf = _c_powf()
    if powf is None:  # no C library to call: the exact power rounded once (nearly always the same)
        with np.errstate(over="ignore", under="ignore"):
            return np.power(np.float64(rate), p.astype(np.float64)).astype(F32)
    values, where = np.unique(p, return_inverse=True)
    out = np.array([powf(rate, v) for v in values.tolist()], dtype=F32)
    return out[where].reshape(p.shape)


def _check_steps(step) -> np.ndarray:
    try:
        arr = np.asarray(step)
    except (TypeError, ValueError):
        arr = np.asarray(None)
    if arr.dtype.kind not in "iuf":  # integers or floats, not booleans (nor strings, ...)
        raise ValueError(f"step must be a number >= 0 or an array of them, got {step!r}")
    if not np.all(np.isfinite(arr)) or np.any(arr < 0):
        raise ValueError(f"step must be finite and >= 0, got {step!r}")
    return arr


def exponential_decay(base_lr, step, decay_steps, decay_rate, staircase=False):
    """``base_lr * decay_rate ** (step / decay_steps)`` in float32, as Keras/TF compute it (chapter 6).

    ``step`` may be a number or an array (the result has its shape); with ``staircase=True`` the
    exponent is rounded down, so the rate drops once every ``decay_steps`` steps. Matches
    ``keras.optimizers.schedules.ExponentialDecay(base_lr, decay_steps, decay_rate, staircase)``
    called at ``step``. A ``decay_rate`` above 1 makes the rate grow; that is allowed.
    """
    base = F32(_check.positive_number("base_lr", base_lr))
    steps = _check_steps(step)
    ds = F32(_check.positive_number("decay_steps", decay_steps))
    rate = F32(_check.positive_number("decay_rate", decay_rate))
    if not isinstance(staircase, (bool, np.bool_)):
        raise ValueError(f"staircase must be True or False, got {staircase!r}")
    p = steps.astype(F32) / ds
    if staircase:
        p = np.floor(p)
    power = _flush_subnormals(_pow32(rate, p))
    with np.errstate(over="ignore", under="ignore"):
        lr = _flush_subnormals(base * power)
    return lr[()] if lr.ndim == 0 else lr


def decayed_gd_trace(grad: Callable, w0, base_lr, decay_steps, decay_rate, num_steps,
                     staircase=False) -> Trace:
    """Gradient descent whose update ``k`` uses ``exponential_decay(..., step=k, ...)`` (chapter 6).

    :func:`nnlib.learning_rate.gd_trace` given the schedule's ``num_steps + 1`` rates:
    ``trace.lr[k]`` is the rate at global step k (update k used ``lr[k]``; after it, TensorFlow's
    learning-rate tensor reads ``lr[k + 1]``, the value the note prints on the line for step k).
    """
    num_steps = _check.non_negative_int("num_steps", num_steps)
    lrs = exponential_decay(base_lr, np.arange(num_steps + 1), decay_steps, decay_rate, staircase)
    return gd_trace(grad, w0, lrs, num_steps)


def step_budget(base_lr, decay_steps, decay_rate, num_steps, staircase=False) -> float:
    """The sum of the learning rates of the first ``num_steps`` updates (chapter 6).

    For small rates on ``(w + 1)^2`` the distance to the minimum shrinks by about
    ``exp(-2 * budget)``; with fast decay the budget stays small however long the run.
    """
    num_steps = _check.non_negative_int("num_steps", num_steps)
    lrs = exponential_decay(base_lr, np.arange(num_steps), decay_steps, decay_rate, staircase)
    return float(np.sum(lrs.astype(np.float64)))


# --- the other common schedules (Keras 3 equivalents) --------------------------------------------

def _scalar_or_array(x: np.ndarray):
    return x[()] if x.ndim == 0 else x


def piecewise_constant(step, boundaries, values):
    """The step schedule: ``values[i]`` while ``boundaries[i-1] < step <= boundaries[i]`` (chapter 6).

    ``values[0]`` up to and including step ``boundaries[0]``, ``values[-1]`` after the last
    boundary; one more value than boundaries, boundaries whole numbers in increasing order.
    Matches ``keras.optimizers.schedules.PiecewiseConstantDecay(boundaries, values)`` bit for
    bit: Keras adds ``value * (step in range)`` over the ranges, which leaves the one float32
    value of the step's range unchanged.
    """
    steps = _check_steps(step)
    if isinstance(boundaries, (str, bytes)) or not hasattr(boundaries, "__len__"):
        raise ValueError(f"boundaries must be a list of whole numbers, got {boundaries!r}")
    if isinstance(values, (str, bytes)) or not hasattr(values, "__len__"):
        raise ValueError(f"values must be a list of positive numbers, got {values!r}")
    bounds = [_check.non_negative_int(f"boundaries[{i}]", b) for i, b in enumerate(boundaries)]
    if not bounds or any(b >= c for b, c in zip(bounds, bounds[1:])):
        raise ValueError(f"boundaries must be one or more whole numbers in increasing order, "
                         f"got {list(boundaries)!r}")
    if len(values) != len(bounds) + 1:
        raise ValueError(f"values must have one more entry than boundaries ({len(bounds) + 1}), "
                         f"got {len(values)}")
    vals = np.array([F32(_check.positive_number(f"values[{i}]", v)) for i, v in enumerate(values)],
                    dtype=F32)
    # side="left": a step equal to a boundary still belongs to the range below it
    idx = np.searchsorted(np.array(bounds, dtype=np.float64), steps.astype(np.float64), side="left")
    return _scalar_or_array(vals[idx])


def cosine_decay(base_lr, step, decay_steps, alpha=0.0, warmup_target=None, warmup_steps=0):
    """Cosine decay, optionally after a linear warm-up, in float32 as Keras computes it (chapter 6).

    Without warm-up: ``base_lr * ((1 - alpha) * (1 + cos(pi * t / decay_steps)) / 2 + alpha)``
    with ``t = min(step, decay_steps)``: from ``base_lr`` down to ``alpha * base_lr``. With
    ``warmup_target``: the rate climbs in a straight line from ``base_lr`` at step 0 to
    ``warmup_target`` at ``warmup_steps``, then the cosine runs from ``warmup_target`` over the
    next ``decay_steps`` steps. Matches ``keras.optimizers.schedules.CosineDecay(base_lr,
    decay_steps, alpha, warmup_target=..., warmup_steps=...)`` called at one step bit for bit
    (``cos`` from the C library's float32 ``cosf``, as TensorFlow's CPU kernel); on a tensor of
    steps TensorFlow's vectorised cosine may differ by an ulp or two.
    """
    base = F32(_check.positive_number("base_lr", base_lr))
    steps = _check_steps(step)
    ds = F32(_check.positive_number("decay_steps", decay_steps))
    alpha = _check.unit_interval("alpha", alpha, include_one=True)
    if warmup_target is not None:
        target = F32(_check.positive_number("warmup_target", warmup_target))
    ws = F32(_check.non_negative_number("warmup_steps", warmup_steps))
    if warmup_target is None and warmup_steps:
        raise ValueError(f"warmup_steps needs a warmup_target (the rate to climb to), got "
                         f"warmup_steps={warmup_steps!r} and warmup_target=None")

    def decay(t, start):
        frac = t / ds
        cosine = F32(0.5) * (F32(1.0) + _cos32(F32(math.pi) * frac))
        return start * (F32(1.0 - alpha) * cosine + F32(alpha))

    t = steps.astype(F32)
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        if warmup_target is None:
            lr = decay(np.minimum(t, ds), base)
        else:
            t = np.minimum(t, ds + ws)
            warm = (target - base) * (t / ws) + base if ws > 0 else np.zeros_like(t)
            lr = np.where(t < ws, warm, decay(t - ws, target)).astype(F32)
    return _scalar_or_array(np.asarray(lr, dtype=F32))


class ReduceLROnPlateau:
    """Keras's ``ReduceLROnPlateau`` rule for a numpy training loop (chapter 6).

    Call :meth:`update` once per epoch with the monitored loss (lower is better). A loss
    counts as an improvement when it is below the best so far by more than ``min_delta``
    (compared in float32, as Keras does). After ``patience`` epochs in a row without one, the
    rate is multiplied by ``factor`` (not below ``min_lr``), the count restarts, and for
    ``cooldown`` epochs no epoch counts as waiting. ``lr`` is the rate for the next epoch,
    float32 as an optimizer stores it. Defaults are Keras's.
    """

    def __init__(self, lr, factor=0.1, patience=10, min_delta=1e-4, cooldown=0, min_lr=0.0):
        self.lr = F32(_check.positive_number("lr", lr))
        factor = _check.positive_number("factor", factor)
        if factor >= 1:
            raise ValueError(f"factor must be a number in (0, 1), got {factor!r}")
        self.factor = factor
        self.patience = _check.non_negative_int("patience", patience)
        self.min_delta = abs(_check.finite_array("min_delta", min_delta, np.float64).item())
        self.cooldown = _check.non_negative_int("cooldown", cooldown)
        self.min_lr = _check.non_negative_number("min_lr", min_lr)
        self.best = None
        self.wait = 0
        self.cooldown_counter = 0
        self.epochs = 0        # how many losses update() has seen
        self.reductions = []   # the epochs (0-based) after which the rate was cut

    def update(self, loss) -> np.float32:
        """Record one epoch's monitored ``loss``; returns the rate for the next epoch."""
        if isinstance(loss, bool) or not isinstance(loss, (numbers.Real, np.floating)):
            raise ValueError(f"loss must be a number, got {loss!r}")
        loss = float(loss)
        epoch, self.epochs = self.epochs, self.epochs + 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.wait = 0
        if self.best is None or F32(loss + self.min_delta) < F32(self.best):
            self.best = loss
            self.wait = 0
        elif self.cooldown_counter <= 0:
            self.wait += 1
            if self.wait >= self.patience and float(self.lr) > F32(self.min_lr):
                self.lr = F32(max(float(self.lr) * self.factor, self.min_lr))
                self.reductions.append(epoch)
                self.cooldown_counter = self.cooldown
                self.wait = 0
        return self.lr


def train_scheduled(X, y, net, lr, batch_size, num_epochs, seed=0, on_epoch=None) -> np.ndarray:
    """Mini-batch SGD whose rate may change at every update; returns the rates used (chapter 6).

    The batches, the order of the updates and the arithmetic are those of
    :func:`nnlib.network.train` (one ``default_rng(seed)`` permutation per epoch): with a
    constant rate the two give the same bits. ``lr`` is a function of the global step (the
    number of updates made so far) or an array with one rate per update. After every epoch
    ``on_epoch(epoch, losses)`` is called with the epoch's batch losses; it may change what
    ``lr`` returns next (reduce-on-plateau does), and returning True stops training.
    """
    from threadpoolctl import threadpool_limits

    from .network import Network

    if not isinstance(net, Network):
        raise ValueError(f"net must be an nnlib.network.Network, got {type(net).__name__}")
    X, y = net.check(X, y)
    batch_size = _check.batch_size(batch_size, len(X))
    num_epochs = _check.non_negative_int("num_epochs", num_epochs)
    per_epoch = -(-len(X) // batch_size)
    if callable(lr):
        rate_at = lr
    else:
        rates = _check.finite_array("lr", lr)
        if rates.ndim != 1 or len(rates) < per_epoch * num_epochs or np.any(rates < 0):
            raise ValueError(f"lr must be a function of the step or {per_epoch * num_epochs} rates "
                             f">= 0 (one per update), got an array of shape {rates.shape}")
        rate_at = rates.__getitem__
    rng = np.random.default_rng(_check.non_negative_int("seed", seed))
    used = []
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"), threadpool_limits(1, "blas"):
        for epoch in range(num_epochs):
            order = rng.permutation(len(X))
            losses = []
            for start in range(0, len(X), batch_size):
                idx = order[start:start + batch_size]
                grads = net._gradients(X[idx], y[idx])
                losses.append(grads.loss)
                rate = F32(rate_at(len(used)))
                if not (np.isfinite(rate) and rate >= 0):
                    raise ValueError(f"the rate at step {len(used)} must be a finite number >= 0, "
                                     f"got {rate!r}")
                used.append(rate)
                for p, g in zip(net.weights + net.biases, grads.dW + grads.db):
                    p -= rate * g
                for norm in net.norms:
                    if norm is not None:
                        norm.step(rate)
            if on_epoch is not None and on_epoch(epoch, losses):
                break
    return np.array(used, dtype=F32)



def rate_sums(lrs):
    """The two sums of the Robbins–Monro conditions for a sequence of rates: ``(sum lr, sum lr**2)`` (chapter 6)."""
    lrs = _check.finite_array("lrs", lrs, np.float64).ravel()
    return float(np.sum(lrs)), float(np.sum(lrs ** 2))


def noisy_quadratic_rms(lrs, w0, noise=4.0, seed=0) -> np.ndarray:
    """RMS of ``|w + 1|`` after every update of noisy descent on ``(w + 1)^2``, several schedules at once (chapter 6).

    ``lrs`` has one row of rates per schedule (update k uses ``lrs[:, k]``), ``w0`` one start per
    run. Every update draws one float32 standard normal number per run from
    ``numpy.random.default_rng(seed)`` and adds ``noise`` times it to the gradient ``2 (w + 1)``;
    every schedule sees the same draws. The arithmetic is that of
    :func:`nnlib.learning_rate.gd_trace` with such a noisy gradient, so each row of the result
    is what ``gd_trace`` gives, without keeping every ``w``. Returns float64 of shape
    ``(num_updates + 1, num_schedules)``.
    """
    rates = _check.finite_array("lrs", lrs)
    if rates.ndim != 2 or rates.shape[1] < 1 or np.any(rates < 0):
        raise ValueError(f"lrs must be a 2-D array of rates >= 0 (one row per schedule), got shape "
                         f"{rates.shape}")
    w = np.broadcast_to(_check.finite_array("w0", w0).ravel(), (rates.shape[0], np.size(w0))).copy()
    sigma = F32(_check.non_negative_number("noise", noise))
    rng = np.random.default_rng(_check.non_negative_int("seed", seed))
    from .learning_rate import quadratic_grad

    def rms(w):
        return np.sqrt(np.mean((w.astype(np.float64) + 1) ** 2, axis=1))

    out = [rms(w)]
    with np.errstate(over="ignore", invalid="ignore"):
        for k in range(rates.shape[1]):
            g = quadratic_grad(w) + sigma * rng.standard_normal(w.shape[1], dtype=F32)
            w = (w - rates[:, k, None] * g).astype(F32)
            out.append(rms(w))
    return np.array(out)

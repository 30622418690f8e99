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
"""
from __future__ import annotations

import ctypes
import ctypes.util
import functools
from typing import Callable

import numpy as np

from . import _check
from .learning_rate import Trace, gd_trace

__all__ = ["exponential_decay", "decayed_gd_trace", "step_budget"]

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

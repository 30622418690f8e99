"""Exponential moving averages of weights, step by step, in float32 (chapter 7: EMA).

A moving average keeps a *shadow* copy of each weight and pulls it a little towards the weight
after every update: ``shadow <- decay * shadow + (1 - decay) * w``. TensorFlow's
``tf.train.ExponentialMovingAverage(decay, num_updates=n)`` lowers the decay while few updates
have been made, ``min(decay, (1 + n) / (10 + n))`` (the *decay ramp*; not the learning-rate
warm-up of schedules), and computes the step as
``shadow -= (1 - decay) * (shadow - w)``, all in float32. :class:`ExponentialMovingAverage`
does exactly that, so its digits are TensorFlow's.

Keras optimizers (``use_ema=True``) keep a different average, without the decay ramp:
:func:`keras_ema_path`.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from . import _check

__all__ = ["effective_decay", "ExponentialMovingAverage", "ema_path", "keras_ema_path", "demo_path"]

F32 = np.float32


def _num_updates(value):
    return None if value is None else _check.non_negative_int("num_updates", value)


def effective_decay(decay, num_updates=None):
    """The decay TensorFlow uses at update count ``num_updates``, in float32 (chapter 7).

    ``min(decay, (1 + n) / (10 + n))``; with ``num_updates=None`` just ``decay``. Vectorised:
    ``num_updates`` may be an array of counts (integers >= 0).
    """
    d = F32(_check.unit_interval("decay", decay, include_one=True))
    if num_updates is None:
        return d
    n = np.asarray(num_updates)
    if not np.issubdtype(n.dtype, np.integer) or np.any(n < 0):  # booleans are not integers here
        raise ValueError(f"num_updates must be an integer >= 0 (or an array of them), got {num_updates!r}")
    n = n.astype(F32)
    return np.minimum(d, (F32(1) + n) / (F32(10) + n))


class ExponentialMovingAverage:
    """Shadow copies of weights, updated like ``tf.train.ExponentialMovingAverage`` (chapter 7).

    ``decay`` is the target decay (TF's ``decay``); ``num_updates`` is the update count that
    sets the decay ramp, or ``None`` for no ramp. Set ``ema.num_updates = k`` between calls,
    as a training loop advances TF's ``global_step``. :meth:`apply` takes a dict of named
    weights or a list of weights; a weight seen for the first time gets a shadow equal to its
    current value (TensorFlow 2 does the same; TF1 graphs used the variable's initial value).
    """

    def __init__(self, decay, num_updates=None):
        self._decay = _check.unit_interval("decay", decay, include_one=True)
        self._num_updates = _num_updates(num_updates)
        self._shadows: dict = {}

    @property
    def num_updates(self):
        """The update count that sets the decay ramp, or ``None``."""
        return self._num_updates

    @num_updates.setter
    def num_updates(self, value):
        self._num_updates = _num_updates(value)

    def apply(self, values):
        """Update every shadow once from ``values`` (dict name -> array, or list of arrays).

        Returns copies of the updated shadows in the same structure (dict or list); the
        shadow of a scalar weight comes back as a numpy float32 scalar.
        """
        if isinstance(values, Mapping):
            items = list(values.items())
        elif isinstance(values, Sequence) and not isinstance(values, (str, bytes)):
            items = list(enumerate(values))
        else:
            raise ValueError("values must be a dict of name -> array or a list of arrays, "
                             f"got {type(values).__name__}")
        arrays = {}
        for key, value in items:
            arrays[key] = arr = _check.finite_array(f"values[{key!r}]", value)
            old = self._shadows.get(key)
            if old is not None and old.shape != arr.shape:
                raise ValueError(f"values[{key!r}] must keep its shape {old.shape}, got shape {arr.shape}")
        one_minus = F32(1) - effective_decay(self._decay, self._num_updates)  # TF: 1.0 - decay, in float32
        for key, arr in arrays.items():
            shadow = self._shadows.setdefault(key, arr.copy())
            shadow -= (shadow - arr) * one_minus  # TF: assign_sub(v, (v - value) * (1 - decay))
        out = {key: self.average(key) for key in arrays}
        return out if isinstance(values, Mapping) else list(out.values())

    def average(self, key):
        """A copy of the shadow of weight ``key`` (its name, or its position in the list)."""
        if key not in self._shadows:
            raise ValueError(f"no shadow for {key!r}: apply() has seen {sorted(map(str, self._shadows))}")
        return self._shadows[key].copy()[()]

    def __repr__(self) -> str:
        return (f"ExponentialMovingAverage(decay={self._decay!r}, num_updates={self._num_updates!r}, "
                f"{len(self._shadows)} shadow(s))")


def _path(name, path) -> np.ndarray:
    arr = _check.finite_array(name, path)
    if arr.ndim == 0 or len(arr) == 0:
        raise ValueError(f"{name} must hold at least one step (shape (T, ...)), got shape {arr.shape}")
    return arr


def ema_path(path, decay, ramp=True, *, warmup=None) -> np.ndarray:
    """TensorFlow's shadow along a path of weights ``path[t]``, shape (T, ...) (chapter 7).

    Step t applies the average with ``num_updates = t`` (the decay ramp) or with the full
    decay throughout (``ramp=False``); the shadow starts at ``path[0]``. ``out[t]`` is the
    shadow after step t. ``warmup`` is the old name of ``ramp``, still accepted.
    """
    path = _path("path", path)
    ramp = ramp if warmup is None else warmup
    decays = effective_decay(decay, np.arange(len(path)) if ramp else None)
    one_minus = F32(1) - np.broadcast_to(decays, (len(path),))  # TF: 1.0 - decay, in float32
    out = np.empty_like(path)
    shadow = path[0].copy()
    for t in range(len(path)):  # the same arithmetic as ExponentialMovingAverage.apply
        shadow = shadow - (shadow - path[t]) * one_minus[t]
        out[t] = shadow
    return out


def keras_ema_path(path, ema_momentum) -> np.ndarray:
    """The average a Keras optimizer with ``use_ema=True`` keeps along ``path[t]`` (chapter 7).

    ``path[t]`` is the weight after optimizer step t; the first step copies it, later steps
    compute ``m * average + (1 - m) * w`` in float32 (Keras's order). No decay ramp.
    """
    path = _path("path", path)
    m = F32(_check.unit_interval("ema_momentum", ema_momentum, include_one=True))
    out = np.empty_like(path)
    out[0] = path[0]
    for t in range(1, len(path)):
        out[t] = m * out[t - 1] + (F32(1) - m) * path[t]
    return out


def demo_path(num_steps=300, noise=1.0, seed=0):
    """A weight that drifts from 5 towards -1 with Gaussian noise: ``(trend, path)`` (chapter 7).

    ``trend[t] = -1 + 6 * 0.98**t`` (float64, the noise-free path) and
    ``path = trend + noise * N(0, 1)`` in float32, the same draw for a given ``seed``.
    ``0.98**t`` is the running product of ``t`` factors 0.98, one rounding each: the same bits on
    every CPU (numpy's ``**`` takes a CPU's own vector code, whose last bit differs).
    """
    num_steps = _check.positive_int("num_steps", num_steps)
    noise = _check.non_negative_number("noise", noise)
    powers = np.multiply.accumulate(np.full(num_steps, 0.98))
    trend = -1.0 + 6.0 * np.concatenate([[1.0], powers[:-1]])
    eps = np.random.default_rng(_check.non_negative_int("seed", seed)).standard_normal(num_steps)
    return trend, (trend + noise * eps).astype(F32)

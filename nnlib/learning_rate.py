"""Gradient descent, step by step, in float32: the one descent loop of the course (chapter 4).

The notes ran their examples with TensorFlow 1 on float32 variables. Doing every operation
in float32, in the order TensorFlow does it, reproduces their printed digits exactly:
``w <- w - lr * g`` with ``g = (w + 1) * 2`` for the loss ``(w + 1)^2``.

:func:`gd_trace` is the loop every chapter's descent runs through: chapter 4 gives it one
learning rate, chapter 6 a rate per step from a schedule (:func:`nnlib.lr_decay.decayed_gd_trace`),
chapter 8 another update rule (:mod:`nnlib.optimizers`). An update rule is a frozen dataclass
whose fields are its hyperparameters, with three methods: ``init(w)``, the state it starts from;
``step(w, g, state, t, lr)``, one update (``t`` counts from 1), returning ``(w, state)``; and
``rate(state, t, lr)``, each weight's learning rate after that update. :class:`SGD` is the plain
rule; the loop returns a :class:`Trace`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, ClassVar

import numpy as np

from . import _check

__all__ = ["SGD", "Trace", "gd_trace", "quadratic_loss", "quadratic_grad", "regime"]

F32 = np.float32


def quadratic_loss(w):
    """The notes' example loss ``(w + 1)^2`` in float32 (chapter 4)."""
    w = np.asarray(w, dtype=F32)
    return np.square(w + F32(1))


def quadratic_grad(w):
    """Its gradient ``2w + 2``, computed as TensorFlow does: ``(w + 1) * 2`` in float32 (chapter 4)."""
    w = np.asarray(w, dtype=F32)
    return (w + F32(1)) * F32(2)


@dataclass(frozen=True)
class SGD:
    """Plain gradient descent, ``w - lr*g`` in float32, as ``keras.optimizers.SGD()``: no hyperparameters, no state (chapter 4)."""

    name: ClassVar[str] = "sgd"

    def init(self, w):
        """No state."""
        return ()

    def step(self, w, g, state, t, lr):
        """``(w - lr*g, state)``."""
        return w - lr * g, state

    def rate(self, state, t, lr):
        """The learning rate itself."""
        return lr


@dataclass(frozen=True, eq=False)
class Trace:
    """A gradient-descent run: ``w[0]`` is the start, ``w[k]`` the value after k updates (chapter 4).

    ``rule`` is the update rule with its hyperparameters (:class:`SGD` or a rule of
    :mod:`nnlib.optimizers`); ``lr[k]`` is the float32 learning rate at global step ``k`` for
    ``k = 0 .. num_steps`` (update ``k`` uses ``lr[k]``; a constant rate repeats); ``rate[k]``
    is each weight's learning rate after update ``k``, the factor in front of the gradient (for
    SGD the learning rate; for the adaptive rules of chapter 8 it differs per weight).
    ``diverged_at`` is the 0-based index of the update that first produced a non-finite value
    (the note's "After k steps" numbering); the trace stops before it. ``None`` if it never did.
    """

    w: np.ndarray
    rule: object
    lr: np.ndarray
    rate: np.ndarray
    num_steps: int
    diverged_at: int | None = None

    @property
    def status(self) -> str:
        """'diverged at step k' or 'finite after N steps'."""
        if self.diverged_at is not None:
            return f"diverged at step {self.diverged_at}"
        return f"finite after {self.num_steps} steps"

    @property
    def final(self) -> np.ndarray:
        """The last finite value of w."""
        return self.w[-1]

    def __repr__(self) -> str:
        lr = f"lr={self.lr[0]:g}" + ("" if np.all(self.lr == self.lr[0]) else f" to {self.lr[-1]:g}")
        return (f"Trace({self.rule!r}, {lr}, num_steps={self.num_steps}, {self.status}, "
                f"final w={self.final.tolist()!r})")


def _rates(lr, num_steps) -> np.ndarray:
    """``num_steps + 1`` float32 learning rates: one number repeated, or a schedule's values."""
    if isinstance(lr, np.ndarray) and lr.ndim == 1:
        if lr.shape != (num_steps + 1,) or not np.all(np.isfinite(lr) & (lr >= 0)):
            raise ValueError(f"lr must be a number > 0 or num_steps + 1 = {num_steps + 1} rates >= 0 "
                             f"(one per global step), got an array of shape {lr.shape}")
        return lr.astype(F32)
    return np.full(num_steps + 1, _check.positive_number("lr", lr), dtype=F32)


def gd_trace(grad: Callable, w0, lr, num_steps, rule=SGD()) -> Trace:
    """Run ``num_steps`` updates of ``rule`` (plain ``w <- w - lr * grad(w)``) in float32 (chapter 4).

    ``grad`` maps a float32 array to its gradient. ``lr`` is a number, or an array of
    ``num_steps + 1`` rates, one per global step (a schedule, chapter 6). Bad arguments raise
    ``ValueError``; a run that blows up is a result: the trace ends at the last finite value and
    ``status`` says where.
    """
    if not callable(grad):
        raise ValueError(f"grad must be a function of w, got {grad!r}")
    num_steps = _check.non_negative_int("num_steps", num_steps)
    lrs = _rates(lr, num_steps)
    w = _check.finite_array("w0", w0)
    state = rule.init(w)
    ws, rates, diverged_at = [w.copy()], [], None
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for k in range(num_steps):
            g = np.asarray(grad(w), dtype=F32)
            w, state = rule.step(w, g, state, k + 1, lrs[k])
            w = np.asarray(w, dtype=F32)
            if not np.all(np.isfinite(w)):
                diverged_at = k
                break
            ws.append(w)
            rates.append(np.broadcast_to(rule.rate(state, k + 1, lrs[k]), w.shape))
    rate = np.stack(rates).astype(F32) if rates else np.zeros((0,) + w.shape, F32)
    return Trace(w=np.stack(ws), rule=rule, lr=lrs, rate=rate, num_steps=num_steps,
                 diverged_at=diverged_at)


def regime(lr) -> str:
    """For the loss ``(w + 1)^2``: 'converges', 'oscillates' or 'diverges' at this lr (chapter 4).

    Each step multiplies the distance to the minimum by ``1 - 2 lr``; its size decides.
    """
    lr = _check.positive_number("lr", lr)
    factor = abs(1.0 - 2.0 * lr)
    if np.isclose(factor, 1.0, rtol=0, atol=1e-12):
        return "oscillates"
    return "converges" if factor < 1 else "diverges"

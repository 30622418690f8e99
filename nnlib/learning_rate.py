"""Gradient descent, step by step, in float32 (chapter 4: the learning rate).

The notes ran their examples with TensorFlow 1 on float32 variables. Doing every operation
in float32, in the order TensorFlow does it, reproduces their printed digits exactly:
``w <- w - lr * g`` with ``g = (w + 1) * 2`` for the loss ``(w + 1)^2``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from . import _check

__all__ = ["Trace", "gd_trace", "quadratic_loss", "quadratic_grad", "regime"]

F32 = np.float32


def quadratic_loss(w):
    """The notes' example loss ``(w + 1)^2`` in float32 (chapter 4)."""
    w = np.asarray(w, dtype=F32)
    return np.square(w + F32(1))


def quadratic_grad(w):
    """Its gradient ``2w + 2``, computed as TensorFlow does: ``(w + 1) * 2`` in float32 (chapter 4)."""
    w = np.asarray(w, dtype=F32)
    return (w + F32(1)) * F32(2)


@dataclass
class Trace:
    """A gradient-descent run: ``w[0]`` is the start, ``w[k]`` the value after k updates (chapter 4).

    ``diverged_at`` is the 0-based index of the update that first produced a non-finite value
    (the note's "After k steps" numbering); the trace stops before it. ``None`` if it never did.
    """

    w: np.ndarray
    lr: float
    num_steps: int
    diverged_at: int | None = None
    extra: dict = field(default_factory=dict)

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
        return f"Trace(lr={self.lr:g}, num_steps={self.num_steps}, {self.status}, final w={self.final.tolist()!r})"


def gd_trace(grad: Callable, w0, lr, num_steps) -> Trace:
    """Run ``num_steps`` of plain gradient descent ``w <- w - lr * grad(w)`` in float32 (chapter 4).

    ``grad`` maps a float32 array to its gradient. Bad arguments raise ``ValueError``; a run that
    blows up is a result: the trace ends at the last finite value and ``status`` says where.
    """
    if not callable(grad):
        raise ValueError(f"grad must be a function of w, got {grad!r}")
    lr = _check.positive_number("lr", lr)
    num_steps = _check.non_negative_int("num_steps", num_steps)
    w = _check.finite_array("w0", w0)
    lr32 = F32(lr)
    ws = [w.copy()]
    diverged_at = None
    with np.errstate(over="ignore", invalid="ignore"):
        for k in range(num_steps):
            g = np.asarray(grad(w), dtype=F32)
            w = np.asarray(w - lr32 * g, dtype=F32)
            if not np.all(np.isfinite(w)):
                diverged_at = k
                break
            ws.append(w)
    return Trace(w=np.stack(ws), lr=lr, num_steps=num_steps, diverged_at=diverged_at)


def regime(lr) -> str:
    """For the loss ``(w + 1)^2``: 'converges', 'oscillates' or 'diverges' at this lr (chapter 4).

    Each step multiplies the distance to the minimum by ``1 - 2 lr``; its size decides.
    """
    lr = _check.positive_number("lr", lr)
    factor = abs(1.0 - 2.0 * lr)
    if np.isclose(factor, 1.0, rtol=0, atol=1e-12):
        return "oscillates"
    return "converges" if factor < 1 else "diverges"

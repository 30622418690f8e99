"""Argument checks shared by nnlib's public functions.

Every check raises ``ValueError`` naming the argument, the value it got and what is allowed,
so a reader who mistypes a slider value or a call sees at once what to change.
"""
from __future__ import annotations

import math
import numbers

import numpy as np


def positive_number(name: str, value) -> float:
    """Return ``value`` as a float if it is a finite number > 0, else raise ValueError."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a positive number, got {value!r} ({type(value).__name__})")
    value = float(value)
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    return value


def non_negative_int(name: str, value) -> int:
    """Return ``value`` as an int if it is an integer >= 0, else raise ValueError."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be an integer >= 0, got {value!r} ({type(value).__name__})")
    if value < 0:
        raise ValueError(f"{name} must be an integer >= 0, got {value!r}")
    return int(value)


def finite_array(name: str, value, dtype=np.float32) -> np.ndarray:
    """Return ``value`` as an array of ``dtype`` if every entry is a finite number."""
    try:
        arr = np.asarray(value, dtype=dtype)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number or an array of numbers, got {value!r}") from None
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite (no NaN or inf), got {value!r}")
    return arr

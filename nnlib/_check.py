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
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
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


def positive_int(name: str, value) -> int:
    """Return ``value`` as an int if it is an integer >= 1, else raise ValueError."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
    return int(value)


def non_negative_number(name: str, value) -> float:
    """Return ``value`` as a float if it is a finite number >= 0, else raise ValueError."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 <= value < math.inf:
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    return float(value)


def unit_interval(name: str, value, include_one=False) -> float:
    """Return ``value`` as a float if it is a number in [0, 1) (or [0, 1]), else raise ValueError."""
    if (isinstance(value, bool) or not isinstance(value, numbers.Real)
            or not (0 <= value <= 1 if include_one else 0 <= value < 1)):
        raise ValueError(f"{name} must be a number in [0, 1{']' if include_one else ')'}, got {value!r}")
    return float(value)


def one_of(name: str, value, allowed):
    """Return ``value`` if it is one of the strings ``allowed``, else raise ValueError."""
    if not isinstance(value, str) or value not in allowed:
        raise ValueError(f"{name} must be one of {allowed}, got {value!r}")
    return value


def batch_size(value, num_examples) -> int:
    """Return ``value`` as an int if it is a whole number of examples from 1 to ``num_examples``."""
    if (isinstance(value, bool) or not isinstance(value, numbers.Integral)
            or not 1 <= value <= num_examples):
        raise ValueError(f"batch_size must be between 1 and the number of examples {num_examples}, "
                         f"got {value!r}")
    return int(value)

"""Chapter 8 (optimizers): what note 004 states about Adam's learning rate, and its format.

Notes 003 and 004 describe the optimizers in words (note 003, lines 83-91; note 004, lines
245-254). Their one number about an update rule is the global learning rate of note 004's Adam
example, a :class:`Printed` block here that the chapter prints in the note's LaTeX. (Note 003's
``MLPClassifier`` list and batch sizes are chapter 9's: :mod:`nnlib.notes.minibatches`.)
"""
from __future__ import annotations

import math

from . import NOTE_004, Printed

__all__ = ["ADAM_LR", "format_power_of_ten"]

# --- Note 004, section 4.1 (Adam): the global learning rate of its example -------------------

ADAM_LR = Printed(NOTE_004, 251, "10^{-3}", "Adam's global learning rate in the course's example")


def format_power_of_ten(x: float) -> str:
    """A power of ten as note 004 writes it in LaTeX, ``10^{-3}`` (chapter 8)."""
    e = round(math.log10(x))
    if not math.isclose(x, 10.0 ** e, rel_tol=1e-6):  # float32 values are close, not exact
        raise ValueError(f"x must be a power of ten, got {x!r}")
    return f"10^{{{e}}}"

"""Chapter 2 (loss functions): what note 000 printed for the yogurt example and cross-entropy,
what the original course scripts printed behind it, and helpers that print ours the same way.

The note gives the trained weights only to two decimals; the full float32 values come from the
public course scripts behind it. They are not in the notes, so they are not ledger entries:
:data:`SCRIPT_PRINTED` keeps them for the chapter and ``tests/chapters/test_02_losses.py``.
"""
from __future__ import annotations

import numpy as np

from . import NOTE_000, Printed, formatter

__all__ = ["YOGURT_MSE", "YOGURT_COST1_PROFIT9", "YOGURT_COST9_PROFIT1", "CE_BASE10",
           "SCRIPT_PRINTED", "format_weights", "format_w1", "format_ce"]

# --- Note 000, 损失函数: the yogurt example -----------------------------------------------------

YOGURT_MSE = Printed(NOTE_000, 29, "w1=0.98,w2=1.02",
                     "MSE, 20000 steps: the weights, rounded to two decimals")
YOGURT_COST1_PROFIT9 = Printed(NOTE_000, 40, "w1=1.03, w2=1.05",
                               "custom loss, COST=1, PROFIT=9: the weights, two decimals")
YOGURT_COST9_PROFIT1 = Printed(NOTE_000, 43, "w1=0.96,w2=0.97",
                               "custom loss, COST=9, PROFIT=1: the weights, two decimals")

# --- Note 000, 交叉熵: H((1,0),(0.6,0.4)) and H((1,0),(0.8,0.2)), with the log taken in base 10 ---

CE_BASE10 = Printed(NOTE_000, 53, "0.222\n0.097",
                    "cross-entropy of (0.6, 0.4) and of (0.8, 0.2) against (1, 0), base-10 log")

# --- What the original scripts printed (public course code; not in the notes) ---------------
# key -> {step label: w1 as printed}; "final" is after all steps. "After i training steps"
# was printed after update i (0-based), that is after i + 1 updates.

SCRIPT_PRINTED = {
    "mse": {"script": "opt4_1.py", "num_steps": 20000, "printed": {
        18000: [0.9684917, 1.0262802],
        18500: [0.9718707, 1.0233142],
        19000: [0.974931, 1.0206276],
        19500: [0.9777026, 1.0181949],
        "final": [0.98019385, 1.0159807]}},
    "cost1_profit9": {"script": "opt4_2.py", "num_steps": 3000, "printed": {
        2000: [1.0179386, 1.0412899],
        2500: [1.0205938, 1.0390677],
        "final": [1.0296593, 1.0484432]}},
    "cost9_profit1": {"script": "opt4_3.py", "num_steps": 3000, "printed": {
        2000: [0.9602475, 0.9742084],
        2500: [0.96100295, 0.96993417],
        "final": [0.9600407, 0.97334176]}},
}


# --- our results in the note's formats --------------------------------------------------

def format_weights(w, sep=",") -> str:
    """Two weights as note 000 writes them in its sentences, ``w1=0.98,w2=1.02`` (chapter 2).

    The note separates them with ``","`` on lines 29 and 43 and with ``", "`` on line 40.
    """
    w = np.asarray(w, dtype=np.float32).ravel()
    if w.shape != (2,):
        raise ValueError(f"w must hold exactly two weights, got shape {np.shape(w)}")
    return f"w1={w[0]:.2f}{sep}w2={w[1]:.2f}"


def format_w1(w) -> str:
    """A (2, 1) float32 weight column as the original scripts printed it (numpy's ``str``)
    (chapter 2)."""
    return str(np.asarray(w, dtype=np.float32).reshape(2, 1))


format_ce = formatter("{:.3f}", "A cross-entropy with three decimals, as note 000 writes it (chapter 2).")

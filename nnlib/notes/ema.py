"""Chapter 7 (EMA): what notes 002 and 000 printed about moving averages, and their formats.

Note 002 ran a TensorFlow 1 script (lines 241-295) and printed nine ``[w1, shadow]`` pairs
(lines 300-308). Both notes also work the first steps out by hand and state the shadow in
prose, rounded to three decimals (note 002 lines 226-234 and 313; note 000 lines 104-107
and 110).
"""
from __future__ import annotations

import numpy as np

from . import NOTE_000, NOTE_002, Printed

__all__ = ["EMA_PAIRS", "WORKED_002_STEP1", "WORKED_002_STEP2", "WORKED_002_STEP3", "RESULT_002",
           "WORKED_000", "RESULT_000", "SCRIPT_002", "format_pair", "format_pairs",
           "three_decimals", "format_rounded_sum", "FORMULA_FIRST", "FORMULA_JUMP"]

# --- Note 002, section 四: the script's output ---------------------------------------------

EMA_PAIRS = Printed(NOTE_002, 300, """\
[0.0, 0.0]
[1.0, 0.9]
[10.0, 1.6445453]
[10.0, 2.3281732]
[10.0, 2.955868]
[10.0, 3.532206]
[10.0, 4.061389]
[10.0, 4.547275]
[10.0, 4.9934072]""", "sess.run([w1, ema.average(w1)]) after each ema_op run, decay 0.99")

#: What the note's script holds before each of its nine prints: (w1, global_step). Before the
#: first print TF1 had only initialised the shadow to 0; TF2 and nnlib create it there by one
#: apply at w1 = 0 (which leaves it at 0); each later print follows one ema_op run.
SCRIPT_002 = ((0.0, 0), (1.0, 0)) + ((10.0, 100),) * 7

# --- the worked example, by hand, three decimals -------------------------------------------

WORKED_002_STEP1 = Printed(NOTE_002, 226, "= 0.9", "first step by hand: global_step 0, w1 = 1")
WORKED_002_STEP2 = Printed(NOTE_002, 230, "= 0.826+0.818 = 1.644",
                           "second step by hand: decay·0.9 + (1 − decay)·10 at global_step 100")
WORKED_002_STEP3 = Printed(NOTE_002, 234, "= 2.328", "third step by hand")
RESULT_002 = Printed(NOTE_002, 313, "1.644", "the shadow after w1 becomes 10, in the note's analysis")

WORKED_000 = Printed(NOTE_000, 104, """\
= 0.9
= 0.826+0.818=1.644
= 2.328
=2.956""", "the same worked example in note 000, one step further")
RESULT_000 = Printed(NOTE_000, 110, "1.644", "the shadow after w1 becomes 10, in note 000's analysis")


# --- our results in the notes' formats ---------------------------------------------------

def format_pair(w, shadow) -> str:
    """``[w, shadow]`` as TF1's ``print(sess.run([...]))`` showed it (chapter 7).

    Each float32 in its shortest round-trip form (``str`` of a numpy float32, which is what
    ``repr`` gave before numpy 2 added the ``np.float32(...)`` wrapper).
    """
    return "[%s, %s]" % (np.float32(w), np.float32(shadow))


def format_pairs(ws, shadows) -> list[str]:
    """One :func:`format_pair` line per print (chapter 7)."""
    return [format_pair(w, s) for w, s in zip(ws, shadows)]


def three_decimals(x) -> str:
    """A number as the notes write it in prose: rounded to 3 decimals, trailing zeros dropped."""
    return ("%.3f" % float(x)).rstrip("0").rstrip(".")


def format_rounded_sum(a, b, sep=" = ") -> str:
    """``a+b = a + b`` with both terms rounded to 3 decimals first, as the notes add them."""
    ra, rb = round(float(a), 3), round(float(b), 3)
    return f"{three_decimals(ra)}+{three_decimals(rb)}{sep}{three_decimals(ra + rb)}"

# --- Note 002, section 四: the worked example's two formulas, their multiplication signs lost ------
FORMULA_FIRST = Printed(NOTE_002, 226, "min(0.99, 1/10)0+(1-min(0.99,1/10))1 = 0.9",
                        "the first shadow update as the note writes it (its * signs lost)")
FORMULA_JUMP = Printed(NOTE_002, 230, "min(0.99, 101/110)0.9+(1-min(0.99,101/110))10 = 0.826+0.818 = 1.644",
                       "the update after the jump to 10, as the note writes it")

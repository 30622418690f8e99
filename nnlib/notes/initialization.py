"""Chapter 10 (weight initialization): what note 001 states about initialization and activations.

Note 001 (a translation of a book chapter on training deep networks) prints no program output
about initialization: its equations 11-1 and table 11-1 are images in the text file (lines 29,
33 and 39 hold only image ids). What it does state in text, and the chapter reproduces, are the
constants below: the depth it has in mind, the N(0, 1) scheme it blames, the leaky-ReLU and ELU
defaults, and its ranking of activations.
"""
from __future__ import annotations

import math

from . import NOTE_001, Printed, formatter

__all__ = ["DEPTH", "NORMAL_INIT", "LEAKY_TYPICAL", "DEFAULTS", "LEAKY_CODE", "RANKING",
           "RANKING_TEXT", "TABLE_11_1", "TABLE_11_1_LINE", "format_depth", "format_normal_init",
           "format_leaky_typical", "format_defaults", "format_leaky_code"]

DEPTH = Printed(NOTE_001, 5, "也许有 10 层", "a deep network 'perhaps with 10 layers' of hundreds of units")
NORMAL_INIT = Printed(NOTE_001, 21, "平均值为 0,标准差为 1",
                      "the initialization the note says Glorot & Bengio examined: mean 0, standard deviation 1")
LEAKY_TYPICAL = Printed(NOTE_001, 59, "通常设置为 0.01", "leaky ReLU's slope alpha for z < 0 is usually 0.01")
DEFAULTS = Printed(NOTE_001, 75, "leaky ReLU 为 0.01,ELU 为 1", "default alphas: leaky ReLU 0.01, ELU 1")
LEAKY_CODE = Printed(NOTE_001, 84, "return tf.maximum(0.01 * z, z, name=name)",
                     "the note's leaky_relu in TensorFlow 1")

#: Note 001 line 75: the order it recommends for hidden layers, best first (no digits: checked
#: by ``tests/chapters/test_10_initialization.py``, not by the ledger).
RANKING = ("elu", "leaky_relu", "relu", "tanh", "sigmoid")
RANKING_TEXT = "ELU > leaky ReLU(及其变体)> ReLU > tanh > sigmoid"

#: Table 11-1 is an image in the note (line 39 is its image id; line 37 refers to it). The course
#: issue transcribes its uniform-limit column as factors of sqrt(6 / (n_in + n_out)):
TABLE_11_1_LINE = 39
TABLE_11_1 = {"sigmoid": 1.0, "tanh": 4.0, "relu": math.sqrt(2.0)}


# --- our values in the note's wording --------------------------------------------------------

def _int(x) -> str:
    return f"{round(float(x)) + 0:d}"  # + 0 turns -0 into 0


def format_depth(depth) -> str:
    """``也许有 N 层`` (note 001 line 5) with our network's depth (chapter 10)."""
    return f"也许有 {_int(depth)} 层"


def format_normal_init(mean, std) -> str:
    """``平均值为 m,标准差为 s`` (note 001 line 21), both rounded to whole numbers (chapter 10)."""
    return f"平均值为 {_int(mean)},标准差为 {_int(std)}"


format_leaky_typical = formatter("通常设置为 {:g}", "``通常设置为 alpha`` (note 001 line 59) (chapter 10).")
format_defaults = formatter("leaky ReLU 为 {:g},ELU 为 {:g}",
                            "``leaky ReLU 为 a,ELU 为 b`` (note 001 line 75) (chapter 10).")
format_leaky_code = formatter("return tf.maximum({:g} * z, z, name=name)",
                              "The note's TF1 leaky ReLU line (note 001 line 84) with our slope (chapter 10).")

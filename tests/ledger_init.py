"""Ledger entries for chapter 9 (weight initialization): the constants note 001 states in text.

Note 001 prints no program output about initialization, and its equation 11-1 and table 11-1
are images; what it states in words, and the chapter's code uses, are the network depth, the
N(0, 1) scheme, and the leaky-ReLU / ELU slopes. Each is recomputed from what nnlib does.
"""
from __future__ import annotations

import numpy as np

from nnlib import initialization
from nnlib.notes import initialization as notes_init
from tests.ledger import Entry

NOTEBOOK = "09_initialization.ipynb"


def depth():
    """The depth of the chapter's probe (its default), in the note's words."""
    return [notes_init.format_depth(initialization.probe("tanh", width=4, num_samples=2).depth)]


def normal_init():
    """Mean and standard deviation of a 256 x 256 kernel from the N(0, 1) scheme, rounded."""
    w = initialization.initialize("normal", (256, 256), seed=0)
    return [notes_init.format_normal_init(np.mean(w), np.std(w))]


def leaky_slope():
    """The slope of our leaky ReLU for z < 0, measured at z = -1."""
    return float(initialization.activate("leaky_relu", -1.0) / np.float32(-1.0))


def elu_alpha():
    """The value our ELU tends to for z -> -inf, with the sign flipped (ELU's alpha)."""
    return float(-initialization.activate("elu", -50.0))


LEDGER = [
    Entry(notes_init.DEPTH, NOTEBOOK, depth),
    Entry(notes_init.NORMAL_INIT, NOTEBOOK, normal_init),
    Entry(notes_init.LEAKY_TYPICAL, NOTEBOOK, lambda: [notes_init.format_leaky_typical(leaky_slope())]),
    Entry(notes_init.DEFAULTS, NOTEBOOK, lambda: [notes_init.format_defaults(leaky_slope(), elu_alpha())]),
    Entry(notes_init.LEAKY_CODE, NOTEBOOK, lambda: [notes_init.format_leaky_code(leaky_slope())]),
]

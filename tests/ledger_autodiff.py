"""Ledger entries for chapter 5 (backpropagation): the digits note 004's section 5 prints.

Section 5 of note 004 (lines 330-353) prints no computed values: its worked example with numbers
was a figure (图2-2-19, line 339) that the text copy lost. The only digits it prints are the 1/2
and the square of the one-neuron cost (line 341); our computation graph, printed back as a
formula, must give that line. The course's numbers (x = -2, y = 2, w = 2, b = 8; the lab's
slopes 22.001, 66.009, 6.002) are not in the notes; ``tests/test_documents_autodiff.py`` checks them.
"""
from __future__ import annotations

from nnlib.backprop import one_neuron
from nnlib.notes import backprop as notes_autodiff
from tests.ledger import Entry

NOTEBOOK = "05_backprop.ipynb"


def formula() -> list[str]:
    """Our graph c = wx, a = c + b, d = a - y, J = 0.5 d^2, printed as note 004's formula."""
    g = one_neuron()
    return [notes_autodiff.format_formula(g["J"], (g["w"], g["b"]))]


LEDGER = [
    Entry(notes_autodiff.FORMULA, NOTEBOOK, formula,
          "the graph printed back as LaTeX; the 1/2 and the square are the only digits of section 5"),
]

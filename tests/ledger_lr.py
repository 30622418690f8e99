"""Ledger entries for chapter 4 (learning rate): note 002's three printed traces."""
from __future__ import annotations

from nnlib import learning_rate, notes
from tests.ledger import Entry

NOTEBOOK = "04_learning_rate.ipynb"


def lr_lines(lr, num_steps):
    """Our run from w = 5 at this learning rate, in note 002's print format."""
    return lambda: notes.format_lr_trace(
        learning_rate.gd_trace(learning_rate.quadratic_grad, 5.0, lr, num_steps), learning_rate.quadratic_loss)


LEDGER = [
    Entry(notes.LR_0_2, NOTEBOOK, lr_lines(0.2, 40)),
    Entry(notes.LR_1, NOTEBOOK, lr_lines(1.0, 18)),
    Entry(notes.LR_SLOW, NOTEBOOK, lr_lines(0.001, 18),
          "labelled 0.0001 in the note; the digits are those of 0.001 (errata)"),
]

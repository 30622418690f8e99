"""Ledger entries for chapter 6 (learning-rate decay): note 002's printed run, section 三."""
from __future__ import annotations

from nnlib import learning_rate, lr_decay
from nnlib.notes import lr_decay as decay_notes
from tests.ledger import Entry

NOTEBOOK = "06_lr_decay.ipynb"


def note_run(num_steps=40, w0=5.0):
    """The note's script in float32 numpy: base 0.1, rate 0.99, decay_steps 1, staircase."""
    return lr_decay.decayed_gd_trace(learning_rate.quadratic_grad, w0, 0.1, 1, 0.99, num_steps,
                                      staircase=True)


def decay_lines(num_steps=40, w0=5.0):
    """Our run in note 002's format, one line per update."""
    return decay_notes.format_decay_trace(note_run(num_steps, w0), learning_rate.quadratic_loss)


def last_line_as_the_note_shows_it():
    """Our line for step 19 with the loss at five decimals, as the note's cut line shows it."""
    tr = note_run(20)
    w = tr.w[20]
    return [decay_notes.format_decay_line(19, w, tr.extra["lr"][20], learning_rate.quadratic_loss(w), "%.5f")]


LEDGER = [
    Entry(decay_notes.DECAY_FULL_LINES, NOTEBOOK, decay_lines),
    Entry(decay_notes.DECAY_LAST, NOTEBOOK, last_line_as_the_note_shows_it,
          "the note's last loss has five decimals where %f prints six: 0.011561 (errata)"),
]

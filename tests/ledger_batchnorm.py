"""Ledger entries for chapter 10 (batch normalization): the settings of note 001's MNIST script.

The note's printed accuracies are an image (line 237), so the ledger holds what its text states:
layer sizes, momentum, learning rate, epochs and batch size. Each is recomputed from the
settings nnlib's experiment uses without TensorFlow here:
the sizes come from the data's image shape and ``NOTE_EXPERIMENT`` (the notebook prints the
same lines from the built Keras model).
"""
from __future__ import annotations

from nnlib.batch_norm import NOTE_EXPERIMENT as E
from nnlib.notes import batch_norm as notes_bn
from tests.ledger import Entry

NOTEBOOK = "10_batch_norm.ipynb"


def sizes():
    """The sizes in the note's format; the input side is the square root of the 784 pixels."""
    side = int(round(E.n_inputs ** 0.5))
    assert side * side == E.n_inputs
    return notes_bn.format_sizes((side, side), E.n_hidden1, E.n_hidden2, E.n_outputs)


LEDGER = [
    Entry(notes_bn.SIZES, NOTEBOOK, sizes),
    Entry(notes_bn.HYPER, NOTEBOOK, lambda: notes_bn.format_hyper(E.momentum, E.lr)),
    Entry(notes_bn.LOOP, NOTEBOOK, lambda: notes_bn.format_loop(E.num_epochs, E.batch_size)),
]

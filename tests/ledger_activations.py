"""Ledger entries for chapter 1 (neurons and activations): the network sizes notes 000, 003, 004 print."""
from __future__ import annotations

from nnlib import neurons_activations as act
from nnlib.notes import neurons_activations as notes
from tests.ledger import Entry

NOTEBOOK = "01_neurons_activations.ipynb"


def total_params(sizes):
    """Our parameter count, as the note writes the end of its sum: ``'= 26'``."""
    return lambda: [f"= {sum(act.param_counts(sizes))}"]


def kernel_shape(sizes, k):
    """The shape of layer k's weight matrix, written as note 004 writes it: ``'400×25'``."""
    return lambda: [notes.format_shape(act.layer_shapes(sizes)[k][0])]


LEDGER = [
    Entry(notes.PARAMS_3_4_2, NOTEBOOK, total_params([3, 4, 2])),
    Entry(notes.PARAMS_3_4_2_AS_PRINTED, NOTEBOOK,
          lambda: [notes.rendered_as_text("总参数 = " + notes.format_param_sum([3, 4, 2]))],
          "the note's sum with its '*' lost to Markdown emphasis (errata)"),
    Entry(notes.SHAPE_400_25, NOTEBOOK, kernel_shape([400, 25, 15, 1], 0)),
    Entry(notes.SHAPE_25_15, NOTEBOOK, kernel_shape([400, 25, 15, 1], 1)),
    Entry(notes.SHAPE_15_1, NOTEBOOK, kernel_shape([400, 25, 15, 1], 2)),
    Entry(notes.PHOTO_INPUT, NOTEBOOK, lambda: [notes.format_input_length(320, 240, 3)]),
]

"""Ledger entries for chapter 12 (training in practice): note 004's model.fit log line."""
from __future__ import annotations

from nnlib.notes import training as training_notes
from tests.ledger import Entry

NOTEBOOK = "12_training.ipynb"

LEDGER = [
    Entry(training_notes.FIT_LOG, NOTEBOOK,
          lambda: training_notes.format_fit_header(num_samples=5000, epochs=40, batch_size=32),
          "5000 images in Keras's default batches of 32: ceil(5000 / 32) = 157 steps per epoch"),
]

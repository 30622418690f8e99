"""Ledger entries for chapter 3 (softmax and cross-entropy): note 004's quiz answer.

Note 004 prints no other number about softmax; its round-off example (0.000200000000000000 vs
0.000199999999999978) is not in the note but in the course's lab, and is checked in
``tests/test_documents_softmax.py``.
"""
from __future__ import annotations

import numpy as np

from nnlib.notes import softmax as notes_softmax
from nnlib.softmax import log_softmax, sparse_categorical_cross_entropy
from tests.ledger import Entry

NOTEBOOK = "03_softmax.ipynb"


def quiz_answer() -> list[str]:
    """Which -log(a_j) the loss equals, for 4 classes and true class 3 (label 2), on 1000 examples."""
    z = np.random.default_rng(4).normal(0.0, 3.0, size=(1000, 4)).astype(np.float32)
    losses = sparse_categorical_cross_entropy(np.full(1000, 2), z)
    neg_log_a = -log_softmax(z)
    return [notes_softmax.format_log_a(j + 1) for j in range(4)
            if np.allclose(neg_log_a[:, j], losses, rtol=1e-6, atol=1e-6)]


LEDGER = [
    Entry(notes_softmax.QUIZ_LOSS, NOTEBOOK, quiz_answer,
          "the quiz counts classes from 1; in code class 3 is label 2"),
]

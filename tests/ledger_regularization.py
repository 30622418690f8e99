"""Ledger entries for chapter 11 (overfitting and regularization): the example's size, sklearn's alpha."""
from __future__ import annotations

from nnlib import regularization as reg
from nnlib.notes import regularization as note
from tests.ledger import Entry

NOTEBOOK = "11_regularization.ipynb"


def num_points():
    """The number of points note 000's generator draws (seed 2)."""
    return [note.format_count(len(reg.circle_data(300, seed=2)[0]))]


def sklearn_alpha():
    """scikit-learn's default L2 strength for MLPClassifier, as note 003 writes it."""
    from sklearn.neural_network import MLPClassifier

    return [note.format_alpha(MLPClassifier().alpha)]


LEDGER = [
    Entry(note.NUM_POINTS, NOTEBOOK, num_points),
    Entry(note.SKLEARN_ALPHA, NOTEBOOK, sklearn_alpha),
]

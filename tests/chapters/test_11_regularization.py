"""Chapter 11 (overfitting and regularization): the example's size and scikit-learn's alpha (the
ledger), and what the chapter states about the notes and the course code (errata)."""
from __future__ import annotations

import numpy as np

from nnlib import lr_decay, reference
from nnlib import regularization as reg
from nnlib.notes import regularization as note
from tests.ledger import Entry, TestLedger  # noqa: F401  (TestLedger: the ledger checks, run on LEDGER)

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
# the errata quotes note 000's template verbatim: checked against the note
TRANSCRIBED = [note.TEMPLATE_GLOBAL_STEP, note.TEMPLATE_DECAY, note.TEMPLATE_MINIMIZE]


def test_the_template_itself_passes_global_step():
    """Line 187: the note's template is right; the slip is in the course's backward.py."""
    assert "global_step=global_step" in note.TEMPLATE_MINIMIZE.text


def test_without_global_step_the_rate_never_decays_and_the_fix_works(tf):
    X, y = reg.circle_data()
    (_, gs, lr), = reference.tf1_backward(X, y, pass_global_step=False, num_steps=30, every=30)
    assert gs == 0 and lr == np.float32(0.001)
    (_, gs, lr), = reference.tf1_backward(X, y, pass_global_step=True, num_steps=30, every=30)
    assert gs == 30 and lr == lr_decay.exponential_decay(0.001, 30, 10, 0.999, staircase=True)


def test_the_intended_rate_at_40000_steps():
    assert f"{lr_decay.exponential_decay(0.001, 40000, 10, 0.999, staircase=True):.7f}" == "0.0000183"
    assert f"{lr_decay.exponential_decay(0.001, 500, 10, 0.999, staircase=True):.6f}" == "0.000951"


def test_sklearn_scaling_exercise_2():
    assert f"{0.0001 / (2 * 300):.1e}" == "1.7e-07"  # (keras_l2_from_tf1: tests/nnlib/test_regularization.py)


def test_the_data_has_188_red_points_and_the_test_set_is_fresh():
    X, y = reg.circle_data()
    Xt, yt = reg.circle_data(1000, seed=12)
    assert int(y.sum()) == 188 and int(yt.sum()) == 643
    assert not np.isin(Xt[:, 0], X[:, 0]).any()

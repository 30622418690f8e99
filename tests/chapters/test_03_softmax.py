"""Chapter 3 (softmax and cross-entropy): note 004's quiz answer (the ledger), and what the chapter
states about the notes and the course beyond it (see its errata).

Note 004 prints no other number about softmax; its round-off example (0.000200000000000000 vs
0.000199999999999978) is not in the note but in the course's lab, and is checked here.
"""
from __future__ import annotations

import numpy as np

from nnlib.notes import NOTE_000, NOTE_004, shows
from nnlib.notes import softmax as notes_softmax
from nnlib.softmax import EPSILON, log_softmax, softmax, sparse_categorical_cross_entropy
from tests.helpers import CHAPTERS, changed_digits, note_line, note_text, stored_text
from tests.ledger import Entry, TestLedger  # noqa: F401  (TestLedger: the ledger checks, run on LEDGER)

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


def test_the_round_off_example_is_reproduced_digit_for_digit():
    """The course's lab: 2.0/10000 and 1 + 1/10000 - (1 - 1/10000), printed with 18 decimals."""
    ours = (notes_softmax.format_roundoff(2.0 / 10000),
            notes_softmax.format_roundoff(1 + (1 / 10000) - (1 - 1 / 10000)))
    assert ours == notes_softmax.ROUNDOFF == ("0.000200000000000000", "0.000199999999999978")


def test_the_chapter_shows_the_round_off_numbers_and_not_a_changed_digit():
    stored = stored_text(CHAPTERS / NOTEBOOK)
    for row in notes_softmax.ROUNDOFF:
        assert shows(row, stored)
        for changed in changed_digits(row):
            assert not shows(changed, stored), changed


def test_the_round_off_numbers_are_not_in_the_note_so_not_in_the_ledger():
    """004 line 208 describes round-off in words only; the chapter says so in its notes box."""
    text = note_text(NOTE_004)
    assert "舍入误差" in note_line(NOTE_004, 208)
    for row in notes_softmax.ROUNDOFF:
        assert row not in text


def test_softmax_outputs_sum_to_one_for_3_and_4_classes():
    """004 lines 227-231 (quiz 1): the activations of 3 or 4 outputs add up to 1."""
    assert "adds up to 1" in note_line(NOTE_004, 227)
    rng = np.random.default_rng(0)
    for n in (3, 4):
        a = softmax(rng.normal(0, 5, size=(1000, n)).astype(np.float32))
        np.testing.assert_allclose(a.sum(axis=1), 1, atol=1e-6)


def test_with_two_classes_softmax_is_logistic_regression():
    """004 line 192: with N = 2 softmax regression reduces to logistic regression."""
    assert "N = 2" in note_line(NOTE_004, 192)
    d = np.linspace(-15, 15, 301).astype(np.float32)
    a1 = softmax(np.stack([d, np.zeros_like(d)], axis=1))[:, 0]
    np.testing.assert_allclose(a1, 1 / (1 + np.exp(-d.astype(np.float64))), atol=2e-7)


def test_note_000_tf1_call_equals_the_one_hot_loss_in_tf2(tf):
    """000 line 60: sparse_softmax_cross_entropy_with_logits(logits=y, labels=tf.argmax(y_, 1))."""
    assert "labels=tf.argmax(y_, 1)" in note_line(NOTE_000, 60)
    y_ = np.eye(3, dtype=np.float32)[[0, 2, 1, 2]]
    y = np.random.default_rng(0).normal(0, 2, size=(4, 3)).astype(np.float32)
    sparse = tf.nn.sparse_softmax_cross_entropy_with_logits(logits=y, labels=tf.argmax(y_, 1)).numpy()
    onehot = tf.nn.softmax_cross_entropy_with_logits(labels=y_, logits=y).numpy()
    np.testing.assert_allclose(sparse, onehot, rtol=1e-6)
    np.testing.assert_allclose(sparse_categorical_cross_entropy(np.argmax(y_, 1), y), sparse, rtol=1e-6)


def test_erratum_the_loss_from_logits_never_forms_the_probability(tf):
    """004 line 208 says z is skipped; it is a: a_1 underflows to 0, the loss is still exact."""
    line = note_line(NOTE_004, 208)
    assert "不要再计算中间结果 z" in line and "中间结果 a j" in line
    z = np.array([0.0, 110.0], np.float32)
    assert softmax(z)[0] == 0
    assert sparse_categorical_cross_entropy(0, z) == 110
    assert tf.nn.sparse_softmax_cross_entropy_with_logits(labels=[0], logits=z[None]).numpy()[0] == 110


def test_keras_loss_from_probabilities_is_capped_and_its_gradient_vanishes(tf):
    """The chapter: from clipped probabilities the loss stops at -log(1e-7) = 16.118 with gradient 0."""
    import keras

    logits = tf.Variable(np.array([[0.0, 100.0]], np.float32))
    with tf.GradientTape() as tape:
        loss = keras.losses.sparse_categorical_crossentropy(np.array([0]), tf.nn.softmax(logits))
    assert f"{loss.numpy()[0]:.6f}" == "16.118095" == f"{-np.log(np.float32(EPSILON)):.6f}"
    assert np.all(tape.gradient(loss, logits).numpy() == 0)

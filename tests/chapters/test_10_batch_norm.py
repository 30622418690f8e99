"""Chapter 10 (batch normalization): the settings of note 001's MNIST script (the ledger), and what
the chapter states about note 001 and Keras 3 beyond them.

The note's printed accuracies are an image (line 237), so the ledger holds what its text states:
layer sizes, momentum, learning rate, epochs and batch size. Each is recomputed from the
settings nnlib's experiment uses without TensorFlow here:
the sizes come from the data's image shape and ``NOTE_EXPERIMENT`` (the notebook prints the
same lines from the built Keras model).
"""
from __future__ import annotations

import pytest

from nnlib import batch_norm
from nnlib.batch_norm import NOTE_EXPERIMENT as E
from nnlib.notes import batch_norm as notes_bn
from tests.helpers import note_line, note_text
from tests.ledger import Entry, TestLedger  # noqa: F401  (TestLedger: the ledger checks, run on LEDGER)

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


def test_decay_was_renamed_momentum_on_line_113():
    file, line, text = notes_bn.RENAMED
    assert text in note_line(file, line)


def test_the_printed_accuracies_are_an_image_not_text():
    image = note_line(notes_bn.NOTE_001, notes_bn.OUTPUT_IMAGE_LINE)
    assert image.strip() == "20ab9d085500a0d0e881c95ac8f0e4fac26d5363"
    text = note_text(notes_bn.NOTE_001)
    assert "0.9652" not in text and ".9652" not in text and "0.865" not in text


def test_the_note_batch_normalizes_the_logits_too():
    assert "logists = my_batch_norm_layer(logists_before_bn)" in note_line(notes_bn.NOTE_001, 203)


def test_keras_default_momentum_099_averages_100_batches_and_starts_far_off():
    """With momentum 0.99 the moving mean has covered only 1 - 0.99**k of its way after k steps."""
    r = batch_norm.running_estimate(0.99, 200, 400, 400)
    # note 001's run has 275 steps per epoch; our 4000-image split has 20
    assert r.moving_mean[19] == pytest.approx(1 - 0.99 ** 20, abs=0.05)  # about 0.18 of the true 1
    r9 = batch_norm.running_estimate(0.9, 200, 400, 400)
    assert r9.moving_mean[19] == pytest.approx(1 - 0.9 ** 20, abs=0.05)  # about 0.88


def test_line_99_counts_four_learned_parameters_but_keras_trains_two(keras):
    """Errata: 001 line 99 says each BN layer learns γ, β, μ and σ; only γ and β are trainable."""
    assert "学习了四个参数" in note_line(notes_bn.NOTE_001, 99)
    layer = keras.layers.BatchNormalization()
    layer.build((None, 3))
    assert [v.path.split("/")[-1] for v in layer.trainable_weights] == ["gamma", "beta"]
    assert [v.path.split("/")[-1] for v in layer.non_trainable_weights] == ["moving_mean", "moving_variance"]

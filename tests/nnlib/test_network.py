"""nnlib.network (the one dense network and trainer) and nnlib.data's digits, against Keras."""
from __future__ import annotations

import numpy as np
import pytest

from nnlib import batch_norm, data, network, portable

RNG = np.random.default_rng(0)


@pytest.mark.parametrize("loss, activation", [("mse", "tanh"), ("softmax_ce", "elu"), ("softmax_ce", "sigmoid")])
def test_one_sgd_step_matches_keras(tf, keras, loss, activation):
    net = network.glorot_network([5, 7, 6, 3], activation, loss=loss, seed=4)
    X = RNG.standard_normal((20, 5)).astype(np.float32)
    y = RNG.integers(0, 3, 20) if loss == "softmax_ce" else RNG.standard_normal((20, 3)).astype(np.float32)
    model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(7, activation=activation),
                              keras.layers.Dense(6, activation=activation), keras.layers.Dense(3)])
    model.set_weights(net.keras_weights())
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss=keras.losses.SparseCategoricalCrossentropy(
        from_logits=True) if loss == "softmax_ce" else keras.losses.MeanSquaredError())
    k_loss = model.train_on_batch(X, y)
    losses = []
    assert network.train(X, y, net, lr=0.1, on_epoch=lambda epoch, batch_losses: losses.extend(batch_losses)) == 1
    assert losses[0] == pytest.approx(float(k_loss), rel=1e-5)
    for ours, theirs in zip(net.keras_weights(), model.get_weights()):
        np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-6)


def test_portable_products_give_the_same_step_to_rounding_and_hooks_can_stop():
    nets = [network.glorot_network([4, 8, 3], "relu", loss="softmax_ce", dot=dot, seed=1) for dot in (None, portable.dot)]
    X, y = RNG.standard_normal((50, 4)).astype(np.float32), RNG.integers(0, 3, 50)
    seen = []
    for net in nets:
        assert network.train(X, y, net, lr=0.1, batch_size=8, num_epochs=3, seed=2,
                             on_batch=lambda epoch, batch, g: seen.append((epoch, batch)) or batch == 6) == 0
        assert net.accuracy(X, y) > 0.2 and net.gradients(X, y).dW[0].shape == (4, 8)
    assert seen == [(0, b) for b in range(7)] * 2
    for a, b in zip(nets[0].keras_weights(), nets[1].keras_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_a_batch_norm_layer_plugs_in_and_is_trained():
    net = batch_norm.sigmoid_network([6, 5, 2], bn=True, seed=0)
    X, y = RNG.standard_normal((40, 6)).astype(np.float32), RNG.integers(0, 2, 40)
    before = net.norms[0].gamma.copy()
    network.train(X, y, net, lr=0.5, batch_size=10, num_epochs=2)
    assert not np.array_equal(net.norms[0].gamma, before) and not np.array_equal(net.norms[0].moving_mean, 0)


@pytest.mark.parametrize("call, words", [
    (lambda: network.Network([np.ones((2, 3))], [np.zeros(2)]), "weights[0] (2, 3) / biases[0] (2,) are not a dense layer"),
    (lambda: network.Network([np.ones((2, 3))], []), "need as many bias vectors as weight matrices"),
    (lambda: network.glorot_network([2, 3], loss="hinge"), "loss must be one of ('mse', 'softmax_ce')"),
    (lambda: network.glorot_network([2, 3], norms=[None, None]), "norms must give one layer or None per dense layer (1)"),
    (lambda: network.glorot_network([2, 3], loss="softmax_ce").check(np.ones((4, 2)), [0, 1, 2, 3]),
     "y must hold 4 integer class labels in [0, 2] to match X"),
    (lambda: network.train(np.ones((4, 2)), np.ones((4, 3)), network.glorot_network([2, 3]), batch_size=0),
     "batch_size must be None (full batch) or an integer >= 1"),
    (lambda: data.split(np.zeros((100, 2)), np.arange(100) % 2, method="random"), "method must be one of"),
])
def test_bad_input_names_the_argument(call, words):
    with pytest.raises(ValueError) as err:
        call()
    assert words in str(err.value)


def test_digits_read_without_scikit_learn_equal_load_digits_and_split_per_class():
    from sklearn.datasets import load_digits

    X, y = data.digits_arrays()
    X_sk, y_sk = load_digits(return_X_y=True)
    assert np.array_equal(X, X_sk) and np.array_equal(y, y_sk)
    X, y, X_test, y_test = data.digits(method="per_class", standardized=True)
    assert (len(y), len(y_test)) == (1347, 450)
    assert np.array_equal(np.bincount(y_test), np.round(0.25 * np.bincount(np.r_[y, y_test])))
    assert np.allclose(X.mean(axis=0), 0, atol=1e-5) and X.dtype == np.float32

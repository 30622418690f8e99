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


# --- train_together: several networks side by side (chapters 4, 6) ------------------------------

def _digits(n=150):
    X, y, *_ = data.digits_with_validation()
    return X[:n], y[:n]


def _same_bits(a, b):
    assert a.dtype == b.dtype == np.float32
    np.testing.assert_array_equal(np.isnan(a), np.isnan(b))     # a NaN's sign bit means nothing
    np.testing.assert_array_equal(a.view(np.int32)[~np.isnan(a)], b.view(np.int32)[~np.isnan(b)])


@pytest.mark.parametrize("sizes, activation", [([64, 32, 10], "relu"), ([64, 5, 1, 10], "tanh"),
                                               ([64, 10], "relu")])
@pytest.mark.parametrize("batch_size", [None, 16])
def test_train_together_at_constant_rates_is_network_train_bit_for_bit(sizes, activation, batch_size):
    """Full batch and mini-batches: every network ends where network.train takes it alone, with the
    same batch losses, down to the last bit (NaN is NaN): a rate that kills the ReLU units (3), one
    that overflows (1e38), a hidden width of 1, no hidden layer, a last batch smaller than the rest,
    and one seed for all or one per network."""
    X, y = _digits()
    lrs, seeds = (0.1, 1.0, 3.0, 1e38), (0, 1, 0, 2)
    epochs = 12 if batch_size is None else 3
    start = [network.glorot_network(sizes, activation, loss="softmax_ce", dot=portable.dot, seed=s)
             for s in seeds]
    alone, expected = [net.copy() for net in start], []
    for net, lr, seed in zip(alone, lrs, seeds):
        expected.append([])
        network.train(X, y, net, lr=lr, batch_size=batch_size, num_epochs=epochs, seed=seed,
                      on_epoch=lambda epoch, losses, out=expected[-1]: out.extend(losses))
    together, hooked = [net.copy() for net in start], [[] for _ in start]
    done = network.train_together(X, y, together, lrs, batch_size, epochs, seeds,
                                  on_epoch=lambda i, epoch, losses: hooked[i].extend(losses))
    steps = epochs * (1 if batch_size is None else -(-len(X) // batch_size))
    assert done.losses.shape == done.rates.shape == (4, steps)
    _same_bits(done.losses, np.array(expected, np.float32))
    assert [np.isnan(h).tolist() for h in hooked] == [np.isnan(e).tolist() for e in expected]
    np.testing.assert_array_equal(done.rates, np.repeat(np.float32(lrs)[:, None], steps, axis=1))
    assert not np.isfinite(done.losses[3, -1])                  # the overflow is a result, as in train
    for a, b in zip(alone, together):
        for p, q in zip(a.weights + a.biases, b.weights + b.biases):
            _same_bits(p, q)
    if batch_size is None:                                     # one seed for all: the same
        again = [net.copy() for net in start]
        _same_bits(network.train_together(X, y, again, lrs, None, epochs, 5).losses, done.losses)


@pytest.mark.parametrize("batch_size", [None, 16])
def test_train_together_gives_each_network_the_bits_of_train_scheduled(batch_size):
    """Changing rates, side by side, each run ends where lr_decay.train_scheduled (full batch: the
    same loop written out) takes it alone: weights, rates, batch losses and a reduce-on-plateau
    hook that reads a validation loss, with different seeds and schedules, three layers and
    other activations."""
    from nnlib import lr_decay
    from nnlib.lr_decay import ReduceLROnPlateau, cosine_decay

    F32 = np.float32
    X, y = _digits(150)
    X_val, y_val = _digits(200)
    X_val, y_val = X_val[150:], y_val[150:]
    epochs = 5 if batch_size else 12
    n = epochs * (-(-len(X) // batch_size) if batch_size else 1)
    cases = [("relu", 0, np.full(n, 0.5, F32)), ("relu", 1, cosine_decay(1.0, np.arange(n), n)),
             ("relu", 2, None), ("relu", 0, 0.25), ("tanh", 1, None),
             ("tanh", 2, cosine_decay(0.01, np.arange(n), n - 2, warmup_target=0.8, warmup_steps=2))]

    def runs(activation):
        picked = [(seed, plan) for act, seed, plan in cases if act == activation]
        nets = [network.glorot_network([64, 12, 8, 10], activation, loss="softmax_ce",
                                       dot=portable.dot, seed=seed) for seed, _ in picked]
        plateaus = [ReduceLROnPlateau(0.6, factor=0.5, patience=0, min_delta=0.1) for _ in picked]
        lrs = [plan if plan is not None else (lambda step, p=plateau: p.lr)
               for (_, plan), plateau in zip(picked, plateaus)]
        return picked, nets, plateaus, lrs

    for activation in ("relu", "tanh"):
        picked, nets, plateaus, lrs = runs(activation)
        losses = [[] for _ in nets]

        def hook(i, epoch, batch_losses):
            losses[i].append(list(batch_losses))
            plateaus[i].update(nets[i].gradients(X_val, y_val, training=False).loss)

        done = network.train_together(X, y, nets, lrs, batch_size, epochs, [s for s, _ in picked],
                                      on_epoch=hook)
        assert done.rates.shape == (len(nets), n)
        _, alone, alone_plateaus, alone_lrs = runs(activation)
        for i, ((seed, _), net) in enumerate(zip(picked, alone)):
            mine, lr = [], alone_lrs[i]
            lr = (lambda step, lr=lr: lr) if np.ndim(lr) == 0 and not callable(lr) else lr
            if batch_size:
                def hook1(epoch, batch_losses, i=i, net=net, mine=mine):
                    mine.append(list(batch_losses))
                    alone_plateaus[i].update(net.gradients(X_val, y_val, training=False).loss)

                rates = lr_decay.train_scheduled(X, y, net, lr, batch_size, epochs, seed=seed,
                                                 on_epoch=hook1)
            else:                                           # full batch: the loop written out
                rates = []
                for step in range(epochs):
                    grads = net.gradients(X, y)
                    rates.append(F32(lr(step) if callable(lr) else lr[step]))
                    for p, g in zip(net.weights + net.biases, grads.dW + grads.db):
                        p -= rates[-1] * g
                    mine.append([grads.loss])
                    alone_plateaus[i].update(net.gradients(X_val, y_val, training=False).loss)
            np.testing.assert_array_equal(done.rates[i], np.array(rates, F32))
            assert losses[i] == mine
            np.testing.assert_array_equal(done.losses[i], np.concatenate(mine).astype(F32))
            for a, b in zip(nets[i].weights + nets[i].biases, net.weights + net.biases):
                np.testing.assert_array_equal(a, b)
        assert any(p.reductions for p in plateaus)      # the hook did change a rate


@pytest.mark.parametrize("loss", ["softmax_ce", "mse"])
@pytest.mark.parametrize("batch_size", [16, None])
def test_train_together_mixes_activations_and_has_the_mse_loss(loss, batch_size):
    """Chapters 1 and 2: networks with different activations (runs of one and of several), the
    mse loss, seeds and rates per network, mini-batches with a short last batch and full batches:
    each network ends where network.train takes it alone, with the same batch losses."""
    rng = np.random.default_rng(3)
    X = rng.uniform(0, 1, (70, 12)).astype(np.float32)
    labels = rng.integers(0, 4, 70)
    y = labels if loss == "softmax_ce" else np.eye(4, dtype=np.float32)[labels]
    specs = [("tanh", None, 0, 0.1), ("tanh", None, 1, 0.3), ("relu", None, 0, 0.5),
             ("elu", 1.0, 2, 0.1), ("leaky_relu", 0.2, 1, 0.2), ("sigmoid", None, 0, 1.0)]

    def start():
        return [network.glorot_network([12, 9, 4], a, al, loss=loss, seed=s + 5, dot=portable.dot)
                for a, al, s, _ in specs]

    alone, together, expected = start(), start(), []
    for net, (_, _, s, lr) in zip(alone, specs):
        expected.append([])
        network.train(X, y, net, lr=lr, batch_size=batch_size, num_epochs=3, seed=s,
                      on_epoch=lambda epoch, losses, out=expected[-1]: out.extend(losses))
    done = network.train_together(X, y, together, [lr for *_, lr in specs], batch_size, 3,
                                  [s for _, _, s, _ in specs])
    _same_bits(done.losses, np.array(expected, np.float32))
    for a, b in zip(alone, together):
        for p, q in zip(a.weights + a.biases, b.weights + b.biases):
            _same_bits(p, q)
        assert not np.array_equal(a.weights[0], start()[0].weights[0])  # it did train


@pytest.mark.parametrize("change, words", [
    (dict(lrs=[np.full(3, 0.1, np.float32)] * 2), "lrs[0] must be a number, a function of the step or 16 rates >= 0"),
    (dict(lrs=[0.1, -0.2]), "lrs[1] must be >= 0"),
    (dict(lrs=[0.1, float("nan")]), "lrs[1] must be finite"),
    (dict(lrs=[lambda step: 0.1, lambda step: -1.0]), "the rates at step 0 must be finite"),
    (dict(lrs=[0.1]), "lrs must give one rate, array of rates or function of the step per network (2)"),
    (dict(lrs=0.1), "lrs must give one rate"),
    (dict(seeds=[0]), "seeds must be one seed or one per network (2), got 1"),
    (dict(seeds=[0, -1]), "seeds[1]"),
    (dict(batch_size=0), "batch_size must be None (full batch) or an integer >= 1"),
    (dict(dot=None), "dot=portable.dot"),
    (dict(sizes=[64, 9, 10]), "nets[1] must have the sizes and loss of nets[0]"),
    (dict(loss="mse"), "nets[1] must have the sizes and loss of nets[0]"),
    (dict(norms=True), "no normalization layers"),
    (dict(nets=[]), "nets must be a non-empty list"),
    (dict(nets=["net"]), "nets must be a non-empty list of nnlib.network.Network"),
])
@pytest.mark.parametrize("batch_size", [None, 16])
def test_train_together_rejects_what_it_cannot_run_side_by_side(change, words, batch_size):
    X, y = _digits(64)
    change = dict(change)                        # shared by both batch sizes: pop from a copy
    norms = [batch_norm.BatchNorm(8), None] if change.pop("norms", False) else None
    second = network.glorot_network(change.pop("sizes", [64, 8, 10]), change.pop("activation", "relu"),
                                    loss=change.pop("loss", "softmax_ce"), norms=norms,
                                    dot=change.pop("dot", portable.dot))
    nets = [network.glorot_network([64, 8, 10], "relu", loss="softmax_ce", dot=portable.dot), second]
    args = dict(nets=nets, lrs=[lambda step: 0.1] * 2, seeds=[0, 1], batch_size=batch_size) | change
    if "lrs" in change and np.ndim(change["lrs"]) == 2 and batch_size is None:
        args["num_epochs"] = 16      # full batch: 16 updates need 16 rates
    before = [W.copy() for W in nets[0].weights]
    with pytest.raises(ValueError) as err:
        network.train_together(X, y, args["nets"], args["lrs"], args["batch_size"],
                               args.get("num_epochs", 4), args["seeds"])
    assert words in str(err.value)
    if "lrs=[lambda" not in str(change):
        assert all(np.array_equal(a, b) for a, b in zip(before, nets[0].weights))


def test_train_together_for_no_epochs_changes_nothing():
    X, y = _digits(64)
    net = network.glorot_network([64, 8, 10], "relu", loss="softmax_ce", dot=portable.dot)
    before = [W.copy() for W in net.weights]
    for batch_size in (None, 16):
        done = network.train_together(X, y, [net], [0.1], batch_size, 0)
        assert done.losses.shape == done.rates.shape == (1, 0)
        assert all(np.array_equal(a, b) for a, b in zip(before, net.weights))

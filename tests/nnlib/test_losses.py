"""nnlib.losses: the chapter 2 losses, checked against TensorFlow / Keras as the oracle."""
from __future__ import annotations

import numpy as np
import pytest

from nnlib import losses

F32 = np.float32


def _probs(rng, shape):
    p = rng.uniform(0.01, 1.0, size=shape).astype(F32)
    return (p / p.sum(axis=-1, keepdims=True)).astype(F32)


# --- MSE -----------------------------------------------------------------------------

def test_mse_matches_keras(keras):
    rng = np.random.default_rng(0)
    for shape in [(8, 1), (5, 3), (32, 1)]:
        a = rng.normal(size=shape).astype(F32)
        b = rng.normal(size=shape).astype(F32)
        theirs = float(keras.losses.MeanSquaredError()(a, b))
        assert losses.mse(a, b).dtype == F32
        np.testing.assert_allclose(losses.mse(a, b), theirs, rtol=1e-6)


# --- cost / profit ---------------------------------------------------------------------

@pytest.mark.parametrize("cost, profit", [(1, 9), (9, 1), (2.5, 0.5)])
def test_cost_profit_loss_matches_tensorflow(tf, cost, profit):
    rng = np.random.default_rng(2)
    a, b = rng.normal(size=(2, 8, 1)).astype(F32)
    loss = tf.reduce_sum(tf.where(tf.greater(b, a), (b - a) * cost, (a - b) * profit))
    assert losses.cost_profit_loss(a, b, cost, profit) == pytest.approx(float(loss), rel=1e-6)


def test_target_quantile():
    assert losses.target_quantile(1, 9) == pytest.approx(0.9)
    assert losses.target_quantile(9, 1) == pytest.approx(0.1)
    assert losses.target_quantile(3, 3) == 0.5


def test_cost_profit_best_weights_is_a_minimum():
    X, y = losses.yogurt_data()
    w, best = losses.cost_profit_best_weights(X, y, 1, 9)
    assert w.shape == (2, 1)
    Xd, yd = X.astype(np.float64), y.astype(np.float64)

    def loss(v):
        r = Xd @ v - yd
        return float(np.sum(np.where(r > 0, r, -9 * r)))

    assert best == pytest.approx(loss(w))
    rng = np.random.default_rng(3)
    for _ in range(200):
        assert loss(w + rng.normal(scale=0.01, size=(2, 1))) >= best - 1e-12
    r = Xd @ w - yd
    assert np.sum(np.abs(r) < 1e-9) >= 2  # it fits two of the points exactly


# --- the yogurt data and the training loop ------------------------------------------------

def test_yogurt_data_is_the_scripts_draw():
    X, y, noise = losses.yogurt_data(return_noise=True)
    assert X.shape == (32, 2) and y.shape == (32, 1) and X.dtype == y.dtype == F32
    rdm = np.random.RandomState(23455)
    X64 = rdm.rand(32, 2)
    noise64 = np.array([rdm.rand() / 10.0 - 0.05 for _ in range(32)])
    np.testing.assert_array_equal(X, X64.astype(F32))
    np.testing.assert_array_equal(noise, noise64)
    np.testing.assert_array_equal(y[:, 0], (X64[:, 0] + X64[:, 1] + noise64).astype(F32))


def _tf_linear_sgd(tf, keras, X, y, w0, loss_fn, num_steps, lr=0.001, batch_size=8):
    w = tf.Variable(w0)
    opt = keras.optimizers.SGD(learning_rate=lr)
    out = [w.numpy().ravel()]
    for i in range(num_steps):
        start = (i * batch_size) % len(X)
        xb, yb = X[start:start + batch_size], y[start:start + batch_size]
        with tf.GradientTape() as tape:
            loss = loss_fn(yb, tf.matmul(xb, w))
        opt.apply_gradients([(tape.gradient(loss, w), w)])
        out.append(w.numpy().ravel())
    return np.array(out)


def test_linear_sgd_matches_tensorflow_bit_for_bit(tf, keras):
    """Both losses' gradients in TensorFlow's order, the batch gradient summed row after row."""
    rng = np.random.default_rng(5)
    X = rng.uniform(size=(16, 2)).astype(F32)
    y = (X.sum(axis=1, keepdims=True) + rng.uniform(-0.05, 0.05, size=(16, 1))).astype(F32)
    w0 = rng.normal(size=(2, 1)).astype(F32)
    mse_tf = lambda a, b: tf.reduce_mean(tf.square(a - b))  # noqa: E731
    cp_tf = lambda a, b: tf.reduce_sum(tf.where(tf.greater(b, a), (b - a) * 1, (a - b) * 9))  # noqa: E731
    np.testing.assert_array_equal(losses.linear_sgd(X, y, w0, 0.01, 60),
                                  _tf_linear_sgd(tf, keras, X, y, w0, mse_tf, 60, lr=0.01))
    np.testing.assert_array_equal(
        losses.linear_sgd(X, y, w0, 0.001, 60, loss="cost_profit", cost=1, profit=9),
        _tf_linear_sgd(tf, keras, X, y, w0, cp_tf, 60))


# --- cross-entropy -------------------------------------------------------------------------

def test_cross_entropy_matches_keras(keras):
    rng = np.random.default_rng(6)
    for k in (2, 3, 10):
        p = _probs(rng, (6, k))
        t = np.eye(k, dtype=F32)[rng.integers(0, k, size=6)]
        theirs = keras.losses.categorical_crossentropy(t, p).numpy()
        np.testing.assert_allclose(losses.cross_entropy(t, p), theirs, rtol=1e-5)
        obj = float(keras.losses.CategoricalCrossentropy()(t, p))
        np.testing.assert_allclose(losses.cross_entropy(t, p).mean(), obj, rtol=1e-5)
        soft = _probs(rng, (6, k))  # soft targets too
        np.testing.assert_allclose(losses.cross_entropy(soft, p),
                                   keras.losses.categorical_crossentropy(soft, p).numpy(), rtol=1e-5)


def test_cross_entropy_at_the_edges_clips_like_keras(keras):
    t = np.array([[1, 0, 0], [0, 1, 0]], dtype=F32)
    p = np.array([[1, 0, 0], [1, 0, 0]], dtype=F32)
    assert np.isinf(losses.cross_entropy(t, p)[1]) and losses.cross_entropy(t, p)[0] == 0
    np.testing.assert_allclose(losses.cross_entropy(t, p, eps=1e-7),
                               keras.losses.categorical_crossentropy(t, p).numpy(), rtol=1e-5)


def test_cross_entropy_bases():
    """Bases e and 10 on note 000's numbers: tests/chapters/test_02_losses.py."""
    assert float(losses.cross_entropy([1, 0], [0.5, 0.5], base=2)) == pytest.approx(1.0)


# --- binary cross-entropy ----------------------------------------------------------------------

def test_binary_cross_entropy_matches_keras(keras):
    rng = np.random.default_rng(7)
    y = rng.integers(0, 2, size=(20, 1)).astype(F32)
    p = rng.uniform(0.001, 0.999, size=(20, 1)).astype(F32)
    ours = losses.binary_cross_entropy(y, p)
    assert ours.shape == (20, 1) and ours.dtype == F32
    np.testing.assert_allclose(ours.mean(), float(keras.losses.BinaryCrossentropy()(y, p)), rtol=1e-5)
    np.testing.assert_allclose(ours[:, 0], keras.losses.binary_crossentropy(y, p).numpy(),
                               rtol=1e-5, atol=1e-6)


def test_binary_cross_entropy_from_logits_matches_tensorflow(tf, keras):
    rng = np.random.default_rng(8)
    y = rng.integers(0, 2, size=(50, 1)).astype(F32)
    z = (rng.normal(size=(50, 1)) * 20).astype(F32)  # includes large logits
    ours = losses.binary_cross_entropy_from_logits(y, z)
    theirs = tf.nn.sigmoid_cross_entropy_with_logits(labels=y, logits=z).numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(
        ours.mean(), float(keras.losses.BinaryCrossentropy(from_logits=True)(y, z)), rtol=1e-5)


def test_from_logits_stays_exact_where_the_probability_rounds_to_one():
    z = np.array([30.0, 100.0], dtype=F32)
    y = np.zeros(2, dtype=F32)
    np.testing.assert_allclose(losses.binary_cross_entropy_from_logits(y, z), z, rtol=1e-6)
    p = (1 / (1 + np.exp(-z))).astype(F32)
    assert np.all(p == 1) and np.all(np.isinf(losses.binary_cross_entropy(y, p)))
    assert np.all(np.isfinite(losses.binary_cross_entropy(y, p, eps=1e-7)))


def test_binary_cross_entropy_is_the_two_class_cross_entropy():
    y = np.array([1, 0, 1, 0.3], dtype=F32)
    p = np.array([0.9, 0.2, 0.5, 0.6], dtype=F32)
    two = losses.cross_entropy(np.stack([y, 1 - y], -1), np.stack([p, 1 - p], -1))
    np.testing.assert_allclose(losses.binary_cross_entropy(y, p), two, rtol=1e-6)


# --- bad input ------------------------------------------------------------------------------

@pytest.mark.parametrize("call, match", [
    (lambda: losses.mse([1, 2, 3], [1, 2]), r"y_pred must have the same shape as y_true \(3,\), got shape \(2,\)"),
    (lambda: losses.mse([], []), "must not be empty"),
    (lambda: losses.mse([1, float("nan")], [1, 2]), "y_true must be finite"),
    (lambda: losses.cross_entropy([1, 0], [1.2, -0.2]), r"y_pred must hold probabilities in \[0, 1\], got values from -0.2"),
    (lambda: losses.cross_entropy([2, 0], [0.5, 0.5]), r"y_true must hold probabilities in \[0, 1\]"),
    (lambda: losses.cross_entropy([[1, 0]], [1, 0]), r"y_pred must have the same shape as y_true \(1, 2\)"),
    (lambda: losses.cross_entropy(1, 1), "y_true must have a class axis"),
    (lambda: losses.cross_entropy([1, 0], [0.6, 0.4], base=1), "base must be a finite number > 0 other than 1, got 1"),
    (lambda: losses.cross_entropy([1, 0], [0.6, 0.4], base="e"), "base must be"),
    (lambda: losses.cross_entropy([1, 0], [0.6, 0.4], eps=0.7), r"eps must be a number in \[0, 0.5\), got 0.7"),
    (lambda: losses.binary_cross_entropy([1, 0], [0.5, 1.5]), r"p must hold probabilities in \[0, 1\]"),
    (lambda: losses.binary_cross_entropy([1, 0, 1], [0.5, 0.5]), r"p must have the same shape as y \(3,\)"),
    (lambda: losses.binary_cross_entropy_from_logits([3], [0.5]), r"y must hold probabilities in \[0, 1\]"),
    (lambda: losses.cost_profit_loss([1], [2], cost=-1, profit=9), "cost must be a finite number > 0, got -1"),
    (lambda: losses.target_quantile(1, "9"), "profit must be a positive number"),
    (lambda: losses.linear_sgd(np.ones((4, 2)), np.ones((4, 1)), [0, 0], 0.1, 3, batch_size=5),
     "batch_size must be between 1 and the number of examples 4, got 5"),
    (lambda: losses.linear_sgd(np.ones((4, 2)), np.ones((4,)), [0, 0], 0.1, 3, batch_size=2),
     r"y must have shape \(4, 1\)"),
    (lambda: losses.linear_sgd(np.ones((4, 2)), np.ones((4, 1)), [0, 0, 0], 0.1, 3), r"w0 must have shape \(2, 1\)"),
    (lambda: losses.linear_sgd(np.ones((4, 2)), np.ones((4, 1)), [0, 0], -0.1, 3), "lr must be a finite number > 0"),
    (lambda: losses.linear_sgd(np.ones((4, 2)), np.ones((4, 1)), [0, 0], 0.1, 3, loss="mae"), "loss must be 'mse'"),
    (lambda: losses.linear_sgd(np.ones((4, 2)), np.ones((4, 1)), [0, 0], 0.1, 3, cost=1), "cost and profit belong"),
    (lambda: losses.linear_sgd(np.ones((4, 2)), np.ones((4, 1)), [0, 0], 0.1, 3, loss="cost_profit"),
     "cost must be a positive number, got None"),
])
def test_bad_input_raises_a_clear_value_error(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_divergence_is_a_result():
    X, y = losses.yogurt_data()
    h = losses.linear_sgd(X, y, losses.YOGURT_W0, 50.0, 200)
    assert h.shape == (201, 2) and h.dtype == F32 and not np.all(np.isfinite(h[-1]))

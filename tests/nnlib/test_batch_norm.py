"""nnlib.batch_norm (chapter 12) against keras.layers.BatchNormalization and GradientTape."""
from __future__ import annotations

import numpy as np
import pytest

from nnlib import batch_norm, data, initialization, network, portable

RNG = np.random.default_rng(0)
X = (RNG.standard_normal((16, 5)) * [1.0, 3.0, 0.1, 10.0, 0.5] + [0.0, -2.0, 5.0, 1.0, 0.3]).astype(np.float32)
GAMMA = np.array([1.0, 0.5, 2.0, -1.0, 1.5], np.float32)
BETA = np.array([0.0, 1.0, -0.5, 0.25, 2.0], np.float32)


def keras_layer(keras, momentum, epsilon=None):
    kw = {} if epsilon is None else {"epsilon": epsilon}
    layer = keras.layers.BatchNormalization(momentum=momentum, **kw)
    layer.build((None, X.shape[1]))
    layer.gamma.assign(GAMMA)
    layer.beta.assign(BETA)
    return layer


def ours(momentum, epsilon=1e-3):
    bn = batch_norm.BatchNorm(X.shape[1], momentum=momentum, epsilon=epsilon)
    bn.gamma, bn.beta = GAMMA.copy(), BETA.copy()
    return bn


def test_keras_defaults_are_ours(keras):
    layer = keras.layers.BatchNormalization()
    bn = batch_norm.BatchNorm(3)
    assert float(bn.momentum) == pytest.approx(layer.momentum)
    assert float(bn.epsilon) == pytest.approx(layer.epsilon) == 1e-3


@pytest.mark.parametrize("momentum", [0.9, 0.99])
def test_training_and_inference_outputs_and_moving_statistics_match_keras(keras, momentum):
    layer, bn = keras_layer(keras, momentum), ours(momentum)
    for step in range(5):
        batch = X * np.float32(1 + step) + np.float32(step)
        k_train = layer(batch, training=True).numpy()
        n_train = bn.forward(batch, training=True)
        np.testing.assert_allclose(n_train, k_train, rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(bn.moving_mean, layer.moving_mean.numpy(), rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(bn.moving_variance, layer.moving_variance.numpy(), rtol=1e-6)
    k_inf = layer(X, training=False).numpy()
    n_inf = bn.forward(X, training=False)
    np.testing.assert_allclose(n_inf, k_inf, rtol=1e-5, atol=1e-5)


def test_training_mode_gives_zero_mean_unit_variance_before_scale_and_shift():
    bn = batch_norm.BatchNorm(X.shape[1], epsilon=1e-8)
    Y = bn.forward(X, training=True)
    np.testing.assert_allclose(Y.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(Y.var(axis=0), 1, rtol=1e-4)


@pytest.mark.parametrize("training", [True, False])
def test_gradients_match_gradient_tape(tf, keras, training):
    layer, bn = keras_layer(keras, 0.9), ours(0.9)
    if not training:  # give the moving statistics something other than their start values
        for s in range(3):
            layer(X + s, training=True)
            bn.forward(X + s, training=True)
    dY = RNG.standard_normal(X.shape).astype(np.float32)
    x = tf.constant(X)
    with tf.GradientTape() as tape:
        tape.watch(x)
        loss = tf.reduce_sum(layer(x, training=training) * dY)
    dx, dgamma, dbeta = tape.gradient(loss, [x, layer.gamma, layer.beta])
    bn.forward(X, training=training)
    ndx = bn.backward(dY)
    np.testing.assert_allclose(ndx, dx.numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(bn.dgamma, dgamma.numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(bn.dbeta, dbeta.numpy(), rtol=1e-5, atol=1e-6)


def _central_differences(f, Z, h=1e-6):
    """d f / d Z entry by entry, (f(Z + h) - f(Z - h)) / 2h, for a scalar function f of float64 Z."""
    num = np.zeros_like(Z)
    for idx in np.ndindex(Z.shape):
        e = np.zeros_like(Z)
        e[idx] = h
        num[idx] = (f(Z + e) - f(Z - e)) / (2 * h)
    return num


def test_backward_against_finite_differences_in_float64():
    Xs, dY = X[:6, :2].astype(np.float64), RNG.standard_normal((6, 2))
    mean, var = Xs.mean(0), Xs.var(0)
    dX, _, _ = batch_norm.batch_norm_backward(dY, Xs, mean, var, GAMMA[:2], 1e-3, training=True)

    def f(Z):
        m, v = Z.mean(0), Z.var(0)
        return np.sum(((Z - m) / np.sqrt(v + 1e-3) * GAMMA[:2] + BETA[:2]) * dY)

    np.testing.assert_allclose(dX, _central_differences(f, Xs), rtol=2e-3, atol=2e-4)


def test_update_moving_is_keras_form():
    got = batch_norm.update_moving(np.float32(0), np.float32(10), 0.9)
    assert got == np.float32(0) * np.float32(0.9) + np.float32(10) * (np.float32(1) - np.float32(0.9))  # ~1.0


def test_running_estimate_follows_the_true_statistics():
    r = batch_norm.running_estimate(0.9, 64, 400, 200)
    assert abs(r.moving_mean[190:200].mean() - 1.0) < 0.2
    assert abs(r.moving_mean[-10:].mean() - 3.0) < 0.2
    assert abs(r.moving_var[-50:].mean() - 4.0) < 0.5
    slow = batch_norm.running_estimate(0.999, 64, 400, 200)
    assert slow.moving_mean[199] < 0.5  # 0.999 has averaged only ~18 % of its way from 0


def test_running_estimate_is_update_moving_step_by_step():
    """The loop runs on float32 scalars for speed; it must equal update_moving bit for bit."""
    f32 = np.float32
    r = batch_norm.running_estimate(0.9, 8, 300, 150, seed=3)
    true_mean = np.where(np.arange(300) < 150, 1.0, 3.0).astype(f32)
    X = (np.random.default_rng(3).standard_normal((300, 8)) * 2.0).astype(f32) + true_mean[:, None]
    bmean = X.mean(axis=1, dtype=f32)
    bvar = np.square(X - bmean[:, None]).mean(axis=1, dtype=f32)
    np.testing.assert_array_equal(bmean, r.batch_mean)
    moving = np.array([0, 1], f32)
    for t in range(300):
        moving = batch_norm.update_moving(moving, np.array([bmean[t], bvar[t]], f32), 0.9)
        assert (moving[0], moving[1]) == (r.moving_mean[t], r.moving_var[t])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_variance_bias_settles_at_m_minus_1_over_m_and_scales_inference(seed):
    """Chapter 12: the moving variance of a variance-4 feature settles at (m-1)/m * 4, and the
    inference output's root mean square is about sqrt(m/(m-1)), against 1 in training mode."""
    for m in (2, 4, 8, 16, 32, 64, 200):
        r = batch_norm.variance_bias(m, seed=seed)
        assert r.expected == (m - 1) / m * 4
        assert abs(r.settled - r.expected) < 0.15, (m, r)
        assert abs(r.inference_rms / np.sqrt(m / (m - 1)) - 1) < 0.04, (m, r)
    small, large = batch_norm.variance_bias(8, seed=seed), batch_norm.variance_bias(200, seed=seed)
    assert small.settled < 3.6 < 3.9 < large.settled  # the bias is visible at 8, gone at 200


def test_variance_bias_inference_rms_matches_a_batch_norm_layer_on_fresh_data():
    """inference_rms is the exact mean square over fresh inputs; a BatchNorm layer on many fresh
    draws, with the statistics of the last step, agrees."""
    r = batch_norm.running_estimate(0.99, 8, 1500, shift_at=1500)
    layer = batch_norm.BatchNorm(1)
    layer.moving_mean, layer.moving_variance = r.moving_mean[-1:], r.moving_var[-1:]
    fresh = (np.random.default_rng(5).standard_normal((200_000, 1)) * 2 + 1).astype(np.float32)
    measured = np.sqrt(np.mean(layer.forward(fresh, training=False).astype(np.float64) ** 2))
    exact = np.sqrt((4 + (1 - float(r.moving_mean[-1])) ** 2) / (float(r.moving_var[-1]) + 1e-3))
    assert measured == pytest.approx(exact, rel=0.01)
    one = batch_norm.variance_bias(8, num_steps=1500, burn_in=1499)
    assert one.inference_rms == pytest.approx(exact, rel=1e-6)


def test_keras_moving_variance_is_the_biased_batch_variance(keras):
    """Chapter 12: Keras 3 applies no Bessel correction to moving_variance (momentum 0 copies it)."""
    layer = keras.layers.BatchNormalization(momentum=0.0)
    batch = X[:8]
    layer(batch, training=True)
    got = np.asarray(layer.moving_variance)
    np.testing.assert_allclose(got, batch.var(axis=0), rtol=1e-5)
    assert np.all(np.abs(got - batch.var(axis=0, ddof=1)) > 1e-3 * batch.var(axis=0))


@pytest.mark.parametrize("call, match", [
    (lambda: batch_norm.BatchNorm(3, momentum=1.0), "momentum must be a number in \\[0, 1\\), got 1.0"),
    (lambda: batch_norm.BatchNorm(3, momentum="0.9"), "momentum"),
    (lambda: batch_norm.BatchNorm(0), "num_features must be an integer >= 1, got 0"),
    (lambda: batch_norm.BatchNorm(3, epsilon=0), "epsilon must be a finite number > 0, got 0"),
    (lambda: batch_norm.BatchNorm(3).forward(np.ones((2, 4)), True), "X must have 3 features"),
    (lambda: batch_norm.BatchNorm(3).forward(np.ones(3), True), "X must be a 2-D array"),
    (lambda: batch_norm.BatchNorm(3).forward(np.ones((2, 3)), "yes"), "training must be True or False"),
    (lambda: batch_norm.BatchNorm(3).backward(np.ones((2, 3))), "backward needs a forward call"),
    (lambda: batch_norm.moments([[1.0, np.nan]]), "X must be finite"),
    (lambda: batch_norm.normalize(np.ones((2, 3)), np.zeros(2), np.ones(3), np.ones(3), np.zeros(3)),
     "mean must have shape"),
    (lambda: batch_norm.running_estimate(batch_size=0), "batch_size must be an integer >= 1, got 0"),
    (lambda: batch_norm.variance_bias(1), "batch_size must be >= 2"),
    (lambda: batch_norm.variance_bias(8, num_steps=100, burn_in=100), "burn_in must be < num_steps"),
    (lambda: batch_norm.variance_bias(8, momentum=1.0), "momentum must be a number in"),
])
def test_bad_input_raises_a_clear_value_error(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_note_model_has_the_notes_layers(keras):
    m = batch_norm.note_model(True)
    names = [type(layer).__name__ for layer in m.layers]
    assert names == ["Dense", "BatchNormalization", "Activation"] * 2 + ["Dense", "BatchNormalization"]
    assert [layer.units for layer in m.layers if type(layer).__name__ == "Dense"] == [300, 100, 10]
    assert all(layer.momentum == pytest.approx(0.9) for layer in m.layers
               if type(layer).__name__ == "BatchNormalization")
    assert "BatchNormalization" not in [type(layer).__name__ for layer in batch_norm.note_model(False).layers]


@pytest.mark.parametrize("bn", [False, True])
def test_sigmoid_network_gradients_match_keras_gradient_tape(tf, keras, bn):
    net = batch_norm.sigmoid_network([12, 8, 6, 4], bn=bn, seed=3)
    model = batch_norm.note_model(bn=bn, sizes=(12, 8, 6, 4), activation="sigmoid")
    dense = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
    for layer, W, b in zip(dense, net.weights, net.biases):
        layer.kernel.assign(W)
        layer.bias.assign(b + 0.1)
    net.biases = [b + np.float32(0.1) for b in net.biases]
    Xb = RNG.standard_normal((10, 12)).astype(np.float32)
    yb = RNG.integers(0, 4, 10)
    loss, dW, db, _ = net.gradients(Xb, yb)
    with tf.GradientTape() as tape:
        k_loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)(yb, model(Xb, training=True))
    grads = tape.gradient(k_loss, [v for layer in dense for v in (layer.kernel, layer.bias)])
    assert loss == pytest.approx(float(k_loss), rel=1e-5)
    for k in range(len(dense)):
        np.testing.assert_allclose(dW[k], grads[2 * k].numpy(), rtol=1e-3, atol=1e-6)
        if bn:
            # a bias just before a batch norm is subtracted out with the batch mean: its gradient
            # is zero, and both sides hold only rounding noise (its sign differs by CPU)
            scale = float(np.abs(dW[k]).max())
            assert scale > 1e-3
            assert np.abs(db[k]).max() < 1e-4 * scale and np.abs(grads[2 * k + 1].numpy()).max() < 1e-4 * scale
        else:
            np.testing.assert_allclose(db[k], grads[2 * k + 1].numpy(), rtol=1e-3, atol=1e-6)


def test_train_sigmoid_network_learns_a_separable_problem_with_batch_norm():
    rng = np.random.default_rng(0)
    Xs = rng.standard_normal((400, 5)).astype(np.float32)
    ys = (Xs[:, 0] + Xs[:, 1] > 0).astype(int)
    acc = batch_norm.train_sigmoid_network(Xs[:300], ys[:300], Xs[300:], ys[300:], (8, 8), True, lr=0.5,
                                           batch_size=30, num_epochs=10)
    assert acc[-1] > 0.9
    with pytest.raises(ValueError, match="batch_size must be >= 2"):
        batch_norm.train_sigmoid_network(Xs, ys, Xs, ys, (8,), True, lr=0.1, batch_size=1, num_epochs=1)


def test_chapter_10_deep_sigmoid_accuracies_do_not_depend_on_last_bits():
    """Chapter 12 prints the deep sigmoid network's validation accuracies (BLAS products) to 3
    decimals ("In practice": 3200 training and 800 validation images).

    Another CPU changes the last bits of those products (tests/profiles.py). The printed digits
    are stable only if such noise cannot reach them: nudge 1% of the training pixels by one ulp
    (noise of the size a different BLAS kernel adds) and the two batch-norm rows the chapter
    prints must not move. (Checked with three noise seeds and both rows when written.)
    """
    X, y, X_val, y_val, _, _ = data.mnist_with_validation()
    mask = np.random.default_rng(100).random(X.shape) < 0.01
    nudged = np.where(mask, np.nextafter(X, np.float32(2)), X).astype(np.float32)
    assert np.count_nonzero(nudged != X) > 10_000
    # the large-rate row, the more sensitive one (both rows were checked when this was written)
    runs = [batch_norm.train_sigmoid_network(Xt, y, X_val, y_val, widths=(50,) * 6, bn=True, momentum=0.9,
                                             lr=1.0, batch_size=100, num_epochs=5) for Xt in (X, nudged)]
    assert [f"{a:.3f}" for a in runs[0]] == [f"{a:.3f}" for a in runs[1]], runs


def test_variance_bias_figure_draws_the_measured_points_and_both_curves():
    import matplotlib

    matplotlib.use("Agg")
    from nnlib.plots import batch_norm as plots_bn

    results = [batch_norm.variance_bias(m, num_steps=400, burn_in=200) for m in (2, 8, 64)]
    fig = plots_bn.variance_bias_figure(results)
    ax0, ax1 = fig.axes
    points = [line for line in ax0.get_lines() if line.get_marker() == "o"][0]
    np.testing.assert_array_equal(points.get_ydata(), [r.settled for r in results])
    rms = [line for line in ax1.get_lines() if line.get_marker() == "o"][0]
    np.testing.assert_array_equal(rms.get_ydata(), [r.inference_rms for r in results])
    curve = [line for line in ax0.get_lines() if "(m-1)/m" in line.get_label()][0]
    x, y = curve.get_data()
    np.testing.assert_allclose(y, (x - 1) / x * 4)
    import matplotlib.pyplot as plt

    plt.close(fig)


# --- layer normalization (keras.layers.LayerNormalization as the oracle) -----------------------

def _rel(ours, theirs):
    theirs = np.asarray(theirs)
    return float(np.max(np.abs(np.asarray(ours) - theirs) / np.maximum(1, np.abs(theirs))))


@pytest.mark.parametrize("seed", range(6))
def test_layer_norm_matches_keras_forward_and_backward(tf, keras, seed):
    """The bound the chapter states: outputs within 1e-6 of max(1, |value|), gradients within 1e-5."""
    rng = np.random.default_rng(seed)
    n, b = int(rng.integers(2, 200)), int(rng.integers(1, 64))
    Xs = (rng.standard_normal((b, n)) * rng.uniform(0.1, 5, n) + rng.uniform(-3, 3, n)).astype(np.float32)
    ln, layer = batch_norm.LayerNorm(n), keras.layers.LayerNormalization()
    layer.build((None, n))
    ln.gamma = rng.uniform(0.5, 2, n).astype(np.float32)
    ln.beta = rng.standard_normal(n).astype(np.float32)
    layer.gamma.assign(ln.gamma)
    layer.beta.assign(ln.beta)
    assert float(ln.epsilon) == pytest.approx(layer.epsilon) == 1e-3
    dY = rng.standard_normal(Xs.shape).astype(np.float32)
    x = tf.constant(Xs)
    with tf.GradientTape() as tape:
        tape.watch(x)
        out = layer(x)
        loss = tf.reduce_sum(out * dY)
    dx, dgamma, dbeta = tape.gradient(loss, [x, layer.gamma, layer.beta])
    assert _rel(ln.forward(Xs, training=True), out) <= 1e-6
    np.testing.assert_array_equal(ln.forward(Xs, training=False), ln.forward(Xs, training=True))
    assert _rel(ln.backward(dY), dx) <= 1e-5
    assert _rel(ln.dgamma, dgamma) <= 1e-5
    assert _rel(ln.dbeta, dbeta) <= 1e-5


def test_layer_norm_backward_against_finite_differences_in_float64():
    Xs, dY = X[:3].astype(np.float64), RNG.standard_normal((3, 5))
    dX, dgamma, dbeta = batch_norm.layer_norm_backward(dY, Xs, GAMMA, 1e-3)

    def f(Z):
        m, v = Z.mean(1, keepdims=True), Z.var(1, keepdims=True)
        return np.sum(((Z - m) / np.sqrt(v + 1e-3) * GAMMA + BETA) * dY)

    np.testing.assert_allclose(dX, _central_differences(f, Xs), rtol=2e-3, atol=2e-4)
    x_hat = (Xs - Xs.mean(1, keepdims=True)) / np.sqrt(Xs.var(1, keepdims=True) + 1e-3)
    np.testing.assert_allclose(dgamma, np.sum(dY * x_hat, axis=0), rtol=1e-5)
    np.testing.assert_allclose(dbeta, dY.sum(axis=0), rtol=1e-6)


def test_layer_norm_normalizes_each_example_and_works_for_a_batch_of_one():
    ln = batch_norm.LayerNorm(5, epsilon=1e-8)
    Y = ln.forward(X, training=True)
    np.testing.assert_allclose(Y.mean(axis=1), 0, atol=1e-5)
    np.testing.assert_allclose(Y.var(axis=1), 1, rtol=1e-4)
    np.testing.assert_allclose(ln.forward(X[:1], training=True), Y[:1], rtol=1e-6, atol=1e-6)


def test_normalization_layers_let_divergence_through_as_a_result():
    bad = np.array([[1.0, np.inf, 2.0], [np.nan, 0.0, 1.0]], np.float32)
    for layer in (batch_norm.BatchNorm(3), batch_norm.LayerNorm(3)):
        with np.errstate(invalid="ignore"):
            out = layer.forward(bad, training=True)
        assert out.shape == bad.shape and not np.all(np.isfinite(out))


def test_norm_network_and_norm_run():
    rng = np.random.default_rng(0)
    Xs = rng.standard_normal((400, 5)).astype(np.float32)
    ys = 2 * (Xs[:, 0] > 0) + (Xs[:, 1] > 0)  # four classes: layer norm over 2 logits would give only +-1
    for norm in batch_norm.NORMS:
        net = batch_norm.norm_network([5, 8, 4], norm)
        kinds = {type(n).__name__ for n in net.norms}
        assert kinds == {"NoneType" if norm is None else "BatchNorm" if norm == "batch" else "LayerNorm"}
        r = batch_norm.norm_run(Xs[:300], ys[:300], Xs[300:], ys[300:], norm, 0.3, 10, widths=(8,))
        assert r.accuracy > 0.85 and not r.diverged and r.grad_norm > 0, r
        assert (r.norm, r.lr, r.batch_size) == (norm, 0.3, 10)
    big = batch_norm.norm_run(Xs[:300], ys[:300], Xs[300:], ys[300:], None, 1e6, 10, widths=(8,))
    assert big.diverged


def test_norm_runs_figure_draws_one_line_per_norm_and_marks_diverged_runs():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from nnlib.plots import batch_norm as plots_bn

    runs = [batch_norm.NormRun("batch", lr, 32, a, 0.5, 1.0, d)
            for lr, a, d in ((0.3, 0.9, False), (3.0, 0.8, False), (30.0, 0.1, True))]
    fig = plots_bn.norm_runs_figure({"batch norm": runs}, along="lr")
    lines = fig.axes[0].get_lines()
    np.testing.assert_array_equal(lines[0].get_ydata(), [0.9, 0.8, 0.1])
    np.testing.assert_array_equal(lines[1].get_xdata(), [30.0])
    plt.close(fig)
    with pytest.raises(ValueError, match="along must be"):
        plots_bn.norm_runs_figure({"batch norm": runs}, along="epochs")


@pytest.mark.parametrize("call, match", [
    (lambda: batch_norm.LayerNorm(0), "num_features must be an integer >= 1, got 0"),
    (lambda: batch_norm.LayerNorm(3, epsilon=-1), "epsilon must be a finite number > 0"),
    (lambda: batch_norm.LayerNorm(3).forward(np.ones((2, 4)), True), "X must have 3 features"),
    (lambda: batch_norm.LayerNorm(3).forward(np.ones((2, 3)), "yes"), "training must be True or False"),
    (lambda: batch_norm.LayerNorm(3).backward(np.ones((2, 3))), "backward needs a forward call"),
    (lambda: batch_norm.layer_norm_backward(np.ones((2, 3)), np.ones((2, 4)), np.ones(4)), "dY must be shaped"),
    (lambda: batch_norm.norm_network([4, 3, 2], norm="group"), "norm must be one of"),
    (lambda: batch_norm.norm_network([4, 3, 2], momentum=1.0), "momentum must be a number in"),
    (lambda: batch_norm.norm_run(np.ones((4, 2)), [0, 1, 0, 1], np.ones((2, 2)), [0, 1], "batch", 0.1, 1),
     "batch_size must be >= 2"),
    (lambda: batch_norm.norm_run(np.ones((4, 2)), [0, 1, 0, 1], np.ones((2, 2)), [0, 1], "batch", 0, 2),
     "lr must be"),
])
def test_layer_norm_and_norm_run_reject_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# --- the starting weights: start_weights, start_network, start_run(s) ---------------------------

def _toy(n=240, seed=0):
    """Four classes from the signs of two of six features; the first 180 rows for training."""
    rng = np.random.default_rng(seed)
    Xs = rng.standard_normal((n, 6)).astype(np.float32)
    ys = 2 * (Xs[:, 0] > 0) + (Xs[:, 1] > 0)
    return Xs[:180], ys[:180], Xs[180:], ys[180:]


def test_start_weights_draw_each_scheme_at_its_scale():
    sizes = [400, 300, 10]
    small, large, glorot, he = (batch_norm.start_weights(sizes, s, seed=1) for s in batch_norm.STARTS)
    assert [W.shape for W in he] == [(400, 300), (300, 10)] and all(W.dtype == np.float32 for W in he)
    assert np.std(small[0]) == pytest.approx(0.01, rel=0.02)
    assert np.std(large[0]) == pytest.approx(1.0, rel=0.02)
    assert np.std(he[0]) == pytest.approx(np.sqrt(2 / 400), rel=0.02)
    assert np.max(np.abs(glorot[0])) <= np.sqrt(6 / 700)
    assert np.std(glorot[0]) == pytest.approx(np.sqrt(2 / 700), rel=0.02)
    # layer k is drawn with seed 1000 * seed + k, as chapter 10's deep networks
    np.testing.assert_array_equal(he[1], initialization.he_normal((300, 10), seed=1001))
    np.testing.assert_array_equal(large[0], initialization.random_normal((400, 300), 1.0, seed=1000))
    assert not np.array_equal(batch_norm.start_weights(sizes, "he_normal", seed=2)[0], he[0])


def test_start_network_puts_batch_norm_before_each_activation_and_on_the_logits():
    with_bn = batch_norm.start_network([6, 5, 5, 4], "he_normal", bn=True, momentum=0.8)
    assert [type(n).__name__ for n in with_bn.norms] == ["BatchNorm"] * 3
    assert all(n.momentum == np.float32(0.8) for n in with_bn.norms)
    assert with_bn.dot is portable.dot and with_bn.loss == "softmax_ce"
    plain = batch_norm.start_network([6, 5, 5, 4], "he_normal", bn=False)
    assert plain.norms == [None] * 3
    for a, b in zip(plain.weights, with_bn.weights):
        np.testing.assert_array_equal(a, b)
    assert all(np.all(b == 0) for b in plain.biases)


def test_start_run_learns_and_an_overflow_is_a_result():
    Xs, ys, Xv, yv = _toy()
    r = batch_norm.start_run(Xs, ys, Xv, yv, "he_normal", True, lr=0.3, batch_size=20, num_epochs=15,
                             widths=(8, 8))
    assert len(r.batch_loss) == 15 * 9 and r.val_accuracy > 0.85 and r.val_loss < 0.5, r
    assert r.batch_loss[-9:].mean() < r.batch_loss[:9].mean()
    assert "val_accuracy" in repr(r) and "net" not in repr(r)
    big = batch_norm.start_run(Xs, ys, Xv, yv, "large_normal", False, lr=0.3, batch_size=20, num_epochs=2,
                               widths=(64,) * 4)
    assert np.isnan(big.val_loss) and not np.all(np.isfinite(big.batch_loss))


def test_start_runs_are_start_run_bit_for_bit_overflows_included():
    Xs, ys, Xv, yv = _toy()
    cases = [(s, bn, seed) for s in batch_norm.STARTS for bn in (True, False) for seed in (0, 3)]
    kw = dict(lr=0.2, batch_size=16, num_epochs=2, widths=(24,) * 4)  # 180 rows: a last batch of 4
    together = batch_norm.start_runs(Xs, ys, Xv, yv, cases, **kw)
    assert any(np.isnan(r.val_loss) for r in together)  # N(0, 1) without batch norm overflows
    for (start, bn, seed), r in zip(cases, together):
        alone = batch_norm.start_run(Xs, ys, Xv, yv, start, bn, seed=seed, **kw)
        assert (r.start, r.bn, r.seed) == (start, bn, seed)
        np.testing.assert_array_equal(r.batch_loss, alone.batch_loss)
        assert r.val_accuracy == alone.val_accuracy
        assert r.val_loss == alone.val_loss or (np.isnan(r.val_loss) and np.isnan(alone.val_loss))
        for a, b in zip(r.net.weights + r.net.biases, alone.net.weights + alone.net.biases):
            np.testing.assert_array_equal(a, b)
        for n, m in zip(r.net.norms, alone.net.norms):
            if bn:
                for name in ("gamma", "beta", "moving_mean", "moving_variance"):
                    np.testing.assert_array_equal(getattr(n, name), getattr(m, name))
            else:
                assert n is None and m is None


def test_start_figure_and_early_loss_figure_draw_every_run():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from nnlib.plots import batch_norm as plots_bn

    net = batch_norm.start_network([2, 3, 2])
    runs = [batch_norm.StartRun(s, bn, k, np.linspace(2.3, 1.0, 10) + k, 0.5 + 0.1 * k,
                                float("nan") if (s == "large_normal" and not bn) else 1.0, net)
            for s in batch_norm.STARTS for bn in (False, True) for k in (0, 1, 2)]
    fig = plots_bn.start_figure(runs)
    points = sum(len(line.get_ydata()) for line in fig.axes[0].get_lines()) - 2  # less the chance line
    assert points == 24
    crosses = [line for line in fig.axes[0].get_lines() if line.get_marker() == "x"]
    assert len(crosses) == 1 and len(crosses[0].get_ydata()) == 3
    plt.close(fig)
    fig = plots_bn.early_loss_figure(runs, num_steps=6)
    assert len(fig.axes) == 2
    lines = fig.axes[1].get_lines()
    assert len(lines) == 8  # 3 seeds and their mean, without and with batch norm
    np.testing.assert_allclose(lines[3].get_ydata(), np.linspace(2.3, 1.0, 10)[:6] + 1)
    plt.close(fig)


# --- folding batch norm into the Dense layer before it -----------------------------------------

def _trained_bn_net():
    Xs, ys, Xv, yv = _toy()
    return batch_norm.start_run(Xs, ys, Xv, yv, "he_normal", True, lr=0.3, batch_size=20, num_epochs=3,
                                widths=(8, 8)).net, Xv


def test_fold_gives_the_inference_outputs_without_normalization_layers():
    net, Xv = _trained_bn_net()
    folded = batch_norm.fold(net)
    assert folded.norms == [None, None, None] and folded.dot is net.dot and folded.activation == net.activation
    assert any(not np.allclose(a, b) for a, b in zip(folded.weights, net.weights))
    np.testing.assert_allclose(folded.predict(Xv), net.predict(Xv), rtol=1e-5, atol=1e-5)
    # training mode has no such folding: the batch statistics differ from the moving averages
    assert not np.allclose(folded.predict(Xv), net.forward(Xv, training=True).acts[-1], atol=1e-3)
    # the network itself is unchanged, and a network without normalization folds to a copy
    plain = batch_norm.start_network([6, 8, 4], bn=False)
    again = batch_norm.fold(plain)
    for a, b in zip(again.weights + again.biases, plain.weights + plain.biases):
        np.testing.assert_array_equal(a, b)
        assert a is not b


def test_fold_matches_keras_dense_then_batch_normalization_in_inference(keras):
    rng = np.random.default_rng(5)
    model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(4), keras.layers.BatchNormalization()])
    dense, bn = model.layers
    bn.gamma.assign(rng.uniform(0.5, 2, 4).astype(np.float32))
    bn.beta.assign(rng.standard_normal(4).astype(np.float32))
    bn.moving_mean.assign(rng.standard_normal(4).astype(np.float32))
    bn.moving_variance.assign(rng.uniform(0.1, 3, 4).astype(np.float32))
    dense.bias.assign(rng.standard_normal(4).astype(np.float32))
    ours = batch_norm.BatchNorm(4)
    for name in ("gamma", "beta", "moving_mean", "moving_variance"):
        setattr(ours, name, getattr(bn, name).numpy())
    net = network.Network([dense.kernel.numpy()], [dense.bias.numpy()], "relu", loss="mse", norms=[ours])
    x = rng.standard_normal((16, 6)).astype(np.float32)
    np.testing.assert_allclose(batch_norm.fold(net).predict(x), model(x, training=False).numpy(),
                               rtol=1e-5, atol=1e-5)


def test_fold_refuses_layer_norm_and_what_is_not_a_network():
    net = batch_norm.norm_network([4, 3, 2], "layer")
    with pytest.raises(ValueError, match=r"net.norms\[0\] must be a BatchNorm or None"):
        batch_norm.fold(net)
    with pytest.raises(ValueError, match="net must be an nnlib.network.Network"):
        batch_norm.fold("network")


def test_note_model_keeps_the_momentum_as_given(keras):
    layers = [layer for layer in batch_norm.note_model(True).layers if type(layer).__name__ == "BatchNormalization"]
    assert [layer.get_config()["momentum"] for layer in layers] == [0.9] * 3


@pytest.mark.parametrize("call, match", [
    (lambda: batch_norm.start_weights([4, 3], "orthogonal"), "start must be one of"),
    (lambda: batch_norm.start_network([4, 3, 2], bn="yes"), "bn must be True or False"),
    (lambda: batch_norm.start_run(np.ones((4, 2)), [0, 1, 0, 1], np.ones((2, 2)), [0, 1], batch_size=1),
     "batch_size must be >= 2"),
    (lambda: batch_norm.start_runs(np.ones((4, 2)), [0, 1, 0, 1], np.ones((2, 2)), [0, 1], []),
     "cases must list at least one"),
    (lambda: batch_norm.start_runs(np.ones((4, 2)), [0, 1, 0, 1], np.ones((2, 2)), [0, 1], [("he_normal", True)]),
     "cases must hold"),
    (lambda: batch_norm.start_runs(np.ones((4, 2)), [0, 1, 0, 1], np.ones((2, 2)), [0, 1],
                                   [("he_normal", True, 0)], lr=0), "lr must be"),
])
def test_start_runs_and_fold_reject_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()

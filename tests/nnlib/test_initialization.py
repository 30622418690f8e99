"""nnlib.initialization (chapter 10) against keras.initializers, keras.activations and GradientTape.

Random draws cannot agree bit for bit (numpy and TensorFlow use different generators), so the
initializers are compared by what defines them: the fans, the limit or standard deviation they
draw with (exactly), the bound no value may cross, and the standard deviation of a large sample.

Tolerance for a sample standard deviation: for N independent values with kurtosis k, the sample
standard deviation s has a relative standard error of about sqrt((k - 1) / (4 N)). k is 1.8 for a
uniform, 3 for a normal, and below 3 for a truncated normal, so with N = 200,000 the standard
error is at most 0.16 %; we allow 5 standard errors (0.79 %). That is tight enough to tell a
truncated normal with the 0.8796 correction (std = target) from one without (std 12 % low).
"""
from __future__ import annotations

import math

import numpy as np
import pytest

from nnlib import data, initialization

SHAPE = (500, 400)  # 200,000 weights; fan_in 500, fan_out 400
N = SHAPE[0] * SHAPE[1]
STD_RTOL = 5 * math.sqrt((3 - 1) / (4 * N))


# --- fans and scales ------------------------------------------------------------------------

@pytest.mark.parametrize("shape", [(), (7,), (3, 5), (3, 3, 4, 8), (2, 5, 6), (5, 1, 1, 2, 3)])
def test_compute_fans_follows_keras(keras, shape):
    from keras.src.initializers.random_initializers import compute_fans

    assert initialization.compute_fans(shape) == compute_fans(shape)


def test_the_named_initializers_use_the_textbook_formulas():
    n_in, n_out = SHAPE
    assert initialization.init_scale(SHAPE, 1.0, "fan_avg", "uniform") == pytest.approx(math.sqrt(6 / (n_in + n_out)))
    assert initialization.init_scale(SHAPE, 1.0, "fan_avg", "untruncated_normal") == pytest.approx(
        math.sqrt(2 / (n_in + n_out)))
    assert initialization.init_scale(SHAPE, 2.0, "fan_in", "uniform") == pytest.approx(math.sqrt(6 / n_in))
    assert initialization.init_scale(SHAPE, 2.0, "fan_in", "untruncated_normal") == pytest.approx(math.sqrt(2 / n_in))
    assert initialization.init_scale(SHAPE, 2.0, "fan_in", "normal") == pytest.approx(
        math.sqrt(2 / n_in) / 0.87962566103423978)
    assert initialization.init_scale(SHAPE, 1 / 3, "fan_in", "uniform") == pytest.approx(1 / math.sqrt(n_in))


def test_truncated_stddev_is_kerass_constant():
    assert initialization.truncated_stddev(2.0) == pytest.approx(0.87962566103423978, rel=1e-14)
    assert initialization.TRUNCATED_STDDEV == 0.87962566103423978
    # TF1's contrib variance_scaling_initializer used 1.3 instead of 1 / 0.8796^2 = 1.2924
    assert 1 / initialization.TRUNCATED_STDDEV ** 2 == pytest.approx(1.2924, abs=1e-4)


def test_keras_truncated_normal_without_the_correction_is_12_percent_narrow(keras):
    w = keras.initializers.TruncatedNormal(stddev=1.0, seed=3)(SHAPE).numpy()
    assert np.std(w) == pytest.approx(initialization.TRUNCATED_STDDEV, rel=STD_RTOL)
    assert np.abs(w).max() <= 2.0


# --- initializers against keras.initializers ------------------------------------------------

CASES = [  # (ours, keras class name, scale, mode, distribution)
    (initialization.glorot_uniform, "GlorotUniform", 1.0, "fan_avg", "uniform"),
    (initialization.glorot_normal, "GlorotNormal", 1.0, "fan_avg", "truncated_normal"),
    (initialization.he_uniform, "HeUniform", 2.0, "fan_in", "uniform"),
    (initialization.he_normal, "HeNormal", 2.0, "fan_in", "truncated_normal"),
]


@pytest.mark.parametrize("ours, name, scale, mode, dist", CASES, ids=[c[1] for c in CASES])
def test_named_initializer_matches_keras(keras, ours, name, scale, mode, dist):
    theirs = getattr(keras.initializers, name)(seed=1)(SHAPE).numpy()
    mine = ours(SHAPE, seed=1)
    assert mine.dtype == np.float32 and mine.shape == SHAPE
    inst = getattr(keras.initializers, name)()
    assert (inst.scale, inst.mode, inst.distribution) == (scale, mode, dist)
    target = math.sqrt(scale / {"fan_in": SHAPE[0], "fan_avg": sum(SHAPE) / 2}[mode])
    param = initialization.init_scale(SHAPE, scale, mode, dist)
    bound = param if dist == "uniform" else 2 * param
    for w in (mine, theirs):
        assert float(np.std(w)) == pytest.approx(target, rel=STD_RTOL)
        assert abs(float(np.mean(w))) < 5 * target / math.sqrt(N)
        assert np.abs(w).max() <= bound * (1 + 1e-6)
        assert np.abs(w).max() >= bound * (1 - 1e-3)  # the bound is reached, not just respected


@pytest.mark.parametrize("mode", initialization.MODES)
@pytest.mark.parametrize("dist", ["uniform", "truncated_normal", "untruncated_normal", "normal"])
def test_variance_scaling_matches_keras(keras, mode, dist):
    shape = (20, 50, 200)  # a 1-d convolution kernel: fans 20*50 = 1000 and 20*200 = 4000
    theirs = keras.initializers.VarianceScaling(scale=0.7, mode=mode, distribution=dist, seed=2)(shape).numpy()
    mine = initialization.variance_scaling(shape, scale=0.7, mode=mode, distribution=dist, seed=2)
    fan_in, fan_out = 1000, 4000
    n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[mode]
    for w in (mine, theirs):
        assert float(np.std(w)) == pytest.approx(math.sqrt(0.7 / n), rel=STD_RTOL)


def test_same_seed_same_weights_other_seed_other_weights():
    a, b, c = (initialization.he_normal((64, 32), seed=s) for s in (5, 5, 6))
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_random_normal_and_standard_uniform():
    w = initialization.random_normal(SHAPE, seed=0)
    assert float(np.std(w)) == pytest.approx(1.0, rel=STD_RTOL)
    u = initialization.standard_uniform(SHAPE, seed=0)
    assert np.abs(u).max() <= 1 / math.sqrt(SHAPE[0]) * (1 + 1e-6)
    assert float(np.std(u)) == pytest.approx(1 / math.sqrt(3 * SHAPE[0]), rel=STD_RTOL)
    g = initialization.initialize("glorot_uniform", (64, 64), seed=0, gain=4.0)
    assert np.array_equal(g, np.float32(4) * initialization.glorot_uniform((64, 64), seed=0))


X4, Y4 = np.zeros((4, 2), np.float32), np.zeros(4, int)


@pytest.mark.parametrize("call, match", [
    (lambda: initialization.variance_scaling((3, 3), scale=0.0), "scale must be a finite number > 0, got 0.0"),
    (lambda: initialization.variance_scaling((3, 3), scale=float("nan")), "scale must be a finite number > 0"),
    (lambda: initialization.variance_scaling((3, 3), scale="2"), "scale must be a positive number"),
    (lambda: initialization.variance_scaling((3, 3), mode="FAN_IN"), r"mode must be one of .*got 'FAN_IN'"),
    (lambda: initialization.variance_scaling((3, 3), distribution="gaussian"), "distribution must be one of"),
    (lambda: initialization.variance_scaling((0, 3)), r"shape must be a tuple of positive integers, got \(0, 3\)"),
    (lambda: initialization.glorot_uniform("3x3"), "shape must be a tuple of positive integers"),
    (lambda: initialization.he_normal((2.5, 3)), "shape must be a tuple of positive integers"),
    (lambda: initialization.he_uniform((3, 3), seed=-1), "seed must be an integer >= 0, got -1"),
    (lambda: initialization.glorot_normal((3, 3), seed=1.5), "seed must be an integer >= 0"),
    (lambda: initialization.random_normal((3, 3), stddev=-1), "stddev must be a finite number > 0"),
    (lambda: initialization.initialize("xavier", (3, 3)), "scheme must be one of"),
    (lambda: initialization.initialize("he_normal", (3, 3), gain=0), "gain must be a finite number > 0"),
    (lambda: initialization.truncated_stddev(0), "bound must be a finite number > 0"),
    (lambda: initialization.probe(depth=0), "depth must be an integer >= 1, got 0"),
    (lambda: initialization.probe(activation="softsign"), "activation must be one of"),
    (lambda: initialization.train_deep(X4, np.zeros(3, int), X4, Y4), "y must hold 4 integer class labels"),
    (lambda: initialization.train_deep(X4, Y4, X4, Y4, lr=0), "lr must be a finite number > 0"),
    (lambda: initialization.train_deep(X4, np.zeros(4), X4, np.zeros(4)), "integer class labels"),
    (lambda: initialization.train_deep_seeds(X4, Y4, X4, Y4, seeds=()), "seeds must be a non-empty sequence"),
    (lambda: initialization.train_deep_seeds(X4, Y4, X4, Y4, seeds=3), "seeds must be a non-empty sequence"),
    (lambda: initialization.train_deep_seeds(X4, Y4, X4, Y4, seeds=(0, -1)), r"seeds\[1\] must be an integer >= 0"),
    (lambda: initialization.train_deep_seeds(X4, Y4, X4, Y4, batch_size=None), "batch_size must be"),
    (lambda: initialization.train_deep_seeds(X4, Y4, X4, Y4, lr=-1), "lr must be a finite number > 0"),
    (lambda: initialization.train_deep_seeds(X4, Y4, X4, Y4, activation="gelu"), "activation must be one of"),
])
def test_bad_input_raises_a_clear_value_error(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# --- the probe and the trainer against TensorFlow ------------------------------

@pytest.mark.parametrize("activation", ["tanh", "relu", "elu"])
def test_probe_gradients_match_gradient_tape(tf, activation):
    depth, width, n, seed = 4, 16, 8, 3
    p = initialization.probe(activation, "glorot_uniform", depth=depth, width=width, num_samples=n, seed=seed)
    rng = np.random.default_rng(seed + 10_000)
    x = rng.standard_normal((n, width)).astype(np.float32)
    r = rng.standard_normal((n, width)).astype(np.float32)
    ws = [tf.Variable(initialization.glorot_uniform((width, width), seed + l)) for l in range(depth)]
    fn = {"tanh": tf.tanh, "relu": tf.nn.relu, "elu": tf.nn.elu}[activation]
    with tf.GradientTape() as tape:
        a = tf.constant(x)
        for w in ws:
            a = fn(a @ w)
        loss = tf.reduce_mean(tf.reduce_sum(r * a, axis=1))
    grads = tape.gradient(loss, ws)
    np.testing.assert_allclose(p.a[-1], a.numpy(), rtol=1e-5, atol=1e-6)
    for ours, theirs in zip(p.grad_w, grads):
        np.testing.assert_allclose(ours, theirs.numpy(), rtol=1e-4, atol=1e-6)


def test_train_deep_one_full_batch_step_matches_keras(tf, keras):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 6)).astype(np.float32)
    y = rng.integers(0, 3, 40)
    depth, width, lr = 3, 8, 0.1
    run = initialization.train_deep(X, y, X[:5], y[:5], "elu", "he_normal", depth=depth, width=width, lr=lr,
                                    batch_size=40, num_epochs=1, seed=2)
    sizes = [6] + [width] * depth + [3]
    start = [initialization.he_normal((sizes[k], sizes[k + 1]), 2000 + k) for k in range(depth)]
    start.append(initialization.glorot_uniform((width, 3), 2000 + depth))
    model = keras.Sequential([keras.Input((6,))]
                             + [keras.layers.Dense(width, activation="elu") for _ in range(depth)]
                             + [keras.layers.Dense(3)])
    for layer, w in zip(model.layers, start):
        layer.set_weights([w, np.zeros(w.shape[1], np.float32)])
    model.compile(optimizer=keras.optimizers.SGD(lr),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    loss = model.train_on_batch(X, y)
    assert run.loss[0] == pytest.approx(float(loss), rel=1e-5)
    for layer, w, b in zip(model.layers, run.net.weights, run.net.biases):
        kw, kb = layer.get_weights()
        np.testing.assert_allclose(w, kw, rtol=1e-4, atol=1e-6)
        np.testing.assert_allclose(b, kb, rtol=1e-4, atol=1e-6)


def test_a_diverged_run_is_not_computed_further_and_records_the_same_as_running_on():
    """train_deep stops computing once every weight is NaN; the record equals running on."""
    X, y, X_test, y_test = data.digits(method="per_class", standardized=True)
    r = initialization.train_deep(X, y, X_test, y_test, "elu", "he_normal", depth=10, width=64, lr=0.2,
                                  batch_size=32, num_epochs=3, seed=0)
    assert np.isnan(r.loss).all() and len(r.val_acc) == len(r.dead) == len(r.first_grad) == 3
    assert all(np.isnan(w).all() for w in r.net.weights)
    one = initialization.train_deep(X, y, X_test, y_test, "elu", "he_normal", depth=10, width=64, lr=0.2,
                                    batch_size=32, num_epochs=1, seed=0)
    assert r.val_acc == one.val_acc * 3 and r.dead == one.dead * 3
    assert np.isnan(r.first_grad[1:]).all()


@pytest.mark.parametrize("activation, lr, seeds", [("elu", 0.2, (0, 1)), ("relu", 0.2, (4, 2)),
                                                  ("tanh", 0.01, (0, 1, 2))])
def test_train_deep_seeds_is_train_deep_run_by_run_bit_for_bit(activation, lr, seeds):
    """Side by side, every record and weight has train_deep's bits; ELU seed 0 at 0.2 diverges in
    epoch 1, and the ReLU runs have dead units."""
    X, y, X_test, y_test = data.digits(method="per_class", standardized=True)
    kw = dict(depth=10, width=64, lr=lr, batch_size=32, num_epochs=3)
    together = initialization.train_deep_seeds(X, y, X_test, y_test, activation, "he_normal", seeds=seeds, **kw)
    assert len(together) == len(seeds)
    for seed, new in zip(seeds, together):
        old = initialization.train_deep(X, y, X_test, y_test, activation, "he_normal", seed=seed, **kw)
        for key in ("loss", "val_acc", "dead", "first_grad", "last_grad", "off"):
            np.testing.assert_array_equal(np.asarray(getattr(new, key)), np.asarray(getattr(old, key)), err_msg=key)
        for a, b in zip(new.net.weights + new.net.biases, old.net.weights + old.net.biases):
            np.testing.assert_array_equal(a, b)
    if activation == "elu":
        assert np.isnan(together[0].loss).all()  # the diverged case is covered


def test_train_deep_is_the_same_bits_under_another_cpu_profile():
    """The chapter's lr = 0.2 ReLU run (chaotic: last-bit differences change its curve) gives the
    same record under the foreign CPU profile (tests/profiles.py)."""
    import subprocess
    import sys

    from tests.profiles import environ

    code = ("from nnlib import data, initialization; X, y, Xt, yt = data.digits(method=\"per_class\", standardized=True); "
            "r = initialization.train_deep(X, y, Xt, yt, 'relu', 'he_normal', depth=10, width=64, lr=0.2, "
            "batch_size=32, num_epochs=2, seed=0); print(repr((r.loss, r.val_acc, r.dead, r.first_grad)))")
    runs = {name: subprocess.run([sys.executable, "-c", code], env=environ(name), capture_output=True,
                                 text=True, timeout=300, check=True).stdout for name in ("machine", "foreign")}
    assert runs["machine"] == runs["foreign"] and runs["machine"].startswith("([")


def test_the_probes_weight_gradients_are_input_transpose_times_dl_dz():
    """grad_w is computed on first use; it is input.T @ dL/dz / samples, layer by layer."""
    p = initialization.probe("relu", "he_normal", depth=3, width=8, num_samples=6, seed=1)
    inputs = [p.x] + p.a[:-1]
    for a, g, gw in zip(inputs, p.grad_z, p.grad_w):
        np.testing.assert_allclose(gw, a.astype(np.float64).T @ g / 6, rtol=1e-5, atol=1e-7)
    assert p.grad_w is p.grad_w  # computed once


# --- dead units per layer, and the tables ---------------------------------------------------

def _run_with(off):
    run = initialization.DeepRun("relu", "he_normal", net=None)
    run.off = [np.array(o, bool) for o in off]
    return run


def test_dead_and_revived_units_per_layer():
    # two hidden layers of three units, three epochs
    run = _run_with([[[1, 0, 0], [1, 1, 0]],
                     [[1, 0, 0], [0, 1, 1]],
                     [[1, 0, 0], [0, 0, 1]]])
    assert run.dead_per_layer().tolist() == [1, 1]
    assert run.dead_per_layer(0).tolist() == [1, 2]
    assert run.ever_dead_per_layer().tolist() == [1, 3]
    # layer 2: unit 0 back after epoch 2, unit 1 after epoch 3; unit 2 died late, stays dead
    assert run.revived_per_layer().tolist() == [0, 2]


def test_a_unit_that_dies_again_counts_once():
    run = _run_with([[[1]], [[0]], [[1]], [[0]]])
    assert run.ever_dead_per_layer().tolist() == [1] and run.revived_per_layer().tolist() == [1]


def test_format_layers_puts_one_layer_per_row_within_the_column():
    lines = initialization.format_layers({"N(0, 1)": [9.34, 102.0], "He N": [0.827, 0.765]},
                                         title="relu")
    assert lines == ["relu         N(0, 1)      He N",
                     "layer 1         9.34     0.827",
                     "layer 2          102     0.765"]
    wide = initialization.format_layers({c: np.ones(10) for c in "abcd"}, title="sigmoid, U(±1/√n)")
    assert len({len(line) for line in wide}) == 1 and len(wide[0]) <= 77
    with pytest.raises(ValueError, match="equally long"):
        initialization.format_layers({"a": [1, 2], "b": [1]})


# --- the histogram grids: light is layer 1, dark the top layer, as the title says ------------

def _luminance(rgba):
    r, g, b = rgba[:3]
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


@pytest.mark.parametrize("what", ["activations", "gradients"])
def test_histogram_grid_colours_layer_1_light_and_the_top_layer_dark(what):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import to_rgba

    from nnlib.plots.initialization import histogram_grid_figure

    depth = 5
    probes = [initialization.probe(a, s, depth=depth, width=16, num_samples=40)
              for a in ("tanh", "relu") for s in ("glorot_uniform", "he_normal")]
    fig = histogram_grid_figure(probes, what=what)
    try:
        assert f"light: layer 1 → dark: layer {depth}" in fig._suptitle.get_text()
        for ax in fig.axes:
            lines = ax.get_lines()
            assert [ln.get_label() for ln in lines] == [f"layer {k}" for k in range(1, depth + 1)]
            shades = [_luminance(to_rgba(ln.get_color())) for ln in lines]
            assert all(a > b for a, b in zip(shades, shades[1:])), f"{ax.get_title()}: {shades}"
            assert shades[0] > 0.5 > shades[-1]  # light, dark
        legend = fig.axes[0].get_legend()
        assert [t.get_text() for t in legend.get_texts()] == ["layer 1", f"layer {depth}"]
        first = fig.axes[0].get_lines()
        for handle, line in zip(legend.legend_handles, (first[0], first[-1])):
            assert to_rgba(handle.get_color()) == to_rgba(line.get_color())
    finally:
        plt.close(fig)


# --- orthogonal, LSUV, symmetry (chapter 10) -------------------------------------------------

@pytest.mark.parametrize("shape", [(6, 4), (4, 6), (3, 2, 5), (64, 64)])
def test_orthogonal_is_kerass_recipe_on_kerass_own_draw(keras, shape):
    # numpy and TensorFlow draw different normals; fed Keras's draw, our recipe gives Keras's matrix
    rows, cols = int(np.prod(shape[:-1])), shape[-1]
    expected = keras.initializers.Orthogonal(gain=1.5, seed=3)(shape).numpy()
    a = keras.random.normal((max(rows, cols), min(rows, cols)), seed=3).numpy()
    q = initialization.orthogonalize(a, 1.5)
    q = (q if rows >= cols else q.T).reshape(shape)
    # Keras's QR runs in float32 (ours in float64): a Householder QR's error grows about as
    # n * eps(float32) = n * 1.2e-7, so the bound is 1e-6 per row of the larger side
    np.testing.assert_allclose(q, expected, rtol=0, atol=1e-6 * max(rows, cols))


@pytest.mark.parametrize("shape", [(6, 4), (4, 6), (64, 64), (3, 2, 5)])
def test_orthogonal_has_every_singular_value_equal_to_the_gain_like_keras(keras, shape):
    ours = initialization.orthogonal(shape, gain=2.0, seed=1)
    theirs = keras.initializers.Orthogonal(gain=2.0, seed=1)(shape).numpy()
    assert ours.dtype == np.float32 and ours.shape == shape
    for w in (ours, theirs):
        s = np.linalg.svd(w.reshape(-1, shape[-1]).astype(np.float64), compute_uv=False)
        np.testing.assert_allclose(s, 2.0, atol=1e-5)
    assert not np.allclose(ours, initialization.orthogonal(shape, gain=2.0, seed=2))
    np.testing.assert_array_equal(ours, initialization.orthogonal(shape, gain=2.0, seed=1))
    assert "orthogonal" in initialization.SCHEMES


def test_orthogonal_rejects_a_vector_shape_and_a_bad_gain():
    with pytest.raises(ValueError, match="a must"):
        initialization.orthogonalize(np.ones((2, 3)))
    with pytest.raises(ValueError, match="shape"):
        initialization.orthogonal((5,))
    with pytest.raises(ValueError, match="gain"):
        initialization.orthogonal((5, 5), gain=0)


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid"])
def test_lsuv_gives_every_layer_unit_variance_pre_activations(activation):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((200, 32)).astype(np.float32)
    start = [initialization.orthogonal((32, 32), seed=k) for k in range(6)]
    ws, counts = initialization.lsuv(start, X, activation, tol=0.01)
    assert len(counts) == 6 and all(c <= 10 for c in counts) and all(counts[1:])  # layer 1: var(X W) ~ 1
    from nnlib.neurons_activations import kernels
    f, _ = kernels(activation)
    prev = X
    for w0, w in zip(start, ws):
        z = prev @ w
        assert abs(np.var(z, dtype=np.float64) - 1) <= 0.01
        ratio = w / w0                      # only a rescaling of the start
        np.testing.assert_allclose(ratio, ratio.flat[0], rtol=1e-5)
        prev = f(z)
    np.testing.assert_array_equal(start[0], initialization.orthogonal((32, 32), seed=0))  # not changed


def test_lsuv_validates_its_arguments():
    X = np.ones((4, 3), np.float32)
    with pytest.raises(ValueError, match="weights"):
        initialization.lsuv([np.ones((2, 3), np.float32)], X)
    with pytest.raises(ValueError, match="tol"):
        initialization.lsuv([np.ones((3, 3), np.float32)], X, tol=0)
    with pytest.raises(ValueError, match="activation"):
        initialization.lsuv([np.ones((3, 3), np.float32)], X, activation="cosh")


def test_probe_knows_orthogonal_and_lsuv():
    p = initialization.probe("relu", "lsuv", depth=5, width=32, num_samples=100)
    assert np.all(np.abs(p.pre_std() - 1) < 0.01)
    o = initialization.probe("tanh", "orthogonal", depth=3, width=32, num_samples=50)
    assert o.depth == 3
    with pytest.raises(ValueError, match="scheme"):
        initialization.probe("relu", "zeros")


@pytest.fixture(scope="module")
def digits_parts():
    return data.digits_with_validation(method="per_class")


def test_constant_init_keeps_hidden_units_identical_random_does_not(digits_parts):
    X, y, X_val, y_val = digits_parts[:4]
    for value in (0.0, 0.01):
        run = initialization.symmetry_run(X, y, X_val, y_val, value=value, num_epochs=3)
        assert run.spread == [0.0] * 4
    zero = initialization.symmetry_run(X, y, X_val, y_val, value=0.0, num_epochs=3)
    assert len(set(zero.val_acc)) == 1          # nothing reaches the hidden layer
    rand = initialization.symmetry_run(X, y, X_val, y_val, num_epochs=3)
    assert rand.spread[0] > 0.1 and rand.val_acc[-1] > 0.7
    with pytest.raises(ValueError, match="value"):
        initialization.symmetry_run(X, y, X_val, y_val, value=float("nan"))


def test_the_explorer_offers_depth_30_orthogonal_and_lsuv_in_at_most_40_frames():
    from nnlib.plots import initialization as init_plots

    ex = init_plots.explorer()
    controls = {c.name: c for c in ex.controls}
    assert set(controls) == {"depth", "activation", "scheme", "gain"}
    assert 30 in controls["depth"].grid and {"orthogonal", "LSUV"} <= set(controls["scheme"].grid)
    assert ex.num_frames <= 40
    fig = init_plots.init_explorer_figure(depth=12, activation="ReLU", scheme="LSUV", gain=1.0)
    assert "LSUV, 12 layers" in fig._suptitle.get_text()


# --- chapter 11: residual_probe and the deep-networks plots -----------------------------------

def _residual_loss(weights, activation, skip, num_samples, seed=0):
    return initialization.residual_probe(activation, skip=skip, num_samples=num_samples, seed=seed,
                                         weights=weights).loss


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "elu"])
@pytest.mark.parametrize("skip", [False, True])
def test_residual_probe_gradient_matches_finite_differences(activation, skip):
    """Central differences of the loss (float32 forward, float64 sum) on a 3-block stack of 4 units.

    Step 1e-2 on smooth activations: truncation error O(h^2 f''') ~ 1e-5 relative, float32 round-off
    ~ 1e-7 / 1e-2 = 1e-5; 1e-3 relative (plus 1e-5 absolute) leaves room for both and catches any
    wrong factor or missing term (a missing skip term changes the gradient by O(1))."""
    p = initialization.residual_probe(activation, depth=3, width=4, num_samples=5, skip=skip, seed=1)
    assert all(g.dtype == np.float32 for g in p.grads) and p.h_grad.shape == (3,)
    h = 1e-2
    for l in range(3):
        for i, j in ((0, 0), (1, 3), (3, 2)):
            up = [w.copy() for w in p.weights]
            down = [w.copy() for w in p.weights]
            up[l][i, j] += np.float32(h)
            down[l][i, j] -= np.float32(h)
            step = float(up[l][i, j]) - float(down[l][i, j])
            fd = (_residual_loss(up, activation, skip, 5, 1) - _residual_loss(down, activation, skip, 5, 1)) / step
            assert abs(fd - p.grads[l][i, j]) <= 1e-3 * abs(fd) + 1e-5, (l, i, j, fd, p.grads[l][i, j])


@pytest.mark.parametrize("skip", [False, True])
def test_residual_probe_matches_gradient_tape(tf, skip):
    p = initialization.residual_probe("tanh", depth=6, width=16, num_samples=32, skip=skip, seed=2)
    rng = np.random.default_rng(2 + 10_000)
    x = rng.standard_normal((32, 16)).astype(np.float32)
    r = rng.standard_normal((32, 16)).astype(np.float32)
    ws = [tf.Variable(w) for w in p.weights]
    hs = []
    with tf.GradientTape() as tape:
        h = tf.constant(x)
        for w in ws:
            h = h + tf.tanh(h @ w) if skip else tf.tanh(h @ w)
            hs.append(h)
        loss = tf.reduce_mean(tf.reduce_sum(r * h, axis=1))
    grads = tape.gradient(loss, ws)
    assert abs(float(loss) - p.loss) <= 1e-5 * max(1.0, abs(p.loss))
    for ours, theirs in zip(p.grads, grads):
        np.testing.assert_allclose(ours, theirs.numpy(), rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(p.h_std, [float(np.std(v.numpy())) for v in hs], rtol=1e-5)


def test_residual_probe_skips_keep_the_sigmoids_gradient_and_plain_stacks_lose_it():
    plain = initialization.residual_probe("sigmoid", depth=30, skip=False)
    skips = initialization.residual_probe("sigmoid", depth=30, skip=True)
    assert plain.h_grad[0] < 1e-15 * plain.h_grad[-1]
    assert 0.5 < skips.h_grad[0] / skips.h_grad[-1] < 2
    # the same kernels, the same top gradient: the top block's branch gradient is the same
    np.testing.assert_array_equal(plain.weights[0], skips.weights[0])


@pytest.mark.parametrize("kwargs, name", [
    (dict(activation="swish"), "activation"), (dict(scheme="lsuv"), "scheme"),
    (dict(depth=0), "depth"), (dict(width=1.5), "width"), (dict(num_samples=0), "num_samples"),
    (dict(skip="yes"), "skip"), (dict(seed=-1), "seed"),
    (dict(weights=[np.zeros((3, 4), np.float32)]), "weights"),
    (dict(weights=[np.zeros((3, 3), np.float32), np.zeros((4, 4), np.float32)]), "weights"),
])
def test_residual_probe_rejects_bad_arguments(kwargs, name):
    with pytest.raises(ValueError, match=name):
        initialization.residual_probe(**kwargs)


def test_deep_networks_plots_and_explorer():
    import matplotlib.pyplot as plt

    from nnlib.plots import deep_networks

    run = initialization.DeepRun("relu", "he_normal", None, loss=[1.0, float("nan")], val_acc=[0.5, 0.1],
                                 dead=[0.01, 0.02])
    runs = {("ReLU", 0.01): [run, run], ("ReLU", 0.2): [run], ("ELU", 0.01): [run]}
    fig = deep_networks.runs_figure(runs, "ELU", 0.2)  # a pair that was not run: a note
    assert "0 seeds" in fig._suptitle.get_text()
    plt.close(fig)
    fig = deep_networks.runs_figure(runs, "ReLU", 0.01)
    assert "2 seeds, 2 diverged" in fig._suptitle.get_text()
    plt.close(fig)
    for kwargs, name in ((dict(activation="tanh"), "activation"), (dict(lr=0.1), "lr")):
        with pytest.raises(ValueError, match=name):
            deep_networks.runs_figure(runs, **kwargs)
    ex = deep_networks.explorer(runs)
    assert ex.num_frames == 4 and ex.defaults() == {"activation": "ReLU", "lr": 0.01}
    with pytest.raises(ValueError, match="runs"):
        deep_networks.explorer({})
    pair = tuple(initialization.residual_probe("tanh", depth=4, width=8, num_samples=8, skip=s)
                 for s in (False, True))
    plt.close(deep_networks.residual_figure({"tanh": pair}))
    with pytest.raises(ValueError, match="probes"):
        deep_networks.residual_figure({"tanh": pair[:1]})

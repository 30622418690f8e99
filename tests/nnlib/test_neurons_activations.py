"""nnlib.neurons_activations: activations, derivatives, layer counts and the training loop, with Keras as the oracle."""
from __future__ import annotations


import numpy as np
import pytest

from nnlib import neurons_activations as act

CASES = [("identity", None), ("sigmoid", None), ("tanh", None), ("relu", None),
         ("leaky_relu", 0.01), ("leaky_relu", 0.2), ("elu", 1.0), ("elu", 0.5),
         ("softplus", None), ("swish", None)]
IDS = [f"{n}-{a}" if a is not None else n for n, a in CASES]

# points across the range, the formula switches (softplus near +-13.94), the kinks and extremes
Z = np.concatenate([np.linspace(-30, 30, 6001),
                    [0.0, -0.0, 1e-8, -1e-8, 13.94, -13.94, 15.0, -15.0, 88.0, -88.0, 100.0, -100.0]]
                   ).astype(np.float32)


def _close(ours, theirs, rtol=4e-6):
    """|ours - theirs| <= rtol * max(1, |theirs|): a few float32 ulps, TF uses its own exp/tanh."""
    ours, theirs = np.asarray(ours, np.float64), np.asarray(theirs, np.float64)
    err = np.abs(ours - theirs) / np.maximum(1.0, np.abs(theirs))
    assert np.all(err <= rtol), f"worst {err.max():.3g} at z = {Z[np.argmax(err)] if err.shape == Z.shape else '?'}"


@pytest.mark.parametrize("name, alpha", CASES, ids=IDS)
def test_values_and_derivatives_match_keras(tf, name, alpha):
    f, df = act.get(name, alpha)
    kf, kdf = act.keras_value_and_grad(name, Z, alpha)
    assert f(Z).dtype == np.float32 and df(Z).dtype == np.float32
    _close(f(Z), kf)
    _close(df(Z), kdf)


def test_the_oracle_is_keras_itself(tf):
    import keras

    z = tf.constant(Z)
    np.testing.assert_array_equal(act.keras_value_and_grad("leaky_relu", Z, 0.01)[0],
                                  keras.activations.leaky_relu(z, negative_slope=0.01).numpy())
    np.testing.assert_array_equal(act.keras_value_and_grad("silu", Z)[0], keras.activations.swish(z).numpy())


def test_named_functions_agree_with_get():
    for fn, name, kw in [(act.sigmoid, "sigmoid", {}), (act.leaky_relu, "leaky_relu", {"alpha": 0.2}),
                         (act.elu, "elu", {"alpha": 0.5})]:
        np.testing.assert_array_equal(fn(Z, **kw), act.get(name, kw.get("alpha"))[0](Z))
    np.testing.assert_array_equal(act.get("silu")[0](Z), act.get("swish")[0](Z))
    np.testing.assert_array_equal(act.leaky_relu(Z), act.get("leaky_relu", 0.01)[0](Z))  # note 001's default


def test_derivatives_match_central_differences():
    z = np.linspace(-4, 4, 81)
    z = z[np.abs(z) > 0.05]  # away from the kinks
    h = 1e-3
    for name, alpha in CASES:
        f = act.get(name, alpha)[0]
        fd = (f(z + h).astype(np.float64) - f(z - h).astype(np.float64)) / (2 * h)
        np.testing.assert_allclose(act.derivative(name, z, alpha), fd, atol=2e-3, err_msg=name)


def test_no_overflow_warnings_at_extremes_and_shapes_are_kept():
    z = np.float32([-1e30, -500, 500, 1e30]).reshape(2, 1, 2)
    with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
        for name, alpha in CASES:
            f, df = act.get(name, alpha)
            assert np.all(np.isfinite(f(z))) and np.all(np.isfinite(df(z)))
            assert f(z).shape == df(z).shape == (2, 1, 2)
    assert act.get("relu")[0](-2.0).shape == ()


# --- layers and parameters --------------------------------------------------------------------

@pytest.mark.parametrize("sizes", [[3, 4, 2], [400, 25, 15, 1], [400, 25, 15, 10], [1, 1], [7, 30, 1, 5, 2]])
def test_counts_match_keras(tf, sizes):
    import keras

    model = keras.Sequential([keras.Input(shape=(sizes[0],))] + [keras.layers.Dense(n) for n in sizes[1:]])
    assert sum(act.param_counts(sizes)) == model.count_params()
    assert act.param_counts(sizes) == [layer.count_params() for layer in model.layers]
    assert [(w, b) for w, b in act.layer_shapes(sizes)] == [
        (tuple(layer.kernel.shape), tuple(layer.bias.shape)) for layer in model.layers]
    assert act.num_layers(sizes) == len(model.layers)


@pytest.mark.parametrize("activation, alpha", [("relu", None), ("sigmoid", None), ("leaky_relu", 0.2), ("elu", 1.0)])
def test_dense_matches_a_keras_dense_layer(tf, activation, alpha):
    import keras

    rng = np.random.default_rng(3)
    X = rng.normal(size=(16, 5)).astype(np.float32)
    kact = {"leaky_relu": lambda x: keras.activations.leaky_relu(x, negative_slope=0.2)}.get(activation, activation)
    layer = keras.layers.Dense(4, activation=kact, bias_initializer="random_normal")
    theirs = layer(X).numpy()
    ours = act.dense(X, layer.kernel.numpy(), layer.bias.numpy(), activation, alpha)
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)


def test_compose_linear_equals_the_stack(tf):
    import keras

    model = keras.Sequential([keras.Input(shape=(6,))] + [keras.layers.Dense(n, bias_initializer="random_normal")
                                                          for n in (9, 9, 4, 2)])
    X = np.random.default_rng(0).normal(size=(50, 6)).astype(np.float32)
    W, b = act.compose_linear([l.kernel.numpy() for l in model.layers], [l.bias.numpy() for l in model.layers])
    assert W.shape == (6, 2) and b.shape == (2,) and W.dtype == np.float32
    np.testing.assert_allclose(X @ W + b, model(X).numpy(), rtol=1e-4, atol=1e-5)


def test_compose_of_one_layer_is_that_layer():
    W, b = np.eye(3, dtype=np.float32), np.arange(3, dtype=np.float32)
    assert all(np.array_equal(p, q) for p, q in zip(act.compose_linear([W], [b]), (W, b)))


# --- training and dead units -------------------------------------------------------------------

def _keras_losses(tf, net, X, y, lr, num_steps):
    import keras

    model = keras.Sequential([keras.Input(shape=(X.shape[1],)),
                              keras.layers.Dense(net.sizes[1], activation=net.activation), keras.layers.Dense(1)])
    model.set_weights(net.keras_weights())
    opt, mse = keras.optimizers.SGD(learning_rate=lr), keras.losses.MeanSquaredError()
    out = []
    for _ in range(num_steps):
        with tf.GradientTape() as tape:
            loss = mse(y, model(X))
        opt.apply_gradients(zip(tape.gradient(loss, model.trainable_variables), model.trainable_variables))
        out.append(loss.numpy())
    return np.array(out), model.get_weights()


@pytest.mark.parametrize("activation", ["relu", "tanh", "elu"])
def test_train_matches_keras_sgd(tf, activation):
    X, y = act.toy_regression(n=64, n_in=3, seed=2)
    net = act.init_mlp(3, 16, activation, seed=1)
    run = act.train(X, y, net, lr=0.05, num_steps=40)
    losses, weights = _keras_losses(tf, net, X, y, 0.05, 40)
    np.testing.assert_allclose(run.loss[:40], losses, rtol=2e-5)
    for ours, theirs in zip(run.net.keras_weights(), weights):
        np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-6)


def test_train_does_not_modify_its_input_and_records_every_step():
    X, y = act.toy_regression(n=32, n_in=2)
    net = act.init_mlp(2, 8, seed=0)
    before = net.copy()
    run = act.train(X, y, net, lr=0.01, num_steps=5)
    assert all(np.array_equal(a, b) for a, b in zip(net.keras_weights(), before.keras_weights()))
    assert run.loss.shape == run.off_share.shape == (6,) and run.diverged_at is None
    assert run.loss.dtype == np.float32 and run.net.weights[0].dtype == np.float32
    assert act.train(X, y, net, lr=0.01, num_steps=0).loss.shape == (1,)


def test_relu_units_that_die_stay_dead_and_frozen():
    X, y = act.toy_regression()
    first = act.train(X, y, act.init_mlp(8, 64, "relu", out_scale=0.1, seed=0), lr=0.1, num_steps=100)
    second = act.train(X, y, first.net, lr=0.1, num_steps=100)
    dead = first.off
    assert dead.sum() > 16  # the chapter's example: a large learning rate kills many units
    assert np.all(second.off[dead]) and second.revived == 0 and first.revived == 0
    assert np.all(np.diff(first.off_share) >= 0) and np.all(np.diff(second.off_share) >= 0)
    np.testing.assert_array_equal(first.net.weights[0][:, dead], second.net.weights[0][:, dead])
    np.testing.assert_array_equal(first.net.biases[0][dead], second.net.biases[0][dead])
    np.testing.assert_array_equal(first.net.weights[1][dead], second.net.weights[1][dead])


def test_leaky_units_can_come_back():
    X, y = act.toy_regression()
    run = act.train(X, y, act.init_mlp(8, 64, "leaky_relu", 0.01, out_scale=0.1, seed=0), lr=0.1,
                    num_steps=300)
    assert run.revived > 0 and np.any(np.diff(run.off_share) < 0)


def test_init_mlp_takes_several_hidden_layers_and_a_dot():
    from nnlib import portable

    net = act.init_mlp(3, [5, 4], "tanh", seed=2, dot=portable.dot)
    assert net.sizes == [3, 5, 4, 1] and net.dot is portable.dot
    # one hidden layer as an int or a one-item list: the same draws
    a, b = act.init_mlp(3, 5, seed=1), act.init_mlp(3, [5], seed=1)
    assert all(np.array_equal(p, q) for p, q in zip(a.keras_weights(), b.keras_weights()))


def test_train_watches_any_hidden_layer_and_freezes_the_bottom_ones():
    X, y = act.toy_regression(n=64, n_in=4, seed=0)
    net = act.init_mlp(4, [6, 5], seed=0)
    run = act.train(X, y, net, lr=0.05, num_steps=10, layer=1, frozen=1)
    assert run.ever_off.shape == run.off.shape == (5,)
    np.testing.assert_array_equal(run.net.weights[0], net.weights[0])   # frozen
    np.testing.assert_array_equal(run.net.biases[0], net.biases[0])
    assert not np.array_equal(run.net.weights[1], net.weights[1])       # learning
    free = act.train(X, y, net, lr=0.05, num_steps=10, layer=1)
    assert not np.array_equal(free.net.weights[0], net.weights[0])


def test_off_units():
    Z = np.array([[1.0, -1.0, 0.0], [-2.0, -3.0, 0.0]])
    assert act.off_units(Z).tolist() == [False, True, True]


def test_divergence_is_a_result_not_a_crash():
    X, y = act.toy_regression(n=64, n_in=2)
    run = act.train(X, y, act.init_mlp(2, 16, seed=0), lr=50.0, num_steps=200)
    assert run.diverged_at is not None
    assert len(run.loss) == run.diverged_at and np.all(np.isfinite(run.loss))


def test_init_and_data_are_seeded():
    a, b = act.init_mlp(4, 5, seed=3), act.init_mlp(4, 5, seed=3)
    assert all(np.array_equal(p, q) for p, q in zip(a.keras_weights(), b.keras_weights()))
    assert [p.shape for p in a.keras_weights()] == [(4, 5), (5,), (5, 1), (1,)]
    X, y = act.toy_regression(n=100, n_in=3, seed=4)
    assert X.shape == (100, 3) and y.shape == (100, 1) and X.dtype == y.dtype == np.float32
    assert abs(float(y.mean())) < 1e-5 and abs(float(y.std()) - 1) < 1e-5


# --- bad input ----------------------------------------------------------------------------------

@pytest.mark.parametrize("call, words", [
    (lambda: act.get("relu")[0]([1.0, float("nan")]), "z must be finite (no NaN or inf)"),
    (lambda: act.sigmoid("one"), "z must be a number or an array of numbers, got 'one'"),
    (lambda: act.leaky_relu(1.0, alpha=1.0), "alpha must satisfy 0 <= alpha < 1, got 1.0"),
    (lambda: act.leaky_relu(1.0, alpha=-0.1), "alpha must satisfy 0 <= alpha < 1, got -0.1"),
    (lambda: act.elu(1.0, alpha=0), "alpha must be a finite number > 0, got 0.0"),
    (lambda: act.elu(1.0, alpha="1"), "alpha must be a positive number, got '1'"),
    (lambda: act.get("relu", 0.1), "alpha is only used by leaky_relu and elu, got alpha=0.1 for 'relu'"),
    (lambda: act.derivative("gelu", 0.0), "name must be one of"),
    (lambda: act.param_counts([3]), "sizes must list at least two integers >= 1"),
    (lambda: act.param_counts([3, 2.5]), "got [3, 2.5]"),
    (lambda: act.param_counts(7), "sizes must be a list of layer widths"),
    (lambda: act.dense(np.ones((2, 3)), np.ones((4, 1)), np.zeros(1)), "shapes do not fit: X (2, 3) @ W (4, 1)"),
    (lambda: act.dense(np.ones(3), np.ones((3, 1)), np.zeros(1)), "need X of shape (n, n_in)"),
    (lambda: act.compose_linear([np.ones((2, 3))], []), "need as many bias vectors as weight matrices"),
    (lambda: act.compose_linear([np.ones((2, 3)), np.ones((4, 1))], [np.zeros(3), np.zeros(1)]),
     "weights[1] (4, 1) / biases[1] (1,) are not a dense layer"),
    (lambda: act.off_units(np.ones(3)), "Z must be a 2-d array"),
    (lambda: act.init_mlp(0, 3), "n_in must be an integer >= 1, got 0"),
    (lambda: act.init_mlp(2, 3, seed=-1), "seed must be an integer >= 0, got -1"),
    (lambda: act.init_mlp(2, 3, "relu6"), "name must be one of"),
    (lambda: act.init_mlp(2, [3, 0]), "units must be an integer >= 1 or a list of them"),
    (lambda: act.init_mlp(2, "3"), "units must be an integer >= 1 or a list of them"),
])
def test_bad_input_names_the_argument_and_the_value(call, words):
    with pytest.raises(ValueError) as err:
        call()
    assert words in str(err.value)


@pytest.mark.parametrize("kwargs, words", [
    (dict(lr=0), "lr must be a finite number > 0, got 0.0"),
    (dict(num_steps=-1), "num_steps must be an integer >= 0, got -1"),
    (dict(X=np.ones((10, 3))), "X must have shape (n, 2), got (10, 3)"),
    (dict(y=np.ones((9, 1))), "y must have shape (10, 1) to match X, got (9, 1)"),
    (dict(net="net"), "net must be an nnlib.network.Network"),
    (dict(layer=1), "need layer < 1 (hidden layers) and frozen <= 2 (layers), got layer=1"),
    (dict(frozen=3), "got layer=0, frozen=3"),
    (dict(layer=-1), "layer must be an integer >= 0, got -1"),
])
def test_train_rejects_bad_arguments(kwargs, words):
    args = dict(net=act.init_mlp(2, 4), X=np.ones((10, 2)), y=np.ones((10, 1)), lr=0.1, num_steps=3) | kwargs
    with pytest.raises(ValueError) as err:
        act.train(**args)
    assert words in str(err.value)


def test_the_explorer_figure_refuses_an_unknown_activation():
    from nnlib.plots import neurons_activations as plots

    with pytest.raises(ValueError, match="activation must be one of"):
        plots.activation_explorer_figure("relu", 0.0)


def test_train_many_is_train_on_each_start():
    """train_many (chapter 1): the runs train makes one by one, bit for bit, in the given order,
    frozen per start, and argument errors raised here rather than in a worker."""
    from nnlib import portable

    X, y = act.toy_regression(n=64, n_in=4, seed=2)
    starts = [act.init_mlp(4, [8, 8], "relu", out_scale=0.1, seed=s, dot=portable.dot) for s in (0, 1, 2)]
    frozen = [0, 1, 2]
    many = act.train_many(X, y, starts, lr=0.1, num_steps=40, layer=1, frozen=frozen)
    for start, f, run in zip(starts, frozen, many):
        alone = act.train(X, y, start, lr=0.1, num_steps=40, layer=1, frozen=f)
        assert np.array_equal(alone.loss, run.loss) and np.array_equal(alone.off_share, run.off_share)
        assert np.array_equal(alone.ever_off, run.ever_off) and np.array_equal(alone.off, run.off)
        assert alone.diverged_at == run.diverged_at
        for p, q in zip(alone.net.weights + alone.net.biases, run.net.weights + run.net.biases):
            assert np.array_equal(p, q)
        assert run.net.dot is portable.dot and run.net.activation == "relu"
    assert not np.array_equal(many[0].net.weights[0], starts[0].weights[0])  # trained, start kept
    with pytest.raises(ValueError, match="starts must be a non-empty list"):
        act.train_many(X, y, [], lr=0.1)
    with pytest.raises(ValueError, match=r"frozen must be an integer or one per start \(3\)"):
        act.train_many(X, y, starts, frozen=[0])
    with pytest.raises(ValueError, match="layer"):
        act.train_many(X, y, starts, layer=5)


def _keras_prelu(tf, z, slope, upstream):
    import keras

    layer = keras.layers.PReLU()
    layer.build((None,) + z.shape[1:])
    layer.alpha.assign(slope)
    zt = tf.constant(z)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(zt)
        out = layer(zt)
        loss = tf.reduce_sum(out * upstream)
    return out.numpy(), tape.gradient(loss, zt).numpy(), tape.gradient(loss, layer.alpha).numpy()


def test_prelu_matches_keras_prelu_forward_and_gradients(tf):
    """PReLU (chapter 1) against keras.layers.PReLU: the output and dL/dz bit for bit (z = 0
    included: slope 0 there, TensorFlow's convention), dL/dslope within the float32 summation
    bound n * 2**-24 * sum|terms| of each side (TensorFlow adds the batch in its own order), and
    exactly where every term and partial sum is a float32 without rounding."""
    rng = np.random.default_rng(0)
    z = rng.normal(size=(200, 16)).astype(np.float32)
    z[0, :4] = 0
    slope = rng.uniform(0, 0.5, 16).astype(np.float32)
    upstream = rng.normal(size=z.shape).astype(np.float32)
    out, gz, gslope = _keras_prelu(tf, z, slope, upstream)
    dz, dslope = act.prelu_grad(z, slope, upstream)
    assert np.array_equal(act.prelu(z, slope), out)
    assert np.array_equal(dz, gz)
    assert np.all(dz[0, :4] == 0)
    terms = np.abs(upstream * np.minimum(z, 0)).astype(np.float64).sum(axis=0)
    assert np.all(np.abs(dslope.astype(np.float64) - gslope) <= 2 * 200 * 2.0 ** -24 * terms)
    # dyadic numbers: every sum exact, so the two orders agree to the bit
    z2 = rng.integers(-8, 8, (64, 5)).astype(np.float32) / 2
    up2 = rng.integers(-4, 4, (64, 5)).astype(np.float32)
    slope2 = np.array([0, 0.25, 0.5, 0.125, 0.75], np.float32)
    out2, gz2, gslope2 = _keras_prelu(tf, z2, slope2, up2)
    dz2, dslope2 = act.prelu_grad(z2, slope2, up2)
    assert np.array_equal(act.prelu(z2, slope2), out2) and np.array_equal(dz2, gz2)
    assert np.array_equal(dslope2, gslope2)
    assert np.array_equal(dslope2, (up2 * np.minimum(z2, 0)).sum(axis=0))


def test_prelu_special_slopes_and_shapes():
    z = np.array([[-2.0, -0.5, 0.0, 1.5]], np.float32)
    assert np.array_equal(act.prelu(z, 0.0), act.get("relu")[0](z))
    assert np.array_equal(act.prelu(z, 0.2), act.leaky_relu(z, 0.2))
    assert np.array_equal(act.prelu(z, 1.0), z)              # slope 1: the identity
    assert np.array_equal(act.prelu(z, -1.0), np.abs(z))     # a learned slope may go negative
    dz, ds = act.prelu_grad(z, np.float32(0.25), np.ones_like(z))
    assert ds.shape == () and ds == -2.5 and np.array_equal(dz, [[0.25, 0.25, 0, 1]])
    with pytest.raises(ValueError, match="slope must broadcast against z"):
        act.prelu(np.ones((3, 4)), np.ones(3))
    with pytest.raises(ValueError, match="upstream must have the shape of z"):
        act.prelu_grad(np.ones((3, 4)), np.ones(4), np.ones(4))
    with pytest.raises(ValueError, match="slope must be finite"):
        act.prelu([1.0], np.nan)


def test_rrelu_random_in_training_mean_at_inference():
    """RReLU (chapter 1): slopes in [lower, upper] in training, one per entry, drawn from the
    seed; at inference the mean slope, so training outputs average to the inference output."""
    z = np.full(20000, -1.0, np.float32)
    lo, hi = act.RRELU_RANGE
    inference = act.rrelu(z)
    assert np.all(inference == np.float32(-(lo + hi) / 2))
    trained = act.rrelu(z, training=True, seed=3)
    assert np.all((trained <= -np.float32(lo)) & (trained >= -np.float32(hi)))
    assert len(np.unique(trained)) > 19000                   # a slope per entry
    assert abs(trained.mean() - inference[0]) < 0.002        # 4 standard errors of the mean
    assert np.array_equal(trained, act.rrelu(z, training=True, seed=3))
    assert not np.array_equal(trained, act.rrelu(z, training=True, seed=4))
    pos = np.array([0.0, 2.5], np.float32)
    assert np.array_equal(act.rrelu(pos, training=True), pos) and np.array_equal(act.rrelu(pos), pos)
    assert np.array_equal(act.rrelu([-2.0], 0.2, 0.2, training=True), act.leaky_relu([-2.0], 0.2))
    for kwargs, words in [(dict(lower=0.5, upper=0.25), "0 <= lower <= upper < 1"),
                          (dict(upper=1.0), "0 <= lower <= upper < 1"),
                          (dict(training="yes"), "training must be True or False"),
                          (dict(training=True, seed=-1), "seed")]:
        with pytest.raises(ValueError, match=words.replace("(", r"\(")):
            act.rrelu([-1.0], **kwargs)

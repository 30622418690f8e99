"""nnlib.backprop: the scalar reverse-mode autodiff of chapter 5, checked against tf.GradientTape.

Both sides compute in float64 (nnlib's Values are Python floats; the TensorFlow tensors are made
float64), so gradients agree to about 1e-15 relative; the tolerance below (1e-10) only leaves
room for a different order of the same operations inside TensorFlow's gradient kernels.

The second half tests the matrix functions: jvp / vjp against tf.autodiff.ForwardAccumulator and
GradientTape (float64, within 1e-12), memory_cost against the arrays a forward pass keeps, the
depth factor s/sqrt(2), and gradient clipping in float32 against Keras 3's ``clipnorm`` and
``global_clipnorm``: bit for bit where clipping does not act, within CLIP_ULP = 8 ulp where it does.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

from nnlib import backprop as bp
from nnlib.backprop import Value, ValueNetwork, count_ops, gradient_cost, numerical_grad, one_neuron
from nnlib.network import glorot_network
from nnlib.portable import ulps

RTOL, ATOL = 1e-10, 1e-12


# --- the course's examples ---------------------------------------------------------------------
def test_the_lecture_example_forward_and_backward():
    """x = -2, y = 2, w = 2, b = 8: c = -4, a = 4, d = 2, J = 2; dJ/dd = dJ/da = dJ/db = dJ/dc = 2, dJ/dw = -4."""
    g = one_neuron(x=-2.0, y=2.0, w=2.0, b=8.0)
    g["J"].backward()
    assert {k: g[k].data for k in "cadJ"} == {"c": -4.0, "a": 4.0, "d": 2.0, "J": 2.0}
    assert {k: g[k].grad for k in "dabcwJ"} == {"d": 2.0, "a": 2.0, "b": 2.0, "c": 2.0, "w": -4.0,
                                                "J": 1.0}


def test_the_lab_network():
    """x = 2, w = -2, b = 8, y = 1: c = -4, a = 4, d = 3, J = 4.5, dJ/dw = 6 (the lab's slopes with
    numerical_grad, 6.002, 22.001 and 66.009, to the last digit: tests/chapters/test_05_backprop.py)."""
    g = one_neuron(x=2.0, y=1.0, w=-2.0, b=8.0)
    g["J"].backward()
    assert (g["c"].data, g["a"].data, g["d"].data, g["J"].data, g["w"].grad) == (-4, 4, 3, 4.5, 6)


def test_the_lab_square_example():
    """a = 2 + 3w, J = a^2 at w = 3: a = 11, J = 121, dJ/da = 22, dJ/dw = 66."""
    w = Value(3.0)
    a = 2 + 3 * w
    J = a ** 2
    J.backward()
    assert (a.data, J.data, a.grad, w.grad) == (11, 121, 22, 66)


# --- each operation against TensorFlow ---------------------------------------------------------
OPS = {
    "add": (lambda a, b: a + b), "sub": (lambda a, b: a - b), "mul": (lambda a, b: a * b),
    "div": (lambda a, b: a / b), "radd": (lambda a, b: 1.5 + a * b), "rsub": (lambda a, b: 1.5 - a / b),
    "rmul": (lambda a, b: 2.5 * a + b), "rdiv": (lambda a, b: 2.0 / (a * a + 1) + b),
    "neg": (lambda a, b: -a * b), "pow2": (lambda a, b: a ** 2 + b), "pow3": (lambda a, b: (a * b) ** 3),
    "pow_half": (lambda a, b: (a * a + b * b) ** 0.5), "pow_neg": (lambda a, b: (a * a + 1) ** -1.5),
}
FUNCS = ("exp", "log", "relu", "tanh")


def _apply(name, v, tf=None):
    if tf is None:
        return getattr(v, name)()
    return {"exp": tf.exp, "log": tf.math.log, "relu": tf.nn.relu, "tanh": tf.tanh}[name](v)


def _tf_grads(tf, fn, values):
    xs = [tf.Variable(v, dtype=tf.float64) for v in values]
    with tf.GradientTape() as tape:
        out = fn(*xs)
    return float(out.numpy()), [float(g.numpy()) if g is not None else 0.0
                                for g in tape.gradient(out, xs)]


def _ours(fn, values):
    xs = [Value(v) for v in values]
    out = fn(*xs)
    out.backward()
    return out.data, [x.grad for x in xs]


@pytest.mark.parametrize("name", sorted(OPS))
def test_each_arithmetic_operation_matches_gradient_tape(tf, name):
    rng = np.random.default_rng(1)
    for _ in range(8):
        values = [float(v) for v in rng.normal(0, 2, 2)]
        ours, theirs = _ours(OPS[name], values), _tf_grads(tf, OPS[name], values)
        np.testing.assert_allclose(ours[0], theirs[0], rtol=RTOL, atol=ATOL)
        np.testing.assert_allclose(ours[1], theirs[1], rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("name", FUNCS)
def test_each_function_matches_gradient_tape(tf, name):
    rng = np.random.default_rng(2)
    for _ in range(8):
        x = float(rng.uniform(0.05, 4)) if name == "log" else float(rng.normal(0, 2))
        ours = _ours(lambda v: _apply(name, v), [x])
        theirs = _tf_grads(tf, lambda v: _apply(name, v, tf), [x])
        np.testing.assert_allclose(ours[0], theirs[0], rtol=RTOL, atol=ATOL)
        np.testing.assert_allclose(ours[1], theirs[1], rtol=RTOL, atol=ATOL)


def test_relu_gradient_at_zero_is_zero_as_in_tensorflow(tf):
    assert _ours(lambda v: v.relu(), [0.0])[1] == [0.0]
    assert _tf_grads(tf, tf.nn.relu, [0.0])[1] == [0.0]


# --- random expressions --------------------------------------------------------------------------
def _random_program(rng, num_inputs, num_ops):
    """A random straight-line program; each step reads earlier results, so nodes are shared."""
    kinds = ["add", "sub", "mul", "div", "pow", "exp", "log", "relu", "tanh", "neg"]
    return [(str(rng.choice(kinds)), int(rng.integers(0, num_inputs + k)),
             int(rng.integers(0, num_inputs + k)), int(rng.choice([2, 3]))) for k in range(num_ops)]


def _run(program, xs, tf=None):
    f = (lambda name, v: _apply(name, v, tf))
    pool = list(xs)
    for kind, i, j, k in program:
        a, b = pool[i], pool[j]
        if kind in ("add", "sub", "mul"):
            r = {"add": a + b, "sub": a - b, "mul": a * b}[kind]
        elif kind == "div":
            r = a / (b * b + 1)          # keep the denominator away from 0
        elif kind == "pow":
            r = f("tanh", a) ** k        # keep powers of large numbers in range
        elif kind == "exp":
            r = f("exp", f("tanh", a))   # no overflow
        elif kind == "log":
            r = f("log", a * a + 0.5)    # a positive argument
        elif kind == "neg":
            r = -a
        else:
            r = f(kind, a)
        pool.append(r)
    out = pool[-1]
    for r in pool[-4:-1]:
        out = out + r
    return out


def test_random_expressions_match_gradient_tape(tf):
    rng = np.random.default_rng(3)
    for trial in range(60):
        n = int(rng.integers(1, 5))
        program = _random_program(rng, n, int(rng.integers(3, 25)))
        values = [float(v) for v in rng.normal(0, 1.5, n)]
        ours = _ours(lambda *xs: _run(program, xs), values)
        theirs = _tf_grads(tf, lambda *xs: _run(program, xs, tf), values)
        np.testing.assert_allclose(ours[0], theirs[0], rtol=RTOL, atol=ATOL, err_msg=str(program))
        np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-9, atol=1e-10, err_msg=str(program))


# --- a 2-layer network against Keras ---------------------------------------------------------------
@pytest.mark.parametrize("activation", ValueNetwork.ACTIVATIONS)
def test_a_two_layer_network_matches_keras_and_gradient_tape(tf, activation):
    import keras

    rng = np.random.default_rng(4)
    X, Y = rng.normal(size=(8, 3)), rng.normal(size=(8, 2))
    net = ValueNetwork(glorot_network([3, 5, 2], activation, seed=5))
    loss = 0.0
    for x, y in zip(X, Y):
        out = net([float(v) for v in x])
        loss = loss + sum(((o - float(t)) ** 2 for o, t in zip(out, y)), Value(0.0))
    loss = loss * (0.5 / len(X))
    loss.backward()

    model = keras.Sequential([keras.Input((3,), dtype="float64"),
                              keras.layers.Dense(5, activation=activation, dtype="float64"),
                              keras.layers.Dense(2, dtype="float64")])
    model.set_weights([a for layer in net.arrays() for a in layer])
    with tf.GradientTape() as tape:
        pred = model(tf.constant(X))
        tf_loss = 0.5 * tf.reduce_mean(tf.reduce_sum((pred - Y) ** 2, axis=1))
    grads = tape.gradient(tf_loss, model.trainable_variables)
    np.testing.assert_allclose(loss.data, float(tf_loss), rtol=RTOL)
    for ours, theirs in zip([a for layer in net.arrays("grad") for a in layer], grads):
        np.testing.assert_allclose(ours, theirs.numpy(), rtol=RTOL, atol=ATOL)


# --- the graph mechanics ---------------------------------------------------------------------------
def test_a_shared_node_collects_gradient_from_every_use():
    a = Value(3.0)
    y = a * a + a          # dy/da = 2a + 1 = 7
    y.backward()
    assert a.grad == 7.0


def test_backward_twice_gives_the_same_gradients_not_their_sum():
    g = one_neuron()
    g["J"].backward()
    g["J"].backward()
    assert g["w"].grad == -4.0


def test_a_deep_graph_needs_no_recursion():
    x = Value(0.5)
    y = x
    for _ in range(3000):   # far deeper than Python's recursion limit (1000)
        y = y * 1.0 + 0.0
    y.backward()
    assert x.grad == 1.0 and len(y.nodes()) == 12001  # per step: two constants, two operations


def test_nodes_come_in_topological_order():
    g = one_neuron()
    order = g["J"].nodes()
    pos = {id(v): i for i, v in enumerate(order)}
    assert all(pos[id(p)] < pos[id(v)] for v in order for p in v.parents)
    assert order[-1] is g["J"]


def test_exp_overflow_is_a_result_not_a_crash():
    assert Value(1000.0).exp().data == math.inf


def test_repr_shows_label_value_and_gradient():
    g = one_neuron()
    g["J"].backward()
    assert repr(g["w"]) == "Value(w: data=2, grad=-4)"


# --- counting the work (note 004's N + P against N x P) --------------------------------------------
def test_gradient_cost_counts_the_parameters_and_its_slopes_agree():
    """The counts N + P and (P + 1) N for nine networks: tests/chapters/test_05_backprop.py."""
    r = gradient_cost([4, 8, 1])
    assert r["P"] == 4 * 8 + 8 + 8 + 1
    assert r["max_diff"] < 1e-3                          # one-sided slopes are off by about eps/2 * J''


def test_count_ops_counts_only_inside_its_block():
    with count_ops() as c:
        g = one_neuron()
        g["J"].backward()
    one_neuron()
    assert (c.forward, c.backward) == (5, 9)   # c, a, d, d**2, J; one step per edge


def test_numerical_grad_restores_the_parameters():
    g = one_neuron()
    numerical_grad(lambda: one_neuron(w=g["w"].data, b=g["b"].data)["J"], [g["w"], g["b"]])
    assert (g["w"].data, g["b"].data) == (2.0, 8.0)


# --- arguments -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("make, match", [
    (lambda: Value(float("nan")), r"data must be a finite real number, got nan"),
    (lambda: Value("3"), r"data must be a finite real number, got '3'"),
    (lambda: Value(True), r"data must be a finite real number, got True"),
    (lambda: Value(2.0) + "x", r"the other operand must be a finite real number, got 'x'"),
    (lambda: Value(0.0).log(), r"log needs a positive input, got 0.0"),
    (lambda: Value(-1.0).log(), r"log needs a positive input, got -1.0"),
    (lambda: Value(0.0) ** -1, r"0 \*\* -1.0 is undefined"),
    (lambda: Value(-2.0) ** 0.5, r"negative base needs an integer exponent"),
    (lambda: Value(2.0) ** Value(2.0), r"the exponent must be a finite real number"),
    (lambda: Value(1.0) / 0, r"cannot divide 1.0 by a Value equal to 0"),
    (lambda: ValueNetwork([3, 2, 1]), r"net must be an nnlib.network.Network, got list"),
    (lambda: ValueNetwork(glorot_network([3, 2, 1], "sigmoid")),
     r"activation must be one of \('tanh', 'relu'\), got 'sigmoid'"),
    (lambda: ValueNetwork(glorot_network([3, 2, 1], "tanh"))([1.0, 2.0]), r"x must have 3 entries, got 2"),
    (lambda: ValueNetwork(glorot_network([2, 1], "tanh")).arrays("value"),
     r"what must be one of \('data', 'grad'\), got 'value'"),
    (lambda: numerical_grad(lambda: Value(1.0), [], eps=0), r"eps must be a finite number > 0, got 0.0"),
])
def test_bad_arguments_raise_value_error_naming_them(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_numpy_scalars_are_accepted():
    assert (Value(np.float32(0.5)) * np.float64(2.0)).data == 1.0


# --- matrices: forward and reverse mode, memory, depth, clipping (the chapter's second half) ---------
# Keras 3 adds the squares of a gradient in float32 in its kernels' order; nnlib adds them in float64
# and rounds once. Where clipping acts, the clipped arrays therefore agree within CLIP_ULP ulp of each
# entry (largest seen: 5 ulp on arrays of up to 16,000 entries); where it does not act, bit for bit.
CLIP_ULP = 8


def _random_grads(rng):
    shapes = [(int(rng.integers(1, 300)), int(rng.integers(1, 50))), (int(rng.integers(1, 50)),),
              (int(rng.integers(1, 2000)),)]
    scale = 10 ** rng.uniform(-3, 3)
    return [(rng.normal(size=s) * scale).astype(np.float32) for s in shapes]


def _keras_clipped(tf, keras, grads, **clipping):
    """Minus the weights after one Keras SGD step (lr 1) from zero: the clipped gradients, exactly."""
    ws = [keras.Variable(np.zeros_like(g)) for g in grads]
    keras.optimizers.SGD(learning_rate=1.0, **clipping).apply_gradients(
        zip([tf.constant(g) for g in grads], ws))
    return [-w.numpy() for w in ws]


def test_clipping_matches_keras_clipnorm_and_global_clipnorm(tf, keras):
    rng = np.random.default_rng(0)
    worst = {"clipnorm": 0.0, "global_clipnorm": 0.0}
    for _ in range(40):
        grads = _random_grads(rng)
        norm = float(bp.global_norm(grads))
        for c in (norm * 10 ** rng.uniform(-2, -0.1), norm * 10 ** rng.uniform(0.1, 2)):
            ours = {"clipnorm": [bp.clip_by_norm(g, c) for g in grads],
                    "global_clipnorm": bp.clip_by_global_norm(grads, c)}
            for kind, mine in ours.items():
                theirs = _keras_clipped(tf, keras, grads, **{kind: c})
                gap = max(ulps(m, t) for m, t in zip(mine, theirs))
                if c > norm:   # no clipping: the same float32 formula, bit for bit
                    assert all(np.array_equal(m, t) for m, t in zip(mine, theirs)), kind
                worst[kind] = max(worst[kind], gap)
    assert max(worst.values()) <= CLIP_ULP, worst


def test_global_norm_matches_keras_within_a_few_ulp(tf, keras):
    from keras.src.optimizers.base_optimizer import global_norm as keras_global_norm

    rng = np.random.default_rng(1)
    for _ in range(20):
        grads = _random_grads(rng)
        assert ulps(bp.global_norm(grads), keras_global_norm([tf.constant(g) for g in grads]).numpy()) <= 4


def test_clipping_keeps_or_changes_the_direction_as_the_chapter_says():
    g = [np.full(4, 1.5, np.float32), np.full(16, 1.0, np.float32)]   # norms 3 and 4, global 5
    per_array = [bp.clip_by_norm(a, 1.0) for a in g]
    together = bp.clip_by_global_norm(g, 1.0)
    assert [float(bp.global_norm([a])) for a in per_array] == [1.0, 1.0]
    np.testing.assert_allclose([float(bp.global_norm([a])) for a in together], [0.6, 0.8], rtol=1e-6)
    flat = lambda arrays: np.concatenate([a.ravel() for a in arrays]).astype(np.float64)  # noqa: E731
    cos = flat(per_array) @ flat(g) / (np.linalg.norm(flat(per_array)) * 5.0)
    assert f"{cos:.4f}" == "0.9899"
    assert bp.clip_by_norm(np.zeros(3), 1.0).tolist() == [0.0, 0.0, 0.0]   # a zero gradient stays zero


def test_a_non_finite_norm_is_not_rescued_as_in_keras(tf, keras):
    grads = [np.array([np.inf, 1.0], np.float32), np.ones(2, np.float32)]
    ours = bp.clip_by_global_norm(grads, 1.0)
    theirs = _keras_clipped(tf, keras, grads, global_clipnorm=1.0)
    assert all(np.isnan(a).all() for a in ours) and all(np.isnan(a).all() for a in theirs)
    big = [np.full(4, 3e19, np.float32)]        # finite entries whose squares overflow float32
    assert np.isinf(bp.global_norm(big))
    assert np.isnan(bp.clip_by_global_norm(big, 1.0)[0]).all()


def test_jvp_and_vjp_match_forward_accumulator_and_gradient_tape(tf, keras):
    for activation in ("tanh", "relu"):
        net = glorot_network([5, 7, 3], activation, seed=4)
        model = keras.Sequential([keras.Input((5,), dtype="float64"),
                                  keras.layers.Dense(7, activation=activation, dtype="float64"),
                                  keras.layers.Dense(3, dtype="float64")])
        model.set_weights([p.astype(np.float64) for p in net.keras_weights()])
        rng = np.random.default_rng(5)
        X, V, G = rng.normal(size=(4, 5)), rng.normal(size=(4, 5)), rng.normal(size=(4, 3))
        out, dout = bp.jvp(net, X, V)
        x = tf.constant(X)
        with tf.autodiff.ForwardAccumulator(x, tf.constant(V)) as acc:
            y = model(x)
        np.testing.assert_allclose(out, y.numpy(), rtol=0, atol=1e-12)
        np.testing.assert_allclose(dout, acc.jvp(y).numpy(), rtol=0, atol=1e-12)
        with tf.GradientTape() as tape:
            tape.watch(x)
            s = tf.reduce_sum(model(x) * G)
        np.testing.assert_allclose(bp.vjp(net, X, G), tape.gradient(s, x).numpy(), rtol=0, atol=1e-12)


def test_input_jacobian_both_modes_agree_and_count_their_passes():
    net = glorot_network([3, 16, 50], "tanh", seed=0)
    J_fwd, n_fwd = bp.input_jacobian(net, [0.1, 0.2, 0.3], "forward")
    J_rev, n_rev = bp.input_jacobian(net, [0.1, 0.2, 0.3], "reverse")
    assert (n_fwd, n_rev) == (3, 50) and J_fwd.shape == J_rev.shape == (50, 3)
    np.testing.assert_allclose(J_fwd, J_rev, rtol=0, atol=1e-13)
    # the Jacobian predicts a small step: F(x + h v) - F(x) ~ h J v
    x, v, h = np.array([[0.1, 0.2, 0.3]]), np.array([1.0, -2.0, 0.5]), 1e-6
    step = (bp.jvp(net, x + h * v, np.zeros((1, 3)))[0] - bp.jvp(net, x, np.zeros((1, 3)))[0])[0] / h
    np.testing.assert_allclose(step, J_rev @ v, rtol=1e-4, atol=1e-8)


@pytest.mark.parametrize("sizes, batch", [([64, 32, 10], 32), ([784, 512, 512, 10], 128),
                                          ([784] + [256] * 20 + [10], 7), ([3, 1], 1)])
def test_memory_cost_counts_the_arrays_a_forward_pass_keeps(sizes, batch):
    m = bp.memory_cost(sizes, batch)
    net = glorot_network(sizes, seed=0)
    fwd = net.forward(np.zeros((batch, sizes[0]), np.float32))
    kept = {id(a): a.nbytes for a in fwd.zs + fwd.acts[1:]}
    assert sum(kept.values()) == m["activations"] == m["per_example"] * batch
    assert m["params"] == sum(p.nbytes for p in net.keras_weights())
    assert m["inputs"] == fwd.acts[0].nbytes


@pytest.mark.parametrize("scale", [1.0, np.sqrt(2.0), 2.0])
def test_relu_gradient_norms_change_by_about_scale_over_root_2_per_layer(scale):
    norms = bp.gradient_norms_through_depth(30, 64, scale=scale, activation="relu", seed=0)
    assert norms.shape == (31,) and norms[-1] == 1.0
    rho = norms[0] ** (1 / 30)
    assert abs(rho - scale / np.sqrt(2)) < 0.03 * scale, rho
    if scale != np.sqrt(2.0):   # monotone: vanishing below sqrt 2, exploding above
        steps = np.diff(np.log(norms))
        assert (steps > 0).all() if scale < np.sqrt(2) else (steps < 0).all()


def test_train_clipped_records_norms_clips_and_stops_on_nan():
    from nnlib import data, network

    X, y, X_val, y_val, *_ = data.digits_with_validation()
    def deep(seed):
        net = network.glorot_network([64] + [32] * 6 + [10], "relu", loss="softmax_ce", seed=seed)
        for W in net.weights:
            W *= np.float32(2.5)
        return net
    plain = bp.train_clipped(X, y, deep(1), lr=0.1, batch_size=32, num_epochs=2, seed=1)
    assert plain["diverged_at"] is not None and len(plain["norms"]) == plain["diverged_at"]
    assert not np.isfinite(plain["norms"][-1]) or plain["norms"].max() > 1e6
    clipped = bp.train_clipped(X, y, deep(1), lr=0.1, batch_size=32, num_epochs=2, clipnorm=5.0, seed=1,
                               X_val=X_val, y_val=y_val)
    assert clipped["diverged_at"] is None and len(clipped["val"]) == 2
    assert len(clipped["norms"]) == 2 * -(-len(X) // 32) and np.isfinite(clipped["norms"]).all()


@pytest.mark.parametrize("make, match", [
    (lambda: bp.clip_by_norm(np.ones(3), 0), r"clipnorm must be a finite number > 0, got 0.0"),
    (lambda: bp.clip_by_global_norm([np.ones(3)], -1.0), r"clipnorm must be a finite number > 0"),
    (lambda: bp.clip_by_global_norm(np.ones(3), 1.0), r"grads must be a non-empty list of arrays"),
    (lambda: bp.global_norm([]), r"grads must be a non-empty list of arrays, got list"),
    (lambda: bp.memory_cost([784], 32), r"sizes must list at least two integers"),
    (lambda: bp.memory_cost([784, 10], 0), r"batch_size must be an integer >= 1, got 0"),
    (lambda: bp.jvp(glorot_network([3, 2], "tanh"), np.ones((1, 4)), np.ones((1, 4))),
     r"X must be a finite array of shape \(n, 3\)"),
    (lambda: bp.jvp(glorot_network([3, 2], "tanh"), np.ones((1, 3)), np.ones((2, 3))),
     r"V must have the shape of X"),
    (lambda: bp.vjp(glorot_network([3, 2], "sigmoid"), np.ones((1, 3)), np.ones((1, 2))),
     r"net.activation must be one of \('tanh', 'relu'\), got 'sigmoid'"),
    (lambda: bp.input_jacobian(glorot_network([3, 2], "tanh"), [1, 2, 3], "sideways"),
     r"mode must be one of \('forward', 'reverse'\)"),
    (lambda: bp.gradient_norms_through_depth(0), r"depth must be an integer >= 1, got 0"),
    (lambda: bp.gradient_norms_through_depth(3, activation="elu"), r"activation must be one of"),
    (lambda: bp.train_clipped(np.ones((2, 3)), np.zeros(2, int), glorot_network([3, 2], loss="softmax_ce"),
                              0.1, 1, 1, clipnorm=0), r"clipnorm must be a finite number > 0"),
])
def test_bad_arguments_of_the_matrix_functions_raise_value_error(make, match):
    with pytest.raises(ValueError, match=match):
        make()

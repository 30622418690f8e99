"""nnlib.backprop: the scalar reverse-mode autodiff of chapter 5, checked against tf.GradientTape.

Both sides compute in float64 (nnlib's Values are Python floats; the TensorFlow tensors are made
float64), so gradients agree to about 1e-15 relative; the tolerance below (1e-10) only leaves
room for a different order of the same operations inside TensorFlow's gradient kernels.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

from nnlib.backprop import Value, ValueNetwork, count_ops, gradient_cost, numerical_grad, one_neuron
from nnlib.network import glorot_network

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

"""nnlib.regularization: L1/L2 penalties and the circle network, checked against Keras / TensorFlow."""
from __future__ import annotations

import numpy as np
import pytest

from nnlib import reference
from nnlib import regularization as reg
from nnlib.optimizers import Adam
from nnlib.portable import matmul


@pytest.fixture(scope="module")
def data():
    return reg.circle_data()


def test_penalties_and_gradients_match_keras_regularizers(tf):
    rng = np.random.default_rng(1)
    for shape in [(5,), (3, 4), (2, 11)]:
        w = rng.normal(0, 2, size=shape).astype(np.float32)
        w.flat[0] = 0.0  # the kink of |w|: TensorFlow's gradient there is 0, as sign(0)
        for lam in (0.0, 0.005, 0.3):
            for kind in ("l1", "l2"):
                theirs, grad = reference.keras_penalty(w, kind, lam)
                np.testing.assert_allclose(reg.penalty(w, kind, lam), theirs, rtol=1e-6)
                np.testing.assert_allclose(reg.penalty_grad(w, kind, lam), grad, rtol=1e-6, atol=0)


def test_tf1_l2_regularizer_is_half_of_keras_l2(tf):
    import keras

    w = np.random.default_rng(2).normal(size=(2, 11)).astype(np.float32)
    tf1 = 0.01 * tf.nn.l2_loss(w)  # what tf.contrib.layers.l2_regularizer(0.01)(w) computed
    assert reg.keras_l2_from_tf1(0.01) == np.float32(0.005)
    np.testing.assert_allclose(keras.regularizers.L2(0.005)(w).numpy(), tf1.numpy(), rtol=1e-6)
    np.testing.assert_allclose(reg.l2_penalty(w, reg.keras_l2_from_tf1(0.01)), tf1.numpy(), rtol=1e-6)


def test_minimizers_soft_threshold_and_shrink():
    a = np.array([-2.0, -0.3, 0.0, 0.2, 0.5, 1.5], np.float32)
    np.testing.assert_array_equal(reg.l1_minimizer(a, 0.5), np.array([-1.5, 0, 0, 0, 0, 1.0], np.float32))
    np.testing.assert_allclose(reg.l2_minimizer(a, 0.5), a / 2)
    # brute force: the minimizers are the argmin of the penalized objective
    w = np.linspace(-3, 3, 60001)  # float64: the objective is flat near its minimum
    for ai in a:
        best1 = w[np.argmin((w - ai) ** 2 / 2 + 0.5 * np.abs(w))]
        best2 = w[np.argmin((w - ai) ** 2 / 2 + 0.5 * w ** 2)]
        assert abs(best1 - reg.l1_minimizer(ai, 0.5)) < 1e-3
        assert abs(best2 - reg.l2_minimizer(ai, 0.5)) < 1e-3


def test_circle_data_is_the_course_generator(data):
    X, y = data
    rdm = np.random.RandomState(2)
    X0 = rdm.randn(300, 2)
    Y0 = [int(x0 * x0 + x1 * x1 < 2) for (x0, x1) in X0]
    np.testing.assert_array_equal(X, X0.astype(np.float32))
    np.testing.assert_array_equal(y.ravel(), np.array(Y0, np.float32))
    assert X.dtype == y.dtype == np.float32 and y.shape == (300, 1)


def test_init_and_forward_match_keras(tf, data):
    X, _ = data
    params = reg.init_circle_net(seed=3, num_models=2)
    assert params["w1"].shape == (2, 2, 11) and params["w2"].shape == (2, 11, 1)
    np.testing.assert_array_equal(params["b1"], 0.01 * np.ones((2, 11), np.float32))
    model = reference.keras_circle_net(params)
    out = reg.circle_forward(params, X)
    np.testing.assert_allclose(out[1], model(X).numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("kind,lam", [("none", 0.0), ("l2", 0.005), ("l1", 0.01)])
def test_training_matches_keras_adam_step_for_step(tf, data, kind, lam):
    X, y = data
    ours, _ = reg.train_circle_nets(X, y, [(kind, lam)], num_steps=60, seed=4)
    theirs = reference.keras_train_circle_net(X, y, kind, lam, num_steps=60, seed=4)
    for k in ours:
        np.testing.assert_allclose(ours[k], theirs[k], rtol=1e-4, atol=1e-6, err_msg=k)


def test_stacked_models_train_independently(data):
    X, y = data
    both, hist = reg.train_circle_nets(X, y, [("none", 0), ("l2", 0.005)], num_steps=50, record_every=25)
    alone, _ = reg.train_circle_nets(X, y, [("l2", 0.005)], num_steps=50)
    for k in both:
        np.testing.assert_array_equal(both[k][1], alone[k][0])
    assert [s for s, _ in hist] == [0, 25, 50]
    m = reg.circle_metrics(both, X, y, [("none", 0), ("l2", 0.005)])
    assert m["loss"][0] == m["mse"][0] and m["loss"][1] > m["mse"][1]
    assert 0 <= m["accuracy"].min() <= m["accuracy"].max() <= 1


def _plain_train(X, y, penalties, lr=1e-4, batch_size=30, num_steps=40000, record_every=0, seed=0):
    """train_circle_nets as a plain loop: matmul and Adam.step calls, one per product and step."""
    adam, m = Adam(epsilon=1e-8), len(penalties)
    p = reg.init_circle_net(seed, num_models=m)
    w1, b1, w2, b2 = (p[k] for k in ("w1", "b1", "w2", "b2"))
    l1 = np.array([lam if kind == "l1" else 0 for kind, lam in penalties], np.float32)[:, None, None]
    l2 = np.array([np.float32(2) * np.float32(lam) if kind == "l2" else 0
                   for kind, lam in penalties], np.float32)[:, None, None]
    state = [adam.init(v) for v in (w1, b1, w2, b2)]

    def snap():
        return {"w1": w1.copy(), "b1": b1.copy(), "w2": w2.copy(), "b2": b2.copy()}

    history = [(0, snap())] if record_every else []
    for i in range(num_steps):
        start = (i * batch_size) % len(X)
        xb, yb = X[start:start + batch_size], y[start:start + batch_size]
        z = matmul(xb, w1) + b1[:, None, :]
        h = np.maximum(z, np.float32(0))
        d_out = (matmul(h, w2) + b2[:, None, :] - yb) * (np.float32(2) / np.float32(len(xb)))
        g_w2, g_b2 = matmul(h.transpose(0, 2, 1), d_out), np.sum(d_out, axis=1)
        d_z = matmul(d_out, w2.transpose(0, 2, 1)) * (z > 0)
        g_w1, g_b1 = matmul(xb.T, d_z), np.sum(d_z, axis=1)
        g_w1 = g_w1 + (l1 * np.sign(w1) + l2 * w1)
        g_w2 = g_w2 + (l1 * np.sign(w2) + l2 * w2)
        new = [adam.step(v, g, s, i + 1, np.float32(lr))
               for v, g, s in zip((w1, b1, w2, b2), (g_w1, g_b1, g_w2, g_b2), state)]
        (w1, state[0]), (b1, state[1]), (w2, state[2]), (b2, state[3]) = new
        if record_every and (i + 1) % record_every == 0:
            history.append((i + 1, snap()))
    return snap(), history


@pytest.mark.parametrize("n,penalties,batch_size,num_steps,record_every", [
    (300, [("none", 0.0)] + [(k, lam) for k in ("l1", "l2") for lam in (0.001, 0.005, 0.01, 0.02, 0.05)],
     30, 600, 200),
    (10, [("l1", 0.01), ("l2", 0.1)], 3, 97, 7),       # batches of 3 and 1 (matmul's short sums)
    (50, [("none", 0.0)], 7, 97, 0),                  # a smaller last batch
])
def test_training_is_the_plain_loop_bit_for_bit(data, n, penalties, batch_size, num_steps, record_every):
    """The in-place loop adds in the plain loop's order: the same bits, every step recorded."""
    X, y = data[0][:n], data[1][:n]
    kwargs = dict(batch_size=batch_size, num_steps=num_steps, record_every=record_every, seed=5)
    ours, ours_hist = reg.train_circle_nets(X, y, penalties, **kwargs)
    plain, plain_hist = _plain_train(X, y, penalties, **kwargs)
    assert [s for s, _ in ours_hist] == [s for s, _ in plain_hist]
    for a, b in [(ours, plain)] + [(pa, pb) for (_, pa), (_, pb) in zip(ours_hist, plain_hist)]:
        for k in b:
            assert a[k].shape == b[k].shape and a[k].dtype == np.float32
            np.testing.assert_array_equal(a[k].view(np.uint32), b[k].view(np.uint32), err_msg=k)


_X, _Y = np.zeros((10, 2)), np.zeros((10, 1))


@pytest.mark.parametrize("call,match", [
    (lambda: reg.l2_penalty([1.0], -0.1), r"lam must be a finite number >= 0, got -0.1"),
    (lambda: reg.l1_penalty([np.nan], 0.1), "w must be finite"),
    (lambda: reg.penalty([1.0], "l3", 0.1), r"kind must be one of \('none', 'l1', 'l2'\), got 'l3'"),
    (lambda: reg.circle_data(0), "num_points must be an integer >= 1, got 0"),
    (lambda: reg.circle_forward(reg.init_circle_net(), np.zeros((4, 3))), r"X must have shape \(n, 2\)"),
    (lambda: reg.train_circle_nets(_X, _Y, [("l2", 0.1)], batch_size=11),
     "batch_size must be between 1 and the number of examples 10, got 11"),
    (lambda: reg.train_circle_nets(_X, _Y, [], num_steps=1), "penalties must list at least one"),
    (lambda: reg.train_circle_nets(_X, _Y, [("l2",)]), r"penalties must be a list of \(kind, lam\) pairs"),
    (lambda: reg.train_circle_nets(_X, _Y, [("l2", 0.1)], lr=0), "lr must be a finite number > 0, got 0.0"),
])
def test_bad_arguments_raise_value_error(call, match):
    with pytest.raises(ValueError, match=match):
        call()

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
    """train_circle_nets as a plain loop: matmul and Adam.step calls, one per product and step.
    ``lr``: a number, a schedule (num_steps,) or one per model (num_steps, M)."""
    adam, m = Adam(epsilon=1e-8), len(penalties)
    rates = np.broadcast_to(np.asarray(lr, np.float32).reshape((num_steps, -1) if np.ndim(lr) else (1, 1)),
                            (num_steps, m))
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
        new = [adam.step(v, g, s, i + 1, rates[i].reshape((m,) + (1,) * (v.ndim - 1)))
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


def _schedules(num_steps, m):
    """A staircase decay per model, each from its own base rate (chapter 6's exponential_decay)."""
    from nnlib import lr_decay

    steps = np.arange(num_steps)
    return np.stack([lr_decay.exponential_decay(10.0 ** -(2 + k % 3), steps, 7, 0.99, staircase=True)
                     for k in range(m)], axis=1)


@pytest.mark.parametrize("penalties,per_model", [
    ([("l2", 0.005), ("none", 0.0), ("l1", 0.01)], True),     # one schedule per model
    ([("l2", 0.005), ("l1", 0.02)], False),                  # one schedule for all
    ([("none", 0.0)], False),
])
def test_a_schedule_is_the_plain_loop_bit_for_bit(data, penalties, per_model):
    """lr as rates per step (and per model): Adam.step with step i's rate, the same bits."""
    X, y = data
    rates = _schedules(150, len(penalties))
    lr = rates if per_model else rates[:, 0]
    kwargs = dict(batch_size=30, num_steps=150, record_every=50, seed=3)
    ours, ours_hist = reg.train_circle_nets(X, y, penalties, lr=lr, **kwargs)
    plain, plain_hist = _plain_train(X, y, penalties, lr=lr, **kwargs)
    for a, b in [(ours, plain)] + [(pa, pb) for (_, pa), (_, pb) in zip(ours_hist, plain_hist)]:
        for k in b:
            np.testing.assert_array_equal(a[k].view(np.uint32), b[k].view(np.uint32), err_msg=k)


def test_a_constant_schedule_is_the_number_and_models_stay_independent(data):
    """lr = a constant array is lr = that number; a model trained in a stack with other rates
    ends with the bits it has alone (the chapter trains 11 + 4 networks in two calls)."""
    X, y = data
    one = reg.train_circle_nets(X, y, [("l2", 0.005)], lr=1e-3, num_steps=80)[0]
    flat = reg.train_circle_nets(X, y, [("l2", 0.005)], lr=np.full(80, 1e-3, np.float32), num_steps=80)[0]
    rates = np.stack([_schedules(80, 1)[:, 0], np.full(80, 1e-3, np.float32)], axis=1)
    both = reg.train_circle_nets(X, y, [("none", 0.0), ("l2", 0.005)], lr=rates, num_steps=80)[0]
    for k in one:
        np.testing.assert_array_equal(one[k], flat[k])
        np.testing.assert_array_equal(one[k][0], both[k][1])
    assert not np.array_equal(both["w1"][0], reg.train_circle_nets(X, y, [("none", 0.0)], lr=1e-3,
                                                                   num_steps=80)[0]["w1"][0])


def test_boundary_shape_of_a_disk_an_l_and_nothing():
    """A disk is convex (nothing left out, area pi r^2); the L-shaped union of two boxes leaves
    out 1/7 of its hull (area 3 of 3.5); no contour gives NaN."""
    xx, yy = np.mgrid[-2.0025:2:0.01, -2.0025:2:0.01]   # no grid point on an edge of the boxes
    disk = reg.boundary_shape(xx, yy, 1.0 - (xx ** 2 + yy ** 2), level=0.0)
    assert disk["pieces"] == 1 and disk["closed"]
    assert disk["dent_share"] < 1e-9 and abs(disk["area"] - np.pi) < 1e-3
    assert abs(disk["length"] - 2 * np.pi) < 1e-3

    def box(x0, x1, y0, y1):
        return np.minimum(np.minimum(xx - x0, x1 - xx), np.minimum(yy - y0, y1 - yy))

    ell = reg.boundary_shape(xx, yy, np.maximum(box(-1, 1, -1, 0), box(-1, 0, -0.005, 1)), level=0.0)
    assert ell["pieces"] == 1 and ell["closed"]
    assert abs(ell["area"] - 3.0) < 1e-3 and abs(ell["hull_area"] - 3.5) < 5e-3   # (boxes overlap;
    # the grid cuts the corners by up to half a cell)
    assert abs(ell["dent_share"] - 1 / 7) < 1e-3
    none = reg.boundary_shape(xx, yy, np.zeros_like(xx))
    assert none["pieces"] == 0 and not none["closed"] and np.isnan(none["dent_share"])
    two = reg.boundary_shape(xx, yy, np.maximum(box(-1.5, -0.5, -1, 1), box(0.5, 1.5, -1, 1)), level=0.0)
    assert two["pieces"] == 2 and two["closed"] and two["dent_share"] < 1e-9   # each piece convex


def test_steps_figure_draws_each_panels_caption_and_the_true_circle():
    import matplotlib.pyplot as plt

    from nnlib.plots import regularization as reg_plots

    X, y = reg.circle_data(50)
    xx, yy = np.mgrid[-3:3:0.25, -3:3:0.25]
    p = 2.0 - (xx ** 2 + yy ** 2)
    fig = reg_plots.steps_figure(X, y, xx, yy, [[p, p + 0.5], [p, p]], (10, 20), ["a", "b"],
                                 ["first caption", "second caption"])
    assert [[t.get_text() for t in ax.texts] for ax in fig.axes] == [["first caption"], ["second caption"]]
    assert [ax.get_legend().get_texts()[1].get_text() for ax in fig.axes] == ["20 steps"] * 2
    assert len(fig.axes[0].lines) == 1                  # the dotted circle
    assert not reg_plots.steps_figure(X, y, xx, yy, [[p]], (10,), ["a"]).axes[0].texts
    plt.close("all")


_X, _Y = np.zeros((10, 2)), np.zeros((10, 1))
_D, _L = np.zeros((10, 64), np.float32), np.arange(10)


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
    (lambda: reg.train_circle_nets(_X, _Y, [("l2", 0.1)], lr=np.ones(3), num_steps=4),
     r"lr must be a number, an array of num_steps = 4 rates or one of shape"),
    (lambda: reg.train_circle_nets(_X, _Y, [("l2", 0.1)], lr=np.ones((4, 2)), num_steps=4),
     r"shape \(num_steps, models\) = \(4, 1\), got shape \(4, 2\)"),
    (lambda: reg.train_circle_nets(_X, _Y, [("l2", 0.1)], lr=np.zeros(4), num_steps=4),
     "lr must hold rates > 0"),
    (lambda: reg.train_circle_nets(_X, _Y, [("l2", 0.1)], lr=[1e-3, np.nan], num_steps=2), "lr must be finite"),
    (lambda: reg.boundary_shape(np.zeros((3, 3)), np.zeros((3, 4)), np.zeros((3, 3))),
     "xx, yy and probs must be 2-D arrays of one shape"),
    (lambda: reg.dropout(np.ones(3), 1.0), r"p must be a drop rate in \[0, 1\), got 1.0"),
    (lambda: reg.dropout(np.ones(3), -0.1), r"p must be a finite number >= 0, got -0.1"),
    (lambda: reg.dropout(np.ones(3), 0.5, mask=np.ones(2, bool)), "mask must be a boolean array of shape"),
    (lambda: reg.dropout_mask((3,), 1.5), r"p must be a drop rate in \[0, 1\)"),
    (lambda: reg.sgd_l2_step(np.ones(2), np.ones(2), 0, 0.1), "lr must be a finite number > 0"),
    (lambda: reg.sgd_decay_step(np.ones(2), np.ones(2), 0.1, -1), "lam must be a finite number >= 0"),
    (lambda: reg.shift_images(np.zeros((2, 63)), 1, 0), r"X must have shape \(n, 64\)"),
    (lambda: reg.shift_images(np.zeros((2, 64)), 8, 0), "dx and dy must be below 8"),
    (lambda: reg.random_shifts(np.zeros((2, 63))), r"X must have shape \(n, 64\)"),
    (lambda: reg.subpixel_shifts(np.zeros((2, 64)), 1.5), r"max_shift must be a number in \[0, 1\]"),
    (lambda: reg.subpixel_shifts(np.zeros((2, 63)), 0.5), r"X must have shape \(n, 64\)"),
    (lambda: reg.pixel_noise(np.zeros((2, 64)), -0.1), "std must be a finite number >= 0, got -0.1"),
    (lambda: reg.pixel_noise(np.full((2, 64), np.inf)), "X must be finite"),
    (lambda: reg.train_digits(_D, _L, _D, _L, batch_size=10, augment="shift"),
     "augment must be False, True or a function"),
    (lambda: reg.init_digits_net(hidden=0), "hidden must be an integer >= 1, got 0"),
    (lambda: reg.train_digits(_D, _L, _D, _L, batch_size=10, optimizer="sgdw"), "optimizer must be one of"),
    (lambda: reg.train_digits(_D, _L, _D, _L, batch_size=10, weight_decay=0.1), "weight_decay needs optimizer='adamw'"),
    (lambda: reg.train_digits(_D, _L, _D, _L, batch_size=10, patience=0), "patience must be an integer >= 1, got 0"),
    (lambda: reg.train_digits(_D, _L, _D, _L, batch_size=10, p=1), r"p must be a drop rate in \[0, 1\)"),
])
def test_bad_arguments_raise_value_error(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# --- dropout, SGD's L2 = weight decay, AdamW, early stopping, shifts (issue 16) ---------------

@pytest.mark.parametrize("p", [0.1, 0.2, 0.5, 0.75])
def test_dropout_matches_keras_given_its_mask(tf, p):
    """Keras's Dropout in training: x times float32(1/(1-p)) where kept, 0 elsewhere. Its mask is
    read off its output (the input has no zeros); nnlib with that mask gives the same bits, and
    both are the identity at inference."""
    import keras

    x = np.random.default_rng(7).uniform(0.1, 2.0, (16, 32)).astype(np.float32)
    layer = keras.layers.Dropout(p, seed=11)
    theirs = layer(x, training=True).numpy()
    mask = theirs != 0
    assert 0 < mask.mean() < 1
    np.testing.assert_array_equal(reg.dropout(x, p, mask=mask), theirs)
    np.testing.assert_array_equal(layer(x, training=False).numpy(), x)
    np.testing.assert_array_equal(reg.dropout(x, p, training=False), x)
    np.testing.assert_array_equal(reg.dropout(x, 0.0), x)


def test_dropout_is_unbiased_and_keeps_one_minus_p():
    x = np.linspace(0.5, 1.5, 8, dtype=np.float32)
    k, p = 20000, 0.5
    masks = reg.dropout_mask((k, 8), p, seed=3)
    assert abs(masks.mean() - (1 - p)) < 4 * np.sqrt(p * (1 - p) / masks.size)
    out = reg.dropout(np.broadcast_to(x, masks.shape), p, mask=masks)
    se = np.sqrt(p / (1 - p) / k)
    assert np.abs(out.mean(axis=0) / x - 1).max() < 4 * se
    assert out.dtype == np.float32 and set(np.unique(out[:, 0])) == {0, np.float32(x[0]) * np.float32(2)}


def test_sgd_l2_is_weight_decay_to_rounding():
    """w - lr (g + 2 lam w) and (1 - 2 lr lam) w - lr g: equal in exact arithmetic; in float32
    within 2 ulp of the weight's size (one multiply-add's rounding each)."""
    rng = np.random.default_rng(0)
    w = rng.normal(0, 0.3, (64, 32)).astype(np.float32)
    g = rng.normal(0, 0.1, w.shape).astype(np.float32)
    a, b = reg.sgd_l2_step(w, g, 0.1, 1e-3), reg.sgd_decay_step(w, g, 0.1, 1e-3)
    ulp = np.spacing(np.maximum(np.abs(w), np.abs(a)))
    assert (np.abs(a - b) <= 2 * ulp).all() and (a != b).any()
    exact = w.astype(np.float64) - 0.1 * (g.astype(np.float64) + 2 * 1e-3 * w.astype(np.float64))
    np.testing.assert_allclose(b, exact, rtol=0, atol=2 * ulp.max())


def test_sgd_l2_matches_keras_sgd_with_a_penalty(tf):
    """The L2 step is Keras's: SGD on loss + L2(lam) gives w - lr (g + 2 lam w)."""
    import keras

    rng = np.random.default_rng(1)
    w0 = rng.normal(size=(5, 3)).astype(np.float32)
    g = rng.normal(size=(5, 3)).astype(np.float32)
    var = tf.Variable(w0)
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(var * g) + keras.regularizers.L2(1e-2)(var)
    keras.optimizers.SGD(0.1).apply_gradients([(tape.gradient(loss, var), var)])
    np.testing.assert_allclose(reg.sgd_l2_step(w0, g, 0.1, 1e-2), var.numpy(), rtol=0, atol=1e-7)


def test_shift_images_moves_pixels_and_fills_zeros():
    X = np.arange(1, 65, dtype=np.float32)[None]
    img = X.reshape(8, 8)
    right = reg.shift_images(X, 1, 0).reshape(8, 8)
    np.testing.assert_array_equal(right[:, 1:], img[:, :-1])
    assert (right[:, 0] == 0).all()
    up = reg.shift_images(X, 0, -1).reshape(8, 8)
    np.testing.assert_array_equal(up[:-1], img[1:])
    assert (up[-1] == 0).all()
    np.testing.assert_array_equal(reg.shift_images(X, 0, 0), X)
    Xs = np.tile(X, (50, 1))
    out = reg.random_shifts(Xs, seed=0)
    assert out.shape == Xs.shape and len({tuple(r) for r in out}) > 1


def test_random_shifts_moves_each_image_by_its_own_shift():
    """Each image is shift_images of itself by one of the nine (dx, dy), drawn from the seed."""
    X = np.random.default_rng(1).uniform(0, 1, (200, 64)).astype(np.float32)
    out = reg.random_shifts(X, seed=3)
    d = np.random.default_rng(3).integers(-1, 2, size=(200, 2))
    for i in range(200):
        np.testing.assert_array_equal(out[i], reg.shift_images(X[i:i + 1], *d[i])[0])
    assert len({tuple(r) for r in d}) == 9
    gen = np.random.default_rng(3)   # a Generator is used as it is, and advanced
    np.testing.assert_array_equal(reg.random_shifts(X, gen), out)
    assert not np.array_equal(reg.random_shifts(X, gen), out)


def test_subpixel_shifts_interpolates_between_whole_pixel_shifts():
    X = np.random.default_rng(0).uniform(0, 1, (300, 64)).astype(np.float32)
    np.testing.assert_array_equal(reg.subpixel_shifts(X, 0.0, seed=0), X)
    out = reg.subpixel_shifts(X, 0.5, seed=4)
    t = np.random.default_rng(4).uniform(-0.5, 0.5, size=(300, 2))
    for i in (0, 1, 77, 299):   # bilinear: a mix of the four whole-pixel shifts around (tx, ty)
        tx, ty = t[i]
        sx, sy = int(np.sign(tx)), int(np.sign(ty))
        ax, ay = abs(tx), abs(ty)
        img = X[i:i + 1]
        want = ((1 - ax) * (1 - ay) * img + ax * (1 - ay) * reg.shift_images(img, sx, 0)
                + (1 - ax) * ay * reg.shift_images(img, 0, sy) + ax * ay * reg.shift_images(img, sx, sy))
        np.testing.assert_allclose(out[i], want[0], atol=1e-6)
    # a shift by exactly one pixel is shift_images; the values stay within the image's range
    one = reg.subpixel_shifts(X[:1], 1.0, seed=np.random.default_rng(0))
    assert out.dtype == np.float32 and out.min() >= 0 and out.max() <= 1 and one.shape == (1, 64)
    flat = np.zeros((1, 64), np.float32)
    flat[0, 27] = 1.0                     # one bright pixel at row 3, column 3
    moved = reg.subpixel_shifts(np.repeat(flat, 1000, axis=0), 0.5, seed=1)
    np.testing.assert_allclose(moved.sum(axis=1), 1.0, atol=1e-6)   # an inner pixel loses no mass
    centre = (moved.reshape(-1, 8, 8) * np.arange(8)[None, None, :]).sum(axis=(1, 2))
    t1 = np.random.default_rng(1).uniform(-0.5, 0.5, size=(1000, 2))
    np.testing.assert_allclose(centre, 3 + t1[:, 0], atol=1e-5)     # its centre moves by tx


def test_pixel_noise_adds_clipped_gaussian_noise():
    X = np.full((400, 64), 0.5, np.float32)
    out = reg.pixel_noise(X, 0.05, seed=2)
    noise = np.random.default_rng(2).normal(0, 0.05, X.shape).astype(np.float32)
    np.testing.assert_array_equal(out, X + noise)
    assert abs(float((out - X).std()) - 0.05) < 0.002
    edges = reg.pixel_noise(np.repeat([[0.0, 1.0]], 500, axis=0), 0.3, seed=0)
    assert edges.min() == 0 and edges.max() == 1 and (edges[:, 0] == 0).mean() > 0.4
    np.testing.assert_array_equal(reg.pixel_noise(X, 0.0), X)


def test_train_digits_applies_the_augmentation_to_every_batch():
    rng = np.random.default_rng(0)
    X, y = rng.uniform(0, 1, (40, 64)).astype(np.float32), rng.integers(0, 10, 40)
    seen = []

    def spy(xb, gen):
        seen.append(len(xb))
        assert isinstance(gen, np.random.Generator)
        return xb

    plain = reg.train_digits(X, y, X, y, hidden=8, batch_size=16, num_epochs=2)
    spied = reg.train_digits(X, y, X, y, hidden=8, batch_size=16, num_epochs=2, augment=spy)
    assert seen == [16, 16, 8] * 2
    for k in plain["net"]:   # the identity augmentation changes nothing
        np.testing.assert_array_equal(plain["net"][k], spied["net"][k])
    shifted = reg.train_digits(X, y, X, y, hidden=8, batch_size=16, num_epochs=2, augment=True)
    again = reg.train_digits(X, y, X, y, hidden=8, batch_size=16, num_epochs=2,
                             augment=reg.random_shifts)
    for k in plain["net"]:   # True is random_shifts, and it changes the training
        np.testing.assert_array_equal(shifted["net"][k], again["net"][k])
    assert not np.array_equal(shifted["net"]["w1"], plain["net"]["w1"])


@pytest.fixture(scope="module")
def digits():
    from nnlib import data

    return data.digits_with_validation()


def test_train_digits_is_deterministic_and_learns(digits):
    X, y, Xv, yv, _, _ = digits
    a = reg.train_digits(X, y, Xv, yv, hidden=16, batch_size=128, num_epochs=3, lr=0.2, seed=1)
    b = reg.train_digits(X, y, Xv, yv, hidden=16, batch_size=128, num_epochs=3, lr=0.2, seed=1)
    for k in a["net"]:
        np.testing.assert_array_equal(a["net"][k], b["net"][k])
    assert a["history"][-1][2] > 0.5 and a["history"][-1][1] < a["history"][0][1]
    loss, acc = reg.digits_eval(a["net"], Xv, yv)
    assert (loss, acc) == a["history"][-1][1:]


def test_train_digits_one_step_is_the_plain_computation(digits):
    """One full-batch SGD step with L2: the gradient of cross-entropy + lam * sum w^2, by hand."""
    from nnlib.softmax import _cross_entropy_and_grad

    X, y, Xv, yv, _, _ = digits
    X, y = X[:64], y[:64]
    r = reg.train_digits(X, y, Xv, yv, hidden=8, batch_size=64, num_epochs=1, lr=0.1, lam=0.01, seed=2)
    net = reg.init_digits_net(8, 2)
    order = np.random.default_rng(2 + 1000).permutation(64)
    xb, yb = X[order], y[order]
    z1 = xb @ net["w1"] + net["b1"]
    h = np.maximum(z1, 0)
    _, dz = _cross_entropy_and_grad(h @ net["w2"] + net["b2"], yb)
    dh = (dz @ net["w2"].T) * (z1 > 0)
    grads = {"w1": xb.T @ dh + 0.02 * net["w1"], "b1": dh.sum(0),
             "w2": h.T @ dz + 0.02 * net["w2"], "b2": dz.sum(0)}
    for k in net:
        np.testing.assert_allclose(r["net"][k], net[k] - 0.1 * grads[k], rtol=0, atol=1e-6)


def test_adamw_decays_uniformly_and_adam_l2_does_not(digits):
    """A weight with no data gradient (an always-dark pixel's): AdamW shrinks it by (1 - lr wd)
    per step, Adam + L2 moves it by about lr per step, whatever lam is."""
    X, y, Xv, yv, _, _ = digits
    dead = (X == 0).all(axis=0)
    assert dead.any()
    kw = dict(hidden=16, batch_size=128, num_epochs=2, lr=0.003, seed=0)
    w0 = reg.init_digits_net(16, 0)["w1"][dead]
    adamw = reg.train_digits(X, y, Xv, yv, optimizer="adamw", weight_decay=2e-3, **kw)
    steps = 2 * int(np.ceil(len(X) / 128))
    np.testing.assert_allclose(adamw["net"]["w1"][dead], w0 * (1 - 0.003 * 2e-3) ** steps, rtol=1e-5)
    adam = reg.train_digits(X, y, Xv, yv, optimizer="adam", lam=1e-3, **kw)
    moved = np.abs(w0) - np.abs(adam["net"]["w1"][dead])
    assert np.median(moved) > 0.5 * 0.003 * steps    # about lr per step, not 2 lr lam |w|


def test_early_stopping_restores_the_best_epoch(digits):
    X, y, Xv, yv, _, _ = digits
    r = reg.train_digits(X, y, Xv, yv, hidden=16, batch_size=64, optimizer="adam", lr=0.03,
                         num_epochs=40, patience=2, seed=0)
    losses = [h[1] for h in r["history"]]
    best = int(np.argmin(losses)) + 1
    assert r["best_epoch"] == best and r["epochs_run"] == best + 2 < 40
    assert reg.digits_eval(r["net"], Xv, yv)[0] == losses[best - 1]

"""nnlib.learning_rate: gradient-descent traces, checked against TensorFlow as the oracle."""
from __future__ import annotations

import math

import numpy as np
import pytest

from nnlib import learning_rate


def _tf_trace(tf, lr, w0, num_steps):
    import keras

    w = tf.Variable(w0, dtype=tf.float32)
    opt = keras.optimizers.SGD(learning_rate=lr)
    out = [w.numpy()]
    for _ in range(num_steps):
        with tf.GradientTape() as tape:
            loss = tf.square(w + 1)
        opt.apply_gradients(zip(tape.gradient(loss, [w]), [w]))
        out.append(w.numpy())
    return np.array(out, dtype=np.float32)


def test_matches_tensorflow_bit_for_bit_on_random_runs(tf):
    rng = np.random.default_rng(7)
    for _ in range(12):
        lr = float(10 ** rng.uniform(-4, 0.05))
        w0 = float(np.float32(rng.uniform(-10, 10)))
        ours = learning_rate.gd_trace(learning_rate.quadratic_grad, w0, lr, 30).w
        theirs = _tf_trace(tf, lr, w0, 30)
        np.testing.assert_array_equal(ours, theirs, err_msg=f"lr={lr}, w0={w0}")


def test_works_on_vectors():
    grad = lambda w: np.float32(2) * (w - np.array([1, -2], dtype=np.float32))
    tr = learning_rate.gd_trace(grad, [0.0, 0.0], 0.25, 30)
    assert tr.w.shape == (31, 2) and tr.w.dtype == np.float32
    np.testing.assert_allclose(tr.final, [1, -2], atol=1e-6)


def test_trace_layout_and_dtype():
    tr = learning_rate.gd_trace(learning_rate.quadratic_grad, 5, 0.2, 3)
    assert tr.w.dtype == np.float32 and tr.w.shape == (4,)
    assert tr.w[0] == 5 and tr.diverged_at is None
    assert tr.status == "finite after 3 steps"
    assert learning_rate.gd_trace(learning_rate.quadratic_grad, 5, 0.2, 0).w.tolist() == [5.0]


def test_divergence_is_a_result_not_a_crash():
    tr = learning_rate.gd_trace(learning_rate.quadratic_grad, 5.0, 1.2, 1000)
    assert tr.diverged_at is not None and tr.status == f"diverged at step {tr.diverged_at}"
    assert np.all(np.isfinite(tr.w)) and len(tr.w) == tr.diverged_at + 1
    # |w + 1| grows by 1.4 per step from 6: float32 overflows (3.4e38) after about 256 steps
    assert abs(tr.diverged_at - math.log(3.4e38 / 6) / math.log(1.4)) < 3
    assert "diverged at step" in repr(tr)


@pytest.mark.parametrize("kwargs, words", [
    (dict(lr=0), "lr must be a finite number > 0, got 0.0"),
    (dict(lr=-0.1), "lr must be a finite number > 0, got -0.1"),
    (dict(lr=float("nan")), "lr must be a finite number > 0"),
    (dict(lr="0.1"), "lr must be a positive number, got '0.1'"),
    (dict(num_steps=2.5), "num_steps must be an integer >= 0, got 2.5"),
    (dict(num_steps=-1), "num_steps must be an integer >= 0, got -1"),
    (dict(num_steps=True), "num_steps must be an integer >= 0, got True"),
    (dict(w0=float("nan")), "w0 must be finite (no NaN or inf), got nan"),
    (dict(w0="five"), "w0 must be a number or an array of numbers"),
    (dict(grad=3), "grad must be a function of w"),
])
def test_bad_arguments_name_the_argument_and_the_value(kwargs, words):
    args = dict(grad=learning_rate.quadratic_grad, w0=5.0, lr=0.2, num_steps=10) | kwargs
    with pytest.raises(ValueError) as err:
        learning_rate.gd_trace(**args)
    assert words in str(err.value)


@pytest.mark.parametrize("lr, expected", [
    (1e-4, "converges"), (0.5, "converges"), (0.99, "converges"),
    (1.0, "oscillates"), (1.0001, "diverges"), (1.2, "diverges"),
])
def test_regime(lr, expected):
    assert learning_rate.regime(lr) == expected


def test_regime_agrees_with_the_runs():
    for lr in (0.05, 0.6, 0.95, 1.0, 1.05):
        tr = learning_rate.gd_trace(learning_rate.quadratic_grad, 5.0, lr, 60)
        d0, d = abs(tr.w[0] + 1), abs(float(tr.final) + 1)
        observed = "converges" if d < d0 * 0.5 else ("oscillates" if d == d0 else "diverges")
        assert observed == learning_rate.regime(lr), lr


def test_quadratic_grad_is_tensorflows_order(tf):
    w = tf.Variable(np.float32(0.1234567))
    with tf.GradientTape() as tape:
        loss = tf.square(w + 1)
    assert tape.gradient(loss, w).numpy() == learning_rate.quadratic_grad(np.float32(0.1234567))
    assert loss.numpy() == learning_rate.quadratic_loss(np.float32(0.1234567))

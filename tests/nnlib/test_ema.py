"""nnlib.ema: moving averages of weights, checked against TensorFlow and Keras as the oracles (nnlib.reference)."""
from __future__ import annotations

import numpy as np
import pytest

from nnlib import ema, reference


def _random_run(rng):
    """A random decay, random weights of two shapes, and a random num_updates schedule."""
    decay = float(rng.choice([rng.uniform(0.0, 1.0), 1 - 10 ** rng.uniform(-4, -0.5)]))
    num_steps = int(rng.integers(1, 25))
    ramp = bool(rng.integers(0, 2))
    counts = np.cumsum(rng.integers(0, 30, size=num_steps)) if ramp else None
    values = [(rng.normal(0, 10 ** rng.uniform(-3, 2), size=()).astype(np.float32),
               rng.normal(0, 1, size=(3, 2)).astype(np.float32)) for _ in range(num_steps)]
    return decay, counts, values


def test_matches_tf_train_exponential_moving_average_bit_for_bit(tf):
    rng = np.random.default_rng(5)
    for _ in range(12):
        decay, counts, values = _random_run(rng)
        theirs = [reference.tf_ema_path([v[i] for v in values], decay, counts) for i in (0, 1)]
        ours = ema.ExponentialMovingAverage(decay, None if counts is None else int(counts[0]))
        for k, (va, vb) in enumerate(values):
            if counts is not None:
                ours.num_updates = int(counts[k])
            sa, sb = ours.apply({"a": va, "b": vb}).values()
            np.testing.assert_array_equal(sa, theirs[0][k], err_msg=f"decay={decay}, step {k}")
            np.testing.assert_array_equal(sb, theirs[1][k], err_msg=f"decay={decay}, step {k}")


def test_effective_decay_is_tensorflows_float32_decay_ramp(tf):
    n = np.array([0, 1, 2, 9, 10, 99, 100, 891, 10_000, 123_456_789])
    for decay in (0.9, 0.99, 0.999, 0.5):
        expected = tf.minimum(tf.constant(decay, tf.float32),
                              (1.0 + tf.cast(n, tf.float32)) / (10.0 + tf.cast(n, tf.float32))).numpy()
        np.testing.assert_array_equal(ema.effective_decay(decay, n), expected)
    assert ema.effective_decay(0.99) == np.float32(0.99)


def test_shadow_starts_at_the_first_value_and_keeps_structure_and_dtype():
    avg = ema.ExponentialMovingAverage(0.5)
    out = avg.apply([np.arange(3), 7])
    assert isinstance(out, list) and out[0].dtype == np.float32 and out[0].tolist() == [0, 1, 2]
    out = avg.apply([np.full(3, 2.0), 9])
    assert out[0].tolist() == [1.0, 1.5, 2.0] and float(out[1]) == 8.0
    out[1] += 100  # a copy: the shadow is not touched
    assert avg.average(1) == 8.0 and "2 shadow(s)" in repr(avg)
    named = ema.ExponentialMovingAverage(0.9, num_updates=5).apply({"w": [1.0, 2.0]})
    assert list(named) == ["w"]


def test_ema_path_is_the_class_step_by_step(tf):
    trend, path = ema.demo_path(50, 0.7, seed=3)
    for ramp in (True, False):
        theirs = reference.tf_ema_path(path, 0.95, np.arange(len(path)) if ramp else None)
        np.testing.assert_array_equal(ema.ema_path(path, 0.95, ramp=ramp), theirs, err_msg=str(ramp))
    assert trend.shape == path.shape == (50,) and path.dtype == np.float32
    np.testing.assert_array_equal(ema.demo_path(50, 0.7, seed=3)[1], path)
    np.testing.assert_allclose(ema.demo_path(10, 0.0)[1], ema.demo_path(10, 0.0)[0], rtol=1e-6)


def test_demo_trend_is_a_running_product_the_same_on_every_cpu():
    # one correctly rounded multiplication per step, as the browser's explorer does: no pow()
    trend, factor, expected = ema.demo_path(500, 0.0)[0], 1.0, []
    for _ in range(500):
        expected.append(-1.0 + 6.0 * factor)
        factor *= 0.98
    np.testing.assert_array_equal(trend, np.array(expected))
    assert abs(trend[100] - (-1 + 6 * 0.98 ** 100)) < 1e-13


def test_keras_ema_path_matches_a_keras_optimizer_with_use_ema(tf):
    rng = np.random.default_rng(11)
    for momentum in (0.9, 0.99, float(rng.uniform(0.5, 1.0))):
        w0, grads = rng.normal(), rng.normal(size=30) * 3
        path, theirs = reference.keras_use_ema_path(w0, grads, 0.3, momentum)
        np.testing.assert_array_equal(ema.keras_ema_path(path, momentum), theirs, err_msg=str(momentum))


def _seen(**values):
    """An average that has seen these weights once."""
    avg = ema.ExponentialMovingAverage(0.9)
    avg.apply(values)
    return avg


@pytest.mark.parametrize("call, words", [
    (lambda: ema.ExponentialMovingAverage(1.5), "decay must be a number in [0, 1], got 1.5"),
    (lambda: ema.ExponentialMovingAverage(-0.1), "decay must be a number in [0, 1], got -0.1"),
    (lambda: ema.ExponentialMovingAverage("0.99"), "decay must be a number in [0, 1], got '0.99'"),
    (lambda: ema.ExponentialMovingAverage(True), "decay must be a number in [0, 1], got True"),
    (lambda: ema.ExponentialMovingAverage(0.9, num_updates=-1), "num_updates must be an integer >= 0, got -1"),
    (lambda: ema.ExponentialMovingAverage(0.9, num_updates=2.5), "num_updates must be an integer >= 0, got 2.5"),
    (lambda: ema.ExponentialMovingAverage(0.9).apply(np.ones(3)), "values must be a dict of name -> array or a list"),
    (lambda: ema.ExponentialMovingAverage(0.9).apply([float("nan")]), "values[0] must be finite (no NaN or inf)"),
    (lambda: ema.ExponentialMovingAverage(0.9).apply({"w": "x"}), "values['w'] must be a number or an array"),
    (lambda: ema.ExponentialMovingAverage(0.9).average("w"), "no shadow for 'w'"),
    (lambda: _seen(w=np.zeros(3)).apply({"w": np.zeros(4)}), "values['w'] must keep its shape (3,), got"),
    (lambda: setattr(_seen(w=0.0), "num_updates", -3), "num_updates must be an integer >= 0, got -3"),
    (lambda: ema.effective_decay(0.9, [1, -2]), "num_updates must be an integer >= 0"),
    (lambda: ema.effective_decay(0.9, 1.5), "num_updates must be an integer >= 0"),
    (lambda: ema.ema_path([], 0.9), "path must hold at least one step"),
    (lambda: ema.keras_ema_path([1.0], 2), "ema_momentum must be a number in [0, 1], got 2"),
    (lambda: ema.demo_path(0), "num_steps must be an integer >= 1, got 0"),
    (lambda: ema.demo_path(10, noise=-1), "noise must be a finite number >= 0, got -1"),
])
def test_bad_arguments_name_the_argument_and_the_value(call, words):
    with pytest.raises(ValueError) as err:
        call()
    assert words in str(err.value)


def test_the_decay_ramp_is_called_so_and_warmup_stays_an_alias():
    """Issue 14: the num_updates ramp is the 'decay ramp', not a (learning-rate) warm-up."""
    import inspect

    from nnlib.plots import ema as ema_plots

    path = ema.demo_path(40, 0.5, seed=1)[1]
    np.testing.assert_array_equal(ema.ema_path(path, 0.9, warmup=False), ema.ema_path(path, 0.9, ramp=False))
    assert not np.array_equal(ema.ema_path(path, 0.9), ema.ema_path(path, 0.9, ramp=False))
    toggle = [c for c in ema_plots.explorer().controls if c.kind == "toggle"]
    assert [(c.name, c.label) for c in toggle] == [("ramp", "decay ramp (num_updates = t)")]
    for module in (ema, ema_plots):
        words = inspect.getsource(module).lower().count("warm-up")
        assert words == (1 if module is ema else 0), module.__name__  # ema: "not the ... warm-up"

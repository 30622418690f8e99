"""nnlib.lr_decay: exponential decay and decayed gradient descent, with Keras/TensorFlow as the oracle (nnlib.reference)."""
from __future__ import annotations

import numpy as np
import pytest

from nnlib import learning_rate as gd
from nnlib import lr_decay, reference
from nnlib.notes import lr_decay as decay_notes
from nnlib.lr_decay import exponential_decay

F32 = np.float32


def _random_schedules(n, seed):
    """Random (base_lr, decay_steps, decay_rate, staircase): int and float decay_steps, rates < and > 1."""
    rng = np.random.default_rng(seed)
    for i in range(n):
        base_lr = float(10 ** rng.uniform(-5, 1))
        decay_rate = float(rng.uniform(0.01, 1.2))
        decay_steps = int(rng.integers(1, 3000)) if i % 2 else float(rng.uniform(0.1, 3000))
        yield base_lr, decay_steps, decay_rate, bool(i % 4 < 2), rng


def test_matches_keras_bit_for_bit_at_random_scalar_steps(tf):
    """An optimizer calls the schedule with one (scalar) step: there the agreement is exact."""
    import keras

    checked = 0
    for base_lr, decay_steps, decay_rate, staircase, rng in _random_schedules(40, seed=11):
        sched = keras.optimizers.schedules.ExponentialDecay(base_lr, decay_steps, decay_rate,
                                                            staircase=staircase)
        for step in rng.integers(0, 100_000, size=5).tolist() + [0]:
            ours = exponential_decay(base_lr, step, decay_steps, decay_rate, staircase)
            theirs = sched(step).numpy()
            assert ours.dtype == np.float32
            assert ours == theirs, (base_lr, step, decay_steps, decay_rate, staircase)
            checked += 1
    assert checked == 240


def test_matches_keras_on_step_arrays_to_float32_precision(tf):
    """On a tensor of steps TensorFlow uses a vectorised pow, which may differ in the last bit or two."""
    import keras

    for base_lr, decay_steps, decay_rate, staircase, rng in _random_schedules(20, seed=12):
        steps = rng.integers(0, 100_000, size=64)
        sched = keras.optimizers.schedules.ExponentialDecay(base_lr, decay_steps, decay_rate,
                                                            staircase=staircase)
        theirs = sched(tf.constant(steps)).numpy()
        ours = exponential_decay(base_lr, steps, decay_steps, decay_rate, staircase)
        assert ours.shape == theirs.shape and ours.dtype == np.float32
        np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=0,
                                   err_msg=str((base_lr, decay_steps, decay_rate, staircase)))
        # and elementwise it is the scalar function
        assert all(exponential_decay(base_lr, int(s), decay_steps, decay_rate, staircase) == o
                   for s, o in zip(steps[:8], ours[:8]))


def test_tiny_rates_flush_to_zero_as_in_tensorflow(tf):
    import keras

    sched = keras.optimizers.schedules.ExponentialDecay(0.1, 1, 0.5)
    for step in (125, 140, 200):
        assert exponential_decay(0.1, step, 1, 0.5) == sched(step).numpy()
    assert exponential_decay(0.1, 140, 1, 0.5) == 0


def test_staircase_holds_the_rate_for_decay_steps_steps():
    lr = exponential_decay(0.1, np.arange(30), 10, 0.5, staircase=True)
    np.testing.assert_array_equal(lr[:10], F32(0.1))
    np.testing.assert_array_equal(lr[10:20], F32(0.05))
    np.testing.assert_array_equal(lr[20:], F32(0.025))
    smooth = exponential_decay(0.1, np.arange(30), 10, 0.5)
    assert np.all(np.diff(smooth) < 0) and smooth[10] == F32(0.05)
    # with decay_steps = 1 (the note's setting) the two coincide at whole steps
    np.testing.assert_array_equal(exponential_decay(0.1, np.arange(50), 1, 0.99, True),
                                  exponential_decay(0.1, np.arange(50), 1, 0.99, False))


def test_shapes_and_types():
    assert isinstance(exponential_decay(0.1, 3, 1, 0.99), np.float32)
    assert exponential_decay(0.1, [[0, 1], [2, 3]], 1, 0.5).shape == (2, 2)
    assert exponential_decay(0.1, 2.5, 1, 0.5) == F32(0.1) * F32(0.5 ** 2.5)  # fractional steps too
    assert exponential_decay(0.1, 2.5, 1, 0.5, staircase=True) == F32(0.1) * F32(0.25)


@pytest.mark.parametrize("kwargs, words", [
    (dict(base_lr=0), "base_lr must be a finite number > 0, got 0.0"),
    (dict(base_lr=-0.1), "base_lr must be a finite number > 0, got -0.1"),
    (dict(base_lr="0.1"), "base_lr must be a positive number, got '0.1'"),
    (dict(decay_steps=0), "decay_steps must be a finite number > 0, got 0.0"),
    (dict(decay_steps=-5), "decay_steps must be a finite number > 0, got -5.0"),
    (dict(decay_rate=0), "decay_rate must be a finite number > 0, got 0.0"),
    (dict(decay_rate=float("nan")), "decay_rate must be a finite number > 0"),
    (dict(step=-1), "step must be finite and >= 0, got -1"),
    (dict(step=[1, -2]), "step must be finite and >= 0, got [1, -2]"),
    (dict(step=float("inf")), "step must be finite and >= 0, got inf"),
    (dict(step="3"), "step must be a number >= 0 or an array of them, got '3'"),
    (dict(step=True), "step must be a number >= 0 or an array of them, got True"),
    (dict(staircase="yes"), "staircase must be True or False, got 'yes'"),
    (dict(staircase=1), "staircase must be True or False, got 1"),
])
def test_bad_arguments_name_the_argument_and_the_value(kwargs, words):
    args = dict(base_lr=0.1, step=3, decay_steps=1, decay_rate=0.99, staircase=False) | kwargs
    with pytest.raises(ValueError) as err:
        exponential_decay(**args)
    assert words in str(err.value)


def test_decayed_descent_matches_keras_sgd_with_the_schedule(tf):
    """Six random schedules for 25 updates, and the note's (0.1, every step 0.99, staircase) for 40."""
    rng = np.random.default_rng(5)
    runs = [(float(F32(rng.uniform(-10, 10))), float(10 ** rng.uniform(-2, 0)), int(rng.integers(1, 8)),
             float(rng.uniform(0.8, 1.0)), bool(i % 2), 25) for i in range(6)]
    runs.append((5.0, 0.1, 1, 0.99, True, 40))
    for w0, base_lr, decay_steps, decay_rate, staircase, num_steps in runs:
        tr = lr_decay.decayed_gd_trace(gd.quadratic_grad, w0, base_lr, decay_steps, decay_rate,
                                        num_steps, staircase=staircase)
        theirs = reference.keras_sgd(w0, base_lr, num_steps, decay_steps, decay_rate, staircase)
        np.testing.assert_array_equal(tr.w, theirs.w)
        np.testing.assert_array_equal(tr.lr, theirs.lr)  # the schedule at optimizer.iterations = 0..n
        assert theirs.num_steps == num_steps


def test_the_notes_tf1_script_in_a_compat_v1_graph_prints_the_same(tf):
    ours = lr_decay.decayed_gd_trace(gd.quadratic_grad, 5.0, 0.1, 1, 0.99, 20, staircase=True)
    assert reference.tf1_decay_script(20) == decay_notes.format_decay_trace(ours, gd.quadratic_loss)


def test_rate_one_is_the_constant_rate_run():
    tr = lr_decay.decayed_gd_trace(gd.quadratic_grad, 5.0, 0.2, 1, 1.0, 30)
    np.testing.assert_array_equal(tr.w, gd.gd_trace(gd.quadratic_grad, 5.0, 0.2, 30).w)


def test_divergence_is_a_result_and_vectors_work():
    tr = lr_decay.decayed_gd_trace(gd.quadratic_grad, 5.0, 1.5, 1, 1.0, 1000)
    assert tr.diverged_at is not None and np.all(np.isfinite(tr.w))
    tr = lr_decay.decayed_gd_trace(gd.quadratic_grad, [5.0, -3.0], 0.1, 1, 0.99, 10)
    assert tr.w.shape == (11, 2) and tr.w.dtype == np.float32
    assert tr.lr.shape == (11,) and tr.lr[10] == exponential_decay(0.1, 10, 1, 0.99)


@pytest.mark.parametrize("args, match", [
    ((3, 5.0, 0.1, 1, 0.99, 10), "grad must be a function of w"),
    ((gd.quadratic_grad, 5.0, 0.1, 1, 0.99, 2.5), "num_steps must be an integer >= 0, got 2.5"),
    ((gd.quadratic_grad, 5.0, 0.1, 1, -0.9, 10), "decay_rate must be a finite number > 0, got -0.9"),
    ((gd.quadratic_grad, float("nan"), 0.1, 1, 0.99, 10), "w0 must be finite"),
])
def test_decayed_trace_rejects_bad_arguments(args, match):
    with pytest.raises(ValueError, match=match):
        lr_decay.decayed_gd_trace(*args)


def test_step_budget_is_the_sum_of_the_rates_used():
    assert lr_decay.step_budget(0.1, 1, 0.5, 0) == 0
    # geometric series: 0.1 * (1 - 0.5**40) / (1 - 0.5) -> 0.2
    assert abs(lr_decay.step_budget(0.1, 1, 0.5, 40) - 0.2) < 1e-7
    assert abs(lr_decay.step_budget(0.3, 10, 1.0, 40) - 12.0) < 1e-5


def test_without_a_c_library_the_exact_power_rounded_once_is_within_two_ulps(monkeypatch):
    steps = np.arange(0, 5000, 7)
    with_powf = exponential_decay(0.3, steps, 13, 0.93)
    monkeypatch.setattr(lr_decay, "_c_powf", lambda: None)
    fallback = exponential_decay(0.3, steps, 13, 0.93)
    assert fallback.dtype == np.float32
    ulps = np.abs(fallback.view(np.int32).astype(np.int64) - with_powf.view(np.int32).astype(np.int64))
    assert ulps.max() <= 2  # powf itself is within one unit in the last place


def test_training_figure_draws_each_schedule_in_both_panels_with_room_for_the_legend():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from nnlib.plots import lr_decay as decay_plots

    rates = {"constant 0.5": [0.5] * 4, "0.5 · 0.9^epoch": [0.5, 0.45, 0.405, 0.3645]}
    losses = {"constant 0.5": [0.4, 0.2, 0.3, 0.2], "0.5 · 0.9^epoch": [0.4, 0.2, 0.15, 0.14]}
    fig = decay_plots.training_figure(rates, losses, title="t")
    try:
        ax0, ax1 = fig.axes
        assert [l.get_label() for l in ax0.get_lines()] == list(rates)
        assert [l.get_label() for l in ax1.get_lines()] == list(rates)
        assert np.allclose(ax1.get_lines()[1].get_ydata(), losses["0.5 · 0.9^epoch"])
        assert np.allclose(ax1.get_lines()[1].get_xdata(), [1, 2, 3, 4])  # epochs trained
        assert ax0.get_ylim()[1] == pytest.approx(0.8) and ax1.get_yscale() == "log"
        assert [c.get_color() for c in ax0.get_lines()] == [c.get_color() for c in ax1.get_lines()]
    finally:
        plt.close(fig)

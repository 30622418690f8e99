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


# --- step, cosine, warm-up, plateau (issue 15) ---------------------------------------------------

from nnlib import network, portable  # noqa: E402
from nnlib.lr_decay import ReduceLROnPlateau, cosine_decay, piecewise_constant  # noqa: E402


def _random_piecewise(rng):
    n = int(rng.integers(1, 5))
    bounds = np.sort(rng.choice(np.arange(0, 5000), size=n, replace=False)).tolist()
    values = (10 ** rng.uniform(-4, 0, size=n + 1)).tolist()
    return bounds, values


def test_piecewise_constant_matches_keras_bit_for_bit(tf):
    """Scalar steps, the boundaries themselves (which belong to the range below) and arrays."""
    import keras

    rng = np.random.default_rng(21)
    for _ in range(30):
        bounds, values = _random_piecewise(rng)
        sched = keras.optimizers.schedules.PiecewiseConstantDecay(bounds, values)
        steps = rng.integers(0, 6000, size=6).tolist() + bounds + [b + 1 for b in bounds] + [0]
        for step in steps:
            ours = piecewise_constant(step, bounds, values)
            assert ours.dtype == np.float32 and ours == sched(step).numpy(), (bounds, values, step)
        arr = np.array(steps)
        np.testing.assert_array_equal(piecewise_constant(arr, bounds, values),
                                      sched(tf.constant(arr)).numpy())


def test_piecewise_constant_holds_each_value_up_to_and_including_its_boundary():
    lr = piecewise_constant(np.arange(8), [2, 5], [0.5, 0.05, 0.005])
    np.testing.assert_array_equal(lr, F32([0.5, 0.5, 0.5, 0.05, 0.05, 0.05, 0.005, 0.005]))


def _random_cosines(n, seed):
    rng = np.random.default_rng(seed)
    for i in range(n):
        base = float(10 ** rng.uniform(-4, 0))
        ds = int(rng.integers(1, 5000))
        alpha = float(rng.uniform(0, 0.5)) if i % 3 else 0.0
        warm = (float(10 ** rng.uniform(-3, 0.3)), int(rng.integers(1, 2000))) if i % 2 else None
        yield base, ds, alpha, warm, rng


def test_cosine_decay_matches_keras_bit_for_bit_at_scalar_steps(tf):
    """1200 random (schedule, step) pairs, half with a linear warm-up: exact, as the chapter says."""
    import keras

    checked = 0
    for base, ds, alpha, warm, rng in _random_cosines(60, seed=1):
        if warm is None:
            sched = keras.optimizers.schedules.CosineDecay(base, ds, alpha)
            ours = lambda s: cosine_decay(base, s, ds, alpha)  # noqa: E731
        else:
            sched = keras.optimizers.schedules.CosineDecay(base, ds, alpha, warmup_target=warm[0],
                                                           warmup_steps=warm[1])
            ours = lambda s: cosine_decay(base, s, ds, alpha, *warm)  # noqa: E731
        for step in rng.integers(0, 8000, size=20).tolist():
            mine = ours(step)
            assert mine.dtype == np.float32
            assert mine == sched(step).numpy(), (base, ds, alpha, warm, step)
            checked += 1
    assert checked == 1200


def test_cosine_decay_on_step_arrays_is_within_one_ulp_of_the_base_rate(tf):
    """On a tensor of steps TensorFlow's vectorised cos differs from cosf by a little; the
    bound the chapter states: one ulp of the base rate (Keras cannot take arrays with warm-up)."""
    import keras

    worst = 0.0
    for base, ds, alpha, _, rng in _random_cosines(40, seed=2):
        steps = rng.integers(0, 8000, size=64)
        theirs = keras.optimizers.schedules.CosineDecay(base, ds, alpha)(tf.constant(steps)).numpy()
        ours = cosine_decay(base, steps, ds, alpha)
        assert ours.shape == theirs.shape and ours.dtype == np.float32
        worst = max(worst, portable.ulps(ours, theirs, floor=base))
        assert all(cosine_decay(base, int(s), ds, alpha) == o for s, o in zip(steps[:5], ours[:5]))
    assert worst <= 1.0


def test_cosine_decay_shape_warm_up_and_budget():
    T = 1000
    lr = cosine_decay(0.5, np.arange(T + 50), T)
    assert lr[0] == F32(0.5) and lr[T] == 0 and np.all(lr[T:] == 0)      # held after T
    assert np.all(np.diff(lr[:T + 1]) <= 0)
    assert abs(lr[:T].astype(float).sum() - 0.5 * T / 2) < 0.5 + 1e-3   # budget eta_0 T / 2
    # float32(pi) / 2 is a little above pi / 2, so the cosine there is -4e-8, not 0
    assert abs(cosine_decay(0.5, T // 2, T) - 0.25) < 3e-8
    assert cosine_decay(0.5, 2 * T, T, alpha=0.1) == F32(0.05)
    warm = cosine_decay(0.01, np.arange(300), 200, warmup_target=1.0, warmup_steps=100)
    assert warm[0] == F32(0.01) and warm[50] == F32(0.505) and warm[100] == F32(1.0)
    assert np.all(np.diff(warm[:101]) > 0) and np.all(np.diff(warm[100:]) <= 0)
    assert abs(warm[200] - 0.5) < 6e-8                                     # half-way down
    # exercise 8's numbers
    assert f"{cosine_decay(0.01, 68, 1224, warmup_target=1.0, warmup_steps=136):.3f}" == "0.505"
    assert f"{cosine_decay(0.01, 748, 1224, warmup_target=1.0, warmup_steps=136):.3f}" == "0.500"


def test_cosine_without_a_c_library_is_within_one_ulp(monkeypatch):
    steps = np.arange(0, 3000, 7)
    with_cosf = cosine_decay(0.3, steps, 2500)
    monkeypatch.setattr(lr_decay, "_c_cosf", lambda: None)
    assert portable.ulps(cosine_decay(0.3, steps, 2500), with_cosf, floor=0.3) <= 1


@pytest.mark.parametrize("call, words", [
    (lambda: piecewise_constant(3, [5, 2], [1, 2, 3]), "boundaries must be one or more whole numbers in increasing order"),
    (lambda: piecewise_constant(3, [], [1]), "boundaries must be one or more whole numbers"),
    (lambda: piecewise_constant(3, [2.5], [1, 2]), "boundaries[0] must be an integer >= 0, got 2.5"),
    (lambda: piecewise_constant(3, [2], [1]), "values must have one more entry than boundaries (2), got 1"),
    (lambda: piecewise_constant(3, [2], [1, -2]), "values[1] must be a finite number > 0, got -2.0"),
    (lambda: piecewise_constant(-1, [2], [1, 2]), "step must be finite and >= 0, got -1"),
    (lambda: piecewise_constant(1, 5, [1, 2]), "boundaries must be a list of whole numbers, got 5"),
    (lambda: cosine_decay(0, 1, 10), "base_lr must be a finite number > 0, got 0.0"),
    (lambda: cosine_decay(0.1, 1, 0), "decay_steps must be a finite number > 0, got 0.0"),
    (lambda: cosine_decay(0.1, 1, 10, alpha=1.5), "alpha must be a number in [0, 1], got 1.5"),
    (lambda: cosine_decay(0.1, 1, 10, warmup_steps=5), "warmup_steps needs a warmup_target"),
    (lambda: cosine_decay(0.1, 1, 10, warmup_target=-1.0, warmup_steps=5), "warmup_target must be a finite number > 0"),
    (lambda: cosine_decay(0.1, 1, 10, warmup_target=1.0, warmup_steps=-5), "warmup_steps must be a finite number >= 0"),
    (lambda: ReduceLROnPlateau(0.1, factor=1.0), "factor must be a number in (0, 1), got 1.0"),
    (lambda: ReduceLROnPlateau(0.1, patience=1.5), "patience must be an integer >= 0, got 1.5"),
    (lambda: ReduceLROnPlateau(-0.1), "lr must be a finite number > 0, got -0.1"),
    (lambda: ReduceLROnPlateau(0.1).update("low"), "loss must be a number, got 'low'"),
])
def test_new_schedules_reject_bad_arguments(call, words):
    with pytest.raises(ValueError) as err:
        call()
    assert words in str(err.value)


def _keras_plateau_rates(losses, lr, **kwargs):
    """Keras's own callback, attached to a one-weight model, fed ``losses`` as val_loss."""
    import keras

    model = keras.Sequential([keras.Input(shape=(1,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=lr), loss="mse")
    cb = keras.callbacks.ReduceLROnPlateau(monitor="val_loss", **kwargs)
    cb.set_model(model)
    cb.on_train_begin()
    out = []
    for epoch, loss in enumerate(losses):
        cb.on_epoch_end(epoch, {"val_loss": loss})
        out.append(F32(model.optimizer.learning_rate.numpy()))
    return np.array(out)


@pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")  # inside Keras
def test_reduce_on_plateau_follows_keras_callback(tf):
    """30 random settings (factor, patience, min_delta, cooldown, min_lr) on noisy loss curves."""
    rng = np.random.default_rng(0)
    cuts = 0
    for _ in range(30):
        kw = dict(factor=float(rng.uniform(0.05, 0.9)), patience=int(rng.integers(0, 4)),
                  min_delta=float(rng.choice([0, 1e-4, 1e-2])), cooldown=int(rng.integers(0, 3)),
                  min_lr=float(rng.choice([0, 1e-3])))
        losses = [float(v) for v in np.round(1 / np.arange(1, 25) + rng.normal(0, 0.02, 24), 3)]
        plateau = ReduceLROnPlateau(0.5, **kw)
        ours = np.array([plateau.update(v) for v in losses])
        np.testing.assert_array_equal(ours, _keras_plateau_rates(losses, 0.5, **kw), err_msg=str(kw))
        cuts += len(plateau.reductions)
    assert cuts > 30          # the rule did act, many times


@pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")  # inside Keras
def test_reduce_on_plateau_compares_in_float32_as_keras_does(tf):
    """0.5 - 1e-4 - 1e-12 is an improvement on 0.5 in float64, not in float32: no reset."""
    for eps, cut in ((1e-12, True), (1e-9, True), (1e-7, False)):
        losses = [0.5, 0.5 - 1e-4 - eps, 0.3]
        plateau = ReduceLROnPlateau(0.5, factor=0.5, patience=1)
        ours = [plateau.update(v) for v in losses]
        np.testing.assert_array_equal(ours, _keras_plateau_rates(losses, 0.5, factor=0.5, patience=1))
        assert (ours[1] == F32(0.25)) == cut


def test_reduce_on_plateau_the_chapters_example():
    """The chapter's sequence: cuts after epochs 3 and 7; 0.39995 is within min_delta of 0.4."""
    plateau = ReduceLROnPlateau(0.5, factor=0.5, patience=2)
    rates = [plateau.update(v) for v in [0.50, 0.40, 0.41, 0.39995, 0.42, 0.30, 0.31, 0.32, 0.33]]
    assert plateau.reductions == [3, 7] and plateau.best == 0.3
    assert rates == [F32(r) for r in (0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.25, 0.125, 0.125)]
    floor = ReduceLROnPlateau(0.5, factor=0.1, patience=0, min_lr=0.01)
    assert [floor.update(1.0) for _ in range(4)] == [F32(0.5), F32(0.05), F32(0.01), F32(0.01)]
    assert floor.reductions == [1, 2]     # not below min_lr, and no cut once there


def _digits(n=200):
    from nnlib import data

    X, y, *_ = data.digits_with_validation()
    return X[:n], y[:n]


def test_train_scheduled_at_a_constant_rate_is_network_train_bit_for_bit():
    X, y = _digits()
    nets = [network.glorot_network([64, 16, 10], "relu", loss="softmax_ce", seed=3) for _ in range(3)]
    network.train(X, y, nets[0], lr=0.3, batch_size=16, num_epochs=3, seed=7)
    n = 3 * -(-len(X) // 16)
    used = lr_decay.train_scheduled(X, y, nets[1], lambda step: 0.3, 16, 3, seed=7)
    lr_decay.train_scheduled(X, y, nets[2], np.full(n, 0.3, F32), 16, 3, seed=7)
    assert used.shape == (n,) and np.all(used == F32(0.3))
    for a, b, c in zip(nets[0].weights + nets[0].biases, nets[1].weights + nets[1].biases,
                       nets[2].weights + nets[2].biases):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(a, c)


def test_train_scheduled_uses_rate_k_at_update_k_and_lets_a_hook_change_it():
    X, y = _digits(64)
    net = network.glorot_network([64, 8, 10], "relu", loss="softmax_ce", seed=0)
    rates = cosine_decay(0.01, np.arange(40), 30, warmup_target=0.4, warmup_steps=10)
    used = lr_decay.train_scheduled(X, y, net, rates, 16, 10, seed=0)
    np.testing.assert_array_equal(used, rates[:40])
    plateau = ReduceLROnPlateau(0.4, factor=0.5, patience=0)
    net = network.glorot_network([64, 8, 10], "relu", loss="softmax_ce", seed=0)
    used = lr_decay.train_scheduled(X, y, net, lambda step: plateau.lr, 16, 4, seed=0,
                                    on_epoch=lambda e, losses: plateau.update(10.0) and None)
    # the loss never improves after the first epoch: the rate halves at every later epoch
    np.testing.assert_array_equal(used.reshape(4, 4)[:, 0], F32([0.4, 0.4, 0.2, 0.1]))
    stopped = lr_decay.train_scheduled(X, y, net, rates, 16, 10, seed=0, on_epoch=lambda e, _: e == 1)
    assert len(stopped) == 8


@pytest.mark.parametrize("kwargs, words", [
    (dict(lr=np.full(3, 0.1)), "lr must be a function of the step or 16 rates >= 0"),
    (dict(lr=lambda step: -0.1), "the rate at step 0 must be a finite number >= 0"),
    (dict(batch_size=0), "batch_size must be between 1 and the number of examples 64"),
    (dict(net="net"), "net must be an nnlib.network.Network, got str"),
])
def test_train_scheduled_rejects_bad_arguments(kwargs, words):
    X, y = _digits(64)
    args = dict(net=network.glorot_network([64, 8, 10], "relu", loss="softmax_ce"), lr=0.1,
                batch_size=16, num_epochs=4) | kwargs
    with pytest.raises(ValueError) as err:
        lr_decay.train_scheduled(X, y, args.pop("net"), args.pop("lr"), **args)
    assert words in str(err.value)



def test_noisy_quadratic_rms_is_gd_trace_with_a_noisy_gradient():
    def noisy_grad():
        rng = np.random.default_rng(0)
        return lambda w: gd.quadratic_grad(w) + F32(4.0) * rng.standard_normal(w.shape, dtype=F32)

    w0 = np.full(200, 5.0, dtype=F32)
    lrs = np.array([np.full(300, 0.1, F32), exponential_decay(0.1, np.arange(300), 1, 0.97)])
    rms = lr_decay.noisy_quadratic_rms(lrs, w0)
    assert rms.shape == (301, 2)
    for j in range(2):
        tr = gd.gd_trace(noisy_grad(), w0, np.append(lrs[j], lrs[j][-1]), 300)
        np.testing.assert_array_equal(np.sqrt(np.mean((tr.w.astype(np.float64) + 1) ** 2, axis=1)),
                                      rms[:, j])
    with pytest.raises(ValueError, match="lrs must be a 2-D array of rates >= 0"):
        lr_decay.noisy_quadratic_rms(np.full(5, 0.1), w0)


def test_rate_sums():
    assert lr_decay.rate_sums([0.5, 0.25]) == (0.75, 0.3125)
    total, squares = lr_decay.rate_sums(1 / (np.arange(10_000) + 10.0))
    assert f"{total:.2f}" == "6.96" and squares < 0.11


def test_the_new_figures():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from nnlib.plots import lr_decay as decay_plots

    figs = []
    try:
        rates = {"a": np.linspace(0.5, 0, 40), "b": np.full(40, 0.5)}
        figs.append(decay_plots.training_figure(rates, {"a": [1, 0.5, 0.3, 0.2], "b": [1, 0.6, 0.5, 0.6]},
                                                train_losses={"a": [1, 0.4, 0.2, 0.1], "b": [1, .5, .3, .2]}))
        ax0, ax1, ax2 = figs[-1].axes
        assert ax0.get_xlim() == (0, 4) and ax1.get_yscale() == "log" and ax2.get_yscale() == "log"
        assert "validation" in ax2.get_title() and "training" in ax1.get_title()
        figs.append(decay_plots.robbins_monro_figure({"c": np.linspace(6, 0.1, 101)},
                                                     predicted={"p": (np.arange(10, 101), np.ones(91))}))
        ax = figs[-1].axes[0]
        assert ax.get_xscale() == "log" and [l.get_label() for l in ax.get_lines()] == ["c", "p"]
        figs.append(decay_plots.schedules_figure(rates, 10))
        assert figs[-1].axes[0].get_xlim() == (0, 4)
        figs.append(decay_plots.scaling_figure({"B = 16": np.ones((3, 5)), "B = 64": 2 * np.ones((3, 5))}))
        assert [l.get_label() for l in figs[-1].axes[0].get_lines()] == ["B = 16", "B = 64"]
    finally:
        for fig in figs:
            plt.close(fig)

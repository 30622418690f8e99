"""nnlib.learning_rate: the descent loop and its typed trace, checked against TensorFlow (nnlib.reference)."""
from __future__ import annotations

import math

import numpy as np
import pytest

from nnlib import learning_rate, reference


def test_matches_tensorflow_bit_for_bit_on_random_runs(tf):
    rng = np.random.default_rng(7)
    for _ in range(12):
        lr = float(10 ** rng.uniform(-4, 0.05))
        w0 = float(np.float32(rng.uniform(-10, 10)))
        ours = learning_rate.gd_trace(learning_rate.quadratic_grad, w0, lr, 30)
        theirs = reference.keras_sgd(w0, lr, 30)
        np.testing.assert_array_equal(ours.w, theirs.w, err_msg=f"lr={lr}, w0={w0}")
        np.testing.assert_array_equal(ours.lr, theirs.lr)
        assert theirs.num_steps == ours.num_steps == 30 and theirs.rule == ours.rule


def test_trace_layout_and_dtype():
    tr = learning_rate.gd_trace(learning_rate.quadratic_grad, 5, 0.2, 3)
    assert tr.w.dtype == np.float32 and tr.w.shape == (4,)
    assert tr.w[0] == 5 and tr.diverged_at is None
    assert tr.status == "finite after 3 steps"
    assert tr.rule == learning_rate.SGD() and tr.rule.name == "sgd"
    assert tr.lr.dtype == np.float32 and tr.lr.tolist() == [np.float32(0.2)] * 4
    assert tr.rate.shape == (3,) and np.all(tr.rate == np.float32(0.2))
    assert repr(tr).startswith("Trace(SGD(), lr=0.2, num_steps=3, finite after 3 steps")
    assert learning_rate.gd_trace(learning_rate.quadratic_grad, 5, 0.2, 0).w.tolist() == [5.0]
    grad = lambda w: np.float32(2) * (w - np.array([1, -2], np.float32))  # vectors too
    tr = learning_rate.gd_trace(grad, [0, 0], 0.25, 30)
    assert tr.w.shape == (31, 2) and tr.w.dtype == np.float32
    np.testing.assert_allclose(tr.final, [1, -2], atol=1e-6)


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
    (dict(lr=np.full(5, 0.1)), "lr must be a number > 0 or num_steps + 1 = 11 rates >= 0"),
    (dict(lr=np.array([0.1] * 10 + [np.nan])), "lr must be a number > 0 or num_steps + 1 = 11 rates"),
])
def test_bad_arguments_name_the_argument_and_the_value(kwargs, words):
    args = dict(grad=learning_rate.quadratic_grad, w0=5.0, lr=0.2, num_steps=10) | kwargs
    with pytest.raises(ValueError) as err:
        learning_rate.gd_trace(**args)
    assert words in str(err.value)


def test_a_rate_per_step_is_used_by_the_update_of_that_step():
    lrs = np.array([0.1, 0.2, 0.0, 0.4], dtype=np.float32)  # a schedule may reach 0 (chapter 6)
    tr = learning_rate.gd_trace(learning_rate.quadratic_grad, 5.0, lrs, 3)
    w = np.float32(5)
    for k in range(3):
        w = w - lrs[k] * learning_rate.quadratic_grad(w)
        assert tr.w[k + 1] == w
    np.testing.assert_array_equal(tr.lr, lrs)
    np.testing.assert_array_equal(tr.rate, lrs[:3])
    assert "lr=0.1 to 0.4" in repr(tr)


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


@pytest.mark.parametrize("lr", [0.2, 1.0, 1.05])
def test_the_explorer_legend_shows_the_colour_of_its_line(lr):
    """The explorer colours a run by its regime; its legend must show that colour, not the
    default blue (the legend was once drawn before the lines were recoloured)."""
    import matplotlib.pyplot as plt
    from matplotlib.colors import to_hex

    from nnlib.plots import COLORS
    from nnlib.plots import learning_rate as plots

    fig = plots.lr_explorer_figure(lr=lr)
    try:
        expected = {"converges": COLORS[2], "oscillates": COLORS[4], "diverges": COLORS[1]}
        for ax in fig.axes:
            legend = ax.get_legend()
            if legend is None:
                continue
            lines = {line.get_label(): line for line in ax.lines}
            for handle, text in zip(legend.legend_handles, legend.get_texts()):
                line = lines[text.get_text()]
                assert to_hex(handle.get_color()) == to_hex(line.get_color()), text.get_text()
                assert to_hex(line.get_color()) == expected[learning_rate.regime(lr)]
        assert any(ax.get_legend() for ax in fig.axes)
    finally:
        plt.close(fig)


def test_the_figure_of_several_runs_gives_each_legend_entry_its_line_colour():
    import matplotlib.pyplot as plt
    from matplotlib.colors import to_hex

    from nnlib.plots import learning_rate as plots

    runs = {f"lr = {lr:g}": learning_rate.gd_trace(learning_rate.quadratic_grad, 5.0, lr, 18)
            for lr in (0.2, 1.0, 0.001)}
    fig = plots.descent_figure(runs)
    try:
        legend = fig.axes[0].get_legend()
        lines = {line.get_label(): line for line in fig.axes[0].lines}
        colours = [to_hex(h.get_color()) for h in legend.legend_handles]
        assert colours == [to_hex(lines[t.get_text()].get_color()) for t in legend.get_texts()]
        assert len(set(colours)) == 3
    finally:
        plt.close(fig)

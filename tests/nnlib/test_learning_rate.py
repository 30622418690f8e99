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


# --- many weights: bowls (chapter 4, "Many weights") -------------------------------------------

def test_quadratic_rates_of_the_ravine_and_a_plain_bowl():
    r = learning_rate.quadratic_rates([1.0, 50.0])
    assert (r.lr_max, r.kappa) == (0.04, 50.0)
    assert r.lr_best == pytest.approx(2 / 51, rel=1e-15) and r.rate == pytest.approx(49 / 51, rel=1e-15)
    one = learning_rate.quadratic_rates([2.0])      # chapter 4's (w + 1)^2: curvature 2
    assert (one.lr_max, one.lr_best, one.rate, one.kappa) == (1.0, 0.5, 0.0, 1.0)  # one step


def test_the_best_rate_minimises_the_slowest_factor():
    lams = [1.0, 7.0, 20.0]
    grid = np.linspace(0.001, 0.0999, 20001)
    factors = [learning_rate.contraction(lr, lams) for lr in grid]
    best = learning_rate.quadratic_rates(lams)
    assert abs(grid[int(np.argmin(factors))] - best.lr_best) < 1e-5
    assert min(factors) == pytest.approx(best.rate, abs=1e-4)
    assert learning_rate.contraction(best.lr_max * 0.999, lams) < 1 <= learning_rate.contraction(best.lr_max, lams)


@pytest.mark.parametrize("call, words", [
    (lambda: learning_rate.quadratic_rates([1.0, -2.0]), "eigenvalues must be one or more curvatures > 0"),
    (lambda: learning_rate.quadratic_rates([]), "eigenvalues must be one or more curvatures > 0"),
    (lambda: learning_rate.quadratic_rates([1.0, np.nan]), "eigenvalues must be finite"),
    (lambda: learning_rate.contraction(0, [1.0]), "lr must be a finite number > 0, got 0.0"),
    (lambda: learning_rate.bowl([1.0, 2.0, 3.0]), "eigenvalues must be two curvatures for a 2-D bowl"),
    (lambda: learning_rate.bowl([1.0, 2.0], angle="x"), "angle must be a number"),
])
def test_bad_bowl_arguments_say_what_is_allowed(call, words):
    with pytest.raises(ValueError) as err:
        call()
    assert words in str(err.value)


def test_a_bowl_has_the_curvatures_it_was_made_with_along_its_directions():
    b = learning_rate.bowl([1.0, 10.0], angle=30)
    assert np.allclose(np.linalg.eigvalsh(b.H), [1.0, 10.0])
    assert np.allclose(b.Q.T @ b.Q, np.eye(2)) and np.allclose(b.H @ b.Q, b.Q * [1.0, 10.0])
    w = np.array([[-3.0, 2.0], [0.5, -1.25]], np.float32)
    assert b.grad(w).dtype == np.float32
    np.testing.assert_allclose(b.grad(w), w.astype(float) @ b.H, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(b.loss(w), 0.5 * np.einsum("ni,ij,nj->n", w, b.H, w), rtol=1e-12)
    np.testing.assert_allclose(b.coordinates(w), w.astype(float) @ b.Q, rtol=1e-12)


@pytest.mark.parametrize("lr", [0.05, 0.15, 0.19])
def test_each_eigen_direction_shrinks_by_its_own_factor(lr):
    b = learning_rate.bowl([1.0, 10.0], angle=30)
    u = b.coordinates(learning_rate.gd_trace(b.grad, [-3.0, 2.0], lr, 12).w)
    np.testing.assert_allclose(u[1:] / u[:-1], np.broadcast_to(1 - lr * b.eigenvalues, (12, 2)),
                               rtol=1e-4)


# --- beyond the bowl ---------------------------------------------------------------------------

def test_the_double_well_and_plateau_gradients_are_their_losses_slopes():
    for loss, grad, ws in [(learning_rate.double_well_loss, learning_rate.double_well_grad,
                            np.linspace(-1.7, 1.7, 9)),
                           (learning_rate.plateau_loss, learning_rate.plateau_grad,
                            np.linspace(-8, 3, 9))]:
        h = 1e-3
        slope = (loss(ws + h).astype(float) - loss(ws - h).astype(float)) / (2 * h)
        np.testing.assert_allclose(grad(ws), slope, rtol=2e-2, atol=1e-5)
        assert grad(ws).dtype == np.float32
    # two minima of different depth; on the plateau the gradient is about -2 e^w
    w = learning_rate.gd_trace(learning_rate.double_well_grad, [-0.5, 0.5], 0.05, 300).final
    assert w[0] < -1 < 0.9 < w[1] < 1 and learning_rate.double_well_loss(w[0]) < learning_rate.double_well_loss(w[1])
    assert learning_rate.plateau_grad(-8.0) == pytest.approx(-2 * math.exp(-8), rel=3e-3)


def test_the_plateau_gradient_matches_tensorflow(tf):
    w = tf.Variable(np.linspace(-8, 3, 23).astype(np.float32))
    with tf.GradientTape() as tape:
        loss = tf.square(tf.sigmoid(w) - 1)
    np.testing.assert_allclose(tape.gradient(loss, w).numpy(), learning_rate.plateau_grad(w.numpy()),
                               rtol=1e-5, atol=1e-9)


# --- mini-batches ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def digits_net():
    from nnlib import data, network, portable

    X, y, *_ = data.digits_with_validation()
    net = network.glorot_network([64, 32, 10], "relu", loss="softmax_ce", dot=portable.dot, seed=0)
    return X[:300], y[:300], net


def test_example_gradients_average_to_the_full_gradient_and_match_one_example_batches(digits_net):
    X, y, net = digits_net
    G = learning_rate.example_gradients(net, X, y)
    assert G.shape == (300, 64 * 32 + 32 * 10 + 32 + 10) and G.dtype == np.float64
    full = learning_rate._flat(net.gradients(X, y))
    assert np.abs(G.mean(axis=0) - full).max() < 1e-6
    for i in (0, 7, 299):
        assert np.abs(G[i] - learning_rate._flat(net.gradients(X[i:i + 1], y[i:i + 1]))).max() < 1e-5


def test_gradient_noise_falls_like_one_over_b_and_vanishes_for_the_full_batch(digits_net):
    X, y, net = digits_net
    G = learning_rate.example_gradients(net, X, y)
    n = len(y)
    sigma2 = np.mean(np.sum((G - G.mean(axis=0)) ** 2, axis=1))
    for B in (1, 8, 64):
        r = learning_rate.gradient_noise(net, X, y, B, num_batches=300, seed=1)
        assert r.noise == pytest.approx(sigma2 / B * (n - B) / (n - 1), rel=0.2), B
        assert r.bias < 5 * r.noise / 300      # unbiased: the mean of the batches closes in
        assert 0 < r.cosine < 1
    whole = learning_rate.gradient_noise(net, X, y, n, num_batches=3)
    assert whole.noise < 1e-12 and whole.cosine == pytest.approx(1.0)


@pytest.mark.parametrize("kwargs, words", [
    (dict(batch_size=0), "batch_size must be between 1 and the number of examples 300"),
    (dict(batch_size=301), "batch_size must be between 1 and the number of examples 300"),
    (dict(num_batches=0), "num_batches must be an integer >= 1"),
    (dict(seed=-1), "seed must be an integer >= 0"),
])
def test_gradient_noise_checks_its_arguments(digits_net, kwargs, words):
    X, y, net = digits_net
    with pytest.raises(ValueError) as err:
        learning_rate.gradient_noise(net, X, y, **({"batch_size": 4} | kwargs))
    assert words in str(err.value)


def test_noise_needs_a_softmax_network(digits_net):
    from nnlib import network

    X, y, _ = digits_net
    mse = network.glorot_network([64, 3, 10], "relu", loss="mse")
    with pytest.raises(ValueError, match="net must be an nnlib.network.Network with loss='softmax_ce'"):
        learning_rate.example_gradients(mse, X, y)
    with pytest.raises(ValueError, match="net must be an nnlib.network.Network"):
        learning_rate.lr_range_test(X, y, "net")


# --- the learning-rate range test --------------------------------------------------------------

def test_range_test_rates_grow_geometrically_and_the_net_is_left_alone(digits_net):
    from nnlib import network

    X, y, net = digits_net
    before = [W.copy() for W in net.weights]
    rt = learning_rate.lr_range_test(X, y, net, 1e-3, 10.0, 40)
    assert all(np.array_equal(a, b) for a, b in zip(before, net.weights))
    assert rt.lr.dtype == np.float32 and len(rt.lr) == len(rt.loss) == 40
    assert rt.lr[0] == np.float32(1e-3) and rt.lr[-1] == np.float32(10.0)
    np.testing.assert_allclose(rt.lr[1:] / rt.lr[:-1], 10 ** (4 / 39), rtol=1e-6)
    assert rt.loss[0] == net.gradients(X, y).loss
    # the first update is one full-batch step of plain SGD at lr_min, bit for bit
    one = net.copy()
    network.train(X, y, one, lr=1e-3, num_epochs=1)
    assert rt.loss[1] == one.gradients(X, y).loss


def test_range_test_schedule_is_keras_exponential_decay_within_16_ulp(keras):
    """``ExponentialDecay(lr_min, decay_steps=1, decay_rate=r)`` with r > 1; Keras raises a float32
    r to the power k with TensorFlow's float32 pow, ours rounds float64 values: 13 ulp apart at
    most over 100 rates (measured), below 16 stated."""
    from nnlib import portable

    r = 10 ** (4 / 99)
    sched = keras.optimizers.schedules.ExponentialDecay(1e-3, decay_steps=1, decay_rate=r)
    theirs = np.array([float(sched(k)) for k in range(100)], np.float32)
    lrs = (1e-3 * r ** np.arange(100)).astype(np.float32)   # what lr_range_test uses
    X = np.zeros((2, 3), np.float32)
    from nnlib import network

    net = network.glorot_network([3, 2], "relu", loss="softmax_ce")
    ours = learning_rate.lr_range_test(X, np.array([0, 1]), net, 1e-3, 10.0, 100).lr
    np.testing.assert_array_equal(ours, lrs)
    assert portable.ulps(theirs, ours) < 16


def test_range_test_readings():
    lr = np.array([0.1, 0.2, 0.4, 0.8, 1.6, 3.2], np.float32)
    rt = learning_rate.RangeTest(lr, np.array([2.0, 1.5, 0.9, 1.2, 2.5, 1.0]))
    assert rt.lowest == (pytest.approx(0.4), 0.9) and rt.blowup == pytest.approx(1.6)
    assert learning_rate.RangeTest(lr, np.array([2.0, 1.5, 0.9, 1.2, 1.9, np.inf])).blowup == pytest.approx(3.2)
    assert learning_rate.RangeTest(lr, np.array([2.0, 1.5, 1.0, 0.9, 0.8, 0.7])).blowup is None


def test_a_range_test_that_overflows_stops_at_the_first_non_finite_loss(digits_net):
    X, y, net = digits_net
    rt = learning_rate.lr_range_test(X, y, net, 1e20, 1e38, 60)
    assert len(rt.loss) < 60 and not np.isfinite(rt.loss[-1]) and np.all(np.isfinite(rt.loss[:-1]))


@pytest.mark.parametrize("kwargs, words", [
    (dict(lr_min=0), "lr_min must be a finite number > 0"),
    (dict(lr_max=1e-4), "lr_max must be larger than lr_min"),
    (dict(num_steps=1), "num_steps must be an integer >= 2, got 1"),
    (dict(num_steps=2.5), "num_steps must be an integer >= 1"),
    (dict(batch_size=0), "batch_size must be between 1 and the number of examples 300"),
])
def test_range_test_checks_its_arguments(digits_net, kwargs, words):
    X, y, net = digits_net
    with pytest.raises(ValueError) as err:
        learning_rate.lr_range_test(X, y, net, **kwargs)
    assert words in str(err.value)


def test_a_mini_batch_range_test_runs_and_is_reproducible(digits_net):
    X, y, net = digits_net
    a = learning_rate.lr_range_test(X, y, net, 1e-3, 10.0, 30, batch_size=32, seed=3)
    b = learning_rate.lr_range_test(X, y, net, 1e-3, 10.0, 30, batch_size=32, seed=3)
    np.testing.assert_array_equal(a.loss, b.loss)


def test_the_new_figures_draw_a_line_per_run():
    import matplotlib.pyplot as plt

    from nnlib.optimizers import SURFACES
    from nnlib.plots import learning_rate as plots

    figs = [plots.bowl_figure(learning_rate.bowl([1.0, 10.0], 30), 0.15, [-3.0, 2.0], 10),
            plots.ravine_figure(SURFACES["ravine"], {"a": 0.02, "b": 0.039, "c": 0.0401}, 50),
            plots.landscape_figure({"l": -0.5, "r": 0.5}, SURFACES["saddle"], {"s": (-2.0, 0.1)},
                                   {"p": -4.0, "q": -6.0}, 0.05, 0.1, 1.0, 300),
            plots.batch_noise_figure([1, 4], [17.0, 4.2], 17.2, 1077),
            plots.range_test_figure({"s0": learning_rate.RangeTest(
                np.geomspace(1e-3, 10, 5), np.array([2.3, 2.2, 1.0, 0.6, 3.0]))}, grid=(0.1, 1))]
    try:
        assert [len(ax.get_legend().get_texts()) for ax in figs[1].axes] == [2, 3]
        assert [len(ax.get_legend().get_texts()) for ax in figs[2].axes] == [2, 1, 2]
        assert len(figs[0].axes[1].lines) == 4 and len(figs[4].axes[0].lines) == 4
    finally:
        for fig in figs:
            plt.close(fig)


# --- a grid of full-batch runs, side by side ---------------------------------------------------

def test_range_tests_side_by_side_are_the_plain_loop_bit_for_bit(digits_net):
    """lr_range_tests (and lr_range_test, which uses it for the full batch) against the loop
    written out: the loss before each update, then w <- w - lr_k g, stopping at the first
    non-finite loss; one range that overflows, with networks that do not."""
    from nnlib import network, portable

    X, y, _ = digits_net
    nets = [network.glorot_network([64, 32, 10], "relu", loss="softmax_ce", dot=portable.dot, seed=s)
            for s in (0, 1)]
    for lr_min, lr_max in ((1e-3, 10.0), (1e20, 1e38)):
        lrs = (lr_min * (lr_max / lr_min) ** (np.arange(40) / 39)).astype(np.float32)
        expected = []
        for net in nets:
            net, losses = net.copy(), []
            with np.errstate(over="ignore", invalid="ignore"):
                for lr in lrs:
                    grads = net.gradients(X, y)
                    losses.append(grads.loss)
                    if not np.isfinite(grads.loss):
                        break
                    for p, g in zip(net.weights + net.biases, grads.dW + grads.db):
                        p -= lr * g
            expected.append(losses)
        together = learning_rate.lr_range_tests(X, y, nets, lr_min, lr_max, 40)
        alone = [learning_rate.lr_range_test(X, y, net, lr_min, lr_max, 40) for net in nets]
        for want, a, b in zip(expected, together, alone):
            np.testing.assert_array_equal(a.loss, want)
            np.testing.assert_array_equal(b.loss, want)
            np.testing.assert_array_equal(a.lr, lrs[:len(want)])
    assert len(together[0].loss) < 40                     # the second range overflowed
    with pytest.raises(ValueError, match=r"nets\[1\] must have .* dot=portable.dot"):
        learning_rate.lr_range_tests(X, y, [nets[0], network.glorot_network([64, 32, 10], "relu",
                                                                             loss="softmax_ce")])


def test_train_grid_shares_out_the_runs_and_keeps_every_bit(digits_net):
    """train_grid over the CPUs: each network ends where network.train takes it alone, with
    the same losses, in any number of processes; bad arguments raise ValueError by name."""
    from nnlib import network, portable

    X, y, _ = digits_net

    def nets():
        return [network.glorot_network([64, 32, 10], "relu", loss="softmax_ce",
                                       dot=portable.dot, seed=s) for s in (0, 1, 2)]

    lrs = [0.1, 1.0, 3.0]
    alone = nets()
    want = []
    for net, lr in zip(alone, lrs):
        want.append([])
        network.train(X, y, net, lr=lr, num_epochs=12,
                      on_epoch=lambda epoch, losses, row=want[-1]: row.extend(losses))
    for processes in (1, 2, 3):
        grid = nets()
        losses = learning_rate.train_grid(X, y, grid, lrs, num_epochs=12, processes=processes)
        assert losses.shape == (3, 12)
        for row, w, a, b in zip(losses, want, alone, grid):
            np.testing.assert_array_equal(row, np.asarray(w, dtype=np.float32).ravel())
            for p, q in zip(a.weights + a.biases, b.weights + b.biases):
                np.testing.assert_array_equal(p, q)
    for kwargs, match in (({"nets": []}, "nets must be"), ({"lrs": [0.1]}, "lrs must be"),
                          ({"lrs": [0.1, -1.0, 1.0]}, r"lrs\[1\]"),
                          ({"num_epochs": -1}, "num_epochs"), ({"processes": 0}, "processes")):
        args = {"nets": nets(), "lrs": lrs, "num_epochs": 1} | kwargs
        with pytest.raises(ValueError, match=match):
            learning_rate.train_grid(X, y, **args)

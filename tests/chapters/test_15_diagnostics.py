"""Chapter 15 (diagnosing a training run): the three checks, learning curves at three rates and
overfitting, the seed's spread, and what notes 002 and 004 print about a run's loss."""
from __future__ import annotations

import numpy as np
import pytest

from nnlib import data, diagnostics, network, portable
from tests.helpers import CHAPTERS, markdown_text, stored_line, stored_text

NOTEBOOK = "15_diagnostics.ipynb"


# --- three checks before a long run (issue 16, item 5) ---------------------------------------------

def _nets():
    from nnlib import network, portable

    return [network.glorot_network([784, 25, 15, 10], loss="softmax_ce", dot=portable.dot, seed=s)
            for s in range(5)]


def _mnist():
    from nnlib import data

    return data.mnist_with_validation()


def test_the_loss_at_initialization_is_near_ln_10_and_far_above_with_unscaled_pixels():
    """Check 1: five seeds start within 0.07 of ln 10; pixels 0-255 start 35 to 62 times higher
    (the summary's "80 to 145"); printed digits are bit-exact (portable.dot, portable.exp)."""
    X, y, *_ = _mnist()
    nets = _nets()
    ok, raw = diagnostics.initial_losses(nets, X, y), diagnostics.initial_losses(nets, 255 * X, y)
    stored = stored_text(CHAPTERS / NOTEBOOK)
    assert "ln 10 = 2.3026; loss at initialization, seeds 0-4:" in stored
    assert "  pixels in [0, 1] " + " ".join(f"{v:7.2f}" for v in ok) in stored
    assert "  pixels 0 to 255  " + " ".join(f"{v:7.2f}" for v in raw) in stored
    assert np.abs(ok - np.log(10)).max() < 0.07
    ratio = raw / ok
    assert round(ratio.min()) == 35 and round(ratio.max()) == 62 and round(raw.min()) == 80 \
        and round(raw.max()) == 145
    md = markdown_text(CHAPTERS / NOTEBOOK)
    assert "Unscaled pixels start 35 to 62 times higher" in md and "unscaled pixels gave 80 to 145" in md
    assert "within 0.07 of $\\ln 10$ on every seed" in md


def _one_batch(scale=1, labels=None):
    from nnlib import network

    X, y, *_ = _mnist()
    Xb, yb = scale * X[:32], y[:32] if labels is None else labels
    net = _nets()[0]
    losses = network.train_together(Xb, yb, [net], [0.3], num_epochs=100).losses[0]
    return net, losses, diagnostics.initial_losses([net], Xb, yb)[0], net.accuracy(Xb, yb)


def test_overfitting_one_batch_works_and_unscaled_pixels_kill_the_first_layer():
    """Check 2: 32 images, rate 0.3, 100 full-batch steps; the unscaled run is stuck at the
    entropy of the labels' frequencies with every first-layer ReLU dead."""
    stored = stored_text(CHAPTERS / NOTEBOOK)
    _, losses, end, acc = _one_batch()
    assert end < 0.01 and acc == 1.0
    assert f"pixels in [0, 1] loss {losses[0]:.3f} -> {end:.4f} after 100 steps, 32 of 32 right" in stored
    net, losses, end, acc = _one_batch(255)
    X, y, *_ = _mnist()
    assert f"pixels 0 to 255  loss {losses[0]:.3f} -> {end:.4f} after 100 steps, {round(32 * acc)} of 32 right" \
        in stored and acc < 0.25
    first = net.forward(255 * X[:32]).acts[1]
    assert (first > 0).sum() == 0 and 1e6 <= losses.max() < 2e6
    assert f"0 to 255: largest loss {losses.max():.3g}; units of layer 1" in stored
    assert "  active on any of the 32 images: 0 of 25" in stored
    freq = np.bincount(y[:32]) / 32
    entropy = -np.sum(freq[freq > 0] * np.log(freq[freq > 0]))
    assert abs(end - entropy) < 2e-3 and f"{entropy:.4f}" == "2.2312"
    assert "entropy of the 32 labels' frequencies: 2.2312" in stored
    md = markdown_text(CHAPTERS / NOTEBOOK)
    assert "its loss is their entropy, 2.2312" in md and "the loss jumps to about a million" in md


def test_solution_1_shuffled_labels_are_memorized_too():
    X, y, *_ = _mnist()
    shuffled = np.random.default_rng(0).permutation(y[:32])
    _, losses, end, acc = _one_batch(labels=shuffled)
    assert acc == 1.0 and (shuffled != y[:32]).sum() == 30
    assert f"the loss falls from {losses[0]:.3f} to {end:.4f}" in markdown_text(CHAPTERS / NOTEBOOK)
    assert f"{losses[0]:.3f} {end:.4f}" == "2.355 0.0136"


def test_solution_2_ln_c():
    md = markdown_text(CHAPTERS / NOTEBOOK)
    assert f"$\\ln 26 \\approx {np.log(26):.3f}$" in md and f"$\\ln 100 \\approx {np.log(100):.3f}$" in md
    assert np.log(26) < 3.3 < np.log(26) + 0.06


def test_gradient_norms_healthy_vanishing_and_exploding():
    """Check 3: the healthy run's medians; at initialization the sigmoid stack's first layer gets a
    gradient 1e4 to 1e5 times smaller than its last, ReLU x Glorot stays within a factor of 5,
    doubled weights give every layer over 1000 times Glorot's gradient."""
    from nnlib import network, portable

    X, y, X_val, y_val, _, _ = _mnist()
    net, norms = _nets()[0], []
    network.train(X, y, net, lr=0.1, batch_size=32, num_epochs=2,
                  on_batch=lambda e, b, g: norms.append([portable.norm(dW) for dW in g.dW]))
    med = np.median(np.array(norms), axis=0)
    stored = stored_text(CHAPTERS / NOTEBOOK)
    assert "median gradient norm per layer over 200 steps: " + str(np.round(med, 2)) in stored
    assert med.max() / med.min() < 2  # "the same order of magnitude"
    assert f"validation accuracy after 2 epochs: {net.accuracy(X_val, y_val):.4f}" in stored
    deep = {}
    for name, act, gain in (("sigmoid", "sigmoid", 1), ("ReLU", "relu", 1), ("ReLU, weights x 2", "relu", 2)):
        d = network.glorot_network([784] + [64] * 8 + [10], activation=act, loss="softmax_ce", dot=portable.dot)
        for W in d.weights:
            W *= np.float32(gain)
        g = d.gradients(X[:256], y[:256])
        deep[name] = np.array([float(portable.norm(dW)) for dW in g.dW])
        assert f"{name:<18} loss {g.loss:6.2f}, norm layer 1 {deep[name][0]:.1e}, layer 9 {deep[name][-1]:.1e}" \
            in stored
    assert 1e4 < deep["sigmoid"][-1] / deep["sigmoid"][0] < 1e5
    assert deep["ReLU"].max() / deep["ReLU"].min() < 5
    assert (deep["ReLU, weights x 2"] / deep["ReLU"]).min() > 1000
    md = markdown_text(CHAPTERS / NOTEBOOK)
    assert "tens of thousands of times smaller than its last" in md and "within a factor of 5" in md
    assert "more than a thousand times" in md


# --- reading learning curves ----------------------------------------------------------------------

RATES = [0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0]


def _net(seed=0):
    return network.glorot_network([64, 64, 10], loss="softmax_ce", dot=portable.dot, seed=seed)


@pytest.fixture(scope="module")
def sweep():
    D, d, D_val, d_val, *_ = data.digits_with_validation()
    nets = [_net() for _ in RATES]
    return nets, diagnostics.learning_curves(D, d, D_val, d_val, nets, RATES, num_epochs=30)


def test_the_sweep_table_and_what_the_text_reads_from_it(sweep):
    nets, c = sweep
    stored = "\n".join(stored_text(CHAPTERS / NOTEBOOK))
    for i, lr in enumerate(RATES):
        k = c.best[i]
        assert f"{lr:>6g}  {c.train[i, -1]:>10.3f}  {c.val[i, k - 1]:>9.3f}  {k:>10d}  " \
            f"{c.val_accuracy[i, k - 1]:>13.4f}" in stored
    # too low: slow and together; too high: stuck at ln 10 after a first epoch above it
    assert c.train[0, -1] > 1.0 and abs(c.val[0, -1] - c.train[0, -1]) < 0.05
    assert c.train[6, 0] > np.log(10) and np.all(np.abs(c.val[6, 2:] - np.log(10)) < 0.1)
    # solution 3: best epochs 25 and 29 for 0.3 and 1.0, 30 for the four smaller rates, 2 for 3.0
    assert list(c.best) == [30, 30, 30, 30, 25, 29, 2] and f"{c.val[6, 1]:.3f}" == "2.256"
    assert c.val_accuracy[4, 24] == c.val_accuracy[5, 28] and f"{c.val_accuracy[4, 24]:.4f}" == "0.9704"
    md = markdown_text(CHAPTERS / NOTEBOOK)
    assert "The rates 0.3 and 1.0 (best epochs 25 and 29)" in md and "validation loss of 2.256" in md
    assert "reach the same\nvalidation accuracy, 0.9704".replace("\\n", "\n") in md or \
        "validation accuracy, 0.9704, on this one seed" in md
    D, d, D_val, d_val, *_ = data.digits_with_validation()
    hidden = nets[6].forward(D_val).acts[1]
    alive = int((hidden > 0).any(axis=0).sum())
    assert alive == 4 and f"lr 3 network: {alive} of 64 hidden units" in stored
    assert "most ReLU units (4 of 64 are left" in md


def test_overfitting_on_150_images():
    D, d, D_val, d_val, *_ = data.digits_with_validation()
    c = diagnostics.learning_curves(D[:150], d[:150], D_val, d_val, [_net()], [1.0], num_epochs=60)
    tr, va = c.train[0], c.val[0]
    stored = "\n".join(stored_text(CHAPTERS / NOTEBOOK))
    for k in (30, 60):
        assert f"150 images, lr 1, epoch {k}: training loss {tr[k - 1]:.4f}, validation loss {va[k - 1]:.3f}" \
            in stored
    assert tr[-1] < 0.005 and va[-1] > 50 * tr[-1] and abs(va[-1] - va[29]) < 0.01  # "levels off"
    md = markdown_text(CHAPTERS / NOTEBOOK)
    assert f"({tr[29]:.4f} at epoch 30, {tr[59]:.4f} at\n  60)".replace("\\n", "\n") in md or \
        f"{tr[29]:.4f} at epoch 30" in md
    assert f"({va[29]:.3f}, then {va[59]:.3f})" in md


def test_the_seed_spread_and_the_test_set_read_once():
    D, d, D_val, d_val, D_test, d_test = data.digits_with_validation()
    seeds, pair = [0, 1, 2, 3, 4], [0.1, 0.3]
    nets = [_net(s) for lr in pair for s in seeds]
    c = diagnostics.learning_curves(D, d, D_val, d_val, nets, [lr for lr in pair for s in seeds],
                                    num_epochs=20, seeds=seeds * 2)
    acc = c.val_accuracy[np.arange(10), c.best - 1].reshape(2, 5)
    stored = "\n".join(stored_text(CHAPTERS / NOTEBOOK))
    for lr, row in zip(pair, acc):
        assert f"  lr {lr}: " + "  ".join(f"{a:.4f}" for a in row) + \
            f"   mean {row.mean():.4f}, sd {row.std(ddof=1):.4f}" in stored
    diff = acc[1] - acc[0]
    assert np.all(diff > 0) and diff.mean() > acc.std(axis=1, ddof=1).max()  # "ahead on every seed"
    assert np.round(diff * 270).min() == 1 and np.round(diff * 270).max() == 3  # one to three images
    md = markdown_text(CHAPTERS / NOTEBOOK)
    assert "ahead on every seed, by one to three validation images" in md
    assert f"mean difference ({diff.mean():.4f})" in md
    assert f"(sd {acc[0].std(ddof=1):.4f} and {acc[1].std(ddof=1):.4f})" in md
    test = [net.accuracy(D_test, d_test) for net in nets[5:]]
    assert "test accuracy, lr 0.3, seeds 0-4: " + "  ".join(f"{a:.4f}" for a in test) in stored
    assert f"mean {np.mean(test):.4f}, sd {np.std(test, ddof=1):.4f} (450 test images)" in stored


def test_solution_4_the_hypothetical_differences():
    diff = np.array([0.011, -0.007, 0.004, -0.004, 0.0])
    assert f"{diff.mean():+.4f}" == "+0.0008" and 0.0008 < 1 / 270
    assert "the mean difference is $+0.0008$" in markdown_text(CHAPTERS / NOTEBOOK)


def test_the_test_set_is_read_once_after_the_choice():
    """The MNIST test set is never loaded; the digits' test set appears in one cell, after the
    seeds' comparison on validation data."""
    from tests.helpers import load

    cells = ["".join(c["source"]) for c in load(CHAPTERS / NOTEBOOK)["cells"] if c["cell_type"] == "code"]
    uses = [i for i, c in enumerate(cells) if "D_test" in c and "digits_with_validation" not in c]
    seeds = next(i for i, c in enumerate(cells) if "seed_nets" in c and "learning_curves" in c)
    assert len(uses) == 1 and uses[0] > seeds
    assert "X_test" not in "\n".join(cells)


# --- from the notes --------------------------------------------------------------------------------

def test_note_002s_runs_are_the_too_high_and_too_low_shapes():
    stored = "\n".join(stored_text(CHAPTERS / NOTEBOOK))
    assert "lr 1: loss 36.000000 -> 36.000000 in 18 steps" in stored
    assert "lr 0.001: loss 35.856144 -> 33.496712 in 18 steps" in stored
    assert stored.count("18 of 18 printed lines identical") == 2
    assert 35.856144 - 33.496712 == pytest.approx(2.36, abs=0.01)
    md = markdown_text(CHAPTERS / NOTEBOOK)
    assert "falls by about 2.4 in 18 steps" in md


def test_note_004s_first_epoch_loss_and_ours():
    from nnlib.notes import NOTE_004
    from nnlib.notes import training as training_notes
    from tests.helpers import note_line

    assert "loss: 1.5179" in note_line(NOTE_004, 57) and "1.5179" in training_notes.FIT_LOG_REST
    assert 1.5179 < np.log(10)
    ch12 = "\n".join(stored_text(CHAPTERS / "14_training.ipynb"))
    assert "    1    1.6557    0.4753" in ch12
    md = markdown_text(CHAPTERS / NOTEBOOK)
    assert "logged 1.6557\nfor its first epoch".replace("\\n", "\n") in md or "logged 1.6557" in md


def test_the_explorer_draws_a_grid_rate_and_an_off_grid_rate(sweep):
    import matplotlib.pyplot as plt

    from nnlib.plots import diagnostics as plots

    D, d, D_val, d_val, *_ = data.digits_with_validation()
    nets, c = sweep
    s = {"curves": {lr: (c.train[i], c.val[i]) for i, lr in enumerate(RATES)},
         "data": (D[:200], d[:200], D_val, d_val), "sizes": [64, 64, 10], "num_epochs": 3}
    ex = plots.explorer(s)
    assert ex.num_frames == len(RATES) and ex.defaults() == {"lr": 0.1}
    for lr in (0.1, 0.05):
        fig = ex.figure(lr=lr)
        assert len(fig.axes) == 2
        plt.close(fig)

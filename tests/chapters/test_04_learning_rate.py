"""Chapter 4 (learning rate): note 002's three printed traces (the ledger), and what the chapter
states about them beyond the printed blocks (see the errata)."""
from __future__ import annotations

import numpy as np
import pytest

from nnlib import learning_rate
from nnlib.notes import learning_rate as notes
from tests.ledger import Entry, TestLedger  # noqa: F401  (TestLedger: the ledger checks, run on LEDGER)

NOTEBOOK = "04_learning_rate.ipynb"


def lr_lines(lr, num_steps):
    """Our run from w = 5 at this learning rate, in note 002's print format."""
    return lambda: notes.format_lr_trace(
        learning_rate.gd_trace(learning_rate.quadratic_grad, 5.0, lr, num_steps), learning_rate.quadratic_loss)


LEDGER = [
    Entry(notes.LR_0_2, NOTEBOOK, lr_lines(0.2, 40)),
    Entry(notes.LR_1, NOTEBOOK, lr_lines(1.0, 18)),
    Entry(notes.LR_SLOW, NOTEBOOK, lr_lines(0.001, 18),
          "labelled 0.0001 in the note; the digits are those of 0.001 (errata)"),
]


def test_the_original_40_step_run_ends_at_minus_one():
    """002 lines 36-46: the script ran 40 steps; the last one shows w at -1.000000."""
    assert lr_lines(0.2, 40)()[-1] == "After 39 steps: w is -1.000000, loss is 0.000000"


def test_the_label_0_0001_does_not_fit_the_printed_numbers():
    """002 line 104 labels the slow run 0.0001; none of its 18 lines come from that rate."""
    wrong = lr_lines(0.0001, 18)()
    assert not any(a == b for a, b in zip(wrong, notes.LR_SLOW.lines))


def test_at_learning_rate_1_w_swings_between_5_and_minus_7_and_the_loss_stays_36():
    """000 line 72 says the loss swings between 5 and -7; it is w, and the loss stays 36."""
    tr = learning_rate.gd_trace(learning_rate.quadratic_grad, 5.0, 1.0, 18)
    assert sorted(set(tr.w.tolist())) == [-7.0, 5.0]
    assert set(np.asarray(learning_rate.quadratic_loss(tr.w)).tolist()) == {36.0}


# --- the numbers the exercises' solutions quote ------------------------------------------------

def test_solution_1_rate_one_half_lands_on_the_minimum_in_one_step():
    tr = learning_rate.gd_trace(learning_rate.quadratic_grad, 5.0, 0.5, 1)
    assert tr.w.tolist() == [5.0, -1.0]
    assert learning_rate.quadratic_grad(np.float32(5)) == 12


def test_solution_2_rate_one_third_swings_between_0_and_4_exactly():
    """The factor 1 - 6*lr is -1 at lr = 1/3; in float32 the run repeats 0, 4 exactly."""
    grad = lambda w: np.float32(6) * (w - np.float32(2))
    tr = learning_rate.gd_trace(grad, 0.0, 1 / 3, 2000)
    assert tr.w[0::2].tolist() == [0.0] * 1001 and tr.w[1::2].tolist() == [4.0] * 1000


def test_solution_3_steps_to_within_1e_3_at_rate_0_001():
    """ln(6000) / -ln(0.998) = 4345.4, so 4346 updates; the float32 run first gets there at 4346."""
    import math

    assert f"{math.log(6000) / -math.log(0.998):.1f}" == "4345.4"
    tr = learning_rate.gd_trace(learning_rate.quadratic_grad, 5.0, 0.001, 4400)
    close = np.abs(tr.w + 1) < 1e-3
    assert int(np.argmax(close)) == 4346 and close[4346:].all()


def test_the_chapter_quotes_the_solutions_numbers():
    from tests.helpers import CHAPTERS, source

    md = source(CHAPTERS / NOTEBOOK)
    solutions = md.split("## Exercises", 1)[1].split("\n## ", 1)[0]
    assert "4345.4" in solutions and "4346" in solutions and "4344" not in md


# --- many weights, beyond the bowl, mini-batches, the range test (issue 15) --------------------

def _md():
    from tests.helpers import CHAPTERS, markdown_text

    return markdown_text(CHAPTERS / NOTEBOOK)


def _stored(prefix):
    from tests.helpers import CHAPTERS, stored_line

    return stored_line(CHAPTERS / NOTEBOOK, prefix)


def _ravine_steps(lrs, num_steps=2000, tol=1e-3):
    from nnlib.optimizers import SURFACES

    ravine = SURFACES["ravine"]
    dist = np.linalg.norm(ravine.paths("sgd", lrs, num_steps).astype(float), axis=2)
    return [int(np.argmax(d < tol)) if (d < tol).any() else None for d in dist.T], dist


def test_on_the_ravine_each_run_lands_where_the_slower_direction_says():
    """The table of "Ill-conditioning": the prediction, rounded up, is the run's first step below 1e-3."""
    import math

    lams = np.array([1.0, 50.0])
    lrs = [0.01, 0.02, 2 / 51, 0.0399]
    steps, _ = _ravine_steps(lrs)
    for lr, got in zip(lrs, steps):
        need = max(math.log(abs(u0) / 1e-3) / -math.log(abs(f)) if f else 1
                   for u0, f in zip((-4.5, 1.0), 1 - lr * lams))
        assert got == math.ceil(need), lr
    assert steps == [837, 417, 211, 1379]
    md = _md()
    assert all(s in md for s in ("417 updates", "needs 211", "needs 1379", "0.5 % per update"))


def test_above_two_over_lambda_max_the_ravine_diverges_and_below_it_converges():
    below = np.linspace(0.002, 0.0399, 25)
    above = np.linspace(0.0401, 0.08, 25)
    _, d_below = _ravine_steps(below, num_steps=3000)
    _, d_above = _ravine_steps(above, num_steps=3000)
    start = np.hypot(4.5, 1.0)
    assert np.all(d_below[-1] < start / 20)
    assert np.all(~np.isfinite(d_above[-1]) | (d_above[-1] > start * 100))


def test_the_best_fixed_rate_is_the_fastest_on_the_ravine():
    lrs = np.linspace(0.03, 0.0399, 100)
    steps, _ = _ravine_steps(np.append(lrs, 2 / 51))
    assert steps[-1] == 211 and min(s for s in steps[:-1]) >= 211


def test_the_bowl_runs_factors_are_one_minus_eta_lambda():
    assert _stored("lambda  1:").endswith("run: u_(k+1)/u_k = +0.8500 to +0.8500")
    assert _stored("lambda 10:").endswith("run: u_(k+1)/u_k = -0.5000 to -0.5000")


def test_local_minima_saddle_and_plateau_numbers():
    from nnlib.optimizers import SURFACES

    ends = learning_rate.gd_trace(learning_rate.double_well_grad, [-2.0, -0.5, 0.0, 0.2, 0.5, 2.0],
                                  0.05, 200).final
    assert [f"{w:+.4f}" for w in ends] == ["-1.0356"] * 3 + ["+0.9601"] * 3
    saddle = SURFACES["saddle"]
    out = []
    for y0 in (1e-1, 1e-3, 1e-6, 0.0):
        y = learning_rate.gd_trace(saddle.grad, [-2.0, y0], 0.1, 400).w[:, 1]
        out.append(int(np.argmax(np.abs(y) > 0.5)) if (np.abs(y) > 0.5).any() else None)
    assert out == [19, 67, 139, None]
    tr = learning_rate.gd_trace(learning_rate.plateau_grad, [-4.0, -6.0, -8.0], 1.0, 1600)
    assert [int(np.argmax(learning_rate.plateau_loss(w) < 0.1)) for w in tr.w.T] == [40, 218, 1511]
    md = _md()
    assert all(s in md for s in ("e^{-w_0}/(2\\eta)", "\\ln(0.5/y_0)/\\ln(1 + \\eta)"))


@pytest.fixture(scope="module")
def digits():
    from nnlib import data

    return data.digits_with_validation()


def test_the_mini_batch_noise_follows_sigma2_over_b(digits):
    from nnlib import network, portable

    X, y = digits[0], digits[1]
    n = len(y)
    net = network.glorot_network([64, 32, 10], "relu", loss="softmax_ce", dot=portable.dot, seed=0)
    G = learning_rate.example_gradients(net, X, y)
    sigma2 = np.mean(np.sum((G - G.mean(axis=0)) ** 2, axis=1))
    assert f"{sigma2:.3g}" == "17.2"
    g2 = float(np.sum(G.mean(axis=0) ** 2))
    assert sigma2 / g2 > 50                      # "more than 50 times |g|^2"
    for B in (1, 4, 16, 64, 256):
        r = learning_rate.gradient_noise(net, X, y, B, num_batches=100, seed=0)
        assert r.noise == pytest.approx(sigma2 / B * (n - B) / (n - 1), rel=0.1), B
    assert 0.1 <= learning_rate.gradient_noise(net, X, y, 1, 100, 0).cosine < 0.15


def test_epochs_against_updates_per_seed(digits):
    """"Per epoch, mini-batches win by far ... per update, the exact gradient is a little better, in
    every seed": the stored table, read row by row."""
    rows = {name: [float(v) for v in _stored(name)[29:].split()] for name in
            ("B = 32, 1 epoch (34 updates)", "full batch, 1 update", "full batch, 34 updates")}
    mini, one, full = rows.values()
    assert all(m < 0.91 and o > 2.2 and 0.71 <= round(f, 2) <= 0.77 <= 0.82 <= round(m, 2) and f < m
               for m, o, f in zip(mini, one, full))


def test_the_range_test_reading_and_its_confirmation_on_validation():
    """Every seed's lowest point at 1.18, back above the start at 1.42 to 1.56, the pick 1; the
    grid's validation accuracy puts 1 first, ahead of 0.3 in every seed."""
    from tests.helpers import CHAPTERS, stored_text

    for s in (0, 1, 2):
        words = _stored(f"seed {s}: loss").split()
        start, at_001 = float(words[3]), float(words[7])
        assert 0 < start - at_001 < 0.1 * start       # "falls by less than a tenth" up to 0.01
    text = stored_text(CHAPTERS / NOTEBOOK)
    turns = [t.split() for t in text if t.strip().startswith("at lr 1")]
    assert [(t[2], t[-1]) for t in turns] == [("1.18,", "1.42"), ("1.18,", "1.56"), ("1.18,", "1.42")]
    assert _stored("largest rate of the grid below the turn") .endswith("at 1.18: 1")
    acc = {r: [float(v) for v in _stored(f"{r:>5}{'':16}0.").split()[2:5]] for r in ("0.3", "1")}
    assert all(a > b for a, b in zip(acc["1"], acc["0.3"]))
    assert _stored("chosen on validation") == "chosen on validation: lr = 1; the range test's pick: 1"
    md = _md()
    assert "about 1.18 in every seed" in md and "1.42 to 1.56" in md


def test_a_range_test_of_seed_0_recomputed():
    from nnlib import data, network, portable

    X, y, *_ = data.digits_with_validation()
    net = network.glorot_network([64, 32, 10], "relu", loss="softmax_ce", dot=portable.dot, seed=0)
    rt = learning_rate.lr_range_test(X, y, net, 1e-3, 10.0, 100)
    assert f"{rt.lowest[0]:.3g}" == "1.18" and f"{rt.blowup:.3g}" == "1.42"
    assert rt.loss[:60].max() <= rt.loss[0]  # no jump before the turn


# --- the numbers the new exercises' solutions quote ------------------------------------------

def test_solution_4_ravine_rates_and_updates():
    import math

    r = learning_rate.quadratic_rates([1, 50])
    assert (r.lr_max, f"{r.lr_best:.4f}", f"{r.rate:.4f}") == (0.04, "0.0392", "0.9608")
    n50 = math.log(1e6) / -math.log(r.rate)
    n500 = math.log(1e6) / -math.log(learning_rate.quadratic_rates([1, 500]).rate)
    assert (f"{n50:.1f}", math.ceil(n50), f"{n500:.1f}", math.ceil(n500)) == ("345.3", 346, "3453.9", 3454)
    assert f"{499 / 501:.5f}" == "0.99601"


def test_solution_5_saddle_from_one_in_a_billion():
    import math

    from nnlib.optimizers import SURFACES

    assert f"{math.log(0.5 / 1e-9) / math.log(1.1):.1f}" == "210.2"
    y = learning_rate.gd_trace(SURFACES["saddle"].grad, [-2.0, 1e-9], 0.1, 400).w[:, 1]
    assert int(np.argmax(np.abs(y) > 0.5)) == 212


def test_solution_6_batch_for_noise_below_a_tenth():
    import math

    n, s2 = 1077, 17.2
    B = next(B for B in range(1, n) if s2 / B * (n - B) / (n - 1) < 0.1)
    assert (B, math.ceil(n / B), f"{s2 * n / (0.1 * (n - 1) + s2):.1f}") == (149, 8, "148.4")


def test_solution_7_range_test_rates():
    r = 10 ** (4 / 99)
    lrs = (1e-3 * r ** np.arange(100)).astype(np.float32)
    assert f"{r:.4f}" == "1.0975" and int(np.argmax(lrs > 1)) == 75
    assert (f"{lrs[75]:.3f}", f"{lrs[76]:.3f}") == ("1.072", "1.177")
    md = _md()
    assert all(s in md for s in ("1.0975", "update 75", "1.072", "1.177", "345.3", "3454", "210.2",
                                 "after 212", "148.4", "149 examples"))

"""Chapter 2 (loss functions): note 000's yogurt weights and cross-entropies (the ledger), and what
the chapter states about the notes and the scripts behind them (see its errata)."""
from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import pytest

from nnlib import losses
from nnlib.notes import losses as notes
from tests.helpers import CHAPTERS, markdown_text, note_text, stored_text
from tests.ledger import Entry, TestLedger  # noqa: F401  (TestLedger: the ledger checks, run on LEDGER)

NOTEBOOK = "02_losses.ipynb"


@lru_cache(maxsize=None)
def final_weights(loss, num_steps, cost=None, profit=None):
    """The yogurt run of the original script (float32 numpy), its weights after the last step."""
    X, y = losses.yogurt_data()
    return losses.linear_sgd(X, y, losses.YOGURT_W0, 0.001, num_steps,
                             loss=loss, cost=cost, profit=profit)[-1]


def ce_base10():
    """Note 000's two cross-entropies against (1, 0), in base 10, with three decimals."""
    return [notes.format_ce(losses.cross_entropy([1, 0], p, base=10)) for p in ([0.6, 0.4], [0.8, 0.2])]


LEDGER = [
    Entry(notes.YOGURT_MSE, NOTEBOOK,
          lambda: [notes.format_weights(final_weights("mse", 20000))]),
    Entry(notes.YOGURT_COST1_PROFIT9, NOTEBOOK,
          lambda: [notes.format_weights(final_weights("cost_profit", 3000, 1, 9), sep=", ")]),
    Entry(notes.YOGURT_COST9_PROFIT1, NOTEBOOK,
          lambda: [notes.format_weights(final_weights("cost_profit", 3000, 9, 1))]),
    Entry(notes.CE_BASE10, NOTEBOOK, ce_base10,
          "the note's log is base 10; TensorFlow's natural log gives 0.511 and 0.223 (errata)"),
]


RUNS = {"mse": dict(loss="mse"),
        "cost1_profit9": dict(loss="cost_profit", cost=1, profit=9),
        "cost9_profit1": dict(loss="cost_profit", cost=9, profit=1)}


@pytest.mark.parametrize("key", list(RUNS))
def test_numpy_float32_reproduces_every_value_the_original_scripts_printed(key):
    """opt4_1.py - opt4_3.py printed w1 every 500 steps and at the end: all match exactly (so the
    scripts' final values round to the note's two decimals, as the ledger's fresh runs do)."""
    script = notes.SCRIPT_PRINTED[key]
    X, y = losses.yogurt_data()
    h = losses.linear_sgd(X, y, losses.YOGURT_W0, 0.001, script["num_steps"], **RUNS[key])
    for step, printed in script["printed"].items():
        ours = h[-1] if step == "final" else h[step + 1]  # "After i steps" follows update i
        np.testing.assert_array_equal(ours, np.array(printed, dtype=np.float32), err_msg=f"{key} {step}")


def test_the_note_prints_the_script_values_only_rounded():
    """The 8-digit values are not in note 000: they come from the scripts, not the note."""
    text = note_text(notes.YOGURT_MSE.file)
    for script in notes.SCRIPT_PRINTED.values():
        for v in script["printed"]["final"]:
            assert str(v) not in text


def test_note_000_cross_entropies_are_base_10_and_tensorflows_are_natural():
    """000 lines 53-54: 0.222 and 0.097 are -log10(0.6) and -log10(0.8); ln gives 0.511, 0.223."""
    y = [1, 0]
    h10 = [losses.cross_entropy(y, p, base=10) for p in ([0.6, 0.4], [0.8, 0.2])]
    he = [losses.cross_entropy(y, p) for p in ([0.6, 0.4], [0.8, 0.2])]
    assert [f"{h:.3f}" for h in h10] == ["0.222", "0.097"]
    assert [f"{h:.3f}" for h in he] == ["0.511", "0.223"]
    assert (h10[0] > h10[1]) and (he[0] > he[1])  # the same ranking
    assert he[0] / h10[0] == pytest.approx(math.log(10), rel=1e-6)


def test_the_tf1_line_averages_over_the_classes_too():
    """000 line 49: -tf.reduce_mean(y_ * log y) divides by batch size x number of classes."""
    y_ = np.array([[1, 0], [1, 0]], dtype=np.float32)
    y = np.array([[0.6, 0.4], [0.8, 0.2]], dtype=np.float32)
    tf1_line = -np.mean(y_ * np.log(np.clip(y, 1e-12, 1.0)))
    per_example = losses.cross_entropy(y_, y).mean()
    assert tf1_line == pytest.approx(per_example / 2, rel=1e-6)


def test_cross_entropy_is_not_symmetric_and_not_zero_between_equal_soft_distributions():
    """000 line 45 calls cross-entropy a distance; it is not one."""
    p, q = [0.5, 0.5], [0.9, 0.1]
    assert losses.cross_entropy(p, q) != pytest.approx(losses.cross_entropy(q, p))
    assert losses.cross_entropy(p, p) == pytest.approx(math.log(2))


def test_keras_has_no_mean_square_error_class(tf, keras):
    """004 line 87 imports MeanSquareError; Keras calls it MeanSquaredError."""
    assert not hasattr(keras.losses, "MeanSquareError")
    assert not hasattr(tf.keras.losses, "MeanSquareError")
    assert hasattr(keras.losses, "MeanSquaredError")


def test_the_mse_run_had_not_converged_after_20000_steps():
    """The chapter: the note's 0.98, 1.02 is where the run stopped, not the MSE minimum."""
    X, y = losses.yogurt_data()
    w_ls = np.linalg.lstsq(X.astype(np.float64), y.astype(np.float64), rcond=None)[0].ravel()
    final = np.array(notes.SCRIPT_PRINTED["mse"]["printed"]["final"])
    assert w_ls[0] > w_ls[1] and final[0] < final[1]
    assert np.abs(final - w_ls).max() > 0.02


def test_the_custom_runs_jitter_around_the_exact_minimum():
    X, y = losses.yogurt_data()
    for cost, profit, key in [(1, 9, "cost1_profit9"), (9, 1, "cost9_profit1")]:
        w, _ = losses.cost_profit_best_weights(X, y, cost, profit)
        final = np.array(notes.SCRIPT_PRINTED[key]["printed"]["final"])
        assert np.abs(final - w.ravel()).max() < 0.015


def test_the_summation_orders_table_prints_no_blas_row_and_its_prose_matches():
    """Chapter 2's order-of-summation table: every row is a fixed order (no BLAS, whose order
    depends on the CPU), and the sentence under it describes the stored digits."""
    stored = stored_text(CHAPTERS / "02_losses.ipynb")
    rows = {line[:38].strip(): line[38:].split() for line in stored
            if line.startswith(("row after row", "last row first", "pairwise", "four running sums"))}
    assert not any("BLAS" in line for line in stored)
    assert len(rows) == 5
    exact = rows["row after row (TensorFlow, nnlib)"]
    assert exact[2] == exact[5] == "0)"
    moved = [k for k, v in rows.items() if "float64" not in k and v[2] != "0)"]
    assert moved == ["last row first", "pairwise: (r1 + r2) + (r3 + r4) ..."]
    lanes = rows["four running sums, then added"]
    assert lanes[0] == exact[0] and lanes[3] != exact[3]
    md = markdown_text(CHAPTERS / "02_losses.ipynb")
    assert "(last row first and pairwise do)" in md and "and the four running sums)" in md

"""Chapter 2 (loss functions): note 000's yogurt weights and cross-entropies (the ledger), and what
the chapter states about the notes and the scripts behind them (see its errata)."""
from __future__ import annotations

import math
import re
from functools import lru_cache

import numpy as np
import pytest

from nnlib import losses
from nnlib.notes import losses as notes
from tests.helpers import CHAPTERS, markdown_text, note_text, output_texts, source, stored_text
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


def _cells():
    from tests.helpers import load
    return load(CHAPTERS / NOTEBOOK)["cells"]


def _main_and_part():
    """The chapter's Markdown and code before "## From the notes", and its notes' part."""
    main, part, in_part = [], [], False
    for cell in _cells():
        src = "".join(cell["source"])
        if cell["cell_type"] == "markdown" and re.search(r"(?m)^## From the notes\s*$", src):
            in_part = True
        (part if in_part else main).append(cell)
    return main, part


def _outputs(cells):
    return [line for c in cells for o in c.get("outputs", []) for t in output_texts(o)
            for line in t.splitlines()]


def test_the_summation_orders_table_prints_no_blas_row_and_its_prose_matches():
    """Chapter 2's order-of-summation table: every row is a fixed order (no BLAS, whose order
    depends on the CPU), and the sentence under it describes the stored digits."""
    stored = stored_text(CHAPTERS / NOTEBOOK)
    rows = {line[:27].strip(): line[27:].split() for line in stored
            if line.startswith(("row after row", "last row first", "pairwise", "four running sums"))}
    assert not any("BLAS" in line for line in stored)
    assert len(rows) == 5
    exact = rows["row after row (TF, nnlib)"]
    assert exact[2] == exact[5] == "0)"
    moved = [k for k, v in rows.items() if "float64" not in k and v[2] != "0)"]
    assert moved == ["last row first", "pairwise (r1+r2)+(r3+r4).."]
    lanes = rows["four running sums"]
    assert lanes[0] == exact[0] and lanes[3] != exact[3]
    md = markdown_text(CHAPTERS / NOTEBOOK)
    assert "(last row first and pairwise do)" in md and "and the four running sums)" in md


def test_the_forensics_sit_in_the_notes_part():
    """Issue 14: the order of the sums, the errata, the scripts' 8-digit values, the ledger
    comparison and the TF1 mapping are about reproducing the notes: they belong to the part."""
    main, part = _main_and_part()
    main_md = "\n".join("".join(c["source"]) for c in main if c["cell_type"] == "markdown")
    part_md = "\n".join("".join(c["source"]) for c in part if c["cell_type"] == "markdown")
    for heading in ("### Why every digit matches: the order of the sums", "### Errata",
                    "### From TensorFlow 1 to TensorFlow 2"):
        assert heading in part_md and heading not in main_md, heading
    assert "(losses-sum-order)=" in part_md
    assert not re.findall(r"(?m)^:::\{admonition\} Errata", main_md)
    main_code = "\n".join("".join(c["source"]) for c in main if c["cell_type"] == "code")
    assert "nnlib.notes" not in main_code and "SCRIPT_PRINTED" not in main_code
    assert not any(".txt:" in line for line in _outputs(main))


def test_labels_are_y_and_predictions_y_hat():
    """Issue 14: the chapter wrote the label as `y\\_` (MathJax: y with a subscript minus) and used
    y for the prediction. Labels are y, predictions y-hat, in formulas, prose and our code names;
    the notes' part says once how the TF1 code spells them."""
    md = source(CHAPTERS / NOTEBOOK)
    assert "y\\_" not in md, "the label is written y\\_ (renders as y with a subscript minus)"
    math = re.findall(r"\$\$(.*?)\$\$|\$([^$]+)\$", md, flags=re.S)
    assert not [m for pair in math for m in pair if re.search(r"y_(?![{a-zA-Z0-9])", m)]
    main, part = _main_and_part()
    main_md = "\n".join("".join(c["source"]) for c in main if c["cell_type"] == "markdown")
    for formula in (r"\mathrm{MSE}(y, \hat y) = \frac{1}{n}\sum_{i=1}^{n} \bigl(\hat y_i - y_i\bigr)^2",
                    r"\mathrm{COST}\,(\hat y_i - y_i) & \text{if } \hat y_i > y_i",
                    r"H(y, \hat y) = -\sum_{k} y_k \log \hat y_k",
                    r"L(y, \hat y) = -y\log \hat y - (1 - y)\log(1 - \hat y)"):
        assert formula in main_md, formula
    assert "**label** $y$" in main_md and "**prediction** $\\hat y$" in main_md
    # our code: y and y_hat; TF1's y_ only where the part quotes the notes
    main_code = "\n".join("".join(c["source"]) for c in main if c["cell_type"] == "code")
    assert "y_hat" in main_code and not re.search(r"\by_(?!\w)", main_code)
    part_md = " ".join("".join(c["source"]) for c in part if c["cell_type"] == "markdown")
    assert part_md.count("spells the label `y_` and the prediction `y`") == 1


def test_in_practice_chooses_on_validation_and_reads_the_test_set_once():
    """The stored validation table picks the candidate the text names; the test accuracy is
    printed for that candidate only, and the prose quotes the table's numbers."""
    main, _ = _main_and_part()
    out = _outputs(main)
    table = {}
    for line in out:
        m = re.fullmatch(r"(mse|softmax_ce)\s+([\d.]+)\s+([\d. ]+?)\s{3}([\d.]+)", line)
        if m:
            table[(m[1], float(m[2]))] = (list(map(float, m[3].split())), float(m[4]))
    assert len(table) == 6
    for k, (accs, mean) in table.items():
        assert f"{np.mean(accs):.3f}" == f"{mean:.3f}", k
    best = max(table, key=lambda k: table[k][1])
    assert f"chosen on validation: loss {best[0]}, lr {best[1]}" in out
    assert sum(line.startswith("its test accuracy") for line in out) == 1
    ce = {lr: table[("softmax_ce", lr)][1] for lr in (0.1, 0.3, 1.0)}
    se = {lr: table[("mse", lr)][1] for lr in (0.1, 0.3, 1.0)}
    assert all(ce[lr] > se[lr] for lr in ce)                 # "ahead at every rate"
    assert max(se, key=se.get) == 1.0 and max(ce, key=ce.get) == 0.3
    assert round(100 * (max(ce.values()) - max(se.values())), 1) == 2.6
    md = markdown_text(CHAPTERS / NOTEBOOK)
    assert f"(mean {se[1.0]:.3f})" in md and f"(mean {ce[0.3]:.3f})" in md
    assert f"{min(table[('softmax_ce', 1.0)][0]):.3f}" in md


# --- the exercises' solutions: every number they quote -------------------------------------------

def test_exercise_1_cost_2_profit_3():
    assert losses.target_quantile(2, 3) == pytest.approx(0.6)
    assert 32 * (1 - losses.target_quantile(2, 3)) == pytest.approx(12.8)
    X, y = losses.yogurt_data()
    w = final_weights("cost_profit", 3000, 2, 3)
    assert [f"{v:.3f}" for v in w] == ["1.027", "0.983"]
    assert int(np.sum(X.astype(np.float64) @ w.astype(np.float64) < y[:, 0])) == 12


def test_exercise_2_bits():
    assert [f"{losses.cross_entropy([1, 0], p, base=2):.3f}" for p in ([0.6, 0.4], [0.8, 0.2])] \
        == ["0.737", "0.322"]


def test_exercise_3_cross_entropy_crosses_zero_ten_times_sooner():
    x = np.linspace(-2, 2, 9)
    y = (x > 0).astype(float)
    steps = {}
    for kind in ("ce", "se"):
        w = -4.0
        for step in range(1, 201):
            y_hat = 1 / (1 + np.exp(-w * x))
            g = np.mean((y_hat - y) * x) if kind == "ce" else np.mean(2 * (y_hat - y) * y_hat * (1 - y_hat) * x)
            w -= 0.5 * g
            if w > 0:
                steps[kind] = step
                break
    assert steps["ce"] <= 10 and 90 <= steps["se"] < 100   # "within about 10", "close to 100"


def test_exercise_4_every_summation_order_gives_the_same_mse_run():
    X, y = losses.yogurt_data()
    final = np.float32(notes.SCRIPT_PRINTED["mse"]["printed"]["final"])

    def pairwise(p):
        while len(p) > 1:
            p = p[0::2] + p[1::2]
        return p[0]

    def four_lanes(p):
        lanes = [np.add.reduce(p[j::4], axis=0) for j in range(4)]
        return (lanes[0] + lanes[1]) + (lanes[2] + lanes[3])

    for batch_sum in (lambda p: np.add.reduce(p, axis=0), lambda p: np.add.reduce(p[::-1], axis=0),
                      pairwise, four_lanes):
        w, lr = losses.YOGURT_W0.ravel().copy(), np.float32(0.001)
        for i in range(20000):
            s = (i * 8) % 32
            xb, yb = X[s:s + 8], y[s:s + 8]
            y_hat = np.add.reduce(xb * w, axis=1, keepdims=True)
            d = -(np.float32(0.125) * ((yb - y_hat) * np.float32(2)))
            w = w - batch_sum(xb * d) * lr
        np.testing.assert_array_equal(w, final)


def test_exercise_5_fit_with_a_summed_keras_loss_matches_linear_sgd(tf, keras):
    class CostProfit(keras.losses.Loss):
        def __init__(self, cost, profit):
            super().__init__(name="cost_profit", reduction="sum")
            self.cost, self.profit = cost, profit

        def call(self, y_true, y_pred):
            over = tf.greater(y_pred, y_true)
            return tf.where(over, (y_pred - y_true) * self.cost, (y_true - y_pred) * self.profit)

    X, y = losses.yogurt_data()
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(
        1, use_bias=False, kernel_initializer=keras.initializers.Constant(losses.YOGURT_W0))])
    model.compile(optimizer=keras.optimizers.SGD(0.001), loss=CostProfit(1, 9))
    model.fit(tf.data.Dataset.from_tensor_slices((X, y)).batch(8).repeat(), epochs=1,
              steps_per_epoch=3000, shuffle=False, verbose=0)
    np.testing.assert_array_equal(model.layers[0].kernel.numpy().ravel(),
                                  final_weights("cost_profit", 3000, 1, 9))

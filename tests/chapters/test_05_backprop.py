"""Chapter 5 (backpropagation): the digits note 004's section 5 prints (the ledger), and what the
chapter states about the notes and the course beyond them (see its errata).

Section 5 of note 004 (lines 330-353) prints no computed values: its worked example with numbers
was a figure (图2-2-19, line 339) that the text copy lost. The only digits it prints are the 1/2
and the square of the one-neuron cost (line 341); our computation graph, printed back as a
formula, must give that line. The course's numbers (x = -2, y = 2, w = 2, b = 8; the lab's
slopes 22.001, 66.009, 6.002) are not in the notes; they are checked below.
"""
from __future__ import annotations

import re

import numpy as np
import pytest

from nnlib import backprop, data, network, portable
from nnlib.backprop import Value, gradient_cost, numerical_grad, one_neuron
from nnlib.notes import NOTE_000, NOTE_003, NOTE_004, shows
from nnlib.notes import backprop as notes_autodiff
from tests.helpers import CHAPTERS, changed_digits, load, note_line, stored_text
from tests.ledger import Entry, TestLedger  # noqa: F401  (TestLedger: the ledger checks, run on LEDGER)

NOTEBOOK = "05_backprop.ipynb"


def formula() -> list[str]:
    """Our graph c = wx, a = c + b, d = a - y, J = 0.5 d^2, printed as note 004's formula."""
    g = one_neuron()
    return [notes_autodiff.format_formula(g["J"], (g["w"], g["b"]))]


LEDGER = [
    Entry(notes_autodiff.FORMULA, NOTEBOOK, formula,
          "the graph printed back as LaTeX; the 1/2 and the square are the only digits of section 5"),
]
# what note 004 prints without digits, which the ledger cannot recompute: checked against the note
TRANSCRIBED = [*notes_autodiff.TYPOS, notes_autodiff.QUIZ_2, notes_autodiff.QUIZ_2_CODE,
               notes_autodiff.CHAIN_RULE, notes_autodiff.COST_BACKPROP, notes_autodiff.COST_SLOPES,
               notes_autodiff.SPELLING]
# the network sizes whose cost the chapter counts
SIZES = ([4, 1, 1], [4, 2, 1], [4, 4, 1], [4, 8, 1], [4, 16, 1], [4, 32, 1],
         [4, 8, 8, 1], [4, 8, 8, 8, 1], [4, 8, 8, 8, 8, 1])


# --- what note 004 prints -------------------------------------------------------------------------------
def test_section_5_prints_no_number_but_its_formula():
    """004 lines 330-355: apart from section numbers, figure captions and line 341, no digit."""
    for no in range(330, 356):
        line = note_line(NOTE_004, no)
        if no == notes_autodiff.FORMULA.first_line:
            assert notes_autodiff.FORMULA.text in line
            continue
        rest = re.sub(r"图2-2-\d+|^\s*5\.\d?\s", "", line)
        assert not re.search(r"\d", rest), f"line {no}: {line[:80]!r}"


def test_the_course_values_are_not_in_the_note():
    lines = [note_line(NOTE_004, no) for no in range(326, 361)]
    for number in ("22.001", "66.009", "6.002", "4.5", "121"):
        assert not shows(number, lines), number


# --- the chain rule of line 341, on the lecture's values ----------------------------------------------
def test_the_chain_rule_of_line_341_is_the_product_of_local_derivatives():
    g = one_neuron()
    g["J"].backward()
    dc_dw, da_dc, dd_da, dJ_dd = g["x"].data, 1.0, 1.0, g["d"].data
    assert dc_dw * da_dc * dd_da * dJ_dd == g["w"].grad == -4.0


# --- the course lab's numbers (not in the notes) --------------------------------------------------------
def _lab_line(f, p, name, eps=0.001):
    """J, J with p nudged by eps, and numerical_grad's slope, in the lab's format."""
    J = f().data
    old = p.data
    p.data = old + eps
    J_eps = f().data
    p.data = old
    return notes_autodiff.format_lab_slope(J, J_eps, numerical_grad(f, [p], eps)[0], name)


def _lab_lines():
    a, w = Value(11.0), Value(3.0)
    net = one_neuron(x=2.0, y=1.0, w=-2.0, b=8.0)
    return (_lab_line(lambda: a ** 2, a, "dJ_da"),
            _lab_line(lambda: (2 + 3 * w) ** 2, w, "dJ_dw"),
            _lab_line(lambda: one_neuron(x=2.0, y=1.0, w=net["w"].data, b=8.0)["J"], net["w"], "dJ_dw"))


def test_the_lab_lines_are_reproduced_digit_for_digit_by_nnlib():
    assert _lab_lines() == notes_autodiff.LAB


def test_the_chapter_shows_the_lab_numbers_and_not_a_changed_digit():
    stored = stored_text(CHAPTERS / NOTEBOOK)
    for row in notes_autodiff.LAB:
        for number in re.findall(r"-?\d+\.\d+|\d+", row.split("k = ")[1]):
            assert shows(number, stored), number
            for changed in changed_digits(number):
                assert not shows(changed, stored), changed


# --- note 004's cost claim (lines 343-346) ---------------------------------------------------------------
@pytest.mark.parametrize("sizes", SIZES, ids=str)
def test_backprop_takes_about_n_plus_p_and_slopes_n_times_p(sizes):
    r = gradient_cost(sizes)
    assert r["N"] + r["P"] <= r["backward"] <= 1.3 * (r["N"] + r["P"])
    assert r["slopes"] == (r["P"] + 1) * r["N"]


# --- errata ---------------------------------------------------------------------------------------------
def test_note_004_misspells_backpropagation():
    """004 line 90: 'back propogation'."""
    line = note_line(NOTE_004, notes_autodiff.SPELLING.first_line)
    assert "propogation" in line and "propagation" not in line


def test_notes_000_and_003_credit_backprop_with_the_update():
    """000 line 165 and 003 line 111 say backpropagation optimizes / updates the weights."""
    assert "反向传播:训练网络,优化网络参数" in note_line(NOTE_000, 165)
    assert "反向传播 误差信息 更新权重" in note_line(NOTE_003, 111)


def test_backward_computes_gradients_and_changes_no_parameter():
    g = one_neuron()
    before = {k: v.data for k, v in g.items()}
    g["J"].backward()
    assert {k: v.data for k, v in g.items()} == before


# --- notation (issue 14): ŷ for the prediction, y for the label ---------------------------------------
def _main_path_and_part():
    from tests.book.lesson import PART
    from tests.helpers import source

    md = source(CHAPTERS / NOTEBOOK)
    return md.split(PART, 1)


def test_the_prediction_is_y_hat_and_the_label_y():
    """The cost reads ½(ŷ − y)², the network's cost ½‖ŷ − y‖²; no 'out' and 't' (the old spelling)."""
    main, part = _main_path_and_part()
    assert r"J(w, b) = \tfrac12\,(\hat y - y)^2" in main
    assert r"\lVert\hat y - y\rVert^2" in main
    assert not re.search(r"\\text\{out\}|\bout - t\b|- t\\rVert|\btarget t\b", main)
    code = "\n".join("".join(c["source"]) for c in load(CHAPTERS / NOTEBOOK)["cells"]
                     if c["cell_type"] == "code")
    assert "y_hat" in code and "Y_hat" in code
    assert not re.search(r"\bT\b\s*=|, T\b|\bti\b", code)
    # said once, in the notes' part: how the TensorFlow 1 code spells them
    assert "spells the label `y_` and the prediction `y`" in part


def test_gradient_cost_names_the_label_y():
    import inspect

    from nnlib import backprop

    src = inspect.getsource(backprop.gradient_cost)
    assert "y_hat - y" in src and "out - t" not in src


# --- the exercises' numbers ---------------------------------------------------------------------------
def test_solution_1_gives_dJ_dw_minus_6():
    g = one_neuron(x=3.0, y=1.0, w=-1.0, b=2.0)
    g["J"].backward()
    assert (g["c"].data, g["a"].data, g["d"].data, g["J"].data) == (-3, -1, -2, 2)
    assert (g["d"].grad, g["a"].grad, g["b"].grad, g["c"].grad, g["w"].grad) == (-2, -2, -2, -2, -6)


def test_solution_2_sigmoid_derivative_matches_tensorflow(tf):
    import math

    from nnlib.backprop import Value as V

    v = V(0.3)
    z = v * 2
    s = 1.0 / (1.0 + math.exp(-z.data))
    out = V._node(s, "sigmoid", (z,), (s * (1.0 - s),))
    out.backward()
    t = tf.Variable(0.3, dtype=tf.float64)
    with tf.GradientTape() as tape:
        tf_out = tf.sigmoid(t * 2)
    assert abs(v.grad - tape.gradient(tf_out, t).numpy()) < 1e-15
    assert f"{v.grad:.4f}" == "0.4576"


def test_solution_3_central_slope_is_66_up_to_about_2_5e_12():
    w, eps = Value(3.0), 0.001
    up = ((2 + 3 * Value(3.0 + eps)) ** 2).data
    down = ((2 + 3 * Value(3.0 - eps)) ** 2).data
    err = abs((up - down) / (2 * eps) - 66)
    assert 1e-12 < err < 5e-12, err
    assert w.data == 3.0


def test_solution_4_a_parameter_used_twice():
    w = Value(2.0)
    J = 0.5 * (w * -2.0 + w - 2.0) ** 2
    J.backward()
    assert w.grad == 4.0


def test_the_chapter_quotes_the_solutions_numbers():
    main, _ = _main_path_and_part()
    solutions = main.split("## Exercises", 1)[1].split("\n## What to read next", 1)[0]
    for number in ("-6.0", "0.4576", r"2.5\times10^{-12}", "`4.0`"):
        assert number in solutions, number


# --- issue 15: matrix form, memory, forward vs reverse mode, depth, clipping ----------------------------
def _stored(prefix):
    from tests.helpers import stored_line

    return stored_line(CHAPTERS / NOTEBOOK, prefix)


def _exercises():
    main, _ = _main_path_and_part()
    return main.split("## Exercises", 1)[1].split("\n## What to read next", 1)[0]


def test_the_memory_table_and_the_text_agree_with_memory_cost():
    main, _ = _main_path_and_part()
    rows = {"digits 64-32-10": ([64, 32, 10], 33), "MNIST 784-512-512-10": ([784, 512, 512, 10], 326),
            "deep 784-256×20-10": ([784] + [256] * 20 + [10], 142)}
    for name, (sizes, cross) in rows.items():
        m = backprop.memory_cost(sizes, 128)
        assert m["params"] // m["per_example"] + 1 == cross
        assert m["per_example"] * (cross - 1) <= m["params"] < m["per_example"] * cross
        line = _stored(name)
        for number in (f"{m['params']:,}", f"{m['per_example']:,}", f"{m['activations']:,}", f"from {cross}"):
            assert number in line, (name, number)
    assert "from a batch of 33" in main and "from 142" in main and "batch of 326" in main
    assert "the parameters from a batch of 142" in main          # the summary


def test_the_matrix_form_and_both_modes_are_checked_in_the_chapter():
    assert _stored("  largest relative difference below 1e-12")
    assert _stored("Jacobian 10 × 64: forward mode 64 passes, reverse mode 10 passes")
    assert _stored("the two agree within 1e-12: True")
    assert _stored("ForwardAccumulator (column 36), GradientTape (row 3):")
    assert _stored("  the same as nnlib within 1e-12: True")
    assert _stored("gradient of a scalar: 1 reverse pass = 64 forward passes, within 1e-12: True")


def test_the_depth_table_matches_rho_s_over_root_2():
    expected = {"ReLU, scale 1 (Glorot)": ("relu", 1.0, "0.70", "2e-05"),
                "ReLU, scale √2 (He)": ("relu", np.sqrt(2.0), "0.99", "6e-01"),
                "ReLU, scale 2": ("relu", 2.0, "1.39", "2e+04"),
                "tanh, scale 1 (Glorot)": ("tanh", 1.0, "0.94", "2e-01")}
    for label, (act, s, rho, ratio) in expected.items():
        norms = backprop.gradient_norms_through_depth(30, 64, scale=s, activation=act, seed=0)
        assert f"{norms[0] ** (1 / 30):.2f}" == rho and f"{norms[0]:.0e}" == ratio
        assert _stored(label).split()[-3:][0] == rho and _stored(label).split()[-1] == ratio
        if act == "relu":   # the measured factor is within 3 % of the prediction s / sqrt 2
            assert abs(float(rho) - s / np.sqrt(2)) < 0.03 * s


def _deep_net(seed):
    net = network.glorot_network([64] + [64] * 8 + [10], "relu", loss="softmax_ce", dot=portable.dot,
                                 seed=seed)
    for W in net.weights:
        W *= np.float32(2.0)
    return net


def _rescue(c):
    X, y, X_val, y_val, X_test, y_test = data.digits_with_validation()
    nets = [_deep_net(s) for s in (0, 1, 2)]
    runs = [backprop.train_clipped(X, y, n, lr=0.1, batch_size=32, num_epochs=5, clipnorm=c, seed=s,
                                   X_val=X_val, y_val=y_val) for n, s in zip(nets, (0, 1, 2))]
    return runs, [n.accuracy(X_test, y_test) for n in nets]


def test_without_clipping_every_seed_explodes_and_with_it_every_seed_trains():
    plain, _ = _rescue(None)
    assert [r["diverged_at"] for r in plain] == [5, 4, 4]
    assert all(np.nanmax(r["norms"]) > 1e6 for r in plain)
    assert _stored("no clipping  ").split()[-3:] == ["NaN@5", "NaN@4", "NaN@4"]
    clipped, test = _rescue(5.0)
    val = [f"{r['val'][-1]:.3f}" for r in clipped]
    assert all(r["diverged_at"] is None for r in clipped) and val == ["0.919", "0.885", "0.826"]
    assert _stored("global_clipnorm 5  ").split()[-3:] == val
    assert [f"{a:.3f}" for a in test] == ["0.924", "0.896", "0.818"]
    assert _stored("global_clipnorm 5, test accuracy").split()[-3:] == ["0.924", "0.896", "0.818"]
    # clipped to 5, the norm before clipping stays far from the unclipped runs' blow-up
    assert all(np.max(r["norms"]) < 200 for r in clipped)


def test_solution_10_clipping_at_1_is_safe_but_slower():
    runs, _ = _rescue(1.0)
    val = [f"{r['val'][-1]:.3f}" for r in runs]
    assert all(r["diverged_at"] is None for r in runs) and val == ["0.811", "0.774", "0.722"]
    assert all(min(r["norms"]) > 1.0 for r in runs)   # every step was clipped
    assert "0.811, 0.774 and 0.722" in _exercises() and "0.919, 0.885 and 0.826" in _exercises()


def test_solutions_5_to_9_quote_what_the_cell_prints():
    ex = _exercises()
    assert _stored("5: rank").endswith("one example 1, batch of 16 8")
    m = backprop.memory_cost([784, 1024, 1024, 1024, 10], 256)
    assert (m["params"], m["activations"], m["params"] // m["per_example"] + 1) == (11_653_160, 6_301_696, 474)
    assert m["params"] // 4 == 2_913_290 and m["per_example"] == 24_616
    for number in ("2{,}913{,}290", "11,653,160", "6,301,696", "24,616", "474"):
        assert number in ex, number
    assert _stored("6: ") == "6: parameters 11,653,160 B, activations 6,301,696 B, more from batch 474"
    assert _stored("7: ") == "7: forward mode 3 passes, reverse mode 50"
    s8 = np.sqrt(2) * 10 ** (-1 / 15)
    r8 = backprop.gradient_norms_through_depth(30, 64, scale=s8, seed=0)[0]
    assert f"{s8:.2f}" == "1.21" and f"{r8:.0e}" == "6e-03" and r"6\times10^{-3}" in ex
    assert _stored("9: clipnorm") == "9: clipnorm: norms 5 5, global 7.07"
    assert _stored("9: global_clipnorm") == "9: global_clipnorm: norms 3 4, global 5.00"


def test_keras_agreement_is_printed_as_the_bound_the_unit_tests_check():
    assert _stored("c =   100") == "c =   100: clipnorm exact           global_clipnorm exact"
    for c in ("10", "1"):
        line = _stored(f"c = {c:>5}")
        assert line.count("below 8 ulp") == 2, line

"""Facts chapter 5 states about the notes and the course, beyond the ledger (see its errata)."""
from __future__ import annotations

import re

import pytest

from nnlib.backprop import Value, gradient_cost, numerical_grad, one_neuron
from nnlib.notes import NOTE_000, NOTE_003, NOTE_004, shows
from nnlib.notes import backprop as notes_autodiff
from tests.helpers import CHAPTERS, SEEDS, stored_text

NOTEBOOK = CHAPTERS / "05_backprop.ipynb"
# the network sizes whose cost the chapter counts
SIZES = ([4, 1, 1], [4, 2, 1], [4, 4, 1], [4, 8, 1], [4, 16, 1], [4, 32, 1],
         [4, 8, 8, 1], [4, 8, 8, 8, 1], [4, 8, 8, 8, 8, 1])


def _note(name):
    path = SEEDS / name
    if not path.exists():
        pytest.skip(f"{path} not found: the notes are not beside this checkout")
    return path.read_text(encoding="utf-8").split("\n")


def _changed_digits(row):
    digits = [m.start() for m in re.finditer(r"\d", row)]
    for pos in {digits[0], digits[len(digits) // 2], digits[-1]}:
        yield row[:pos] + str((int(row[pos]) + 1) % 10) + row[pos + 1:]


# --- what note 004 prints (blocks without digits, which the ledger cannot hold) -------------------
@pytest.mark.parametrize("printed", [notes_autodiff.CHAIN_RULE, notes_autodiff.COST_BACKPROP,
                                     notes_autodiff.COST_SLOPES, notes_autodiff.SPELLING],
                         ids=lambda p: p.where)
def test_transcriptions_without_digits_match_the_note(printed):
    text = _note(printed.file)
    for k, row in enumerate(printed.lines):
        assert row in text[printed.first_line - 1 + k]


def test_section_5_prints_no_number_but_its_formula():
    """004 lines 330-355: apart from section numbers, figure captions and line 341, no digit."""
    text = _note(NOTE_004)
    for no in range(330, 356):
        line = text[no - 1]
        if no == notes_autodiff.FORMULA.first_line:
            assert notes_autodiff.FORMULA.text in line
            continue
        rest = re.sub(r"图2-2-\d+|^\s*5\.\d?\s", "", line)
        assert not re.search(r"\d", rest), f"line {no}: {line[:80]!r}"


def test_the_course_values_are_not_in_the_note():
    text = "\n".join(_note(NOTE_004))
    for number in ("22.001", "66.009", "6.002", "4.5", "121"):
        assert not shows(number, text.split("\n")[325:360]), number


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
    stored = stored_text(NOTEBOOK)
    for row in notes_autodiff.LAB:
        for number in re.findall(r"-?\d+\.\d+|\d+", row.split("k = ")[1]):
            assert shows(number, stored), number
            for changed in _changed_digits(number):
                assert not shows(changed, stored), changed


def test_the_chapter_shows_the_lecture_example():
    stored = stored_text(NOTEBOOK)
    g = one_neuron()
    g["J"].backward()
    for name in ("x", "w", "b", "y", "c", "a", "d", "J"):
        row = f"{name:>2} {g[name].data:>7g} {g[name].grad:>7g}"
        assert row in stored, row


# --- note 004's cost claim (lines 343-346) ---------------------------------------------------------------
@pytest.mark.parametrize("sizes", SIZES, ids=str)
def test_backprop_takes_about_n_plus_p_and_slopes_n_times_p(sizes):
    r = gradient_cost(sizes)
    assert r["N"] + r["P"] <= r["backward"] <= 1.3 * (r["N"] + r["P"])
    assert r["slopes"] == (r["P"] + 1) * r["N"]


# --- errata ---------------------------------------------------------------------------------------------
def test_note_004_misspells_backpropagation():
    """004 line 90: 'back propogation'."""
    line = _note(NOTE_004)[notes_autodiff.SPELLING.first_line - 1]
    assert "propogation" in line and "propagation" not in line


def test_notes_000_and_003_credit_backprop_with_the_update():
    """000 line 165 and 003 line 111 say backpropagation optimizes / updates the weights."""
    assert "反向传播:训练网络,优化网络参数" in _note(NOTE_000)[164]
    assert "反向传播 误差信息 更新权重" in _note(NOTE_003)[110]


def test_backward_computes_gradients_and_changes_no_parameter():
    g = one_neuron()
    before = {k: v.data for k, v in g.items()}
    g["J"].backward()
    assert {k: v.data for k, v in g.items()} == before

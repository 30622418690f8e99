"""Chapter 4 (learning rate): note 002's three printed traces (the ledger), and what the chapter
states about them beyond the printed blocks (see the errata)."""
from __future__ import annotations

import numpy as np

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

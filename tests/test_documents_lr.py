"""Facts chapter 4 states about the notes, beyond their printed blocks (see the errata)."""
from __future__ import annotations

import numpy as np

from nnlib import learning_rate, notes
from tests.ledger_lr import lr_lines


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

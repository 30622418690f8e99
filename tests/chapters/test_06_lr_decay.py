"""Chapter 6 (learning-rate decay): note 002's printed run, section 三 (the ledger), and what the
chapter states about it beyond the printed block (see the errata)."""
from __future__ import annotations

import numpy as np

from nnlib import learning_rate, lr_decay
from nnlib.notes import lr_decay as decay_notes
from tests.helpers import note_line
from tests.ledger import Entry, TestLedger  # noqa: F401  (TestLedger: the ledger checks, run on LEDGER)

F32 = np.float32

NOTEBOOK = "06_lr_decay.ipynb"


def note_run(num_steps=40, w0=5.0):
    """The note's script in float32 numpy: base 0.1, rate 0.99, decay_steps 1, staircase."""
    return lr_decay.decayed_gd_trace(learning_rate.quadratic_grad, w0, 0.1, 1, 0.99, num_steps,
                                      staircase=True)


def decay_lines(num_steps=40, w0=5.0):
    """Our run in note 002's format, one line per update."""
    return decay_notes.format_decay_trace(note_run(num_steps, w0), learning_rate.quadratic_loss)


def last_line_as_the_note_shows_it():
    """Our line for step 19 with the loss at five decimals, as the note's cut line shows it."""
    tr = note_run(20)
    w = tr.w[20]
    return [decay_notes.format_decay_line(19, w, tr.lr[20], learning_rate.quadratic_loss(w), "%.5f")]


LEDGER = [
    Entry(decay_notes.DECAY_FULL_LINES, NOTEBOOK, decay_lines),
    Entry(decay_notes.DECAY_LAST, NOTEBOOK, last_line_as_the_note_shows_it,
          "the note's last loss has five decimals where %f prints six: 0.011561 (errata)"),
]
# the 20 lines as the note shows them (the last one cut short): checked against the note only
TRANSCRIBED = [decay_notes.DECAY_PRINTED]


def test_the_40_step_run_ends_with_the_original_scripts_last_line():
    assert decay_lines(40)[-1] == decay_notes.DECAY_40_LAST


def test_the_last_printed_loss_is_cut_short():
    """002 line 193 shows 0.01156; %f always prints six decimals; the run gives 0.011561."""
    printed = decay_notes.DECAY_LAST.lines[0]
    assert printed.endswith("loss is 0.01156")
    assert all(len(row.rsplit(" ", 1)[1].split(".")[1]) == 6 for row in decay_notes.DECAY_FULL_LINES.lines)
    ours = decay_lines(20)[-1]
    assert ours == printed + "1"
    loss = learning_rate.quadratic_loss(note_run(20).w[20])
    assert "%f" % loss == "0.011561" and "%.5f" % loss == "0.01156"


def test_a_run_from_10_does_not_give_the_printed_lines():
    """002 lines 136 and 151 say w starts at 10; the code (line 152) and the numbers start at 5."""
    from10 = decay_lines(20, w0=10.0)
    assert from10[0] == ("After 0 steps: global_step is 1.000000, w is 7.800000, "
                         "learning rate is 0.099000, loss is 77.440002")
    assert not any(a == b for a, b in zip(from10, decay_notes.DECAY_PRINTED.lines))
    assert decay_lines(20, w0=5.0)[0] == decay_notes.DECAY_PRINTED.lines[0]


def test_the_comments_and_the_code_disagree_in_the_note():
    assert "10" in note_line(decay_notes.NOTE_002, 136) and "10" in note_line(decay_notes.NOTE_002, 151)
    assert "tf.constant(5, dtype=tf.float32)" in note_line(decay_notes.NOTE_002, 152)
    assert "40" in note_line(decay_notes.NOTE_002, 157) and "range(20)" in note_line(decay_notes.NOTE_002, 161)
    assert len(decay_notes.DECAY_PRINTED.lines) == 20


def _run_with_schedule(lr_at, num_steps=20):
    """The note's run with the schedule computed by ``lr_at(k)``, in the note's format."""
    w, lines = F32(5.0), []
    for k in range(num_steps):
        w = F32(w - F32(lr_at(k)) * learning_rate.quadratic_grad(w))
        lines.append(decay_notes.format_decay_line(k, w, F32(lr_at(k + 1)), learning_rate.quadratic_loss(w)))
    return lines


def test_only_the_float32_rate_reproduces_every_digit():
    """The chapter: the schedule from float32(0.99) gives all 19 full lines; exact 0.99 in float64 misses 5."""
    printed = decay_notes.DECAY_FULL_LINES.lines
    f32 = _run_with_schedule(lambda k: lr_decay.exponential_decay(0.1, k, 1, 0.99, True))
    f64 = _run_with_schedule(lambda k: 0.1 * 0.99 ** k)
    assert sum(a == b for a, b in zip(f32, printed)) == 19
    wrong = [k for k, (a, b) in enumerate(zip(f64, printed)) if a != b]
    assert wrong == [5, 8, 10, 12, 18]


def test_on_this_deterministic_problem_the_constant_rate_is_ahead():
    """The chapter: after 20 updates constant 0.1 is at -0.930825, the decayed run at -0.892476."""
    const = learning_rate.gd_trace(learning_rate.quadratic_grad, 5.0, 0.1, 20)
    assert "%f" % const.w[20] == "-0.930825"
    assert "%f" % note_run(20).w[20] == "-0.892476"


def test_with_noisy_gradients_moderate_decay_ends_closest():
    """The chapter's noisy-gradient comparison (500 runs, 100 updates, noise sd 4)."""
    def rms(base_lr, decay_rate):
        rng = np.random.default_rng(0)
        grad = lambda w: learning_rate.quadratic_grad(w) + F32(4.0) * rng.standard_normal(w.shape, dtype=F32)
        tr = lr_decay.decayed_gd_trace(grad, np.full(500, 5.0, dtype=F32), base_lr, 1, decay_rate, 100)
        return float(np.sqrt(np.mean((tr.w[-1].astype(np.float64) + 1) ** 2)))

    const_big, const_small, decayed, too_fast = rms(0.1, 1.0), rms(0.01, 1.0), rms(0.1, 0.97), rms(0.1, 0.9)
    assert decayed < 0.5 * const_big and decayed < 0.5 * const_small and decayed < 0.5 * too_fast

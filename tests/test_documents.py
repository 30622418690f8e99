"""The document ledger: every number the notes print, checked three ways.

For each block of printed output (transcribed in ``nnlib.notes`` with file and line):

1. the transcription matches the note itself (when ``shared/seeds`` is beside the repository);
2. a fresh computation with nnlib prints exactly the same lines;
3. the chapter that reproduces it shows exactly those lines in its stored outputs.

A final test changes one digit of every recorded line and checks that the comparison notices,
so no entry can pass by accident.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pytest

from nnlib import notes, optim
from tests.helpers import CHAPTERS, SEEDS, stored_text


def _lr_lines(lr, num_steps):
    return lambda: notes.format_lr_trace(
        optim.gd_trace(optim.quadratic_grad, 5.0, lr, num_steps), optim.quadratic_loss)


@dataclass(frozen=True)
class Entry:
    printed: notes.Printed
    notebook: str
    compute: Callable[[], list[str]]
    comment: str = ""


LEDGER = [
    Entry(notes.LR_0_2, "03_learning_rate.ipynb", _lr_lines(0.2, 40)),
    Entry(notes.LR_1, "03_learning_rate.ipynb", _lr_lines(1.0, 18)),
    Entry(notes.LR_SLOW, "03_learning_rate.ipynb", _lr_lines(0.001, 18),
          "labelled 0.0001 in the note; the digits are those of 0.001 (errata)"),
]
IDS = [e.printed.where for e in LEDGER]


def _same_lines(expected: list[str], got: list[str]) -> list[str]:
    """The expected lines missing from ``got`` (exact, whole-line comparison)."""
    have = set(got)
    return [line for line in expected if line not in have]


@pytest.mark.parametrize("entry", LEDGER, ids=IDS)
def test_transcription_matches_the_note(entry):
    note = SEEDS / entry.printed.file
    if not note.exists():
        pytest.skip(f"{note} not found: the notes are not beside this checkout")
    text = note.read_text(encoding="utf-8").split("\n")
    first = entry.printed.first_line - 1
    assert text[first:first + len(entry.printed.lines)] == entry.printed.lines


@pytest.mark.parametrize("entry", LEDGER, ids=IDS)
def test_fresh_computation_prints_the_same(entry):
    ours = entry.compute()[: len(entry.printed.lines)]
    assert ours == entry.printed.lines


@pytest.mark.parametrize("entry", LEDGER, ids=IDS)
def test_chapter_stored_output_shows_it(entry):
    missing = _same_lines(entry.printed.lines, stored_text(CHAPTERS / entry.notebook))
    assert not missing, f"{entry.notebook} does not show: {missing[:3]}"


@pytest.mark.parametrize("entry", LEDGER, ids=IDS)
def test_one_changed_digit_is_caught(entry):
    ours = entry.compute()
    stored = stored_text(CHAPTERS / entry.notebook)
    for k, line in enumerate(entry.printed.lines):
        digits = [m.start() for m in re.finditer(r"\d", line)]
        for pos in (digits[0], digits[len(digits) // 2], digits[-1]):
            changed = line[:pos] + str((int(line[pos]) + 1) % 10) + line[pos + 1:]
            mutated = entry.printed.lines[:k] + [changed] + entry.printed.lines[k + 1:]
            assert ours[: len(mutated)] != mutated
            assert _same_lines(mutated, stored) == [changed]


# --- single facts the notes state in words -------------------------------------------------

def test_the_original_40_step_run_ends_at_minus_one():
    """002 line 36-46: the script ran 40 steps; the last one shows w at -1.000000."""
    assert _lr_lines(0.2, 40)()[-1] == "After 39 steps: w is -1.000000, loss is 0.000000"


def test_the_label_0_0001_does_not_fit_the_printed_numbers():
    """002 line 104 labels the slow run 0.0001; none of its 18 lines come from that rate."""
    wrong = _lr_lines(0.0001, 18)()
    assert not any(a == b for a, b in zip(wrong, notes.LR_SLOW.lines))


def test_at_learning_rate_1_w_swings_between_5_and_minus_7_and_the_loss_stays_36():
    """000 line 72 says the loss swings between 5 and -7; it is w, and the loss stays 36."""
    tr = optim.gd_trace(optim.quadratic_grad, 5.0, 1.0, 18)
    assert sorted(set(tr.w.tolist())) == [-7.0, 5.0]
    assert set(np.asarray(optim.quadratic_loss(tr.w)).tolist()) == {36.0}

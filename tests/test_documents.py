"""The document ledger: every number the notes print, checked three ways.

For each entry (``tests/ledger_*.py``; the note's rows are transcribed in ``nnlib.notes``):

1. the transcription matches the note itself, row k on line ``first_line + k`` (when
   ``shared/seeds`` is beside the repository; set ``NNLIB_SEEDS`` to point elsewhere);
2. a fresh computation with nnlib prints exactly the same rows;
3. the chapter that reproduces them shows every row in its stored outputs.

A fourth check changes one digit of each row (first, middle and last digit) and requires both
the fresh comparison and the stored-output check to notice, so no entry can pass by accident.
"""
from __future__ import annotations

import re

import pytest

from nnlib.notes import shows
from tests.helpers import CHAPTERS, SEEDS, stored_text
from tests.ledger import collect

LEDGER = collect()
IDS = [f"{e.notebook}:{e.printed.where}" for e in LEDGER]


def test_the_ledger_is_not_empty():
    assert len(LEDGER) >= 3


@pytest.mark.parametrize("entry", LEDGER, ids=IDS)
def test_transcription_matches_the_note(entry):
    note = SEEDS / entry.printed.file
    if not note.exists():
        pytest.skip(f"{note} not found: the notes are not beside this checkout")
    text = note.read_text(encoding="utf-8").split("\n")
    for k, row in enumerate(entry.printed.lines):
        line_no = entry.printed.first_line + k
        assert row in text[line_no - 1], f"{entry.printed.file}:{line_no} does not contain {row!r}"


@pytest.mark.parametrize("entry", LEDGER, ids=IDS)
def test_fresh_computation_prints_the_same(entry):
    ours = entry.compute()[: len(entry.printed.lines)]
    assert ours == entry.printed.lines


@pytest.mark.parametrize("entry", LEDGER, ids=IDS)
def test_chapter_stored_output_shows_it(entry):
    stored = stored_text(CHAPTERS / entry.notebook)
    missing = [row for row in entry.printed.lines if not shows(row, stored)]
    assert not missing, f"{entry.notebook} does not show: {missing[:3]}"


@pytest.mark.parametrize("entry", LEDGER, ids=IDS)
def test_one_changed_digit_is_caught(entry):
    ours = entry.compute()
    stored = stored_text(CHAPTERS / entry.notebook)
    rows = entry.printed.lines
    for k, row in enumerate(rows):
        digits = [m.start() for m in re.finditer(r"\d", row)]
        assert digits, f"row {row!r} carries no number"
        for pos in {digits[0], digits[len(digits) // 2], digits[-1]}:
            changed = row[:pos] + str((int(row[pos]) + 1) % 10) + row[pos + 1:]
            mutated = rows[:k] + [changed] + rows[k + 1:]
            assert ours[: len(mutated)] != mutated
            assert not shows(changed, stored), f"{changed!r} (one digit changed) is also shown"

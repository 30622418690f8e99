"""The document ledger: every number the notes print, checked four ways, chapter by chapter.

Each chapter's test module (``tests/chapters/test_NN_slug.py``) defines ``NOTEBOOK``, ``LEDGER``
(a list of :class:`Entry`; the note's rows are transcribed in ``nnlib.notes.<slug>``) and, if
it has any, ``TRANSCRIBED`` (blocks without digits, checked against the note only), and imports
:class:`TestLedger`, which runs on them:

1. the transcription matches the note itself, row k on line ``first_line + k`` (when
   ``shared/seeds`` is beside the repository; set ``NNLIB_SEEDS`` to point elsewhere);
2. a fresh computation with nnlib prints exactly the same rows;
3. the chapter that reproduces them shows every row in its stored outputs;
4. one changed digit of each row (first, middle and last) is noticed by both the fresh
   comparison and the stored-output check, so no entry can pass by accident;

and checks that every block ``nnlib.notes.<slug>`` transcribes is in ``LEDGER`` or ``TRANSCRIBED``.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Callable

from nnlib.notes import Printed, shows
from tests.helpers import CHAPTERS, assert_transcribed, changed_digits, stored_text


@dataclass(frozen=True)
class Entry:
    """One block a note printed, the chapter that reproduces it, and how to recompute it.

    ``compute()`` returns our own rows, formatted as the note printed them; they must equal
    ``printed.lines``; only the first ``len(printed.lines)`` rows are compared (a 40-step run
    of which the note printed 18 steps). The chapter's stored outputs must show every row, as a
    whole line or number (see :func:`nnlib.notes.shows`).
    """

    printed: Printed
    notebook: str
    compute: Callable[[], list[str]]
    comment: str = ""


class TestLedger:
    """The ledger checks, run on the ``LEDGER`` of the chapter module that imports this class."""

    @staticmethod
    def pytest_generate_tests(metafunc):
        ledger = metafunc.module.LEDGER
        if "entry" in metafunc.fixturenames:
            metafunc.parametrize("entry", ledger, ids=[e.printed.where for e in ledger])
        if "printed" in metafunc.fixturenames:
            blocks = [e.printed for e in ledger] + list(getattr(metafunc.module, "TRANSCRIBED", []))
            metafunc.parametrize("printed", blocks, ids=[p.where for p in blocks])

    def test_every_block_the_chapters_notes_transcribe_is_checked(self, request):
        module = request.module
        notes = importlib.import_module(f"nnlib.notes.{module.NOTEBOOK[3:].removesuffix('.ipynb')}")
        checked = {id(e.printed) for e in module.LEDGER} | {id(p) for p in getattr(module, "TRANSCRIBED", [])}
        assert module.LEDGER and all(e.notebook == module.NOTEBOOK for e in module.LEDGER)
        missing = [k for k, v in vars(notes).items() if isinstance(v, Printed) and id(v) not in checked]
        assert not missing, f"{notes.__name__} blocks in neither LEDGER nor TRANSCRIBED: {missing}"

    def test_transcription_matches_the_note(self, printed):
        assert_transcribed(printed)

    def test_fresh_computation_prints_the_same(self, entry):
        assert entry.compute()[: len(entry.printed.lines)] == entry.printed.lines

    def test_chapter_stored_output_shows_it(self, entry):
        stored = stored_text(CHAPTERS / entry.notebook)
        missing = [row for row in entry.printed.lines if not shows(row, stored)]
        assert not missing, f"{entry.notebook} does not show: {missing[:3]}"

    def test_one_changed_digit_is_caught(self, entry):
        ours = entry.compute()
        stored = stored_text(CHAPTERS / entry.notebook)
        rows = entry.printed.lines
        for k, row in enumerate(rows):
            for changed in changed_digits(row):
                assert ours[: len(rows)] != rows[:k] + [changed] + rows[k + 1:]
                assert not shows(changed, stored), f"{changed!r} (one digit changed) is also shown"

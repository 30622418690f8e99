"""The document ledger's entries, collected from one module per chapter (``tests/ledger_*.py``).

Each module defines ``LEDGER``, a list of :class:`Entry`. ``tests/test_documents.py`` runs the
same checks on every entry of every module.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from nnlib.notes import Printed


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
    extra: dict = field(default_factory=dict)


def collect() -> list[Entry]:
    """Every entry of every ``tests/ledger_*.py`` module, in file-name order."""
    entries: list[Entry] = []
    for path in sorted(Path(__file__).parent.glob("ledger_*.py")):
        module = importlib.import_module(f"tests.{path.stem}")
        entries.extend(module.LEDGER)
    return entries

"""Every chapter is a lesson (GUIDE.md, "A chapter, top to bottom"; issue 14).

Goals first; the notes' forensics in one collapsed part at the end; a main path that is mostly
about the subject; nothing wider than the text column at 1280 px.
"""
from __future__ import annotations

import re

import pytest

from tests.book.lesson import PART, measure
from tests.helpers import load, notebooks, output_texts, source

NOTEBOOKS = notebooks()
IDS = [p.name.split("_")[0] for p in NOTEBOOKS]
# The text column at 1280 px holds 77 monospace characters (GUIDE.md, measured on the built book).
COLUMN = 77
NOTE_ROWS = 103   # the widest row the notes print, with its quotes (chapter 6)
# In this order; other sections (the idea, worked code) may stand between them.
ORDER = ["## Goals", "## Explore", "## In practice", "## Summary", "## Exercises", "## What to read next",
         "## Terms", PART]


def _h2(path):
    return re.findall(r"(?m)^## .*$", source(path))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_goals_first_and_the_notes_part_last(path):
    h2 = [h.strip() for h in _h2(path)]
    missing = [s for s in ORDER if s not in h2]
    assert not missing, f"{path.name} lacks {missing}"
    assert h2[0] == "## Goals", f"{path.name} opens with {h2[0]!r}"
    assert h2[-1] == PART, f"{path.name}: the last section is {h2[-1]!r}, not {PART!r}"
    positions = [h2.index(s) for s in ORDER]
    assert positions == sorted(positions), f"{path.name}: sections out of order: {h2}"
    md = source(path)
    assert ":class: dropdown" in md and "中文" in md, f"{path.name}: hidden solutions, Terms in 中文"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_goals_name_three_to_five_things_the_reader_can_do(path):
    md = source(path)
    goals = md.split("## Goals", 1)[1].split("\n## ", 1)[0]
    items = re.findall(r"(?m)^\s*[-*] ", goals)
    assert 3 <= len(items) <= 5, f"{path.name}: {len(items)} goals"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_main_path_is_mostly_about_the_subject(path):
    m = measure(path)
    assert m["share"] <= 0.25, (f"{path.name}: {m['provenance']} of {m['main']} main-path words "
                                f"({m['share']:.0%}) are about the notes (python -m tests.book.lesson)")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_no_note_line_numbers_in_reader_facing_text(path):
    """The notes are not shipped with the book: cite them by name and section."""
    md = source(path)
    hits = re.findall(r"(?i)\blines?\s+\d+|\.txt:\d+", md)
    assert not hits, f"{path.name} cites note lines: {hits[:5]}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_code_and_main_path_output_fit_the_column(path):
    """Code lines everywhere, and printed lines before the notes' part, fit 77 characters. In the
    notes' part a wider line must be in a cell tagged note-rows (the notes' own rows, kept whole:
    course.css sets them in a font that fits NOTE_ROWS characters in the column at 1280 px)."""
    wide, in_part = [], False
    for i, cell in enumerate(load(path)["cells"]):
        src = "".join(cell["source"])
        if cell["cell_type"] == "markdown":
            in_part = in_part or bool(re.search(rf"(?m)^{re.escape(PART)}\s*$", src))
            continue
        wide += [f"cell {i} code: {line[:50]}…" for line in src.splitlines() if len(line) > COLUMN]
        tags = set(cell.get("metadata", {}).get("tags", []))
        if {"remove-output", "remove-cell"} & tags:
            continue
        width = NOTE_ROWS if in_part and "note-rows" in tags else COLUMN
        for out in cell.get("outputs", []):
            for text in output_texts(out):
                wide += [f"cell {i} output: {line[:50]}…" for line in text.splitlines()
                         if len(line) > width]
    assert not wide, f"{path.name}: {len(wide)} lines wider than {COLUMN}: {wide[:4]}"


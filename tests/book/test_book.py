"""The book's configuration: every page in the table of contents exists, settings are sane."""
from __future__ import annotations

import re

import yaml

from tests.helpers import ROOT, toc_files


def test_every_toc_entry_exists_exactly_once():
    files = toc_files()
    assert len(files) == len(set(files))
    for f in files:
        matches = [p for p in (ROOT / f"{f}.md", ROOT / f"{f}.ipynb") if p.exists()]
        assert len(matches) == 1, f"{f}: {matches}"


def test_chapters_in_reading_order():
    chapters = [f.split("/")[-1] for f in toc_files() if re.match(r".*/\d\d_", f)]
    # numbered 01, 02, ... without a gap, and every chapter notebook is in the table of contents
    assert chapters == sorted(chapters) and len(chapters) >= 13
    assert [int(c[:2]) for c in chapters] == list(range(1, len(chapters) + 1))
    assert chapters == sorted(p.stem for p in (ROOT / "chapters").glob("[0-9][0-9]_*.ipynb"))


def test_outputs_come_from_the_stored_notebooks_and_errors_fail():
    cfg = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert cfg["execute"]["execute_notebooks"] == "off"
    assert cfg["execute"]["raise_on_error"] is True
    assert cfg["bibtex_bibfiles"] == ["references.bib"]


def test_make_book_fails_on_warnings():
    make = (ROOT / "Makefile").read_text()
    assert "jupyter-book build . -W -n --keep-going" in make

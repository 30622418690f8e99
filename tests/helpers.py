"""Shared by the test modules: where things are, reading the notes and stored notebook outputs."""
from __future__ import annotations

import functools
import json
import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = ROOT / "chapters"
HTML = ROOT / "_build" / "html"  # the built book (`make book`)
# The notes are beside the repository (shared/seeds); NNLIB_SEEDS points elsewhere if needed.
SEEDS = Path(os.environ.get("NNLIB_SEEDS", ROOT.parent / "shared" / "seeds"))


@functools.lru_cache(maxsize=None)
def _note_text(name: str) -> tuple[str, ...]:
    path = SEEDS / name
    if not path.exists():
        pytest.skip(f"{path} not found: the notes are not beside this checkout")
    return tuple(path.read_text(encoding="utf-8").split("\n"))


def note_line(name: str, number: int) -> str:
    """Line ``number`` (counted from 1, as the notes are cited) of note ``name``; the test is
    skipped when the notes are not beside this checkout."""
    return _note_text(name)[number - 1]


def note_text(name: str) -> str:
    """The whole of note ``name`` (skipped like :func:`note_line`)."""
    return "\n".join(_note_text(name))


def assert_transcribed(printed) -> None:
    """A :class:`nnlib.notes.Printed` block's row k is on its note's line ``first_line + k``."""
    for k, row in enumerate(printed.lines):
        line_no = printed.first_line + k
        assert row in note_line(printed.file, line_no), f"{printed.file}:{line_no} does not contain {row!r}"


def changed_digits(row: str) -> list[str]:
    """``row`` with its first, middle and last digit changed by one, each in turn."""
    digits = [m.start() for m in re.finditer(r"\d", row)]
    assert digits, f"row {row!r} carries no number"
    return [row[:pos] + str((int(row[pos]) + 1) % 10) + row[pos + 1:]
            for pos in sorted({digits[0], digits[len(digits) // 2], digits[-1]})]


def toc_files() -> list[str]:
    """Every page of the book, as ``_toc.yml`` lists it (root first, no extensions)."""
    import yaml

    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    return [toc["root"]] + [c["file"] for part in toc["parts"] for c in part["chapters"]]


def notebooks() -> list[Path]:
    """Every chapter notebook, in reading order."""
    return sorted(CHAPTERS.glob("*.ipynb"))


def load(path: Path) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def source(path: Path, cell_type: str = "markdown") -> str:
    """All of a notebook's cells of ``cell_type``, one after another."""
    return "\n".join("".join(c["source"]) for c in load(path)["cells"] if c["cell_type"] == cell_type)


def markdown_text(path: Path) -> str:
    """All of a notebook's Markdown cells, whitespace runs collapsed to one space."""
    return " ".join(source(path).split())


def output_texts(out: dict, mime_types=("text/plain",)):
    """The texts one stored output shows: its stream, or its data of each of ``mime_types``."""
    if out["output_type"] == "stream":
        yield "".join(out["text"])  # a string, or the list of lines nbformat may store
    for key in mime_types:
        if key in out.get("data", {}):
            yield "".join(out["data"][key])


def stored_text(path: Path) -> list[str]:
    """All text a notebook's stored outputs show (streams and text/plain), as lines."""
    lines: list[str] = []
    for cell in load(path)["cells"]:
        for out in cell.get("outputs", []):
            for text in output_texts(out):
                lines.extend(text.splitlines())
    return lines


def stored_line(path: Path, prefix: str) -> str:
    """The first line of a notebook's stored outputs that starts with ``prefix``."""
    return next(s for s in stored_text(path) if s.startswith(prefix))


# What no cell output may show, in the stored notebooks (tests/book) or the built book (tests/browser);
# the chapters' deliberate "ValueError: ..." demonstrations are not matched.
NOISE = [
    (re.compile(r"Traceback \(most recent call last\)"), "a Python traceback"),
    (re.compile(r"(?m)^\s*[IWEF]\d{4} \d\d:\d\d:\d\d|\b[IWE]0000\b"), "a TensorFlow/absl log line"),
    (re.compile(r"oneDNN|cpu_feature_guard|absl::|TF_CPP_MIN_LOG_LEVEL"), "a TensorFlow start-up log line"),
    (re.compile(r"WARNING:|\b\w*Warning\b:|\b(User|Deprecation|Future|Runtime)Warning\b"), "a warning"),
    (re.compile(r"<function "), "a function repr"),
    (re.compile(r"\bat 0x[0-9a-fA-F]+"), "an object repr with its address"),
    (re.compile(r"<keras\.src\.callbacks\.history\.History"), "a Keras History repr"),
]

"""How much of a chapter's main path is about the study notes rather than the subject (issue 14).

A chapter is a lesson; the notes' forensics live in its last part, "## From the notes", which
the book collapses. Everything before that heading is the main path. A piece of the main path is
*notes provenance* when it is about the notes rather than the subject:
- a Markdown paragraph, list item or table row that names the notes (note 000-004, "the notes",
  "the note's"), TensorFlow 1 or its API (``tf.compat.v1``, ``tf.Session``, ``tf.placeholder``),
  or the Chinese sources;
- a code cell that uses ``nnlib.notes`` (what the notes printed), with its printed output;
- everything under a heading about the notes' forensics (Reproduce, Errata, Under the hood, the
  TensorFlow 1 mapping, which arithmetic gives the notes' digits), whatever it says.
Words are whitespace-separated tokens of Markdown, code and text output, as the issue counts them.

    python -m tests.book.lesson            # the table for every chapter
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

from tests.helpers import load, notebooks, output_texts

PART = "## From the notes"
_NOTES_TEXT = re.compile(
    r"\bnotes?\s+00[0-4]\b|\bthe\s+notes?\b|\bnote's\b|\bnotes'|\bTF ?1\b|TensorFlow 1\b|"
    r"tf\.compat\.v1|tf\.Session|tf\.placeholder|tf\.train\.\w+Optimizer|[\u4e00-\u9fff]{3,}",
    re.IGNORECASE)
_FORENSIC_HEADING = re.compile(r"(?m)^#{2,4} .*(Reproduc|Errat|Under the hood|TensorFlow 1|TF ?1|"
                               r"\bdigits?\b|\bnotes?\b|archaeolog)", re.IGNORECASE)
_NOTES_CODE = re.compile(r"\bnnlib\.notes\b|from nnlib\.notes import|\bnotes?\.[A-Za-z_]|\bnote_\w+\.")


def _words(text: str) -> int:
    return len(text.split())


def _pieces(markdown: str):
    """Paragraphs, list items and table rows of a Markdown cell (code fences stay whole)."""
    for block in re.split(r"\n\s*\n", markdown):
        lines = block.splitlines()
        if lines and re.match(r"\s*([-*+]|\d+\.|\|)\s", lines[0]) and not block.lstrip().startswith("```"):
            yield from lines
        else:
            yield block


def measure(path: Path) -> dict:
    """Words of the main path, how many of them are notes provenance, and words of the part."""
    main = prov = part = 0
    in_part = forensic = h2 = False
    for cell in load(path)["cells"]:
        src = "".join(cell["source"])
        if cell["cell_type"] == "markdown" and re.search(rf"(?m)^{re.escape(PART)}\s*$", src):
            in_part = True
        for level, title in re.findall(r"(?m)^(#{2,4}) (.*)$", src) if cell["cell_type"] == "markdown" else []:
            hit = bool(_FORENSIC_HEADING.search(f"{level} {title}"))
            h2 = hit if level == "##" else h2
            forensic = hit or (level != "##" and h2)
        out = " ".join(t for o in cell.get("outputs", []) for t in output_texts(o))
        n = _words(src) + _words(out)
        if in_part:
            part += n
            continue
        main += n
        if forensic:
            prov += n
        elif cell["cell_type"] == "markdown":
            prov += sum(_words(p) for p in _pieces(src) if _NOTES_TEXT.search(p))
        elif _NOTES_CODE.search(src):
            prov += n
    return {"main": main, "provenance": prov, "share": prov / main if main else 0.0, "part": part,
            "has_part": in_part}


def main(argv: list[str]) -> int:
    print(f"{'chapter':28} {'main words':>10} {'notes':>7} {'share':>6} {'part words':>10}")
    for path in notebooks():
        m = measure(path)
        part = m["part"] if m["has_part"] else "(none)"
        print(f"{path.stem:28} {m['main']:>10} {m['provenance']:>7} {m['share']:>6.0%} {part:>10}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

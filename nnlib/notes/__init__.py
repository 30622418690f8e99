"""What the five study notes printed, transcribed number for number, with file and line.

The notes live in ``shared/seeds/`` beside the repository (course material, not part of it).
A chapter shows a note's :class:`Printed` values next to its own, and the document ledger
(``tests/ledger.py``) checks every digit. One submodule per chapter (``nnlib.notes.learning_rate``,
...); this module holds what they share.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Printed", "NOTE_000", "NOTE_001", "NOTE_002", "NOTE_003", "NOTE_004",
           "compare_lines", "shows", "formatter", "LR_0_2", "LR_1", "LR_SLOW", "format_lr_trace"]

NOTE_000 = "000_4ca81fad504bb735.txt"
NOTE_001 = "001_74a1155c870f420d.txt"
NOTE_002 = "002_62c3e6089666419b.txt"
NOTE_003 = "003_99928f6c1ab2e452.txt"
NOTE_004 = "004_385524f38fad12f2.txt"


@dataclass(frozen=True)
class Printed:
    """What a note printed: ``text`` (one row per line) from ``file``, starting at ``first_line``.

    Row k is found on the note's line ``first_line + k`` (as the whole line, or as the exact
    fragment of it that carries the number). ``what`` says in our words what it is.
    """

    file: str
    first_line: int
    text: str
    what: str

    @property
    def lines(self) -> list[str]:
        """The printed rows, one string each."""
        return self.text.split("\n")

    @property
    def where(self) -> str:
        """``file:first-last`` as a citation."""
        last = self.first_line + len(self.lines) - 1
        return f"{self.file}:{self.first_line}" + (f"-{last}" if last != self.first_line else "")


def shows(fragment: str, lines) -> bool:
    """Whether ``fragment`` appears in one of ``lines`` as a whole number/word, not inside another.

    ``'0.9'`` is found in ``'[1.0, 0.9]'`` but not in ``'0.95'`` or ``'10.9'``.
    """
    pat = re.compile(r"(?<![\w.])" + re.escape(fragment) + r"(?!\w|\.\d)")
    return any(pat.search(line) for line in lines)


def compare_lines(ours, printed: Printed) -> str:
    """A short report comparing our lines with a note's, row by row (every chapter)."""
    theirs = printed.lines
    ours = list(ours)[: len(theirs)]
    same = sum(a == b for a, b in zip(ours, theirs))
    report = [f"{printed.where}: {same} of {len(theirs)} printed lines identical"]
    for i, (a, b) in enumerate(zip(ours, theirs)):
        if a != b:   # each row whole on a line of its own, the note's first
            report += [f"line {printed.first_line + i}, the note's then ours:", repr(b), repr(a)]
    if len(ours) < len(theirs):
        report.append(f"  ours has only {len(ours)} lines")
    return "\n".join(report)


def formatter(fmt: str, doc: str):
    """A function that prints its arguments into ``fmt`` (``str.format``) the way a note wrote them.

    ``doc`` is its docstring. The notes modules define their one-format ``format_*`` functions this way.
    """
    def format_(*values) -> str:
        return fmt.format(*values)

    format_.__doc__ = doc
    return format_


from .learning_rate import LR_0_2, LR_1, LR_SLOW, format_lr_trace  # noqa: E402  (chapter 4, re-exported)

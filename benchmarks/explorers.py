"""Each chapter's explorer, built outside the notebook for timing (used by benchmarks.run).

A chapter defines its explorer in a notebook cell, often from data computed earlier in the
chapter. :func:`load` runs the chapter's code cells in order in an in-process IPython shell
(headless Agg backend; outputs discarded) up to the cell that constructs the Explorer, runs that
cell without its ``.static()`` call, and returns the Explorer object. Nothing is written to
``chapters/``: the notebook is only read.
"""
from __future__ import annotations

import contextlib
import io
import json
import os
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = ROOT / "chapters"
_DEF = re.compile(r"^(\w+)\s*=\s*explore\.Explorer\(", re.M)


def chapters_with_explorers() -> list[Path]:
    """The chapter notebooks whose code constructs an Explorer, in reading order."""
    return [nb for nb in sorted(CHAPTERS.glob("[0-9][0-9]_*.ipynb"))
            if _DEF.search("\n".join("".join(c["source"]) for c in json.loads(nb.read_text())["cells"]
                                   if c["cell_type"] == "code"))]


def _code_cells(nb: Path):
    return ["".join(c["source"]) for c in json.loads(nb.read_text())["cells"]
            if c["cell_type"] == "code"]


def load(nb: Path | str):
    """Run ``nb``'s code (a path, a name in chapters/ or a number such as "03") up to its Explorer definition; return the Explorer (Agg backend)."""
    os.environ.setdefault("MPLBACKEND", "Agg")
    import matplotlib

    matplotlib.use("Agg")
    from IPython.core.interactiveshell import InteractiveShell

    nb = Path(nb)
    if not nb.exists():  # a name in chapters/, or just its number ("03")
        nb = next(iter(sorted(CHAPTERS.glob(f"{nb.name}*.ipynb"))), CHAPTERS / nb.name)
    cwd = os.getcwd()
    shell = InteractiveShell.instance()
    shell.user_ns.clear()
    shell.init_user_ns()
    os.chdir(nb.parent)  # notebooks run with the chapter folder as working directory
    try:
        for src in _code_cells(nb):
            m = _DEF.search(src)
            if m:
                src = "\n".join(l for l in src.splitlines() if not re.match(r"^\w+\.static\(\)", l))
            sink = io.StringIO()
            with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
                res = shell.run_cell(src, store_history=False, silent=True)
            if not res.success:
                raise RuntimeError(f"{nb.name}: a cell failed while building its explorer:\n"
                                   f"{src[:400]}\n{res.error_in_exec or res.error_before_exec}")
            if m:
                import matplotlib.pyplot as plt

                plt.close("all")
                return shell.user_ns[m.group(1)]
    finally:
        os.chdir(cwd)
    raise LookupError(f"{nb.name} constructs no explore.Explorer")


def moves(explorer, n: int = 20):
    """A control to move and ``n`` values for it: its grid values, cycled from after the default.

    The first control with more than one grid value (the one the built book varies too); every
    value differs from the one before, so every move is a real change.
    """
    c = next((c for c in explorer.controls if len(c.grid) > 1), None)
    if c is None:
        raise ValueError(f"explorer {explorer.name!r} has no control with two or more grid values")
    k = c.grid.index(c.default)
    return c.name, [c.grid[(k + 1 + i) % len(c.grid)] for i in range(n)]

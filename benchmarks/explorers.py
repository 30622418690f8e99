"""Each chapter's explorer, built outside the notebook for timing (used by benchmarks.run).

Every chapter ``chapters/NN_slug.ipynb`` exposes its explorer as ``nnlib.plots.<slug>.explorer``.
Chapters 1 to 12 build theirs from nothing: :func:`load` calls ``explorer()``. Chapters 13 to 16
draw data the notebook computes first (the regularized networks, the trained network's test
probabilities, the learning-rate sweep, the seven capstone runs), so their ``explorer`` takes it
as arguments; for
those, :func:`load` runs the notebook's code cells in order in an in-process IPython shell (Agg
backend, outputs discarded) with ``nnlib.plots.<slug>.explorer`` wrapped: the notebook's own call
builds the Explorer from the notebook's own data, and the run stops there. Nothing is written to
``chapters/``: the notebook is only read.
"""
from __future__ import annotations

import contextlib
import importlib
import inspect
import io
import json
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = ROOT / "chapters"


def chapters_with_explorers() -> list[Path]:
    """Every chapter notebook in reading order, then the appendices: each has an explorer."""
    return sorted(CHAPTERS.glob("[0-9][0-9]_*.ipynb")) + sorted(CHAPTERS.glob("appendix_*.ipynb"))


def _notebook(nb: Path | str) -> Path:
    nb = Path(nb)
    if not nb.exists():  # a name in chapters/, or just its number ("03")
        nb = next(iter(sorted(CHAPTERS.glob(f"{nb.name}*.ipynb"))), CHAPTERS / nb.name)
    return nb.resolve()


class _Built(Exception):
    """Raised by the wrapped ``explorer`` to stop the notebook once it has built its Explorer."""


def load(nb: Path | str):
    """The Explorer of chapter ``nb`` (a path, a name in chapters/ or a number such as "03"), Agg backend."""
    os.environ.setdefault("MPLBACKEND", "Agg")
    import matplotlib

    matplotlib.use("Agg")
    nb = _notebook(nb)
    module = importlib.import_module(f"nnlib.plots.{nb.stem[3:]}")
    explorer = getattr(module, "explorer", None)
    if explorer is None:
        raise LookupError(f"{nb.name}: nnlib.plots.{nb.stem[3:]} has no explorer()")
    needs_data = any(p.default is p.empty for p in inspect.signature(explorer).parameters.values())
    if not needs_data:
        return explorer()

    def wrapped(*args, **kwargs):
        raise _Built(explorer(*args, **kwargs))

    module.explorer = wrapped
    try:
        return _run_until_built(nb)
    finally:
        module.explorer = explorer


def _run_until_built(nb: Path):
    """Run ``nb``'s code cells until one calls its plots module's (wrapped) ``explorer``."""
    import matplotlib.pyplot as plt
    from IPython.core.interactiveshell import InteractiveShell

    cwd = os.getcwd()
    shell = InteractiveShell.instance()
    shell.user_ns.clear()
    shell.init_user_ns()
    os.chdir(nb.parent)  # notebooks run with the chapter folder as working directory
    try:
        for cell in json.loads(nb.read_text())["cells"]:
            if cell["cell_type"] != "code":
                continue
            sink = io.StringIO()
            with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
                res = shell.run_cell("".join(cell["source"]), store_history=False, silent=True)
            if isinstance(res.error_in_exec, _Built):
                plt.close("all")
                return res.error_in_exec.args[0]
            if not res.success:
                raise RuntimeError(f"{nb.name}: a cell failed before the explorer was built:\n"
                                   f"{''.join(cell['source'])[:400]}\n"
                                   f"{res.error_in_exec or res.error_before_exec}")
    finally:
        os.chdir(cwd)
    raise LookupError(f"{nb.name} never calls nnlib.plots.{nb.stem[3:]}.explorer")


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

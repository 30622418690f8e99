"""The Lab test runs each chapter cut to what its live explorer needs (tests/browser/lab.py explorer_slice),
and repeats a Run All that lost cells (lost_run)."""
from __future__ import annotations

import re

import pytest

from tests.browser.lab import explorer_slice, lost_run
from tests.helpers import load, notebooks


def _nb(*sources):
    return {"cells": [{"cell_type": "code", "source": s, "metadata": {}, "outputs": [],
                       "execution_count": 1} for s in sources], "metadata": {}}


def _kept(nb):
    return ["".join(c["source"]) for c in explorer_slice(nb)["cells"]]


def test_keeps_what_the_explorer_reads_and_drops_the_rest():
    nb = _nb("import numpy as np\nfrom nnlib import explore",
             "a = np.ones(3)",
             "unrelated = 2\nprint(unrelated)",
             "plt_like = a * 2\nnp.sum(a)",                    # np.sum(...) does not change np
             "model = make()\nmodel.fit(a)",
             "ex = explore.Explorer('x', lambda: plt_like + model)\nex.static()",
             "ex.live()",
             "after = 1")
    assert _kept(nb) == ["import numpy as np\nfrom nnlib import explore",
                         "a = np.ones(3)",
                         "plt_like = a * 2\nnp.sum(a)",
                         "model = make()\nmodel.fit(a)",
                         "ex = explore.Explorer('x', lambda: plt_like + model)\n",
                         "ex.live()"]


def test_a_cell_that_changes_a_needed_object_in_place_is_kept():
    nb = _nb("model = make()", "model.fit(1)", "other.fit(2)", "ex = E(model)", "ex.live()")
    assert _kept(nb) == ["model = make()", "model.fit(1)", "ex = E(model)", "ex.live()"]


def test_no_live_cell_is_an_error():
    with pytest.raises(ValueError, match="live"):
        explorer_slice(_nb("x = 1"))


@pytest.mark.parametrize("path", notebooks(), ids=lambda p: p.name.split("_")[0])
def test_every_chapter_slice_keeps_its_explorer(path):
    cells = explorer_slice(load(path))["cells"]
    sources = ["".join(c["source"]) for c in cells]
    assert sources[-1].strip().endswith(".live()")
    assert any(re.search(r"\bexplorer\(", s) for s in sources)  # nnlib.plots.<slug>.explorer(...)
    assert all(c["outputs"] == [] for c in cells)
    assert not any(".static()" in s for s in sources)


def test_names_a_function_binds_are_its_own():
    # backward() assigns X inside its body: that does not make the cell a producer of X
    nb = _nb("X = data()",
             "def backward():\n    X = other()\n    return X\nmodel = backward()",
             "ex = E(X, [x for x in range(3)], lambda v: v + 1)",
             "ex.live()")
    assert _kept(nb) == ["X = data()", "ex = E(X, [x for x in range(3)], lambda v: v + 1)", "ex.live()"]


def test_a_name_a_function_reads_from_outside_is_needed():
    nb = _nb("scale = 2", "w = 3", "def f(v, k=w):\n    return v * scale", "ex = E(f)", "ex.live()")
    assert _kept(nb) == ["scale = 2", "w = 3", "def f(v, k=w):\n    return v * scale", "ex = E(f)", "ex.live()"]


def test_a_method_call_whose_result_is_kept_still_changes_its_object():
    # chapter 14: history = model.fit(...) trains the model the explorer then reads
    nb = _nb("model = make()", "history = model.fit(1)", "ex = E(model)", "ex.live()")
    assert _kept(nb) == ["model = make()", "history = model.fit(1)", "ex = E(model)", "ex.live()"]


@pytest.mark.parametrize("prompts, lost", [
    (["[ ]:", "[1]:", "[ ]:"], True),          # the first cell never ran: its names are missing
    (["[3]:", "[1]:", "[2]:"], True),          # counts fall: the cells ran in two kernels
    (["[1]:", "[2]:", "[ ]:"], False),         # an error in cell 2 stops the run: a real result
    (["[4]:", "[5]:", "[6]:"], False),
    (["[ ]:", "[ ]:"], False),
])
def test_a_run_all_that_lost_cells_is_recognised(prompts, lost):
    assert lost_run(prompts) is lost

"""What readers see: the stored outputs of every chapter are complete and free of noise.

nbval re-runs each notebook and compares outputs; these checks look at the stored outputs
themselves, which are what the book renders.
"""
from __future__ import annotations

import re

import pytest

from tests.helpers import NOISE, load, notebooks, output_texts, source

NOTEBOOKS = notebooks()
IDS = [p.name for p in NOTEBOOKS]


def _outputs(nb):
    for i, cell in enumerate(nb["cells"]):
        for out in cell.get("outputs", []):
            yield i, cell, out


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_executed_top_to_bottom_in_one_fresh_kernel(path):
    nb = load(path)
    counts = [c["execution_count"] for c in nb["cells"] if c["cell_type"] == "code"]
    assert counts == list(range(1, len(counts) + 1)), f"execution counts {counts}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_no_errors_stderr_or_noise_in_stored_outputs(path):
    for i, cell, out in _outputs(load(path)):
        assert out["output_type"] != "error", f"cell {i} stored an error: {out.get('ename')}"
        assert out.get("name") != "stderr", f"cell {i} stored stderr: {out['text'][:200]!r}"
        for text in output_texts(out, ("text/plain", "text/html")):
            for pattern, what in NOISE:
                m = pattern.search(text)
                assert not m, f"cell {i} shows {what}: {text[max(0, m.start() - 60):m.end() + 60]!r}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_live_widget_cells_are_marked_for_the_book_and_nbval(path):
    for i, cell in enumerate(load(path)["cells"]):
        if cell["cell_type"] != "code":
            continue
        widget_out = any("application/vnd.jupyter.widget-view+json" in o.get("data", {})
                         for o in cell.get("outputs", []))
        if widget_out or re.search(r"\.live\(", "".join(cell["source"])):
            # JupyterLab only: the book leaves the cell out (no inert code without output, issue
            # 17), nbval runs it but does not compare its widget output
            tags = set(cell.get("metadata", {}).get("tags", []))
            assert {"remove-cell", "nbval-ignore-output"} <= tags, f"cell {i} tags {tags}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_every_explorer_has_a_kernel_free_version(path):
    if ".live()" not in source(path, "code"):
        pytest.skip("no explorer in this chapter")
    html = [t for _, _, o in _outputs(load(path)) for t in output_texts(o, ("text/html",))]
    assert any('class="nnlib-explorer"' in h and "<img data-key=" in h for h in html)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_no_widget_state_is_stored(path):
    """Widget state would make the book load a widget manager from a CDN for dead widgets."""
    assert "widgets" not in load(path).get("metadata", {})

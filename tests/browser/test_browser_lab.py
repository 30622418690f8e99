"""Every chapter's live explorer, in JupyterLab, in a real browser (Debian's Chromium).

One JupyterLab server for the module (``tests/browser/lab.py``: 127.0.0.1, a random token, a temporary
copy of the chapters). For each chapter: open it, clear and run all cells from the Run menu,
check that no cell shows an error or a traceback, move the live explorer's first slider with the
keyboard (chapter 13 has only drop-downs: the first one), and check that the figure changes —
a new image, different pixels; for an explorer with a browser port (nnlib.explore.WebWidget), that
the widget mounted, repainted without the kernel and looks different. Then, on a notebook of its
own, a widget's controls read and set from Python. A screenshot of each chapter is kept in
``_build/screenshots/lab/``. The kernel is shut down afterwards.

``NNLIB_LAB_CHAPTERS=/some/dir`` runs the same checks on other copies of the notebooks (used to
show that the test fails when an explorer stops responding).
"""
from __future__ import annotations

import time

import pytest
from playwright.sync_api import sync_playwright

from tests.browser import lab as L
from tests.browser import ARTIFACTS, launch
from tests.helpers import notebooks

SHOTS = ARTIFACTS / "lab"
CHAPTERS = [p.name for p in notebooks()]


@pytest.fixture(scope="module")
def lab():
    with L.lab_server() as server:
        yield server


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        b = launch(p)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    yield page
    context.close()


@pytest.mark.parametrize("name", CHAPTERS, ids=[n.split("_")[0] for n in CHAPTERS])
def test_live_explorer(page, lab, name):
    try:
        L.open_notebook(page, lab, name)
        L.run_all(page)
        errors = L.error_outputs(page)
        assert not errors, f"{name}: error output after Run All:\n" + "\n".join(errors)

        cell = L.live_cell(page)
        cell.scroll_into_view_if_needed()
        widget = L.web_widget(cell)
        if widget is not None:   # the book's in-browser explorer as a widget
            answers = int(widget.get_attribute("data-kernel-paints") or 0)
            moved = L.move_web(page, cell)
            if widget.get_attribute("data-kernel"):
                # chapter 15: the nearest trained rate at once, said so, then the kernel's exact run
                caption = widget.locator(".nnlib-web-caption")
                page.wait_for_function("([el, n]) => +(el.dataset.kernelPaints || 0) > n",
                                       arg=[widget.element_handle(), answers], timeout=L.MOVE_TIMEOUT * 1000)
                assert "(trained in the kernel)" in caption.inner_text(), caption.inner_text()
            errors = L.error_outputs(page)
            assert not errors, f"{name}: error output after moving the {moved}:\n" + "\n".join(errors)
            return
        before = L.wait_figure(cell)
        png_before = L.figure_png(cell)
        moved = L.move(page, cell)
        L.wait_figure_change(cell, before)
        png_after = L.figure_png(cell)
        assert png_after != png_before, f"{name}: moving the {moved} gave a new image with the same pixels"
        errors = L.error_outputs(page)
        assert not errors, f"{name}: error output after moving the {moved}:\n" + "\n".join(errors)
    finally:
        # The page as it was left (also when a check failed), scrolled to the live explorer.
        SHOTS.mkdir(parents=True, exist_ok=True)
        live = page.locator(".jp-CodeCell .jp-OutputArea .widget-vbox").first
        if live.count():
            live.scroll_into_view_if_needed()
        page.screenshot(path=SHOTS / f"{name.removesuffix('.ipynb')}.png")
        lab.shutdown_kernels(name)


WIDGET_NB = {"cells": [{"cell_type": "code", "execution_count": None, "id": "a1", "metadata": {}, "outputs": [],
                        "source": ["from nnlib.plots import learning_rate as lp\n", "ex = lp.explorer().live()\n", "ex"]}],
             "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}},
             "nbformat": 4, "nbformat_minor": 5}


READ_WAIT = 15   # seconds for a move to reach the kernel


def test_a_web_widget_reads_and_sets_its_controls_from_python(page, lab):
    """Chapter 4's explorer as a widget: a keyboard move in the browser is what ``ex.lr`` reads in
    the kernel, and ``ex.lr = 0.9`` in the kernel moves the slider and repaints."""
    import json

    name = "widget_check.ipynb"
    (lab.root / "chapters" / name).write_text(json.dumps(WIDGET_NB), encoding="utf-8")
    try:
        L.open_notebook(page, lab, name)
        L.run_all(page)
        cell = page.locator(".jp-NotebookPanel .jp-CodeCell").first
        widget = L.web_widget(cell)
        assert widget is not None, "the widget did not mount"
        slider = widget.locator('[data-web-control="lr"]')
        slider.focus()
        for _ in range(5):
            page.keyboard.press("ArrowRight")
        shown = widget.locator("output").first.inner_text()
        assert float(shown) > 0.2
        # The browser sends the slider's value to the kernel one message at a time: ipywidgets
        # holds a move back until the kernel has finished with the one before. A cell run at once
        # can be executed before the last move arrives, so read ex.lr until the kernel has it (a
        # value that never arrives, or a wrong one, still fails after READ_WAIT seconds).
        cell.click()
        L.type_cell_below(page, "print(f'{ex.lr:.4g}')")
        reader = page.locator(".jp-NotebookPanel .jp-CodeCell").nth(1)
        reads, deadline = [], time.monotonic() + READ_WAIT
        while not reads or (reads[-1] != shown and time.monotonic() < deadline):
            reads.append(L.run_in_place(page, reader))
        assert reads[-1] == shown, (f"the slider shows {shown}; Python read {sorted(set(reads))}"
                                 f" in {len(reads)} runs over {READ_WAIT} s")
        L.type_cell_below(page, "ex.lr = 0.9")
        page.keyboard.press("Shift+Enter")
        page.wait_for_function("(el) => el.querySelector('output').textContent === '0.9'",
                               arg=widget.element_handle(), timeout=10_000)
        assert not L.error_outputs(page)
    finally:
        lab.shutdown_kernels(name)


OWN_NB = {"cells": [{"cell_type": "code", "execution_count": None, "id": f"o{i}", "metadata": {}, "outputs": [],
                     "source": [src]} for i, src in enumerate([
    "from nnlib.plots import learning_rate as lp\n"
    "lp.explorer().live(loss=lambda w: w**4 - 3 * w**2 + w)",
    "from nnlib.plots import optimizers as op\n"
    "op.explorer().live(loss=lambda x, y: (1 - x)**2 + 5 * (y - x**2)**2, xlim=(-2, 2), ylim=(-1, 3))"])],
          "metadata": WIDGET_NB["metadata"], "nbformat": 4, "nbformat_minor": 5}


def test_a_learners_own_function_computes_in_the_kernel(page, lab):
    """Chapters 4 and 8: ``live(loss=...)`` with the learner's own loss draws what the kernel
    computed through nnlib, and a keyboard move asks the kernel again and repaints."""
    import json

    name = "own_check.ipynb"
    (lab.root / "chapters" / name).write_text(json.dumps(OWN_NB), encoding="utf-8")
    try:
        L.open_notebook(page, lab, name)
        L.run_all(page)
        assert not L.error_outputs(page)
        for k in range(2):
            cell = page.locator(".jp-NotebookPanel .jp-CodeCell").nth(k)
            widget = L.web_widget(cell)
            assert widget is not None, f"cell {k}: the widget did not mount"
            caption = widget.locator(".nnlib-web-caption")
            assert "computed in the kernel" in caption.inner_text(), caption.inner_text()
            before = caption.inner_text()
            moved = L.move_web(page, cell)   # repainted once the kernel's answer arrived
            assert caption.inner_text() != before, f"cell {k}: the caption did not change after {moved}"
            assert "computed in the kernel" in caption.inner_text()
        assert not L.error_outputs(page)
    finally:
        lab.shutdown_kernels(name)

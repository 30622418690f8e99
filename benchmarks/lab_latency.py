"""JupyterLab slider-to-paint latency per chapter, for benchmarks/run.py (its ``lab`` part).

Built on the JupyterLab test's machinery (:mod:`tests.browser.lab`: one server over the chapters
cut to their explorers, Run All, the live cell's controls). Run on its own:
``python -m benchmarks.lab_latency [chapter.ipynb ...]`` prints one median per chapter.
"""
from __future__ import annotations

import statistics
import sys

from playwright.sync_api import TimeoutError as PlaywrightTimeout

from benchmarks.web_latency import web_latency
from tests.browser.lab import (MOVE_TIMEOUT, SOURCE, lab_server, live_cell, move, open_notebook,
                               run_all, wait_figure, web_widget)

_LATENCY_JS = """(cell) => {
  const st = window.__nnlibLatency = {t0: null, pending: false, samples: []};
  const start = () => { if (!st.pending) { st.t0 = performance.now(); st.pending = true; } };
  document.addEventListener('keydown', start, true);
  // a drop-down is changed by select_option: no key press, but an input event at the choice
  document.addEventListener('input', (e) => { if (e.target.tagName === 'SELECT') start(); }, true);
  const painted = (img) => {
    const t0 = st.t0;
    st.pending = false;
    const done = () => requestAnimationFrame(() => setTimeout(
      () => st.samples.push(performance.now() - t0), 0));
    (img.decode ? img.decode() : Promise.resolve()).then(done, done);
  };
  new MutationObserver((muts) => {
    if (!st.pending) return;
    for (const m of muts) {
      if (m.type === 'attributes' && m.target.tagName === 'IMG') return painted(m.target);
      for (const n of m.addedNodes) {
        if (n.nodeType !== 1) continue;
        const img = n.tagName === 'IMG' ? n : n.querySelector('img');
        if (img) return painted(img);
      }
    }
  }).observe(cell.querySelector('.jp-OutputArea'),
             {subtree: true, childList: true, attributes: true, attributeFilter: ['src']});
}"""


def live_latency(page, moves: int = 20, timeout: float = MOVE_TIMEOUT) -> float:
    """Median ms from a slider key press to the new figure painted, over ``moves`` moves.

    Call after the notebook has run. A capture-phase ``keydown`` listener stamps the press
    (``performance.now()``; for a drop-down, the ``input`` event of the choice); a MutationObserver on the live cell's output area sees the new image
    (a new ``<img>`` or a new ``src``), waits for it to decode, then for the next animation frame
    and the task after it (the frame with the image is painted); the difference is one sample.
    Moves alternate right / left, so the slider stays near its default.
    """
    cell = live_cell(page)
    wait_figure(cell, timeout)
    cell.evaluate(_LATENCY_JS)
    for i in range(moves):
        move(page, cell, "ArrowRight" if i % 2 == 0 else "ArrowLeft")
        try:
            page.wait_for_function(f"() => window.__nnlibLatency.samples.length >= {i + 1}",
                                   timeout=timeout * 1000, polling=50)
        except PlaywrightTimeout:
            raise AssertionError(f"move {i + 1}: no new figure within {timeout} s") from None
    samples = page.evaluate("() => window.__nnlibLatency.samples")
    return statistics.median(samples)


def latencies(names, moves: int = 20, log=print):
    """Median slider-to-paint latency (ms) of each chapter in ``names``: one Lab, one browser.

    Returns ``(rows, errors, whole)``: the latency of each chapter that could be measured, the
    first line of the error of each that could not (the others are still measured), and, for a
    widget that computes in steps or asks the kernel, the median move to its whole result painted
    (the last steps; the kernel's answer). ``log`` gets one progress line per chapter.
    """
    from playwright.sync_api import sync_playwright

    from tests.browser import launch

    rows, errors, whole = {}, {}, {}
    with lab_server() as lab, sync_playwright() as p:
        browser = launch(p)
        try:
            for i, name in enumerate(names, 1):
                log(f"lab [{i}/{len(names)}] {name}: run all cells, then {moves} moves ...")
                context = browser.new_context(viewport={"width": 1280, "height": 1000})
                page = context.new_page()
                try:
                    open_notebook(page, lab, name)
                    run_all(page)
                    widget = web_widget(live_cell(page))
                    if widget is not None:   # the in-browser explorer as a widget (issue 17)
                        got = web_latency(page, widget, moves, complete=True)
                        rows[name] = got["first"]
                        if got["complete"] is not None:   # in steps, or asks the kernel
                            whole[name] = got["complete"]
                    else:
                        rows[name] = live_latency(page, moves)
                    log(f"lab {name}: {rows[name]:.0f} ms")
                except Exception as exc:  # noqa: BLE001  (reported; the other chapters go on)
                    errors[name] = f"{type(exc).__name__}: {exc}".splitlines()[0][:300]
                    log(f"lab {name}: FAILED {errors[name]}")
                finally:
                    context.close()
                    lab.shutdown_kernels(name)
        finally:
            browser.close()
    return rows, errors, whole


if __name__ == "__main__":  # python -m benchmarks.lab_latency [chapter.ipynb ...]: latency per chapter
    names = sys.argv[1:] or [p.name for p in sorted(SOURCE.glob("*.ipynb"))]
    rows, errors, whole = latencies(names, log=lambda line: None)
    for name, ms in rows.items():
        print(f"{name}\t{ms:.0f} ms" + (f" (whole result {whole[name]:.0f} ms)" if name in whole else ""))
    for name, err in errors.items():
        print(f"{name}\tFAILED {err}")
    sys.exit(1 if errors else 0)

"""Control-to-paint latency of an explorer computed in the browser (issue 17), in the built book
and in JupyterLab's widget alike, for benchmarks/run.py (its ``bookjs`` and ``lab`` parts).

A capture-phase ``input`` listener on the explorer stamps the move (``performance.now()``) before
the control's own handler recomputes and redraws; a bubble-phase listener, which runs after that
handler, waits for the next animation frame and the task after it (the frame with the new charts
is painted); the difference is one sample. For a widget that computes in the kernel (its root has
``data-kernel``) the sample ends when the kernel's answer is painted. The moves are real input
events on the first slider
(or, in an explorer with only menus, the first menu), as :func:`tests.browser.move` makes them.
"""
from __future__ import annotations

import statistics

from benchmarks.book_latency import AFTER_PAINT_JS
from tests.browser import move

_LATENCY_JS = """root => {
  if (root.__nnlibWebLatency) { return; }
  const st = root.__nnlibWebLatency = {samples: []};
  const afterPaint = """ + AFTER_PAINT_JS + """;
  let t0 = null;
  root.addEventListener('input', () => { t0 = performance.now(); }, true);
  root.addEventListener('input', () => {
    const start = t0;
    if (!root.dataset.kernel) { afterPaint(() => st.samples.push(performance.now() - start)); return; }
    // a widget that asks the kernel (chapter 15 in JupyterLab): painted once its answer is drawn
    const n = +(root.dataset.paints || 0);
    const wait = () => (+(root.dataset.paints || 0) > n
      ? afterPaint(() => st.samples.push(performance.now() - start)) : requestAnimationFrame(wait));
    wait();
  }, false);
}"""


def web_latency(page, root, moves: int = 20, samples: bool = False):
    """Median ms from a control move to the repainted charts of the ``.nnlib-web`` element
    ``root`` (a Playwright locator), over ``moves`` moves; with ``samples=True`` also the list."""
    root.scroll_into_view_if_needed()
    root.evaluate(_LATENCY_JS)
    base = root.evaluate("r => r.__nnlibWebLatency.samples.length")
    control = root.locator('input[type="range"][data-web-control]').first
    if not control.count():
        control = root.locator("select[data-web-control]").first
    for i in range(moves):
        move(page, control)
        page.wait_for_function("([r, n]) => r.__nnlibWebLatency.samples.length >= n",
                               arg=[root.element_handle(), base + i + 1], timeout=10_000)
    times = root.evaluate("r => r.__nnlibWebLatency.samples")[base:]
    return (statistics.median(times), times) if samples else statistics.median(times)


def first_paint(page, url: str, runs: int = 5) -> float:
    """Median ms from navigation start to the page's first in-browser explorer drawn (its first
    update: controls built, computed, charts drawn), over ``runs`` fresh loads of ``url``."""
    times = []
    for _ in range(runs):
        page.goto(url, wait_until="load")
        page.wait_for_function("() => !!document.querySelector('.nnlib-web[data-first-paint]')", timeout=10_000)
        times.append(float(page.evaluate(
            "() => document.querySelector('.nnlib-web[data-first-paint]').dataset.firstPaint")))
    return statistics.median(times)

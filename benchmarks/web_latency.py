"""Control-to-paint latency of an explorer computed in the browser (issue 17), in the built book
and in JupyterLab's widget alike, for benchmarks/run.py (its ``bookjs`` and ``lab`` parts).

A capture-phase ``input`` listener on the explorer stamps the move (``performance.now()``) before
the control's own handler recomputes and redraws; a bubble-phase listener, which runs after that
handler, waits for the next animation frame and the task after it (the frame with the new charts
is painted); the difference is one sample. For a widget that computes in the kernel (its root has
``data-kernel``) the sample ends at its first paint after the move and the *complete* sample
(below) when the kernel's answer is painted. An explorer that computes in
steps (explore.js ``progressive``: chapters 9 and 10) draws its first partial result in the move's
frame and the rest over the following frames: its sample is the move to that first painted
frame, and a second sample, *complete*, runs to the frame that shows the whole result (for a
move whose result came in its first frame, e.g. from the module's cache, the two are the same).

The moves are ``input`` events on the first slider (or, in an explorer with only menus, the first
menu). A slider is set to positions spread over its whole range (a golden-ratio sequence), each a
position whose value differs from the one before, so every move is a real change and the
settings sampled cover the range, expensive ones included; a menu steps to its next option.
"""
from __future__ import annotations

import statistics

from benchmarks.book_latency import AFTER_PAINT_JS
from tests.browser import move

_LATENCY_JS = """root => {
  if (root.__nnlibWebLatency) { return; }
  const st = root.__nnlibWebLatency = {samples: [], complete: []};
  const afterPaint = """ + AFTER_PAINT_JS + """;
  let t0 = null, before = {};
  const count = (key) => +(root.dataset[key] || 0);
  root.addEventListener('input', () => {
    t0 = performance.now();
    before = {paints: count('paints'), kernelPaints: count('kernelPaints')};   // before the move's own paint
  }, true);
  root.addEventListener('input', () => {
    const start = t0;
    if (root.dataset.kernel) {
      // a widget that asks the kernel (a learner's own function; chapter 15 in JupyterLab):
      // painted at its first paint after the move (chapter 15 draws the nearest trained rate at
      // once), whole once the kernel's answer is drawn
      st.stepped = true;
      const n = before.paints, m = before.kernelPaints;
      const first = () => (count('paints') > n
        ? afterPaint(() => st.samples.push(performance.now() - start)) : requestAnimationFrame(first));
      const whole = () => (count('kernelPaints') > m
        ? afterPaint(() => st.complete.push(performance.now() - start)) : requestAnimationFrame(whole));
      first();
      whole();
      return;
    }
    if (!root.dataset.busy) {   // the whole result is in this frame
      afterPaint(() => { const t = performance.now() - start; st.samples.push(t); st.complete.push(t); });
      return;
    }
    // computed in steps: the first frame, and the frame that shows the whole result
    st.stepped = true;
    afterPaint(() => st.samples.push(performance.now() - start));
    const n = count('completes');
    const wait = () => (count('completes') > n
      ? afterPaint(() => st.complete.push(performance.now() - start)) : requestAnimationFrame(wait));
    wait();
  }, false);
}"""

# set a slider to a position whose value (as the explorer shows it) differs from the current one
_SLIDE_JS = """(el, target) => {
  const top = parseInt(el.max, 10), label = el.closest('label');
  const out = label ? label.lastChild : null, shown = () => (out ? out.textContent : el.value);
  const before = shown();
  for (let k = 0; k <= top; k++) {
    const pos = (target + k) % (top + 1);
    if (String(pos) === el.value) continue;
    el.value = String(pos);
    el.dispatchEvent(new Event('input', {bubbles: true}));
    if (shown() !== before) return pos;
  }
  return -1;
}"""


def _positions(top: int, moves: int) -> list[int]:
    """``moves`` slider positions spread over 0..top (golden-ratio sequence)."""
    return [round(((0.5 + i * 0.6180339887) % 1.0) * top) for i in range(moves)]


def web_latency(page, root, moves: int = 20, samples: bool = False, complete: bool = False):
    """Median ms from a control move to the repainted charts of the ``.nnlib-web`` element
    ``root`` (a Playwright locator), over ``moves`` moves; with ``samples=True`` also the list;
    with ``complete=True`` a dict {"first": median, "complete": median or None (an explorer that
    draws its whole result at once)}."""
    root.scroll_into_view_if_needed()
    root.evaluate(_LATENCY_JS)
    base = root.evaluate("r => r.__nnlibWebLatency.samples.length")
    control = root.locator('input[type="range"][data-web-control]').first
    slider = bool(control.count())
    if not slider:
        control = root.locator("select[data-web-control]").first
    top = int(control.evaluate("el => parseInt(el.max, 10)")) if slider else 0
    for i, pos in enumerate(_positions(top, moves)):
        if slider:
            if control.evaluate(_SLIDE_JS, pos) < 0:
                raise RuntimeError("the slider has no position that changes the explorer's value")
        else:
            move(page, control)
        page.wait_for_function(
            "([r, n]) => r.__nnlibWebLatency.samples.length >= n && r.__nnlibWebLatency.complete.length >= n",
            arg=[root.element_handle(), base + i + 1], timeout=30_000)
    st = root.evaluate("r => r.__nnlibWebLatency")
    times, full = st["samples"][base:], st["complete"][base:]
    if complete:
        return {"first": statistics.median(times),
                "complete": statistics.median(full) if st.get("stepped") else None}
    return (statistics.median(times), times) if samples else statistics.median(times)


def first_paint(page, url: str, runs: int = 5, detail: bool = False):
    """Median ms from navigation start to the page's first in-browser explorer drawn (its first
    update: controls built, computed, charts drawn), over ``runs`` loads of ``url``, each a
    navigation from another page with the browser's cache warm (a reader moving through the
    book); with
    ``detail=True`` a dict that also has the median ms to the document's ``domInteractive`` (the
    HTML parsed and the head's synchronous scripts run: the page's own share, before the
    explorer's module can start)."""
    times, ready = [], []
    for _ in range(runs):
        # arrive from another page, as a reader following a link does: a goto to the URL the page
        # already shows is a reload, which revalidates every file the page uses and measures that
        page.goto("about:blank")
        page.goto(url, wait_until="load")
        page.wait_for_function("() => !!document.querySelector('.nnlib-web[data-first-paint]')", timeout=10_000)
        t, i = page.evaluate("""() => [+document.querySelector('.nnlib-web[data-first-paint]').dataset.firstPaint,
                                      performance.getEntriesByType('navigation')[0].domInteractive]""")
        times.append(float(t))
        ready.append(float(i))
    if detail:
        return {"first": statistics.median(times), "interactive": statistics.median(ready)}
    return statistics.median(times)

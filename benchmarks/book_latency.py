"""Kernel-free explorer latency in the built book, for benchmarks/run.py (its ``bookjs`` part).

Built on the browser tests' helpers (:mod:`tests.browser`: the page server, Chromium, one real
move of a control). The measurement raises if a move does not paint a new frame.
"""
from __future__ import annotations

import math
import statistics

from tests.browser import VISIBLE_FRAME_JS, move

# Calls `done` in the task after the next animation frame: the frame's rendering steps have run, so
# what the move changed is painted (web_latency.py measures the in-browser explorers the same way).
AFTER_PAINT_JS = """(done) => requestAnimationFrame(() => {
  const ch = new MessageChannel();
  ch.port1.onmessage = done;
  ch.port2.postMessage(null);
})"""

# Installed once per explorer: for every move, performance.now() when the input event starts
# dispatching (a capture listener on the explorer, so before the control's own oninput handler),
# then, after the handler has swapped the <img>, the next requestAnimationFrame and a message
# posted from it (a task that runs after that frame's rendering steps: the new frame is painted).
_LATENCY_JS = """root => {
  if (root.__nnlibLatency) { return; }
  const shownKey = () => (""" + VISIBLE_FRAME_JS + """)(root)[0] || null;
  const state = root.__nnlibLatency = {samples: [], errors: []};
  let t0 = null, before = null;
  root.addEventListener('input', () => { t0 = performance.now(); before = shownKey(); }, true);
  root.addEventListener('input', () => {
    const start = t0, after = shownKey();
    if (after === null || after === before) {
      state.errors.push('frame did not change: ' + before + ' -> ' + after);
      state.samples.push(NaN);
      return;
    }
    (""" + AFTER_PAINT_JS + """)(() => state.samples.push(performance.now() - start));
  }, false);
}"""



def kernel_free_latency(page, explorer_locator, moves: int = 20, samples: bool = False):
    """Median ms from moving a kernel-free control to the new frame painted, over ``moves`` moves.

    Moves (:func:`move`) the explorer's first range input, or, in explorers without one, its first
    select or checkbox. With ``samples=True`` also returns the list of per-move times.
    """
    explorer_locator.scroll_into_view_if_needed()
    explorer_locator.evaluate(_LATENCY_JS)
    kinds = ('input[type="range"][data-control]', "select[data-control]", 'input[type="checkbox"][data-control]')
    found = [explorer_locator.locator(k).first for k in kinds if explorer_locator.locator(k).count()]
    if not found:
        raise AssertionError("explorer has no range, select or checkbox control")
    base = explorer_locator.evaluate(
        "root => [root.__nnlibLatency.samples.length, root.__nnlibLatency.errors.length]")
    for i in range(moves):
        move(page, found[0])
        page.wait_for_function("([root, n]) => root.__nnlibLatency.samples.length >= n",
                               arg=[explorer_locator.element_handle(), base[0] + i + 1],
                               timeout=10_000)
    state = explorer_locator.evaluate("root => root.__nnlibLatency")
    times, errors = state["samples"][base[0]:], state["errors"][base[1]:]
    if errors or not all(math.isfinite(t) and t > 0 for t in times):
        raise AssertionError(f"kernel-free explorer did not paint a new frame on every move: "
                             f"{errors[:3]} samples={times}")
    med = statistics.median(times)
    return (med, times) if samples else med

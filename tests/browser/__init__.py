"""Shared by the real-browser tests: Debian's Chromium driven by Playwright, and local servers.

Playwright cannot download its own browser here, so it drives ``/usr/bin/chromium`` (Debian's
package; ``make test`` installs it when it runs as root). When the browser is missing, the
browser tests fail with a message saying so: they never pass silently.
"""
from __future__ import annotations

import contextlib
import functools
import http.server
import os
import shutil
import socket
import threading
from pathlib import Path

import pytest

from tests.helpers import HTML, ROOT

CHROMIUM = os.environ.get("NNLIB_CHROMIUM", "/usr/bin/chromium")
# What the machine's closed network needs: no background connections, no first-run, no QUIC.
CHROMIUM_ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage",
]
ARTIFACTS = Path(os.environ.get("NNLIB_ARTIFACTS", ROOT / "_build" / "screenshots"))


def require_chromium() -> str:
    """The browser's path, or a loud failure that says how to get it."""
    path = shutil.which(CHROMIUM) or (CHROMIUM if Path(CHROMIUM).exists() else None)
    if not path:
        pytest.fail(
            f"BROWSER TESTS CANNOT RUN: no Chromium at {CHROMIUM}. As root, `make test` installs it "
            "(apt-get install chromium); otherwise install Debian's chromium package or set "
            "NNLIB_CHROMIUM to a Chromium binary.", pytrace=False)
    return path


def launch(playwright, *extra_args):
    """A headless Chromium from Debian, with a fresh profile (``extra_args`` after ours)."""
    return playwright.chromium.launch(executable_path=require_chromium(), args=[*CHROMIUM_ARGS, *extra_args],
                                      headless=True)


def free_port() -> int:
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # no request log in the test output
        pass


@contextlib.contextmanager
def serve(directory: Path = HTML):
    """Serve ``directory`` over HTTP on 127.0.0.1 (a free port); yields the base URL."""
    if not (Path(directory) / "index.html").exists():
        pytest.fail(f"{directory} has no index.html: build the book first (`make book`).",
                    pytrace=False)
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


# -- the book's kernel-free explorers (nnlib.explore.Explorer.static) ---------------------------

VISIBLE_FRAME_JS = """root => {
  const shown = Array.from(root.querySelectorAll('img[data-key]'))
    .filter(img => getComputedStyle(img).display !== 'none');
  return shown.map(img => img.dataset.key);
}"""

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
    requestAnimationFrame(() => {
      const ch = new MessageChannel();
      ch.port1.onmessage = () => state.samples.push(performance.now() - start);
      ch.port2.postMessage(null);
    });
  }, false);
}"""


def move(page, control) -> str:
    """Move one kernel-free control with real input events; returns what was done.

    A range input gets ArrowRight (ArrowLeft at its last grid value), a select its next option, a
    checkbox a click: each move shows another frame.
    """
    tag, kind = control.evaluate("el => [el.tagName, el.type]")
    if tag == "SELECT":
        n, i = control.evaluate("el => [el.options.length, el.selectedIndex]")
        control.select_option(index=(i + 1) % n)
        return f"select option {(i + 1) % n}"
    if kind == "checkbox":
        control.click()
        return "click the checkbox"
    value, top = control.evaluate("el => [parseInt(el.value, 10), parseInt(el.max, 10)]")
    key = "ArrowLeft" if value >= top else "ArrowRight"
    control.focus()
    page.keyboard.press(key)
    return f"press {key} on the range at {value}/{top}"


def kernel_free_latency(page, explorer_locator, moves: int = 20, samples: bool = False):
    """Median ms from moving a kernel-free control to the new frame painted, over ``moves`` moves.

    Moves (:func:`move`) the explorer's first range input, or, in explorers without one, its first
    select or checkbox. With ``samples=True`` also returns the list of per-move times.
    """
    import math
    import statistics

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

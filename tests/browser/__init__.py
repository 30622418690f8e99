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


def launch(playwright, *extra_args):
    """A headless Chromium from Debian, with a fresh profile (``extra_args`` after ours); without
    the browser, a loud failure that says how to get it."""
    path = shutil.which(CHROMIUM)
    if not path:
        pytest.fail(
            f"BROWSER TESTS CANNOT RUN: no Chromium at {CHROMIUM}. As root, `make test` installs it "
            "(apt-get install chromium); otherwise install Debian's chromium package or set "
            "NNLIB_CHROMIUM to a Chromium binary.", pytrace=False)
    return playwright.chromium.launch(executable_path=path, args=[*CHROMIUM_ARGS, *extra_args])


def free_port() -> int:
    with socket.socket() as s:  # IPv4, TCP
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
    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler) as server:  # closed on exit
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            yield f"http://127.0.0.1:{server.server_address[1]}"
        finally:
            server.shutdown()


# -- the book's kernel-free explorers (nnlib.explore.Explorer.static) ---------------------------

VISIBLE_FRAME_JS = """root => {
  const shown = Array.from(root.querySelectorAll('img[data-key]'))
    .filter(img => getComputedStyle(img).display !== 'none');
  return shown.map(img => img.dataset.key);
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

"""The explorers computed in the browser (issue 17), in Debian's Chromium on the built book.

Each chapter module in ``nnlib/web/nnlib-web/`` ports the chapter's computation to JavaScript;
here its ``compute`` runs on at least 100 random settings and is compared with nnlib: bit for
bit, since both round every operation to float32 in the same order. Then the page itself: the
state round-trips through the URL hash, the keyboard moves a slider, the reset button restores the
defaults, and a control move repaints in under 16 ms (median).
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from nnlib import learning_rate
from tests.browser import launch, serve
from tests.helpers import HTML

BOOK = Path(os.environ.get("NNLIB_BOOK_HTML", HTML))
LR_PAGE = "chapters/04_learning_rate.html"
MOUNTED = "() => document.querySelector('.nnlib-web[data-mounted]') !== null"


@pytest.fixture(scope="module")
def book():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p, serve(BOOK) as base:
        browser = launch(p, "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1")
        context = browser.new_context(viewport={"width": 1280, "height": 900})

        def open_page(page_name, hash_=""):
            page = context.new_page()
            errors = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(f"{base}/{page_name}{hash_}", wait_until="load")
            page.wait_for_function(MOUNTED, timeout=10_000)
            page.errors = errors
            return page

        yield open_page
        context.close()
        browser.close()


def _settings(rng, n=200):
    """Random settings over the explorer's whole range (log-uniform rate), and a few beyond it that
    overflow float32, to compare the divergence path too."""
    out = [{"lr": float(10 ** rng.uniform(-4, np.log10(1.2))), "w0": float(rng.uniform(-8, 8)),
            "num_steps": int(rng.integers(1, 101))} for _ in range(n)]
    out += [{"lr": 1.0, "w0": 5.0, "num_steps": 100}, {"lr": 0.5, "w0": -6.0, "num_steps": 3},
            {"lr": 60.0, "w0": 5.0, "num_steps": 100}, {"lr": 1e4, "w0": 0.3, "num_steps": 50}]
    return out


def test_learning_rate_javascript_matches_nnlib_bit_for_bit(book):
    page = book(LR_PAGE)
    settings = _settings(np.random.default_rng(17))
    results = page.evaluate("s => s.map(p => nnlibWeb.modules.learning_rate.compute(p))", settings)
    diverged = 0
    for params, js in zip(settings, results):
        tr = learning_rate.gd_trace(learning_rate.quadratic_grad, params["w0"], params["lr"],
                                    params["num_steps"])
        ours = tr.w.ravel()
        theirs = np.array(js["w"], dtype=np.float64)
        assert np.array_equal(theirs, ours.astype(np.float64)), params   # every w, every bit
        with np.errstate(over="ignore"):   # the runs that overflow: inf in both
            loss = learning_rate.quadratic_loss(ours).astype(np.float64)
        assert np.array_equal(np.array(js["loss"], dtype=np.float64), loss), params
        assert js["divergedAt"] == tr.diverged_at, params
        diverged += tr.diverged_at is not None
    assert diverged == 2 and len(settings) >= 100   # the overflow path was compared too
    assert not page.errors


def test_url_hash_keyboard_and_reset(book):
    page = book(LR_PAGE, "#learning-rate:lr=0.45,w0=-6,num_steps=37")
    web = page.locator(".nnlib-web")
    shown = web.locator("output").all_inner_texts()
    assert shown == ["0.45", "-6", "37"], shown
    assert web.locator(".nnlib-web-caption").inner_text().startswith("lr = 0.45: converges")
    lr = web.locator('[data-web-control="lr"]')
    lr.focus()
    for _ in range(10):
        page.keyboard.press("ArrowRight")
    moved = float(web.locator("output").first.inner_text())
    assert moved > 0.45
    # keyboard focus is visible (explore.css: a 3-px outline on :focus-visible)
    assert lr.evaluate("el => getComputedStyle(el).outlineStyle") != "none"
    assert "lr%3D" in page.evaluate("location.hash")     # the new state is in the URL
    again = book(LR_PAGE, page.evaluate("location.hash"))
    assert again.locator(".nnlib-web output").first.inner_text() == str(moved)
    web.get_by_role("button", name="reset every control to its default").click()
    assert web.locator("output").all_inner_texts() == ["0.2", "5", "20"]
    assert not page.errors and not again.errors


def test_a_control_move_repaints_in_under_16_ms(book):
    """Median over 60 moves of the time from the input event to the charts redrawn (the work
    uPlot does on setData runs before the next microtask checkpoint)."""
    page = book(LR_PAGE)
    times = page.evaluate("""async () => {
        const el = document.querySelector('[data-web-control="lr"]'), out = [];
        for (let k = 0; k < 60; k++) {
            el.value = String(200 + 10 * k);
            const t0 = performance.now();
            el.dispatchEvent(new Event('input', {bubbles: true}));
            await Promise.resolve();
            out.push(performance.now() - t0);
        }
        return out;
    }""")
    assert np.median(times) < 16, f"median {np.median(times):.1f} ms"

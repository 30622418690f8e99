"""The built book in a real browser (Debian's Chromium via Playwright), served on 127.0.0.1.

For every page in ``_toc.yml``: no console or page errors, no request off 127.0.0.1, no Python
traceback or log line in a cell output, every formula typeset by MathJax, every image loaded, and a
full-page screenshot kept in ``ARTIFACTS`` for a person to look at. On every chapter with a
kernel-free explorer, moving each control with real input events shows another frame. Figures
keep a light background in the theme's dark mode.

``NNLIB_BOOK_HTML`` points the tests at another built book (default ``_build/html``), e.g. a
scratch copy with a broken explorer, to show that they fail.
"""
from __future__ import annotations

import io
import os
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.browser import ARTIFACTS, HTML, VISIBLE_FRAME_JS, launch, move, serve
from tests.helpers import NOISE, toc_files

BOOK = Path(os.environ.get("NNLIB_BOOK_HTML", HTML))
PAGES = toc_files()
CHAPTERS = [p for p in PAGES if re.search(r"/\d\d_", p)]
FIGURE_CHAPTER = "chapters/12_batch_norm"  # the dark-mode screenshot
# course.css renders only the parts of a page near the screen; a full-page screenshot (kept for
# a person to look at) renders them all, as printing does
WHOLE_PAGE = "article.bd-article section > * { content-visibility: visible !important; }"

# Console errors (and HTTP errors) we tolerate, each with its reason, matched against
# "<message> (<url>)". The ones the theme used to cause are fixed in _config.yml instead:
# sphinx-thebe's `const THEBE_JS_URL` emitted twice (sphinx_thebe not loaded) and
# "Got invalid theme mode" (html_context default_mode).
ALLOWED_ERRORS = [
    # The browser asks for /favicon.ico by itself; the book declares no favicon (not our content).
    re.compile(r"404.*\(https?://127\.0\.0\.1:\d+/favicon\.ico\)$"),
]

# Output text, without <script>/<style> bodies (the explorers carry their JS in the output).
OUTPUT_TEXT_JS = """() => Array.from(document.querySelectorAll('.cell_output')).map(out => {
  const walk = document.createTreeWalker(out, NodeFilter.SHOW_TEXT, {acceptNode: n =>
    n.parentElement.closest('script,style') ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT});
  let text = '';
  while (walk.nextNode()) { text += walk.currentNode.textContent; }
  return text;
})"""

MATH_JS = r"""() => {
  const math = Array.from(document.querySelectorAll('.math'));
  return {
    total: math.length,
    untypeset: math.filter(m => !m.querySelector('mjx-container'))
                   .map(m => m.textContent.slice(0, 60)),
    merror: Array.from(document.querySelectorAll('mjx-merror'))
                 .map(e => e.getAttribute('data-mjx-error') || e.textContent.slice(0, 60)),
    // a TeX command MathJax did not understand inside \text{...} is shown with its backslash
    backslash: !window.MathJax || !MathJax.startup.document ? [] :
      Array.from(MathJax.startup.document.math).map(m => MathJax.startup.toMML(m.root))
        .map(mml => (mml.match(/<mtext[^>]*>[^<]*\\[^<]*<\/mtext>/) || [null])[0])
        .filter(Boolean),
  };
}"""

IMAGES_JS = """() => Array.from(document.images).map(img => ({
  src: img.currentSrc.startsWith('data:') ? img.currentSrc.slice(0, 40) : img.currentSrc,
  complete: img.complete, width: img.naturalWidth}))"""


@pytest.fixture(scope="module")
def context():
    """One browser and one context for the module (pages share the HTTP cache).

    Host names other than 127.0.0.1 do not resolve, so a request off the machine fails at once
    (and is recorded: it fails the test) instead of waiting on the network. Playwright's request
    routing would do the same but disables the HTTP cache.
    """
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = launch(p, "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1")
        ctx = b.new_context(viewport={"width": 1280, "height": 900})
        yield ctx
        ctx.close()
        b.close()


@pytest.fixture(scope="module")
def base_url():
    with serve(BOOK) as url:
        yield url


class Visit:
    """One page, loaded, with every console error, page error and request off 127.0.0.1."""

    def __init__(self, context, base_url, page_name, color_scheme="light"):
        self.page = context.new_page()
        self.page.emulate_media(color_scheme=color_scheme)
        self.errors: list[str] = []
        self.outside: list[str] = []
        host = urlsplit(base_url).hostname

        def on_request(req):
            parts = urlsplit(req.url)
            if parts.scheme not in ("data", "blob", "about") and parts.hostname != host:
                self.outside.append(req.url)

        def error(text):
            if not any(p.search(text) for p in ALLOWED_ERRORS):
                self.errors.append(text)

        def on_console(msg):
            if msg.type == "error":
                error(f"console: {msg.text} ({(msg.location or {}).get('url', '')})")

        def on_response(resp):
            if resp.status >= 400:
                error(f"HTTP {resp.status} ({resp.url})")

        self.page.on("request", on_request)
        self.page.on("console", on_console)
        self.page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))
        self.page.on("response", on_response)
        self.page.goto(f"{base_url}/{page_name}.html", wait_until="load")
        if self.page.locator(".math").count():
            ok = self.page.evaluate("""() => window.MathJax && MathJax.startup
                && MathJax.startup.promise ? MathJax.startup.promise.then(() => true) : false""")
            assert ok, f"{page_name}: MathJax did not load (math cannot render)"
        self.page.wait_for_function("() => Array.from(document.images).every(i => i.complete)",
                                    timeout=30_000)


@pytest.fixture
def visit(context, base_url):
    opened = []

    def _open(page_name, **kw):
        v = Visit(context, base_url, page_name, **kw)
        opened.append(v)
        return v

    yield _open
    for v in opened:
        v.page.close()


def _output_problems(page) -> list[str]:
    found = []
    bad = page.locator(".cell_output .output.stderr, .cell_output .output.traceback, "
                       ".cell_output .output.error")
    if bad.count():
        found.append(f"{bad.count()} stderr/error output(s), "
                     f"e.g. {bad.first.text_content()[:300]!r}")
    for i, text in enumerate(page.evaluate(OUTPUT_TEXT_JS)):
        for pattern, what in NOISE:
            if m := pattern.search(text):
                found.append(f"cell output #{i} shows {what}: "
                             f"{text[max(0, m.start() - 80):m.end() + 120]!r}")
    return found


def _math_problems(page) -> list[str]:
    state = page.evaluate(MATH_JS)
    found = []
    if state["untypeset"]:
        found.append(f"{len(state['untypeset'])} of {state['total']} formulas not typeset by "
                     f"MathJax, e.g. {state['untypeset'][:3]}")
    if state["merror"]:
        found.append(f"MathJax errors: {state['merror'][:5]}")
    if state["backslash"]:
        found.append(f"math shows a literal backslash: {state['backslash'][:3]}")
    return found


def _image_problems(page) -> list[str]:
    broken = [im["src"] for im in page.evaluate(IMAGES_JS)
              if not (im["complete"] and im["width"] > 0)]
    return [f"{len(broken)} image(s) did not load: {broken[:5]}"] if broken else []


def _explorer_problems(page) -> list[str]:
    """Move every control of every explorer once: another frame must be shown each time."""
    found = []
    explorers = page.locator(".nnlib-explorer")
    if not explorers.count():
        return ["no kernel-free explorer (.nnlib-explorer)"]
    for e in range(explorers.count()):
        explorer = explorers.nth(e)
        name = explorer.get_attribute("id")
        if explorer.locator(".nnlib-web").count():  # computed in the browser (issue 17)
            found += _web_explorer_problems(page, explorer, name)
            continue
        controls = explorer.locator("[data-control]")
        if not controls.count():
            found.append(f"{name}: no controls")
        explorer.scroll_into_view_if_needed()
        shot_before = explorer.screenshot()
        for c in range(controls.count()):
            control = controls.nth(c)
            label = control.get_attribute("data-control")
            before = explorer.evaluate(VISIBLE_FRAME_JS)
            if len(before) != 1:
                found.append(f"{name}: {len(before)} frames visible before moving {label}")
                continue
            src_before = explorer.locator(f'img[data-key="{before[0]}"]').get_attribute("src")
            done = move(page, control)
            try:  # the swap is synchronous; wait generously, then report what is shown
                page.wait_for_function(
                    "([root, old]) => { const s = (" + VISIBLE_FRAME_JS + ")(root);"
                    " return s.length === 1 && s[0] !== old; }",
                    arg=[explorer.element_handle(), before[0]], timeout=5_000)
            except Exception:  # playwright's TimeoutError
                pass
            after = explorer.evaluate(VISIBLE_FRAME_JS)
            if len(after) != 1 or after == before:
                found.append(f"{name}: {done} ({label}) did not change the displayed frame: "
                             f"{before} -> {after}")
                continue
            src_after = explorer.locator(f'img[data-key="{after[0]}"]').get_attribute("src")
            if src_after == src_before:
                found.append(f"{name}: {label}: frames {before} and {after} are the same image")
            shot_after = explorer.screenshot()
            if shot_after == shot_before:
                found.append(f"{name}: {done} ({label}) left the explorer looking the same")
            shot_before = shot_after
    return found


def _web_explorer_problems(page, explorer, name) -> list[str]:
    """An explorer computed in the browser: it mounted (its pre-rendered frames hidden), and moving
    each of its controls with real input events repaints it and changes what it shows."""
    web = explorer.locator(".nnlib-web")
    if web.get_attribute("data-mounted") != "1":
        return [f"{name}: the in-browser explorer did not mount (its JavaScript or uPlot missing?)"]
    found = []
    if explorer.locator(".nnlib-frames").evaluate("el => getComputedStyle(el).display") != "none":
        found.append(f"{name}: the pre-rendered frames are still shown next to the live charts")
    controls = web.locator("[data-web-control]")
    if not controls.count():
        found.append(f"{name}: no controls")
    web.scroll_into_view_if_needed()
    shot_before = web.screenshot()
    for c in range(controls.count()):
        control = controls.nth(c)
        label = control.get_attribute("data-web-control")
        paints = int(web.get_attribute("data-paints"))
        done = move(page, control)
        if int(web.get_attribute("data-paints")) <= paints:
            found.append(f"{name}: {done} ({label}) did not repaint")
            continue
        shot_after = web.screenshot()
        if shot_after == shot_before:
            found.append(f"{name}: {done} ({label}) left the explorer looking the same")
        shot_before = shot_after
    return found


# Every <details> opened (the notes' part, exercise solutions): then any code, output or table
# whose content is wider than its box, at the 1280-px viewport.
CUT_OFF_JS = """() => {
  document.querySelectorAll('details').forEach(d => { d.open = true; });
  const boxes = document.querySelectorAll('.cell_input pre, .cell_output pre, div.highlight pre, '
    + '.pst-scrollable-table-container, article table');
  return Array.from(boxes).filter(el => el.scrollWidth > el.clientWidth + 1).map(el =>
    `${el.tagName.toLowerCase()}.${el.className.split(" ")[0]} ${getComputedStyle(el).fontSize} ${el.scrollWidth}px in `
    + `${el.clientWidth}px: ${el.textContent.trim().slice(0, 60)}`);
}"""


def _cut_off_problems(page) -> list[str]:
    cut = page.evaluate(CUT_OFF_JS)
    return [f"{len(cut)} block(s) wider than the column, e.g. {cut[:3]}"] if cut else []


@pytest.mark.parametrize("page_name", PAGES)
def test_page(visit, page_name):
    """Loads clean and offline, no traceback or log in outputs, math typeset, images loaded,
    a full-page screenshot kept; on chapters, every explorer control changes the frame; nothing
    is wider than its box at 1280 px (with every collapsed part opened)."""
    v = visit(page_name)
    page = v.page
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.add_style_tag(content=WHOLE_PAGE)
    page.screenshot(path=str(ARTIFACTS / f"{page_name.split('/')[-1]}.png"), full_page=True)
    problems = _output_problems(page) + _math_problems(page) + _image_problems(page)
    if page_name in CHAPTERS:
        problems += _explorer_problems(page)
    problems += _cut_off_problems(page)  # last: it opens every <details>
    problems += v.errors + [f"request off 127.0.0.1: {url}" for url in v.outside]
    assert not problems, f"{page_name}:\n  " + "\n  ".join(problems)


def test_every_chapter_has_math_and_an_explorer():
    """Guards the guards: the checks above must have something to check on every chapter."""
    counts = {}
    for name in CHAPTERS:
        text = (BOOK / f"{name}.html").read_text(encoding="utf-8")
        counts[name] = (text.count('class="math'), text.count('class="nnlib-explorer"'))
    assert all(m > 0 and e >= 1 for m, e in counts.values()), counts


def test_dark_mode_keeps_figures_on_a_light_background(visit):
    from PIL import Image

    v = visit(FIGURE_CHAPTER, color_scheme="dark")
    page = v.page
    page.evaluate("() => { document.documentElement.dataset.theme = 'dark';"
                  " document.documentElement.dataset.mode = 'dark'; }")
    # the theme's dark background (pydata-sphinx-theme: #14181e); fails if the switch had no effect
    page.wait_for_function("() => { const m = getComputedStyle(document.body).backgroundColor"
                           ".match(/\\d+/g).map(Number); return m[0] + m[1] + m[2] < 150; }")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.add_style_tag(content=WHOLE_PAGE)
    page.screenshot(path=str(ARTIFACTS / f"{FIGURE_CHAPTER.split('/')[-1]}-dark.png"),
                    full_page=True)
    figures = page.locator(".cell_output img:visible")
    assert figures.count() >= 1, f"{FIGURE_CHAPTER}: no figure in a cell output"
    checked = 0
    for i in range(min(figures.count(), 4)):
        fig = figures.nth(i)
        fig.scroll_into_view_if_needed()
        # course.css renders a part of the page once it comes near the screen (content-visibility):
        # wait until the figure's part is rendered and a frame with it has been painted
        fig.evaluate("el => new Promise(done => { const on = () => el.checkVisibility({contentVisibilityAuto: true})"
                     " ? requestAnimationFrame(() => requestAnimationFrame(done)) : requestAnimationFrame(on); on(); })")
        box = fig.bounding_box()
        if not box or box["width"] < 40 or box["height"] < 40:
            continue
        pad = 6  # around the figure, to sample the figure's own corners inside
        shot = Image.open(io.BytesIO(page.screenshot(clip={
            "x": box["x"] - pad, "y": box["y"] - pad,
            "width": box["width"] + 2 * pad, "height": box["height"] + 2 * pad}))).convert("RGB")
        w, h = shot.size

        def contrast_with_black(xy):  # WCAG 2 contrast ratio of black text on this pixel
            lin = [c / 255 / 12.92 if c <= 10 else ((c / 255 + 0.055) / 1.055) ** 2.4
                   for c in shot.getpixel(xy)]
            return (0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2] + 0.05) / 0.05

        corners = [contrast_with_black(xy) for xy in
                   ((pad + 3, pad + 3), (w - pad - 4, pad + 3),
                    (pad + 3, h - pad - 4), (w - pad - 4, h - pad - 4))]
        # 7:1 is WCAG's AAA level for normal text: black axis labels stay readable (the theme
        # dims images in dark mode; a transparent figure would show the dark page instead).
        assert min(corners) >= 7, \
            f"figure {i} in dark mode: black text on its background has contrast " \
            f"{[round(c, 1) for c in corners]}:1 (< 7:1)"
        checked += 1
    assert checked, "no figure large enough to sample"
    assert not v.errors, v.errors

"""Sphinx extension: a chapter page reaches its first explorer sooner (issue 17).

Two changes to every built HTML page, made after the build (``build-finished``) because the
theme writes the tags itself:

- The theme loads Sphinx's search tools and the whole search index (``searchtools.js``,
  ``language_data.js``, ``searchindex.js``, 170 kB) with plain ``<script>`` tags in the head,
  which stop the parser until they have run, on every page. Only the search box needs them, so
  they get ``defer``: they still run, in the same order, before the page's other deferred scripts
  (the theme's own, at the end of the body) and before ``DOMContentLoaded``.
- A page's explorer modules (``nnlib-web/<module>.js``) are added by the runtime only when the
  parser reaches the explorer; a ``<link rel="preload">`` in the head starts fetching them at once.

Idempotent: a page already changed is left as it is. Listed in ``_config.yml`` under
``sphinx: local_extensions``; ``tests/book/test_page_load.py`` checks the built pages.
"""
from __future__ import annotations

import re
from pathlib import Path

SEARCH_SCRIPTS = ("_static/searchtools.js", "_static/language_data.js", "searchindex.js")
_SCRIPT = re.compile(r'<script src="((?:\.\./)*(?:%s))"></script>'
                     % "|".join(re.escape(s) for s in SEARCH_SCRIPTS))
_MODULE = re.compile(r'<div class="nnlib-web" data-module="([a-z_]+)"')
_STATIC = re.compile(r'src="((?:\.\./)*)_static/nnlib-web/explore\.js')


def rewrite(html: str) -> str:
    """The page with its search scripts deferred and its explorer modules preloaded."""
    html = _SCRIPT.sub(r'<script defer src="\1"></script>', html)
    base = _STATIC.search(html)
    if base is None:
        return html
    links = [f'<link rel="preload" as="script" href="{base.group(1)}_static/nnlib-web/{m}.js">'
             for m in sorted(set(_MODULE.findall(html)))]
    links = [link for link in links if link not in html]
    if links:
        html = html.replace("</title>", "</title>\n" + "\n".join(links), 1)
    return html


def _finished(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    for page in Path(app.outdir).rglob("*.html"):
        if page.name == "search.html":   # the search page loads its tools its own way
            continue
        text = page.read_text(encoding="utf-8")
        new = rewrite(text)
        if new != text:
            page.write_text(new, encoding="utf-8")


def setup(app):
    app.connect("build-finished", _finished)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}

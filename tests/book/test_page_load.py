"""_ext/page_load.py (issue 17): the built pages defer the search scripts and preload their
explorer modules, so the parser reaches a page's first explorer sooner."""
from __future__ import annotations

import importlib.util
import re

import pytest

from tests.helpers import HTML, ROOT

_spec = importlib.util.spec_from_file_location("page_load", ROOT / "_ext" / "page_load.py")
page_load = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(page_load)

PAGE = """<html><head><title>t</title>
<script src="../_static/searchtools.js"></script>
<script src="../_static/language_data.js"></script>
<script src="../searchindex.js"></script>
<script src="../_static/nnlib-web/explore.js?v=1"></script>
</head><body><div class="nnlib-web" data-module="learning_rate" data-spec="{}"></div>
<div class="nnlib-web" data-module="learning_rate" data-spec="{}"></div></body></html>"""


def test_rewrite_defers_the_search_scripts_and_preloads_each_module_once():
    out = page_load.rewrite(PAGE)
    for name in ("_static/searchtools.js", "_static/language_data.js", "searchindex.js"):
        assert f'<script defer src="../{name}"></script>' in out
    assert out.count('rel="preload"') == 1
    assert '<link rel="preload" as="script" href="../_static/nnlib-web/learning_rate.js">' in out
    assert page_load.rewrite(out) == out            # idempotent
    plain = "<html><head><title>t</title></head><body></body></html>"
    assert page_load.rewrite(plain) == plain        # no explorer, no search scripts: unchanged


def test_the_built_chapter_pages_are_rewritten():
    chapters = sorted((HTML / "chapters").glob("[0-9][0-9]_*.html"))
    if not chapters:
        pytest.skip(f"no built book in {HTML} (make book)")
    for page in chapters:
        html = page.read_text(encoding="utf-8")
        blocking = r'<script src="[./]*(?:_static/searchtools|_static/language_data|searchindex)\.js"'
        assert not re.search(blocking, html), page.name
        for module in set(re.findall(r'<div class="nnlib-web" data-module="([a-z_]+)"', html)):
            assert f'href="../_static/nnlib-web/{module}.js"' in html, (page.name, module)

"""pytest plugin (loaded by ``-p tests.nbval_settings`` in pyproject.toml): nbval house rules.

nbval compares every output field of every cell. We do not compare the stderr stream: what a
library writes there (deprecation notices, progress bars) is not what a chapter is about, and
``tests/test_notebooks_clean.py`` separately fails if a stored notebook holds any stderr at all.
"""
from __future__ import annotations


def pytest_collection_modifyitems(session, config, items):
    seen = set()
    for item in items:
        parent = getattr(item, "parent", None)
        if parent is None or id(parent) in seen or not hasattr(parent, "skip_compare"):
            continue
        seen.add(id(parent))
        parent.skip_compare = tuple(parent.skip_compare) + ("stderr",)

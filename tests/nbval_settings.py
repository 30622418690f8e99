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


# Longest first: under pytest-xdist (--dist loadscope) each module or notebook goes whole to one
# worker, in collection order, so a long module collected last keeps one core busy while the other
# idles. Measured on 2 cores (seconds, one module alone): the JupyterLab browser test ~175, each
# chapter 20-37, chapter 13's exercise recomputations ~80, the book browser test ~100.
_FIRST = ("test_browser_lab.py", "test_browser_book.py", "test_documents_training.py",
          "07_initialization.ipynb", "13_capstone.ipynb", "12_training.ipynb",
          "06_regularization.ipynb", "10_optimizers.ipynb", "08_batch_norm.ipynb")


def _rank(item) -> int:
    name = item.path.name
    return _FIRST.index(name) if name in _FIRST else len(_FIRST)


def _longest_first(items) -> None:
    items.sort(key=_rank)   # stable: the order within a module is kept


_stderr_rule = pytest_collection_modifyitems


def pytest_collection_modifyitems(session, config, items):  # noqa: F811  (one hook, two rules)
    _stderr_rule(session, config, items)
    _longest_first(items)

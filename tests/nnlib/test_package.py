"""nnlib as a package: light to import, and a TensorFlow that prints nothing."""
from __future__ import annotations

import subprocess
import sys

import pytest

import nnlib


def _run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)


def _modules() -> list[str]:
    """Every module of the nnlib package, found on disk (new chapters' modules included)."""
    import pkgutil

    return sorted(m.name for m in pkgutil.walk_packages(nnlib.__path__, "nnlib."))


def test_importing_any_nnlib_module_does_not_import_tensorflow():
    """Every module, the chapters' numerics, figures and notes included: TensorFlow and Keras are
    imported only when called for (``nnlib.tf_setup``, the Keras runs inside functions)."""
    code = ("import importlib, sys\n"
            f"for m in {_modules()!r}: importlib.import_module(m)\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras')))")
    res = _run(code)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "[]"


def test_tf_setup_is_quiet_seeded_and_deterministic():
    code = """
import nnlib
tf = nnlib.tf_setup(seed=3)
a = tf.random.uniform([3]).numpy().tolist()
tf2 = nnlib.tf_setup(seed=3)
b = tf.random.uniform([3]).numpy().tolist()
from tensorflow.python.framework import config
import numpy as np, random
print(a == b, tf is tf2, config.is_op_determinism_enabled())
print(np.random.rand() == np.random.RandomState(3).rand(), random.random() == random.Random(3).random())
w = tf.Variable(1.0); tf.square(w).numpy()
"""
    res = _run(code)
    assert res.returncode == 0, res.stderr
    assert res.stdout.split() == ["True"] * 5
    assert res.stderr.strip() == "", f"TensorFlow printed to stderr:\n{res.stderr}"


@pytest.mark.parametrize("seed", [-1, 1.5, "0"])
def test_tf_setup_rejects_a_bad_seed(seed):
    with pytest.raises(ValueError, match="seed must be an integer >= 0"):
        nnlib.tf_setup(seed=seed)


def test_every_public_function_and_class_has_a_docstring():
    """In every module (nnlib.plots.* and nnlib.notes.* included); in a chapter's numerics module
    (``nnlib/<slug>.py``) each public function's docstring also names its chapter."""
    import importlib
    import inspect
    import re

    from tests.helpers import notebooks

    slugs = {nb.stem[3:] for nb in notebooks()}
    for mod in map(importlib.import_module, _modules()):
        assert mod.__doc__, f"{mod.__name__} has no module docstring"
        for name in getattr(mod, "__all__", []):
            obj = getattr(mod, name)
            if inspect.isfunction(obj) or inspect.isclass(obj):
                assert obj.__doc__, f"{mod.__name__}.{name} has no docstring"
                if inspect.isfunction(obj) and mod.__name__.removeprefix("nnlib.") in slugs:
                    assert re.search(r"chapters? \d+", obj.__doc__), f"{mod.__name__}.{name} names no chapter"

"""nnlib as a package: light to import, and a TensorFlow that prints nothing."""
from __future__ import annotations

import subprocess
import sys

import pytest

import nnlib


def _run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)


def test_import_nnlib_does_not_import_tensorflow():
    code = ("import sys, nnlib, nnlib.optim, nnlib.notes, nnlib.explore, nnlib.plots\n"
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
    import inspect

    from nnlib import explore, notes, optim, plots

    for mod in (optim, notes, explore, plots):
        for name in mod.__all__:
            obj = getattr(mod, name)
            if inspect.isfunction(obj) or inspect.isclass(obj):
                assert obj.__doc__, f"{mod.__name__}.{name} has no docstring"

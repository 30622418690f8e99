"""Fixtures shared by the unit tests: TensorFlow and Keras as the oracle.

Module scope, so each test module starts from the same seed (``nnlib.tf_setup(seed=0)``); a module
that needs a different TensorFlow configuration defines its own ``tf`` fixture.
"""
from __future__ import annotations

import pytest

import nnlib


@pytest.fixture(scope="module")
def tf():
    """TensorFlow, quiet, seeded with 0 and deterministic."""
    return nnlib.tf_setup(seed=0)


@pytest.fixture(scope="module")
def keras(tf):
    """Keras 3 on the TensorFlow backend (imported after ``tf_setup``)."""
    import keras

    return keras

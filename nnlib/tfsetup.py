"""Import TensorFlow quietly and reproducibly (used by every chapter that shows the TF version).

``import nnlib`` never imports TensorFlow; call :func:`tf_setup` in the cell that needs it.
"""
from __future__ import annotations

import logging
import os
import random
import sys

from ._check import non_negative_int

# What TensorFlow reads from the environment when it is first imported. Set before the import:
# TF_CPP_MIN_LOG_LEVEL=3 silences the C++ INFO/WARNING lines (cpu_feature_guard, ...);
# TF_ENABLE_ONEDNN_OPTS=0 turns off oneDNN's custom ops, whose notice ignores the log level
# and whose reordered float arithmetic would otherwise change last digits between runs.
QUIET_ENV = {
    "TF_CPP_MIN_LOG_LEVEL": "3",
    "TF_ENABLE_ONEDNN_OPTS": "0",
    "KERAS_BACKEND": "tensorflow",
}


def tf_setup(seed: int = 0):
    """Set a quiet environment, import TensorFlow, seed everything, return ``tf`` (chapter 4).

    Starts :mod:`nnlib.parallel`'s fork server first (TensorFlow-free workers for independent
    runs and explorer frames). Seeds Python's ``random``, numpy and TensorFlow through ``keras.utils.set_random_seed`` and
    turns on op determinism, so a chapter's TensorFlow numbers are the same on every run.
    """
    seed = non_negative_int("seed", seed)
    for key, value in QUIET_ENV.items():
        os.environ.setdefault(key, value)
    if "tensorflow" not in sys.modules:
        # the fork server imports numpy, matplotlib and nnlib while TensorFlow loads here, and
        # hands TensorFlow-free workers to nnlib.parallel.fork_map afterwards
        from .parallel import start_server

        start_server()
    import tensorflow as tf  # noqa: E402  (after the environment is set)
    from absl import logging as absl_logging  # absl-py: a dependency of TensorFlow

    tf.get_logger().setLevel(logging.ERROR)
    absl_logging.set_verbosity(absl_logging.ERROR)
    import keras

    random.seed(seed)
    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()
    return tf

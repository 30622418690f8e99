"""Chapter 14 (training in practice): the one training-log line note 004 printed."""
from __future__ import annotations

from ..training import steps_per_epoch
from . import NOTE_004, Printed

__all__ = ["FIT_LOG", "FIT_LOG_REST", "format_fit_header", "FIT_DEFAULTS",
           "compare_fit_defaults"]

# --- Note 004, section 1.1: what model.fit prints for its first epoch (lines 56-57) ----------
# The full line 57 is "157/157 [======] - 1s 1ms/step - loss: 1.5179 - accuracy: 0.5406". The
# step count follows from the data (line 299: 5000 images, in Keras's default batches of 32); the
# time, loss and accuracy come from the course's own 20x20 images, which this course does not ship.
FIT_LOG = Printed(NOTE_004, 56, "Epoch 1/40\n157/157",
                  "model.fit's progress line for the first of 40 epochs: batches done / batches per epoch")
FIT_LOG_REST = "loss: 1.5179 - accuracy: 0.5406"


def format_fit_header(num_samples, batch_size, num_epochs) -> list[str]:
    """The first two things Keras's ``verbose=1`` log shows, in note 004's format (chapter 14)."""
    steps = steps_per_epoch(num_samples, batch_size)
    return [f"Epoch 1/{num_epochs}", f"{steps}/{steps}"]

# --- Note 004, section 1.1: compile's metrics as a bare string; fit's generator options -----------
METRICS_STRING = Printed(NOTE_004, 46, "metrics='accuracy'", "compile's metrics argument, as a string")
FIT_QUEUE = Printed(NOTE_004, 53, "max_queue_size=10,     # 生成器队列的最大尺寸workers=1,             "
                    "# 使用的生成器工作进程数use_multiprocessing=False",
                    "three of fit's options in the note's list")

# --- Note 004, section 1.1: the whole list of fit's options and their defaults (line 53) ---------
# Line 53 is one run-together line ("x=None, # 输入数据y=None, ..."): the names and defaults in
# its order. The comments after each are glossed in chapter 14, not transcribed.
FIT_DEFAULTS = (("x", "None"), ("y", "None"), ("epochs", "1"), ("batch_size", "None"),
                ("verbose", "1"), ("callbacks", "None"), ("validation_split", "0.0"),
                ("validation_data", "None"), ("shuffle", "True"), ("class_weight", "None"),
                ("sample_weight", "None"), ("initial_epoch", "0"), ("steps_per_epoch", "None"),
                ("validation_steps", "None"), ("validation_batch_size", "None"),
                ("validation_freq", "1"), ("max_queue_size", "10"), ("workers", "1"),
                ("use_multiprocessing", "False"))


def compare_fit_defaults(parameters) -> list[tuple[str, str, str]]:
    """(option, note 004's default, Keras's default or "(gone)") for each of the note's options,
    given ``inspect.signature(keras.Model.fit).parameters`` (chapter 14)."""
    rows = []
    for name, noted in FIT_DEFAULTS:
        p = parameters.get(name)
        rows.append((name, noted, "(gone)" if p is None else str(p.default)))
    return rows

"""Chapter 13 (overfitting and regularization): what notes 000 and 003 state, with file and line.

Note 000 describes L1/L2 penalties (lines 111-125), the red/blue circle example (lines 126-148)
and the modular "generate data / forward / backward" structure (lines 149-210); it prints no
training output, only the data set's size and the template code. Note 003 lists scikit-learn's
``MLPClassifier`` hyperparameters, including the default L2 strength ``alpha`` (line 45).
"""
from __future__ import annotations

from . import NOTE_000, NOTE_003, Printed, formatter

__all__ = ["NUM_POINTS", "SKLEARN_ALPHA", "TEMPLATE_GLOBAL_STEP", "TEMPLATE_DECAY",
           "TEMPLATE_MINIMIZE", "format_count", "format_alpha", "format_lr_line"]

NUM_POINTS = Printed(NOTE_000, 128, "300", "the example's data set: 300 normally distributed points")

SKLEARN_ALPHA = Printed(NOTE_003, 45, "0.0001",
                        "scikit-learn MLPClassifier: default alpha, the L2 penalty strength")

# --- the backward-module template (quoted in the errata; code, not numbers) -----------------

TEMPLATE_GLOBAL_STEP = Printed(NOTE_000, 169, "global_step = tf.Variable(0, trainable=False)",
                               "the step counter the template creates")
TEMPLATE_DECAY = Printed(NOTE_000, 181, """\
learning_rate = tf.train.exponential_decay(
LEARNING_RATE_BASE,
global_step,
数据集总样本数 / BATCH_SIZE,
LEARNING_RATE_DECAY,
staircase=True)""", "the decayed learning rate, a function of global_step")
TEMPLATE_MINIMIZE = Printed(
    NOTE_000, 187,
    "train_step=tf.train.GradientDescentOptimizer(learning_rate).minimize(loss, global_step=global_step)",
    "the template's training op: minimize() is handed global_step, which makes it count")


format_count = formatter("{:d}", "A count as the note writes it (``300``).")
format_alpha = formatter("{:g}", "scikit-learn's alpha as note 003 writes it (``0.0001``).")
format_lr_line = formatter("After {:5d} steps: global_step is {:5d}, learning rate is {:f}",
                           "One line of the errata's run: step, the counter TF holds, its learning rate.")

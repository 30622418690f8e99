"""Chapter 13 (overfitting and regularization): what notes 000 and 003 state, with file and line.

Note 000 describes L1/L2 penalties (lines 111-125), the red/blue circle example (lines 126-148)
and the modular "generate data / forward / backward" structure (lines 149-210), whose example ends
with a claim about its boundary (line 214); it prints no training output, only the data set's
size and the template code. Note 003 lists scikit-learn's
``MLPClassifier`` hyperparameters, including the default L2 strength ``alpha`` (line 45).
"""
from __future__ import annotations

from . import NOTE_000, NOTE_003, Printed, formatter

__all__ = ["NUM_POINTS", "SKLEARN_ALPHA", "TEMPLATE_GLOBAL_STEP", "TEMPLATE_DECAY",
           "TEMPLATE_MINIMIZE", "CLAIM_SMOOTH", "COURSE_BACKWARD", "format_count", "format_alpha",
           "format_lr_line"]

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


# --- the modular example (part 二, lines 207-214): its claim, and the constants of its code ------

CLAIM_SMOOTH = Printed(NOTE_000, 214, "红色点和蓝色点 的分割曲线相对平滑,效果变好",
                       "the modular example's result: the red/blue boundary is relatively smooth, "
                       "the result better (with the decaying rate and the penalty)")

#: The constants of the course's ``backward.py`` for that example. The note names them (lines
#: 169, 182-185, 198) but shows the code only as pictures; the values are those of the published
#: copies of the course code (``STEPS = 40000`` ... ``REGULARIZER = 0.01``), which
#: :func:`nnlib.reference.tf1_backward` also uses. ``REGULARIZER`` is TF1's
#: ``l2_regularizer`` scale: Keras's ``L2(REGULARIZER / 2)``.
COURSE_BACKWARD = {"STEPS": 40000, "BATCH_SIZE": 30, "LEARNING_RATE_BASE": 0.001,
                   "LEARNING_RATE_DECAY": 0.999, "REGULARIZER": 0.01}


format_count = formatter("{:d}", "A count as the note writes it (``300``).")
format_alpha = formatter("{:g}", "scikit-learn's alpha as note 003 writes it (``0.0001``).")
format_lr_line = formatter("After {:5d} steps: global_step is {:5d}, learning rate is {:f}",
                           "One line of the errata's run: step, the counter TF holds, its learning rate.")

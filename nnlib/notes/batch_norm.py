"""Chapter 12 (batch normalization): the settings of note 001's MNIST script, and their format.

Note 001 prints the script's output (test accuracy per epoch) only as an image (line 237 holds
its image id), so no accuracy can be checked against the text. What the text does carry, and
the chapter reproduces, are the script's settings: layer sizes (lines 169-172), batch-norm
momentum and learning rate (lines 176-177), epochs and batch size (lines 220-221).
"""
from __future__ import annotations


from . import NOTE_001, Printed

__all__ = ["SIZES", "HYPER", "LOOP", "RENAMED", "OUTPUT_IMAGE_LINE", "BOOK_ACCURACY",
           "format_sizes", "format_hyper", "format_loop"]

SIZES = Printed(NOTE_001, 169, """\
n_inputs = 28 * 28
n_hidden1 = 300
n_hidden2 = 100
n_outputs = 10""", "the layer sizes of the note's MNIST network")

HYPER = Printed(NOTE_001, 176, """\
batch_norm_momentum = 0.9
learning_rate = 0.01""", "batch-norm momentum and the plain-SGD learning rate")

LOOP = Printed(NOTE_001, 220, """\
n_epoches = 20
batch_size = 200""", "epochs and mini-batch size")

#: Line 113: TF1's ``decay`` argument of batch_norm was renamed ``momentum`` (no number: not a ledger entry).
RENAMED = (NOTE_001, 113, "decay 更名为 momentum")

#: Line 237 is the image id of the script's printed output (the text has no accuracies).
OUTPUT_IMAGE_LINE = 237

#: What that image shows, as the course issue transcribes it (and the book's printed run):
#: test accuracy after epoch 1 and after epoch 20 on full MNIST (55,000 training images).
BOOK_ACCURACY = {1: 0.865, 20: 0.9652}


# --- our settings in the note's code format ---------------------------------------------------

def format_sizes(image_shape, n_hidden1, n_hidden2, n_outputs) -> list[str]:
    """Note 001 lines 169-172 with our network's sizes (chapter 12)."""
    h, w = (int(v) for v in image_shape)
    return [f"n_inputs = {h} * {w}", f"n_hidden1 = {int(n_hidden1)}",
            f"n_hidden2 = {int(n_hidden2)}", f"n_outputs = {int(n_outputs)}"]


def format_hyper(momentum, lr) -> list[str]:
    """Note 001 lines 176-177 with our momentum and learning rate (chapter 12)."""
    return [f"batch_norm_momentum = {float(momentum):g}", f"learning_rate = {float(lr):g}"]


def format_loop(num_epochs, batch_size) -> list[str]:
    """Note 001 lines 220-221 with our epochs and batch size (chapter 12)."""
    return [f"n_epoches = {int(num_epochs)}", f"batch_size = {int(batch_size)}"]

# --- Note 001, batch normalization in TensorFlow: the text says ReLU, the code applies ELU ----------
SAYS_RELU = Printed(NOTE_001, 118, "我们手动应用 RELU 激活函数", "the text: the activation applied by hand after BN")
APPLIES_ELU = Printed(NOTE_001, 133, "bn1_act = tf.nn.elu(bn1)", "the code the text describes")

"""Ledger entries for chapter 8 (optimizers): the numbers notes 003 and 004 give about optimizers.

Note 003 prints no optimizer run; its numbers are scikit-learn's MLPClassifier defaults and
rules (lines 45-65), read here from scikit-learn itself or measured on it, and the batch sizes it
calls usual (line 133). Note 004 gives Adam's global learning rate (line 251).
"""
from __future__ import annotations

from functools import lru_cache

from nnlib import optimizers as opt
from nnlib.notes import optimizers as note
from tests.ledger import Entry

NOTEBOOK = "08_optimizers.ipynb"


@lru_cache(maxsize=None)
def _params():
    from sklearn.neural_network import MLPClassifier

    return MLPClassifier().get_params()


def default(name):
    """The installed scikit-learn's default for ``name``, in note 003's spelling."""
    return lambda: [note.format_default(name, _params()[name])]


def batch_rule():
    """batch_size='auto', measured: updates per epoch for 1000 samples (and 1 for 150)."""
    per_1000, per_150 = opt.mlp_updates_per_epoch(1000), opt.mlp_updates_per_epoch(150)
    assert per_150 == 1 and 1000 % per_1000 == 0
    return [note.format_batch_rule(1000 // per_1000)]


def adaptive_divisor():
    """learning_rate='adaptive' on a plateau: the rate before a cut over the rate after it."""
    cuts, _ = opt.mlp_plateau(15)
    (_, before, after), = cuts
    return [note.format_divisor(round(before / after, 9))]


LEDGER = [
    *[Entry(printed, NOTEBOOK, default(name)) for name, (printed, _) in note.NUMERIC_DEFAULTS.items()],
    Entry(note.BATCH_SIZE_AUTO, NOTEBOOK, batch_rule,
          "measured: Adam takes 5 updates per epoch on 1000 samples, 1 on 150"),
    Entry(note.ADAPTIVE_DIVISOR, NOTEBOOK, adaptive_divisor,
          "measured; the note's 'two consecutive epochs' is 11 (errata)"),
    Entry(note.EARLY_STOPPING_SHARE, NOTEBOOK,
          lambda: [note.format_share(_params()["validation_fraction"])]),
    Entry(note.BATCH_SIZES, NOTEBOOK,
          lambda: [note.format_sizes([b for b in opt.BATCH_SIZES if b > 1])],
          "a recommendation, not a result: the chapter measures noise and time at these sizes"),
    Entry(note.ADAM_LR, NOTEBOOK, lambda: [note.format_power_of_ten(opt.DEFAULTS["adam"]["lr"])],
          "Keras's default for Adam (tests/test_optimizers.py checks DEFAULTS against Keras)"),
]

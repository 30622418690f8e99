"""Ledger entries for chapter 2 (loss functions): note 000's yogurt weights and cross-entropies."""
from __future__ import annotations

from functools import lru_cache

from nnlib import losses
from nnlib.notes import losses as notes
from tests.ledger import Entry

NOTEBOOK = "02_losses.ipynb"


@lru_cache(maxsize=None)
def final_weights(loss, num_steps, cost=None, profit=None):
    """The yogurt run of the original script (float32 numpy), its weights after the last step."""
    X, y = losses.yogurt_data()
    return losses.linear_sgd(X, y, losses.YOGURT_W0, 0.001, num_steps,
                             loss=loss, cost=cost, profit=profit)[-1]


def ce_base10():
    """Note 000's two cross-entropies against (1, 0), in base 10, with three decimals."""
    return [notes.format_ce(losses.cross_entropy([1, 0], p, base=10)) for p in ([0.6, 0.4], [0.8, 0.2])]


LEDGER = [
    Entry(notes.YOGURT_MSE, NOTEBOOK,
          lambda: [notes.format_weights(final_weights("mse", 20000))]),
    Entry(notes.YOGURT_COST1_PROFIT9, NOTEBOOK,
          lambda: [notes.format_weights(final_weights("cost_profit", 3000, 1, 9), sep=", ")]),
    Entry(notes.YOGURT_COST9_PROFIT1, NOTEBOOK,
          lambda: [notes.format_weights(final_weights("cost_profit", 3000, 9, 1))]),
    Entry(notes.CE_BASE10, NOTEBOOK, ce_base10,
          "the note's log is base 10; TensorFlow's natural log gives 0.511 and 0.223 (errata)"),
]

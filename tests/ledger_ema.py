"""Ledger entries for chapter 7 (EMA): note 002's nine printed pairs and both notes' worked example."""
from __future__ import annotations

import numpy as np

from nnlib import ema
from nnlib.notes import ema as notes_ema
from tests.ledger import Entry

NOTEBOOK = "07_ema.ipynb"


def note_run(decay=0.99):
    """Note 002's script with nnlib: the (w1, shadow) pair at each of its nine prints."""
    avg = ema.ExponentialMovingAverage(decay, num_updates=0)
    pairs = []
    for w1, step in notes_ema.SCRIPT_002:
        avg.num_updates = step
        shadow = avg.apply({"w1": w1})["w1"]  # the first call creates the shadow at w1 = 0
        pairs.append((np.float32(w1), shadow))
    return pairs


def pair_lines():
    pairs = note_run()
    return notes_ema.format_pairs([w for w, _ in pairs], [s for _, s in pairs])


def worked_rows():
    """The hand-worked steps: shadows 0.9, 1.644 (as two rounded terms), 2.328, 2.956."""
    shadows = [s for _, s in note_run()]
    d = ema.effective_decay(0.99, 100)
    a, b = d * shadows[1], (np.float32(1) - d) * np.float32(10)  # decay·0.9 and (1 − decay)·10
    return {
        "step1": notes_ema.three_decimals(shadows[1]),
        "step2_spaced": notes_ema.format_rounded_sum(a, b, " = "),
        "step2_tight": notes_ema.format_rounded_sum(a, b, "="),
        "step2_total": notes_ema.format_rounded_sum(a, b).split(" = ")[1],
        "step3": notes_ema.three_decimals(shadows[3]),
        "step4": notes_ema.three_decimals(shadows[4]),
    }


def rows(*template):
    return lambda: [t.format(**worked_rows()) for t in template]


LEDGER = [
    Entry(notes_ema.EMA_PAIRS, NOTEBOOK, pair_lines),
    Entry(notes_ema.WORKED_002_STEP1, NOTEBOOK, rows("= {step1}")),
    Entry(notes_ema.WORKED_002_STEP2, NOTEBOOK, rows("= {step2_spaced}"),
          "1.644 is the sum of the two rounded terms; 1.6445453 itself rounds to 1.645"),
    Entry(notes_ema.WORKED_002_STEP3, NOTEBOOK, rows("= {step3}")),
    Entry(notes_ema.RESULT_002, NOTEBOOK, rows("{step2_total}")),
    Entry(notes_ema.WORKED_000, NOTEBOOK, rows("= {step1}", "= {step2_tight}", "= {step3}", "={step4}")),
    Entry(notes_ema.RESULT_000, NOTEBOOK, rows("{step2_total}")),
]

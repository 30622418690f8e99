"""Chapter 3 (softmax and cross-entropy): what note 004 shows, and the course's round-off example."""
from __future__ import annotations

from . import NOTE_004, Printed, formatter

__all__ = ["QUIZ_LOSS", "format_log_a", "ROUNDOFF", "format_roundoff"]

# --- Note 004, section 3 quiz, question 2: 4 classes, the true class is class 3 ----------------
# The answer line (235) lost its check mark in the scrape; it is the only option not marked ×.
QUIZ_LOSS = Printed(NOTE_004, 235, "-log(a_3)",
                    "quiz: the cross-entropy loss of an example whose true class is 3 of 4")

format_log_a = formatter("-log(a_{})",
                         "``-log(a_j)`` as note 004's quiz writes it (classes counted from 1) (chapter 3).")


# --- The round-off example of the course that note 004 follows --------------------------------
# Note 004 (line 208) describes the round-off error in words only; the two numbers come from the
# course's optional softmax lab (C2_W2, Coursera "Machine Learning Specialization", lines 30-33 of the
# note name the course). They are not in any note, so they are not a ledger entry:
# tests/chapters/test_03_softmax.py checks them against a fresh computation and the chapter.
ROUNDOFF = ("0.000200000000000000", "0.000199999999999978")
format_roundoff = formatter("{:.18f}", "A float with 18 decimals, as the course lab printed it (chapter 3).")

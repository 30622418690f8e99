"""Chapter 6 (learning-rate decay): note 002's printed run with an exponentially decaying rate.

Note 002, section 三 (lines 126-198), runs gradient descent on ``(w + 1)^2`` from ``w = 5`` with
``tf.train.exponential_decay(0.1, global_step, 1, 0.99, staircase=True)`` and prints 20 lines
(174-193). The last line's loss is cut short in the note (five decimals where ``%f`` prints six),
so the block is split: :data:`DECAY_FULL_LINES` holds the 19 complete lines and
:data:`DECAY_LAST` the last one; :data:`DECAY_PRINTED` is all 20, for side-by-side comparisons.
"""
from __future__ import annotations

from . import NOTE_002, Printed

__all__ = ["DECAY_PRINTED", "DECAY_FULL_LINES", "DECAY_LAST", "DECAY_40_LAST", "DECAY_FORMAT",
           "format_decay_trace", "format_decay_line"]

#: The note's print statement (line 167), with ``%f`` for every number.
DECAY_FORMAT = "After %s steps: global_step is %f, w is %f, learning rate is %f, loss is %f"

# --- Note 002, section 三: base 0.1, rate 0.99, decay_steps 1, staircase, w from 5 -------------

DECAY_PRINTED = Printed(NOTE_002, 174, """\
After 0 steps: global_step is 1.000000, w is 3.800000, learning rate is 0.099000, loss is 23.040001
After 1 steps: global_step is 2.000000, w is 2.849600, learning rate is 0.098010, loss is 14.819419
After 2 steps: global_step is 3.000000, w is 2.095001, learning rate is 0.097030, loss is 9.579033
After 3 steps: global_step is 4.000000, w is 1.494386, learning rate is 0.096060, loss is 6.221961
After 4 steps: global_step is 5.000000, w is 1.015167, learning rate is 0.095099, loss is 4.060896
After 5 steps: global_step is 6.000000, w is 0.631886, learning rate is 0.094148, loss is 2.663051
After 6 steps: global_step is 7.000000, w is 0.324608, learning rate is 0.093207, loss is 1.754587
After 7 steps: global_step is 8.000000, w is 0.077684, learning rate is 0.092274, loss is 1.161403
After 8 steps: global_step is 9.000000, w is -0.121202, learning rate is 0.091352, loss is 0.772287
After 9 steps: global_step is 10.000000, w is -0.281761, learning rate is 0.090438, loss is 0.515867
After 10 steps: global_step is 11.000000, w is -0.411674, learning rate is 0.089534, loss is 0.346128
After 11 steps: global_step is 12.000000, w is -0.517024, learning rate is 0.088638, loss is 0.233266
After 12 steps: global_step is 13.000000, w is -0.602644, learning rate is 0.087752, loss is 0.157891
After 13 steps: global_step is 14.000000, w is -0.672382, learning rate is 0.086875, loss is 0.107334
After 14 steps: global_step is 15.000000, w is -0.729305, learning rate is 0.086006, loss is 0.073276
After 15 steps: global_step is 16.000000, w is -0.775868, learning rate is 0.085146, loss is 0.050235
After 16 steps: global_step is 17.000000, w is -0.814036, learning rate is 0.084294, loss is 0.034583
After 17 steps: global_step is 18.000000, w is -0.845387, learning rate is 0.083451, loss is 0.023905
After 18 steps: global_step is 19.000000, w is -0.871193, learning rate is 0.082617, loss is 0.016591
After 19 steps: global_step is 20.000000, w is -0.892476, learning rate is 0.081791, loss is 0.01156""", "exponential decay 0.1 * 0.99^step, 20 steps printed; the last loss is cut short")

DECAY_FULL_LINES = Printed(NOTE_002, 174, "\n".join(DECAY_PRINTED.lines[:19]),
                           "exponential decay run, the 19 complete lines (steps 0-18)")

DECAY_LAST = Printed(NOTE_002, 193, DECAY_PRINTED.lines[19],
                     "the last line (step 19): its loss has five decimals, %f prints six")

#: The last line of the same script run for 40 steps, as the comment on line 157 says. The note
#: shows only a 20-step run; this line is the original course script's output, recomputed by
#: chapter 6 (not part of the ledger, which holds only what the notes print).
DECAY_40_LAST = ("After 39 steps: global_step is 40.000000, w is -0.995731, "
                 "learning rate is 0.066897, loss is 0.000018")


# --- our results in the note's format ----------------------------------------------------

def format_decay_line(k, w, next_lr, loss, loss_format="%f") -> str:
    """One line in note 002's format for update ``k`` (0-based) (chapter 6).

    ``next_lr`` is the schedule at global step ``k + 1``, what the note's script reads after the
    update. ``loss_format`` changes only how the loss is shown (``"%.5f"``: as the note's cut line).
    """
    return (DECAY_FORMAT.removesuffix("%f") + loss_format) % (k, k + 1, w, next_lr, loss)


def format_decay_trace(trace, loss) -> list[str]:
    """A :func:`nnlib.lr_decay.decayed_gd_trace` run in note 002's format, one line per update (chapter 6).

    Line ``k`` shows the global step ``k + 1``, w after update ``k``, the learning rate at global
    step ``k + 1`` (``trace.lr[k + 1]``) and the float32 loss at that w.
    """
    return [format_decay_line(k, w, trace.lr[k + 1], loss(w)) for k, w in enumerate(trace.w[1:])]

"""Chapter 4 (learning rate): note 002's printed gradient-descent traces, and their format."""
from __future__ import annotations

from . import NOTE_002, Printed

__all__ = ["LR_0_2", "LR_1", "LR_SLOW", "format_lr_trace"]

# --- Note 002, section 一 and 二: gradient descent on loss (w+1)^2 from w = 5 -----------------

LR_0_2 = Printed(NOTE_002, 50, """\
After 0 steps: w is 2.600000, loss is 12.959999
After 1 steps: w is 1.160000, loss is 4.665599
After 2 steps: w is 0.296000, loss is 1.679616
After 3 steps: w is -0.222400, loss is 0.604662
After 4 steps: w is -0.533440, loss is 0.217678
After 5 steps: w is -0.720064, loss is 0.078364
After 6 steps: w is -0.832038, loss is 0.028211
After 7 steps: w is -0.899223, loss is 0.010156
After 8 steps: w is -0.939534, loss is 0.003656
After 9 steps: w is -0.963720, loss is 0.001316
After 10 steps: w is -0.978232, loss is 0.000474
After 11 steps: w is -0.986939, loss is 0.000171
After 12 steps: w is -0.992164, loss is 0.000061
After 13 steps: w is -0.995298, loss is 0.000022
After 14 steps: w is -0.997179, loss is 0.000008
After 15 steps: w is -0.998307, loss is 0.000003
After 16 steps: w is -0.998984, loss is 0.000001
After 17 steps: w is -0.999391, loss is 0.000000""", "learning rate 0.2, 40 steps run, steps 0-17 printed")

LR_1 = Printed(NOTE_002, 83, """\
After 0 steps: w is -7.000000, loss is 36.000000
After 1 steps: w is 5.000000, loss is 36.000000
After 2 steps: w is -7.000000, loss is 36.000000
After 3 steps: w is 5.000000, loss is 36.000000
After 4 steps: w is -7.000000, loss is 36.000000
After 5 steps: w is 5.000000, loss is 36.000000
After 6 steps: w is -7.000000, loss is 36.000000
After 7 steps: w is 5.000000, loss is 36.000000
After 8 steps: w is -7.000000, loss is 36.000000
After 9 steps: w is 5.000000, loss is 36.000000
After 10 steps: w is -7.000000, loss is 36.000000
After 11 steps: w is 5.000000, loss is 36.000000
After 12 steps: w is -7.000000, loss is 36.000000
After 13 steps: w is 5.000000, loss is 36.000000
After 14 steps: w is -7.000000, loss is 36.000000
After 15 steps: w is 5.000000, loss is 36.000000
After 16 steps: w is -7.000000, loss is 36.000000
After 17 steps: w is 5.000000, loss is 36.000000""", "learning rate 1: w swings between -7 and 5")

# Labelled "learning rate 0.0001" in the note (line 104); the digits are those of 0.001.
LR_SLOW = Printed(NOTE_002, 107, """\
After 0 steps: w is 4.988000, loss is 35.856144
After 1 steps: w is 4.976024, loss is 35.712864
After 2 steps: w is 4.964072, loss is 35.570156
After 3 steps: w is 4.952144, loss is 35.428020
After 4 steps: w is 4.940240, loss is 35.286449
After 5 steps: w is 4.928360, loss is 35.145447
After 6 steps: w is 4.916503, loss is 35.005009
After 7 steps: w is 4.904670, loss is 34.865124
After 8 steps: w is 4.892860, loss is 34.725803
After 9 steps: w is 4.881075, loss is 34.587044
After 10 steps: w is 4.869313, loss is 34.448833
After 11 steps: w is 4.857574, loss is 34.311172
After 12 steps: w is 4.845859, loss is 34.174068
After 13 steps: w is 4.834167, loss is 34.037510
After 14 steps: w is 4.822499, loss is 33.901497
After 15 steps: w is 4.810854, loss is 33.766029
After 16 steps: w is 4.799233, loss is 33.631104
After 17 steps: w is 4.787634, loss is 33.496712""", "the 'slow' trace, labelled 0.0001 in the note")


# --- our results in the note's format ----------------------------------------------------

def format_lr_trace(trace, loss) -> list[str]:
    """Our trace in note 002's format: ``After i steps: w is %f, loss is %f`` (chapter 4).

    ``trace.w[i + 1]`` is w after update ``i``; ``loss`` maps w to the float32 loss.
    """
    return ["After %s steps: w is %f, loss is %f" % (i, w, loss(w)) for i, w in enumerate(trace.w[1:])]



"""Chapter 1 (neurons and activations): the network sizes notes 000, 003 and 004 print.

The notes state these numbers inside sentences, so each block is the exact fragment that
carries the number. The ``format_*`` helpers print our own counts in the same form.
"""
from __future__ import annotations

from ..neurons_activations import param_counts
from . import NOTE_000, NOTE_003, NOTE_004, Printed, shows

__all__ = ["PARAMS_3_4_2", "PARAMS_3_4_2_AS_PRINTED", "SHAPE_400_25", "SHAPE_25_15", "SHAPE_15_1",
           "PHOTO_INPUT", "format_param_sum", "format_shape", "format_input_length",
           "rendered_as_text", "compare_fragments"]

# --- Note 000, 复杂度 (lines 13-18): the 3-4-2 network -----------------------------------------

PARAMS_3_4_2 = Printed(NOTE_000, 18, "= 26", "parameters of the 3-4-2 network (12 + 4 weights/biases, "
                                             "then 8 + 2)")
# The whole sum as the note shows it: the two '*' were eaten as Markdown emphasis (errata).
PARAMS_3_4_2_AS_PRINTED = Printed(NOTE_000, 18, "总参数 = 34+4 + 42+2 = 26",
                                  "the note's sum, with its multiplication signs lost")

# --- Note 004, section 1.2 (line 78): weight shapes of the 400-25-15-1 network ---------------

SHAPE_400_25 = Printed(NOTE_004, 78, "400×25", "W[1] of the 400-25-15-1 network")
SHAPE_25_15 = Printed(NOTE_004, 78, "25×15", "W[2] of the 400-25-15-1 network")
SHAPE_15_1 = Printed(NOTE_004, 78, "15×1", "W[3] of the 400-25-15-1 network")

# --- Note 003 (line 104): one input neuron per number of a 320x240 colour photo --------------

PHOTO_INPUT = Printed(NOTE_003, 104, "320x240x3=230400", "input length of a 320x240 RGB photo")


# --- our results in the notes' form ----------------------------------------------------------

def format_param_sum(sizes) -> str:
    """``'3*4+4 + 4*2+2 = 26'``: weights + biases of each dense layer, and the total (chapter 1)."""
    total = sum(param_counts(sizes))  # checks sizes
    terms = [f"{a}*{b}+{b}" for a, b in zip(sizes[:-1], sizes[1:])]
    return " + ".join(terms) + f" = {total}"


def format_shape(shape) -> str:
    """A matrix shape as note 004 writes it, ``(400, 25)`` -> ``'400×25'`` (chapter 1)."""
    return "×".join(str(int(n)) for n in shape)


def format_input_length(height, width, channels) -> str:
    """``'320x240x3=230400'``: how many numbers (input neurons) an image has (chapter 1)."""
    return f"{height}x{width}x{channels}={height * width * channels}"


def rendered_as_text(markdown: str) -> str:
    """What a Markdown sentence reads as once rendered and stripped of tags (chapter 1 errata).

    ``'3*4+4 + 4*2+2'`` becomes ``'34+4 + 42+2'``: the two asterisks open and close emphasis.
    """
    import html
    import re

    from markdown_it import MarkdownIt

    rendered = MarkdownIt().render(markdown)
    return html.unescape(re.sub(r"<[^>]+>", "", rendered)).strip()


def compare_fragments(pairs) -> str:
    """Report, for each ``(our line, Printed)``, whether our line shows the note's fragment (chapter 1).

    The note states these numbers inside sentences, so we look for its exact fragment (as a
    whole number, see :func:`nnlib.notes.shows`) in the line we printed.
    """
    pairs, rows, found = list(pairs), [], 0
    for ours, printed in pairs:
        ok = all(shows(row, [ours]) for row in printed.lines)
        found += ok
        rows.append(f"  {printed.where}")
        rows.append(f"      note {printed.text!r:<20} ours {ours!r:<22} "
                    + ("same" if ok else "DIFFERENT"))
    return "\n".join([f"{found} of {len(pairs)} numbers as the notes state them"] + rows)

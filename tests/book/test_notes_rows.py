"""Every row of the notes' coverage ledger that was MISSING or PARTIAL (issue 18) is now taught,
or scoped out with a reason a reader can check, at a place named here; the test checks that each
place still says it.

The ledger (``notes-coverage.md``, beside the notes) sets the five notes against the course row
by row. Its short list of MISSING and PARTIAL rows is the to-do list this file closes: ROWS names,
for every row of that list, the page and section that now covers it and a pattern that the
section's text (Markdown, code and printed output) must contain. If a section is renamed or the
passage removed, the test names the row that lost its place.
"""
from __future__ import annotations

import re

import pytest

from tests.helpers import ROOT, SEEDS, load, output_texts

CHAPTERS = ROOT / "chapters"
MAP = "notes_map.md"
APPENDIX = "appendix_keras.ipynb"

#: row id -> (page, section heading or None for the whole page, pattern)
ROWS = {
    # note 000
    "000-39": ("13_regularization.ipynb", "Where this chapter comes from", r"np\.mgrid.*plt\.contour"),
    "000-52": ("13_regularization.ipynb", "The program's boundary, and the note's claim",
               r"0\.0 % with the penalty, 5\.3 % without it"),
    "000-51": (MAP, None, r"`if __name__ == '__main__'`\s+guard is not\s+discussed: a notebook has no main"),
    # note 001
    "001-13": ("10_initialization.ipynb", "The note's remark on `fully_connected()` and `dense()`",
               r"activation_fn is an argument of Dense: False"),
    "001-20": ("01_neurons_activations.ipynb", "A learned slope, a random slope: PReLU and RReLU",
               r"\*\*RReLU\*\*"),
    "001-21": ("01_neurons_activations.ipynb", "A learned slope, a random slope: PReLU and RReLU",
               r"\*\*PReLU\*\*"),
    "001-26": ("01_neurons_activations.ipynb", "Rules of thumb, and their reasons",
               r"time, because of its exponential"),
    "001-28": ("01_neurons_activations.ipynb", "Rules of thumb, and their reasons", r"RReLU"),
    "001-37": ("12_batch_norm.ipynb", "Less sensitive to the starting weights", r"N\(0, 1\)\s+0\.10-0\.10 overflow"),
    "001-39": ("12_batch_norm.ipynb", "Noise from the batch, a mild regularizer",
               r"\[Chapter 13\]\(13_regularization\.ipynb\) adds noise"),
    "001-40": ("12_batch_norm.ipynb", "What it costs",
               r"The inputs need no standardizing, if the first layer is batch normalization"),
    "001-41": ("12_batch_norm.ipynb", "What it costs", r"the same predicted digit for 800 of 800"),
    "001-42": ("12_batch_norm.ipynb", "Does training start slowly?", r"No slow start here"),
    "001-43": ("12_batch_norm.ipynb", "From TensorFlow 1 to TensorFlow 2",
               r"tf\.nn\.batch_normalization\(h, mean, variance"),
    "001-45": ("12_batch_norm.ipynb", "From TensorFlow 1 to TensorFlow 2",
               r"my_dense_layer = partial\(keras\.layers\.Dense"),
    "001-47": ("12_batch_norm.ipynb", "From TensorFlow 1 to TensorFlow 2",
               r"my_batch_norm_layer = partial\(keras\.layers\.BatchNormalization"),
    "001-50": ("12_batch_norm.ipynb", "From TensorFlow 1 to TensorFlow 2",
               r"moving_mean\s+moved: True; update_moving's within 1e-5: True"),
    "001-38": (MAP, None, r"Ioffe and Szegedy's 2015\s+paper"),
    # note 003
    "003-04": ("09_minibatches.ipynb", "The note's own example, run", r"identity"),
    "003-08": ("09_minibatches.ipynb", "Small data: `'lbfgs'` against `'adam'` and `'sgd'`",
               r"n = 100: .*lbfgs ahead in 0 of 5"),
    "003-17": ("09_minibatches.ipynb", "The note's own example, run", r"coefs_"),
    "003-18": ("09_minibatches.ipynb", "The note's own example, run", r"predict_proba"),
    "003-26": ("02_losses.ipynb", "Labels, predictions and three losses", r"spam"),
    "003-30": ("02_losses.ipynb", "Labels, predictions and three losses", r"vertical segment"),
    "003-33": ("02_losses.ipynb", "Labels, predictions and three losses", r"every partial derivativ"),
    "003-43": ("09_minibatches.ipynb", "The claims, and where the chapter measures them",
               r"The full batch needs memory.*Rprop, belongs to minibatches"),
    "003-51": ("01_neurons_activations.ipynb", "Rules of thumb, and their reasons", r"prints no timing"),
    "003-53": ("01_neurons_activations.ipynb", "A learned slope, a random slope: PReLU and RReLU",
               r"slope a parameter"),
    "003-54": ("01_neurons_activations.ipynb", "Rules of thumb, and their reasons", r"Zero-centred inputs"),
    "003-55": ("01_neurons_activations.ipynb", "Rules of thumb, and their reasons", r"\*\*Maxout\*\*"),
    "003-57": (APPENDIX, "Step 7: save and reload", r"\.keras"),
    "003-58": (APPENDIX, "Seven steps, three ways to build a model", r"three ways"),
    "003-59": (APPENDIX, "Sequential: a list of layers", r"model\.pop\(\)"),
    "003-60": (APPENDIX, "Functional: a graph of layers", r"keras\.Model\(inputs=\[a, b\]"),
    "003-62": (APPENDIX, "The core layers, one example each", r"\*\*merging\*\*"),
    "003-63": (APPENDIX, "Trainable weights: a dense layer of your own", r"def get_config"),
    "003-64": (APPENDIX, "Trainable weights: a dense layer of your own", r"class SimpleDense"),
    "003-65": (APPENDIX, "Non-trainable state: a running sum", r"class ComputeSum"),
    "003-69": (APPENDIX, "Dropout", r"training=True"),
    "003-70": (APPENDIX, "Flatten and Reshape", r"layers\.Flatten"),
    "003-71": (APPENDIX, "Flatten and Reshape", r"layers\.Reshape"),
    "003-72": (APPENDIX, "Lambda", r"layers\.Lambda"),
    "003-73": (APPENDIX, "Masking", r"layers\.Masking"),
    "003-74": (APPENDIX, "Embedding", r"layers\.Embedding"),
    "003-75": (APPENDIX, "Convolution", r"Conv1D"),
    # note 004
    "004-02": ("14_training.ipynb", "Errata", r"metrics='accuracy'"),
    "004-04": ("14_training.ipynb", "Note 004's list of `fit`'s options", r"class_weight"),
    "004-05": ("14_training.ipynb", "Note 004's training log", r"which we do not have"),
    "004-13": ("05_backprop.ipynb", "Errata", r"\(errata-05-quiz\)="),
    "004-14": ("01_neurons_activations.ipynb", "Rules of thumb, and their reasons", r"T-shirt"),
    "004-17": ("01_neurons_activations.ipynb", "Rules of thumb, and their reasons",
               r"flat only on its negative side"),
    "004-20": ("01_neurons_activations.ipynb", "Rules of thumb, and their reasons", r"\*sparse\*"),
    "004-22": ("01_neurons_activations.ipynb", "Choosing the output activation",
               r"house price a linear output"),
    "004-25": ("03_softmax.ipynb", "From scores to probabilities", r"\*clustering\*"),
    "004-26": ("03_softmax.ipynb", "Decision regions",
               r"every region of a linear softmax classifier\s+is a convex polygon"),
    "004-45": (APPENDIX, "Convolution", r"km\.heartbeat\(\)"),
    "004-47": (APPENDIX, "A small convolutional network on MNIST", r"CNN: 2,346 parameters"),
    "004-48": (APPENDIX, "The core layers, one example each", r"\*\*recurrent\*\*"),
    "004-49": ("14_training.ipynb", "Where this chapter comes from", r"20×20"),
    "004-55": (APPENDIX, "Quiz question 2: which layer's neurons see only part of the input?",
               r"[Cc]onvolution"),
}


def _cell_text(cell) -> str:
    """A cell's source and the texts its stored outputs show."""
    return "\n".join(["".join(cell["source"])]
                     + [t for out in cell.get("outputs", []) for t in output_texts(out)])


def _section(page: str, heading: str | None) -> str:
    """The text of ``page`` from the heading ``heading`` to the next heading of the same or a
    higher level (the whole page if ``heading`` is None). Only Markdown lines are headings: a
    code comment starts with # too."""
    path = CHAPTERS / page
    if path.suffix == ".md":
        lines = [(line, True) for line in path.read_text(encoding="utf-8").splitlines()]
    else:
        cells = load(path)["cells"]
        lines = [(line, c["cell_type"] == "markdown") for c in cells
                 for line in _cell_text(c).splitlines()]
    if heading is None:
        return "\n".join(line for line, _ in lines)
    out, level = [], None
    for line, markdown in lines:
        m = re.match(r"(#{1,6}) (.+)", line) if markdown else None
        if level is None:
            if m and m.group(2).strip() == heading:
                level = len(m.group(1))
                out.append(line)
        elif m and len(m.group(1)) <= level:
            break
        else:
            out.append(line)
    assert level is not None, f"{page} has no section {heading!r}"
    return "\n".join(out)


@pytest.mark.parametrize("row", sorted(ROWS))
def test_the_row_is_covered_where_named(row):
    page, heading, pattern = ROWS[row]
    text = _section(page, heading)
    assert re.search(pattern, text, re.S), (
        f"ledger row {row}: {page}, section {heading!r}, no longer contains {pattern!r}")


def test_every_row_of_the_ledgers_short_list_has_a_place():
    ledger = SEEDS.parent / "notes-coverage.md"
    if not ledger.exists():
        pytest.skip(f"{ledger} not found")
    text = ledger.read_text(encoding="utf-8")
    short = text.split("## 3.", 1)[1].split("## 4.", 1)[0]
    listed = set(re.findall(r"^- \*\*(\d{3}-\d{2})\*\*", short, re.M))
    assert len(listed) >= 60, "the ledger's short list was not found"
    assert listed <= set(ROWS), f"rows with no place: {sorted(listed - set(ROWS))}"


def test_a_renamed_section_or_a_lost_passage_fails():
    """The check itself: a section that does not exist, and a pattern that is not there."""
    with pytest.raises(AssertionError, match="has no section"):
        _section("14_training.ipynb", "No such section")
    assert not re.search(r"class_weight", _section("14_training.ipynb", "Note 004's training log"))

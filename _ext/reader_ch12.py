"""One-off for the lead: apply helper D's reader pattern to chapter 12 (markdown + cell metadata only).

Run from the repository root AFTER chapter 12 is re-executed and saved:
    .venv/bin/python _ext/reader_ch12.py && make book && .venv/bin/python -m pytest tests/test_reader.py -q
It (1) adds "## What to read next" before "## Terms", (2) puts the label (errata-12-epoch)= right
before the errata box and points chapters/errata.md's chapter-12 row at it, (3) gives each stored
figure alt text via cell metadata {"mystnb": {"image": {"alt": ...}}}. Code cells' source and outputs
are not touched. Re-running is a no-op. Check the alt texts still describe the figures' numbers.
Delete this file once applied.
"""
import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NB = ROOT / "chapters" / "12_training.ipynb"
ERRATA = ROOT / "chapters" / "errata.md"
LABEL = "errata-12-epoch"
ALTS = [  # the stored figures in order
    "Loss and accuracy per epoch of note 004's network trained with Adam at 1e-3 on 4000 MNIST images: "
    "the training loss keeps falling towards 0 and training accuracy approaches 1, while the test loss "
    "bottoms out after about 10 epochs and then creeps up and test accuracy levels off near 0.92.",
    "Eight test images, each with the network's ten class probabilities as a bar chart beneath it: most "
    "are recognized with probability close to 1; the uncertain one is a 0 read as a 5.",
    "Confusion matrix of the test set, true digit against predicted digit: large counts on the "
    "diagonal (87 to 97 correct per digit) and a few mistakes off it, such as 5 read as 3 and 9 read "
    "as 4 or 7.",
    "The test set's mistakes the network was most sure of: three rows of handwritten digits, each "
    "titled with the true digit, the predicted one and the probability it gave, most of them 0.95 or more.",
    "Horizontal bars of test accuracy as the course's techniques are added one at a time to plain SGD: "
    "He initialization, batch normalization, Adam, exponential decay, EMA of weights and L2; the big "
    "gains come from He initialization and from Adam.",
]
READ_NEXT = """## What to read next

- Back to the start: the [glossary](glossary.md) collects every term of the course and the
  [errata](errata.md) page every correction made to the notes.
- The data set and the network family go back to {cite}`lecun1998`; {cite}`bengio2012` is a practical
  guide to the settings this chapter tunes (learning rate, batch size, epochs, early stopping).
- Free to read: the Keras guide [Training & evaluation with the built-in methods](https://keras.io/guides/training_with_built_in_methods/).

"""


def main():
    raw = NB.read_text(encoding="utf-8")
    nb = json.loads(raw)
    figs = [c for c in nb["cells"] if c["cell_type"] == "code"
            and any("image/png" in o.get("data", {}) for o in c.get("outputs", []))]
    assert len(figs) == len(ALTS), f"chapter 12 stores {len(figs)} figures, ALTS has {len(ALTS)}: update ALTS"
    for cell, alt in zip(figs, ALTS):
        cell["metadata"].setdefault("mystnb", {}).setdefault("image", {})["alt"] = alt
    for cell in nb["cells"]:
        src = "".join(cell["source"])
        if cell["cell_type"] == "markdown" and ":::{admonition} Errata" in src and f"({LABEL})=" not in src:
            src = src.replace(":::{admonition} Errata", f"({LABEL})=\n\n:::{{admonition}} Errata", 1)
            cell["source"] = src.splitlines(keepends=True)
    last = nb["cells"][-1]
    src = "".join(last["source"])
    if "## What to read next" not in src:
        i = src.index("## Terms")
        last["source"] = (src[:i] + READ_NEXT + src[i:]).splitlines(keepends=True)
    out = json.dumps(nb, indent=1, ensure_ascii=False) + "\n"
    if out != raw:
        NB.write_text(out, encoding="utf-8")
    text = ERRATA.read_text(encoding="utf-8")
    ERRATA.write_text(re.sub(r"\[chapter 12\]\([a-z0-9-]+\)", f"[chapter 12]({LABEL})", text), encoding="utf-8")


if __name__ == "__main__":
    main()

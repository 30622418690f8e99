"""Chapter 14 (training in practice): learning curves, predictions, confusion matrix, mistakes,
and the explorer over test images."""
from __future__ import annotations

import numpy as np

from .. import explore
from . import COLORS, finish_axes, new_figure

__all__ = ["history_figure", "prediction_figure", "confusion_figure", "mistakes_figure", "explorer"]


def _image(ax, pixels):
    ax.imshow(np.asarray(pixels).reshape(28, 28), cmap="gray_r", vmin=0, vmax=1)
    ax.set(xticks=[], yticks=[])


def history_figure(rows, title="Training log", best=None):
    """Loss (left) and accuracy (right) per epoch, training and validation, from an epoch log's
    rows; ``best``, an epoch, is marked by a dotted line (chapter 14)."""
    fig, (ax0, ax1) = new_figure(2, height=3.2)
    for ax, key in ((ax0, "loss"), (ax1, "accuracy")):
        for prefix, color, label in (("", COLORS[0], "training"), ("val_", COLORS[1], "validation")):
            have = [r for r in rows if prefix + key in r]
            if have:
                ax.plot([r["epoch"] for r in have], [r[prefix + key] for r in have], color=color,
                        label=label, marker="o" if len(have) < len(rows) else None, ms=4)
        if best is not None:
            ax.axvline(best, color="0.4", ls=":", lw=1.2, label=f"epoch {best}")
        finish_axes(ax, "best", xlabel="epoch", title=key)
    fig.suptitle(title)
    return fig


def prediction_figure(images, probs, y_true):
    """A few 28 x 28 test images, each above a bar chart of its softmax probabilities."""
    n = len(images)
    fig, axes = new_figure(n, width=1.5 * n + 1, height=3.2, left=0.03, right=0.99, bottom=0.1, top=0.85,
                           wspace=0.3)
    for ax, pixels, p, y in zip(axes, images, probs, y_true):
        ax.axis("off")
        img = ax.inset_axes([0.1, 0.45, 0.8, 0.55])
        _image(img, pixels)
        bars = ax.inset_axes([0.0, 0.0, 1.0, 0.38])
        k = int(np.argmax(p))
        bars.bar(range(10), p, color=[COLORS[2] if j == y else (COLORS[1] if j == k else "0.7")
                                     for j in range(10)])
        bars.set(ylim=(0, 1), yticks=[])
        bars.set_xticks(range(10), [str(j) for j in range(10)], fontsize=7)
        ax.set_title(f"true {y}, says {k}\np = {p[k]:.2f}", fontsize=9)
    return fig


def confusion_figure(cm):
    """The test set's confusion matrix as a heat map with counts; the diagonal is what the network
    got right."""
    cm = np.asarray(cm)
    fig, (ax,) = new_figure(1, width=5.2, height=4.6, left=0.14, right=0.97, bottom=0.12, top=0.9)
    off = cm.astype(float).copy()
    np.fill_diagonal(off, np.nan)
    ax.imshow(off, cmap="Reds")
    for i, j in zip(*np.nonzero(cm)):
        ax.text(j, i, str(cm[i, j]), ha="center", va="center", fontsize=8,
                color="black" if i != j else COLORS[2], weight="bold" if i == j else None)
    ax.set(xlabel="predicted digit", ylabel="true digit", title="Confusion matrix (test set)",
           xticks=range(cm.shape[1]), yticks=range(cm.shape[0]))
    return fig


def mistakes_figure(images, y_true, probs, indices):
    """A gallery of misclassified images, 8 a row: true digit, prediction and its probability."""
    indices = list(indices)
    nrows = max(1, -(-len(indices) // 8))
    fig, axes = new_figure(8, width=9.6, height=1.45 * nrows + 0.3, nrows=nrows, left=0.01, right=0.99,
                           bottom=0.01, top=0.9, hspace=0.45, wspace=0.1)
    for ax in np.ravel(axes)[len(indices):]:
        ax.remove()
    for ax, i in zip(np.ravel(axes), indices):
        _image(ax, images[i])
        k = int(np.argmax(probs[i]))
        ax.set_title(f"{y_true[i]} → {k} ({probs[i][k]:.2f})", fontsize=8, color=COLORS[1])
    return fig


def explorer(X_test, probs, y_test, picks):
    """Chapter 14's explorer: a test image and the trained network's ten probabilities ``probs`` for
    it; the book's frames show the images ``picks`` lists, the live explorer any of them (chapter 14)."""
    def plot(index):
        i = int(index)
        return prediction_figure(X_test[i:i + 1], probs[i:i + 1], y_test[i:i + 1])

    return explore.Explorer("training", plot, [
        explore.int_slider("index", 0, len(X_test) - 1, picks[0], grid=tuple(picks), label="test image")])


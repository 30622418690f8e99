"""Chapters 12 and 13 (training in practice, capstone): learning curves, predictions, confusion
matrix, mistakes, and the capstone's comparison."""
from __future__ import annotations

import numpy as np

from . import COLORS, new_figure

__all__ = ["history_figure", "prediction_figure", "confusion_figure", "mistakes_figure",
           "capstone_figure", "capstone_steps_figure"]


def _image(ax, pixels, side):
    ax.imshow(np.asarray(pixels).reshape(side, side), cmap="gray_r", vmin=0, vmax=1)
    ax.set_xticks([])
    ax.set_yticks([])


def history_figure(rows, title="Training log"):
    """Loss (left) and accuracy (right) per epoch, training and test, from an epoch log's rows."""
    fig, (ax0, ax1) = new_figure(2, height=3.2)
    for ax, key in ((ax0, "loss"), (ax1, "accuracy")):
        for prefix, color, label in (("", COLORS[0], "training"), ("val_", COLORS[1], "test")):
            have = [r for r in rows if prefix + key in r]
            if have:
                ax.plot([r["epoch"] for r in have], [r[prefix + key] for r in have], color=color,
                        label=label, marker="o" if len(have) < len(rows) else None, ms=4)
        ax.set(xlabel="epoch", title=key)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle(title)
    return fig


def prediction_figure(images, probs, y_true, side=28):
    """A few test images, each above a bar chart of its softmax probabilities."""
    n = len(images)
    fig, axes = new_figure(n, width=1.5 * n + 1, height=3.2)
    fig.subplots_adjust(left=0.03, right=0.99, bottom=0.1, top=0.85, wspace=0.3)
    for ax, pixels, p, y in zip(axes, images, probs, y_true):
        ax.axis("off")
        img = ax.inset_axes([0.1, 0.45, 0.8, 0.55])
        _image(img, pixels, side)
        bars = ax.inset_axes([0.0, 0.0, 1.0, 0.38])
        k = int(np.argmax(p))
        bars.bar(range(10), p, color=[COLORS[2] if j == y else (COLORS[1] if j == k else "0.7")
                                     for j in range(10)])
        bars.set_ylim(0, 1)
        bars.set_xticks(range(10), [str(j) for j in range(10)], fontsize=7)
        bars.set_yticks([])
        ax.set_title(f"true {y}, says {k}\np = {p[k]:.2f}", fontsize=9)
    return fig


def confusion_figure(cm, title="Confusion matrix (test set)"):
    """The confusion matrix as a heat map with counts; the diagonal is what the network got right."""
    cm = np.asarray(cm)
    fig, (ax,) = new_figure(1, width=5.2, height=4.6)
    fig.subplots_adjust(left=0.14, right=0.97, bottom=0.12, top=0.9)
    off = cm.astype(float).copy()
    np.fill_diagonal(off, np.nan)
    ax.imshow(off, cmap="Reds")
    for i in range(cm.shape[0]):
        for j in range(cm.shape[1]):
            if cm[i, j]:
                ax.text(j, i, str(cm[i, j]), ha="center", va="center", fontsize=8,
                        color="black" if i != j else COLORS[2], weight="bold" if i == j else None)
    ax.set(xlabel="predicted digit", ylabel="true digit", title=title,
           xticks=range(cm.shape[1]), yticks=range(cm.shape[0]))
    return fig


def mistakes_figure(images, y_true, probs, indices, side=28, ncols=8):
    """A gallery of misclassified images: true digit, prediction and its probability."""
    indices = list(indices)
    nrows = max(1, -(-len(indices) // ncols))
    fig, _ = new_figure(1, width=1.2 * ncols, height=1.45 * nrows + 0.3)
    fig.clf()
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.01, top=0.9, hspace=0.45, wspace=0.1)
    for n, i in enumerate(indices):
        ax = fig.add_subplot(nrows, ncols, n + 1)
        _image(ax, images[i], side)
        k = int(np.argmax(probs[i]))
        ax.set_title(f"{y_true[i]} → {k} ({probs[i][k]:.2f})", fontsize=8, color=COLORS[1])
    return fig


def capstone_figure(names, accuracies, baseline=None):
    """Test accuracy of each capstone step, as horizontal bars."""
    fig, (ax,) = new_figure(1, width=7.5, height=0.4 * len(names) + 1.2)
    fig.subplots_adjust(left=0.33, right=0.95, bottom=0.2, top=0.88)
    y = np.arange(len(names))[::-1]
    acc = np.asarray(accuracies) * 100
    ax.barh(y, acc, color=COLORS[0])
    for yi, a in zip(y, acc):
        ax.text(a + 0.1, yi, f"{a:.1f}%", va="center", fontsize=8)
    ax.set_yticks(y, names, fontsize=8)
    lo = max(0.0, float(acc.min()) - 5)
    ax.set_xlim(lo, 100)
    ax.set(xlabel="test accuracy (%)", title="Adding the course's techniques one at a time")
    return fig


def capstone_steps_figure(names, epoch_losses, accuracies, step, se=None):
    """Capstone explorer (chapter 13): training loss per epoch of steps 0..``step`` (``step`` in
    colour, earlier ones grey), and their test accuracies with ± one standard error.

    The axes are fixed by all the runs passed in, so frames for different steps line up.
    """
    names = list(names)
    losses = [np.asarray(l, dtype=float) for l in epoch_losses]
    acc = np.asarray(accuracies, dtype=float) * 100
    if not (len(names) == len(losses) == len(acc)) or not names:
        raise ValueError(f"names, epoch_losses and accuracies must have the same non-zero length, "
                         f"got {len(names)}, {len(losses)}, {len(acc)}")
    step = int(step)
    if not 0 <= step < len(names):
        raise ValueError(f"step must be between 0 and {len(names) - 1}, got {step}")
    fig, (ax0, ax1) = new_figure(2, width=9.5, height=3.4)
    fig.subplots_adjust(left=0.07, right=0.98, bottom=0.16, top=0.86, wspace=0.55)
    for k in range(step + 1):
        epochs = np.arange(1, len(losses[k]) + 1)
        now = k == step
        ax0.plot(epochs, losses[k], color=COLORS[0] if now else "0.75", lw=2.2 if now else 1,
                 marker="o" if now else None, ms=4, zorder=3 if now else 2)
    top = max(float(l.max()) for l in losses)
    ax0.set(xlabel="epoch", ylabel="mean training loss", ylim=(0, top * 1.05),
            xlim=(0.8, max(len(l) for l in losses) + 0.2),
            title=f"step {step}: {names[step]}")
    ax0.grid(alpha=0.3)
    rows = np.arange(len(names))[::-1]
    shown = slice(0, step + 1)
    colors = ["0.75"] * step + [COLORS[0]]
    err = None if se is None else float(se) * 100
    ax1.barh(rows[shown], acc[shown], color=colors, xerr=err, ecolor="0.3", capsize=3)
    for r, a in zip(rows[shown], acc[shown]):
        ax1.text(a + (err or 0) + 0.3, r, f"{a:.1f}%", va="center", fontsize=8)
    ax1.set_yticks(rows, names, fontsize=8)
    ax1.set_xlim(max(0.0, float(acc.min()) - 5), 100)
    ax1.set_ylim(-0.6, len(names) - 0.4)
    ax1.set(xlabel="test accuracy (%)", title="test accuracy" + ("" if se is None else " ± 1 SE"))
    return fig

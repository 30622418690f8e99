"""Chapter 14 (training in practice): learning curves, predictions, confusion matrix, mistakes,
and the explorer over test images."""
from __future__ import annotations

import numpy as np

from .. import explore
from . import COLORS, finish_axes, new_figure

__all__ = ["history_figure", "prediction_figure", "confusion_figure", "mistakes_figure", "selection",
           "explorer", "web_test_set"]


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


#: The explorer's drop-down entry for "any digit".
ANY = "any"


def _quantized(probs) -> np.ndarray:
    """The probabilities as the in-browser explorer gets them: whole 255ths (one byte each)."""
    return np.clip(np.rint(np.asarray(probs, dtype=np.float64) * 255), 0, 255).astype(np.uint8)


def selection(y_test, probs, true=ANY, predicted=ANY, pred=None) -> np.ndarray:
    """The test images with true digit ``true`` that the network calls ``predicted`` (either may be
    ``"any"``), the most confident first (the predicted digit's probability in 255ths, then the
    index): the order the explorer steps through, in Python and in the browser (chapter 14).
    ``pred``: the predictions, if not the argmax of ``probs``."""
    y, probs = np.asarray(y_test), np.asarray(probs)
    pred = probs.argmax(axis=1) if pred is None else np.asarray(pred)
    q = _quantized(probs)
    keep = np.ones(len(y), dtype=bool)
    if str(true) != ANY:
        keep &= y == int(true)
    if str(predicted) != ANY:
        keep &= pred == int(predicted)
    idx = np.nonzero(keep)[0]
    conf = q[idx, pred[idx]].astype(int)
    return idx[np.lexsort((idx, -conf))]


def explorer(X_test, probs, y_test, picks=None):
    """Chapter 14's explorer: the test set through the trained network's eyes. Pick a cell of the
    confusion matrix (true digit, predicted digit; click it in the browser) and step through its
    images, the most confident first, each with its ten probabilities. ``picks`` is unused (the
    frames of the kernel-free version before the browser port)."""
    X_test, probs, y_test = np.asarray(X_test), np.asarray(probs), np.asarray(y_test)
    if not (len(X_test) == len(probs) == len(y_test)) or X_test.ndim != 2 or X_test.shape[1] != 784:
        raise ValueError(f"X_test (n, 784), probs (n, 10) and y_test (n,) must describe the same n images, "
                         f"got {X_test.shape}, {probs.shape}, {y_test.shape}")
    digits = [ANY] + [str(d) for d in range(10)]

    def plot(true=ANY, predicted=ANY, rank=0):
        sel = selection(y_test, probs, true, predicted)
        if not len(sel):
            fig, (ax,) = new_figure(1, width=3.0, height=1.2)
            ax.axis("off")
            ax.text(0.5, 0.5, f"no test image is a {true} read as {predicted}", ha="center", va="center")
            return fig
        i = int(sel[min(int(rank), len(sel) - 1)])
        return prediction_figure(X_test[i:i + 1], probs[i:i + 1], y_test[i:i + 1])

    return explore.Explorer("training", plot, [
        explore.choice("true", digits, default=ANY, label="true digit"),
        explore.choice("predicted", digits, default=ANY, label="predicted"),
        explore.int_slider("rank", 0, len(X_test) - 1, 0, grid=(0,), label="image (most confident first)"),
    ], web="training", web_data=lambda: web_test_set(X_test, probs, y_test))


def web_test_set(X_test, probs, y_test) -> dict:
    """The test set as the in-browser explorer draws it (chapter 14): every image in one grayscale
    PNG (40 a row, dark ink on white), the labels, and the probabilities in 255ths as base64
    bytes (``tf_probs``: TensorFlow's last bits differ from one CPU to another, so the test suite
    compares this field as it compares pictures; a browser test checks it against ``probs``)."""
    import base64
    import io

    from PIL import Image

    X = np.asarray(X_test, dtype=np.float64)
    n = len(X)
    pixels = np.clip(np.rint(X * 255 if X.max() <= 1 else X), 0, 255).astype(np.uint8)
    per_row = 40
    rows = -(-n // per_row)
    sheet = np.full((rows * per_row, 784), 255, dtype=np.uint8)
    sheet[:n] = 255 - pixels
    sheet = sheet.reshape(rows, per_row, 28, 28).transpose(0, 2, 1, 3).reshape(rows * 28, per_row * 28)
    buf = io.BytesIO()
    Image.fromarray(sheet, "L").save(buf, "PNG", optimize=True)
    return {"sprite": "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii"),
            "perRow": per_row, "labels": [int(v) for v in np.asarray(y_test)],
            "pred": [int(v) for v in np.asarray(probs).argmax(axis=1)],
            "tf_probs": base64.b64encode(_quantized(probs).tobytes()).decode("ascii")}

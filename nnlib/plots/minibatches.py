"""Chapter 9 (minibatches): gradient noise against batch size, the batch-size explorer, and
choosing a solver on validation data."""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from .. import data, explore
from .. import optimizers as opt
from . import COLORS, finish_axes, new_figure, plain_log_axis

__all__ = ["batch_figure", "explorer_figure", "explorer", "web_digits", "practice_figure"]

#: The reference run every explorer frame shows in grey: batch 32 at learning rate 0.5.
REFERENCE = (32, 0.5)


def batch_figure(sizes, noise, spread, n):
    """Gradient noise against batch size: measured points, and ``spread/B * (n-B)/(n-1)`` (chapter 9)."""
    fig, (ax,) = new_figure(1, width=7.0, height=3.6, left=0.12, right=0.97, bottom=0.15, top=0.88)
    sizes = np.asarray(sizes, dtype=float)
    keep = sizes < n
    ax.plot(sizes[keep], np.asarray(noise)[keep], "o", color=COLORS[0], label="measured, 200 batches")
    grid = np.geomspace(1, n - 1, 200)
    ax.plot(grid, spread / grid * (n - grid) / (n - 1), "-", color=COLORS[1], lw=1,
            label="predicted: σ²/B · (n − B)/(n − 1)")
    ax.set_xscale("log")
    plain_log_axis(ax)
    finish_axes(ax, "best", xlabel="batch size B (log)", ylabel="mean |g_B − g|² (log)",
                title=f"minibatch gradient noise, softmax regression on {n} digits", title_size=10)
    return fig


@lru_cache(maxsize=1)
def _digits01():
    """The 1797 digits with pixels in [0, 1], float32: the problem of chapter 9's experiments."""
    X, y = data.digits_arrays()
    return X / np.float32(16), y


@lru_cache(maxsize=64)
def _losses(batch_size, lr, num_epochs, seed):
    X, y = _digits01()
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        return opt.minibatch_sgd(X, y, batch_size, lr, num_epochs, seed=seed)[1]


def _verdict(losses):
    """How a run went, in words: where it ended, or what went wrong."""
    if not np.all(np.isfinite(losses)):
        return f"diverged in epoch {int(np.argmin(np.isfinite(losses)))}"
    if losses[-1] > losses[0]:
        return f"ends above its start ({losses[-1]:.3g})"
    rises = np.nonzero(np.diff(losses) > 0)[0]
    if len(rises):
        return f"rises in epoch {rises[0] + 1}, ends at {losses[-1]:.3f}"
    return f"ends at {losses[-1]:.3f}"


def explorer_figure(batch_size=32, lr=0.5, num_epochs=5, seed=0):
    """Softmax regression on the digits by minibatch SGD at one batch size and learning rate:
    the training loss per epoch (left) and per update (right), with batch 32 at 0.5 in grey
    (chapter 9). ``batch_size`` is rounded to a whole number from 1 to 1797."""
    n = len(_digits01()[1])
    B = int(min(max(round(batch_size), 1), n))
    ref_B, ref_lr = REFERENCE
    runs = [(f"batch {ref_B}, lr {ref_lr:g}", ref_B, ref_lr, "0.6"),
            (f"batch {B}, lr {lr:.3g}", B, lr, COLORS[1])]
    fig, (ax0, ax1) = new_figure(2, width=10.0, height=4.0, left=0.08, right=0.98, bottom=0.14,
                                 top=0.8, wspace=0.22)
    shown = []
    for label, b, rate, color in runs:
        losses = _losses(b, float(rate), int(num_epochs), int(seed))
        steps = -(-n // b) * np.arange(len(losses))
        keep = np.isfinite(losses) & (losses < 1e6)
        epochs = np.arange(len(losses))
        ax0.plot(epochs[keep], losses[keep], "-o", color=color, ms=3, lw=1.6, label=label)
        ax1.plot(np.maximum(steps[keep], 0.7), losses[keep], "-o", color=color, ms=3, lw=1.6,
                 label=label)
        shown.append(losses)
    ticks = (0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50)
    plain_log_axis(ax0, ticks=ticks, fmt="g")
    plain_log_axis(ax1, ticks=ticks, fmt="g")
    plain_log_axis(ax1, axis="x", fmt="g")
    finish_axes(ax0, "upper right", xlabel="epoch", ylabel="training loss (log)",
                xlim=(-0.2, num_epochs + 0.2))
    finish_axes(ax1, "upper right", xlabel="updates (log; epoch 0 drawn at 0.7)",
                ylabel="training loss (log)")
    fig.suptitle(f"batch {B} at lr {lr:.3g}: η/B = {lr / B:.3g}, {-(-n // B)} updates per epoch; "
                 f"{_verdict(shown[1])}\n(grey: batch {ref_B} at {ref_lr:g}, η/B = "
                 f"{ref_lr / ref_B:.3g}, {_verdict(shown[0])})", fontsize=10)
    return fig


def explorer():
    """Chapter 9's explorer: batch size, learning rate, epochs and seed of minibatch SGD (chapter 9)."""
    return explore.Explorer("minibatches", explorer_figure, [
        explore.log_slider("batch_size", 1, 1797, 32, grid=(8, 32, 128, 512), label="batch size",
                           fmt="{:.0f}"),
        explore.log_slider("lr", 0.01, 10.0, 0.5, grid=(0.125, 0.5, 2.0, 8.0), label="learning rate"),
        explore.int_slider("num_epochs", 1, 20, 5, grid=(5,), label="epochs"),
        explore.int_slider("seed", 0, 9, 0, grid=(0,), label="seed"),
    ], web="minibatches", web_data=web_digits)


def web_digits() -> dict:
    """The digits as the in-browser explorer trains on them (chapter 9): the pixels (0 to 16, one
    byte each, row by row) and the labels, in base64; the browser divides the pixels by 16."""
    import base64

    X, y = data.digits_arrays()
    pixels = np.asarray(X, dtype=np.float64)
    if not np.array_equal(pixels, np.round(pixels)) or pixels.min() < 0 or pixels.max() > 255:
        raise ValueError("the digits' pixels must be whole numbers from 0 to 255 to travel as bytes")
    return {"pixels": base64.b64encode(pixels.astype(np.uint8).tobytes()).decode("ascii"),
            "labels": base64.b64encode(np.asarray(y, dtype=np.uint8).tobytes()).decode("ascii"),
            "classes": int(np.max(y)) + 1}


def practice_figure(train_loss: dict, val_error: dict, chosen):
    """Left: training loss per epoch; right: validation error per epoch, both log (chapter 9).

    Both map a label to its values per epoch (from 1); ``chosen`` is ``(label, epoch)``, the
    setting and epoch picked on validation data, marked on the right.
    """
    fig, axes = new_figure(2, width=9.0, height=3.6, left=0.08, right=0.98, bottom=0.15,
                           top=0.88, wspace=0.28)
    for ax, curves, ylabel in [(axes[0], train_loss, "training loss"),
                               (axes[1], val_error, "validation error")]:
        for (label, y), color in zip(curves.items(), COLORS * 2):
            y = np.asarray(y, dtype=float)
            ax.plot(np.arange(1, len(y) + 1), y, "-", color=color, lw=1.6, label=label)
        plain_log_axis(ax, fmt="g")
        finish_axes(ax, "best" if ax is axes[0] else None, xlabel="epoch",
                    ylabel=ylabel + " (log)")
    label, epoch = chosen
    axes[1].axvline(epoch, color="0.4", ls=":", lw=1)
    axes[1].set_title(f"chosen: {label}, {epoch} epochs", fontsize=10)
    return fig

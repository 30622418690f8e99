"""Chapter 12 (batch normalization): what the layer does to a batch, accuracy curves, the explorer."""
from __future__ import annotations

import numpy as np

from .. import batch_norm, explore
from . import COLORS, finish_axes, new_figure

__all__ = ["normalize_figure", "accuracy_figure", "variance_bias_figure", "running_estimate_figure",
           "norm_runs_figure", "start_figure", "early_loss_figure", "explorer"]


def normalize_figure(X, Y):
    """Left: a batch of two features before batch norm; right: after it (chapter 12)."""
    fig, (ax0, ax1) = new_figure(2)
    for ax, Z, title in ((ax0, X, "before: the layer's raw inputs"),
                         (ax1, Y, "after: zero mean, unit variance per feature")):
        ax.scatter(Z[:, 0], Z[:, 1], s=10, color=COLORS[0], alpha=0.6)
        ax.axhline(0, color="0.7", lw=0.8)
        ax.axvline(0, color="0.7", lw=0.8)
        m = Z.mean(axis=0)
        ax.plot(m[0], m[1], "x", color=COLORS[1], ms=10, mew=2, label="batch mean")
        ax.set_aspect("equal", adjustable="datalim")
        finish_axes(ax, "upper left", grid=None, xlabel="feature 1", ylabel="feature 2", title=title)
    return fig


def accuracy_figure(curves: dict, title=None, updates_per_epoch=None, reference=None, ylim=(0.0, 1.0),
                    ylabel="test accuracy"):
    """Accuracy per epoch on held-out data (``ylabel`` names which), one line per run (chapter 12).

    With ``updates_per_epoch`` a second panel puts the same curves against the number of SGD
    updates, with ``reference`` (label -> (updates, accuracies)) drawn as open squares.
    """
    fig, axes = new_figure(2 if updates_per_epoch else 1, width=9.0 if updates_per_epoch else 7.5,
                           height=3.8)
    for (label, acc), color in zip(curves.items(), COLORS):
        epochs = np.arange(1, len(acc) + 1)
        axes[0].plot(epochs, acc, "-o", ms=3, color=color, label=label)
        if updates_per_epoch:
            axes[1].plot(epochs * updates_per_epoch, acc, "-", color=color, label=label)
    finish_axes(axes[0], "lower right", title=title, title_size=10, xlabel="epoch", ylabel=ylabel,
                ylim=ylim)
    if updates_per_epoch:
        for label, (x, val) in (reference or {}).items():
            axes[1].plot(x, val, "s", color="0.2", ms=7, mfc="none", mew=1.5, label=label)
        axes[1].set_xscale("log")
        axes[1].xaxis.set_major_formatter(lambda v, _: f"{v:g}")
        finish_axes(axes[1], "lower right", xlabel="SGD updates (log scale)", ylim=ylim,
                    title="the same runs, against updates")
    return fig


def variance_bias_figure(results):
    """Left: settled moving variance against batch size, with (m-1)/m * 4; right: inference scale (chapter 12).

    ``results`` is a list of :class:`nnlib.batch_norm.VarianceBias`, one per batch size.
    """
    m = np.array([r.batch_size for r in results], float)
    grid = np.geomspace(m.min(), m.max(), 200)
    fig, (ax0, ax1) = new_figure(2)
    ax0.axhline(4.0, ls="--", color="k", lw=1, label="true variance 4")
    ax0.plot(grid, (grid - 1) / grid * 4, color=COLORS[1], lw=1.4, label="$(m-1)/m \\cdot 4$")
    ax0.plot(m, [r.settled for r in results], "o", color=COLORS[0], label="moving_variance, settled")
    ax1.axhline(1.0, ls="--", color="k", lw=1, label="training mode: 1")
    ax1.plot(grid, np.sqrt(grid / (grid - 1)), color=COLORS[1], lw=1.4, label="$\\sqrt{m/(m-1)}$")
    ax1.plot(m, [r.inference_rms for r in results], "o", color=COLORS[0], label="inference mode")
    for ax in (ax0, ax1):
        ax.set_xscale("log")
        ax.set_xticks(m)
        ax.xaxis.set_major_formatter(lambda v, _: f"{v:g}")
        ax.minorticks_off()
    finish_axes(ax0, "lower right", xlabel="batch size m", ylabel="variance",
                title="where the moving variance settles")
    finish_axes(ax1, "upper right", xlabel="batch size m", ylabel="root mean square of the output",
                title="the normalized output's scale")
    return fig


def norm_runs_figure(runs: dict, along="batch_size", title=None):
    """Held-out accuracy of :func:`nnlib.batch_norm.norm_run` runs against batch size or learning rate (chapter 12).

    ``runs`` maps a label to a list of :class:`nnlib.batch_norm.NormRun`; ``along`` is
    ``"batch_size"`` or ``"lr"`` (log axis). Diverged runs are drawn as crosses.
    """
    if along not in ("batch_size", "lr"):
        raise ValueError(f"along must be 'batch_size' or 'lr', got {along!r}")
    fig, (ax,) = new_figure(1, width=7.5, height=3.6)
    for (label, rs), color in zip(runs.items(), COLORS):
        x = np.array([getattr(r, along) for r in rs], float)
        acc = np.array([r.accuracy for r in rs])
        ax.plot(x, acc, "-o", ms=4, color=color, label=label)
        bad = np.array([r.diverged for r in rs])
        if bad.any():
            ax.plot(x[bad], acc[bad], "x", ms=10, mew=2, color=color)
    ax.axhline(0.1, ls=":", color="0.5", lw=1, label="chance (0.1); x: diverged")
    ax.set_xscale("log")
    ax.set_xticks(x)
    ax.xaxis.set_major_formatter(lambda v, _: f"{v:g}")
    ax.minorticks_off()
    finish_axes(ax, "best", title=title, title_size=10, ylim=(0.0, 1.0), ylabel="validation accuracy",
                xlabel="batch size" if along == "batch_size" else "learning rate (log scale)")
    return fig


def start_figure(runs, title=None):
    """Held-out accuracy of :func:`nnlib.batch_norm.start_run` runs per start, with and without batch norm (chapter 12).

    One dot per run (seed), grouped by start (:data:`nnlib.batch_norm.STARTS`); runs whose
    validation loss overflowed are drawn as crosses.
    """
    fig, (ax,) = new_figure(1, width=7.5, height=3.6)
    starts = [s for s in batch_norm.STARTS if any(r.start == s for r in runs)]
    for j, (bn, label) in enumerate(((False, "without batch norm"), (True, "with batch norm"))):
        mine = [r for r in runs if r.bn == bn]
        for i, start in enumerate(starts):
            rs = [r for r in mine if r.start == start]
            x = i + (j - 0.5) * 0.3 + np.linspace(-0.06, 0.06, len(rs))
            acc = np.array([r.val_accuracy for r in rs])
            bad = np.array([not np.isfinite(r.val_loss) for r in rs], bool)
            ax.plot(x[~bad], acc[~bad], "o", ms=6, color=COLORS[j], label=label if i == 0 else None)
            if bad.any():
                ax.plot(x[bad], acc[bad], "x", ms=9, mew=2, color=COLORS[j])
    ax.axhline(0.1, ls=":", color="0.5", lw=1, label="chance (0.1); x: overflowed")
    ax.set_xticks(range(len(starts)))
    ax.set_xticklabels([batch_norm.START_LABELS[s] for s in starts])
    finish_axes(ax, "center right", title=title, title_size=10, ylim=(0.0, 1.0), xlim=(-0.5, len(starts) - 0.5),
                ylabel="validation accuracy", xlabel="initial weights (every layer)")
    return fig


def early_loss_figure(runs, starts=("glorot_uniform", "he_normal"), num_steps=68, title=None):
    """Training loss of every batch over the first ``num_steps`` updates, with and without batch norm (chapter 12).

    One panel per start; a thin line per seed (:class:`nnlib.batch_norm.StartRun`), the mean over
    the seeds thick.
    """
    fig, axes = new_figure(len(starts), width=9.0, height=3.6)
    for ax, start in zip(axes, starts):
        for j, (bn, label) in enumerate(((False, "without batch norm"), (True, "with batch norm"))):
            rs = [r for r in runs if r.start == start and r.bn == bn]
            curves = np.array([r.batch_loss[:num_steps] for r in rs])
            steps = np.arange(1, curves.shape[1] + 1)
            for c in curves:
                ax.plot(steps, c, color=COLORS[j], lw=0.7, alpha=0.35)
            ax.plot(steps, curves.mean(axis=0), color=COLORS[j], lw=1.8, label=f"{label}, mean of {len(rs)}")
        finish_axes(ax, "lower left", xlabel="update", ylabel="training loss of the batch",
                    title=f"start: {batch_norm.START_LABELS[start]}", ylim=(0.0, 3.2), xlim=(1, num_steps))
    if title:
        fig.suptitle(title, fontsize=10)
    return fig


def running_estimate_figure(momentum=0.99, batch_size=32, num_steps=600, shift_at=300):
    """The explorer: the moving mean and variance chasing a feature's true statistics (chapter 12)."""
    r = batch_norm.running_estimate(momentum, batch_size, num_steps, shift_at)
    steps = np.arange(1, num_steps + 1)
    fig, (ax0, ax1) = new_figure(2)
    ax0.plot(steps, r.batch_mean, ".", color="0.7", ms=2, label="batch mean")
    ax0.plot(steps, r.true_mean, "--", color="k", lw=1, label="true mean")
    ax0.plot(steps, r.moving_mean, color=COLORS[0], lw=1.6, label="moving_mean")
    ax0.set(xlabel="training step", ylabel="mean", title="moving mean", ylim=(-1.5, 4.5))
    ax0.legend(fontsize=8, loc="upper left")
    ax1.plot(steps, r.true_var, "--", color="k", lw=1, label="true variance")
    ax1.plot(steps, r.moving_var, color=COLORS[1], lw=1.6, label="moving_variance")
    ax1.set(xlabel="training step", ylabel="variance", title="moving variance", ylim=(0, 7))
    ax1.legend(fontsize=8, loc="lower right")
    before = slice(max(shift_at - 50, 0), shift_at)
    err = float(np.sqrt(np.mean(np.square(r.moving_mean[before] - r.true_mean[before]))))
    after = np.nonzero(np.abs(r.moving_mean[shift_at:] - r.true_mean[shift_at:]) < 0.2)[0]
    lag = f"{after[0] + 1} steps" if after.size else f"more than {num_steps - shift_at} steps"
    fig.suptitle(f"momentum {momentum:g}, batch size {batch_size}: about {1 / (1 - momentum):.0f} "
                 f"batches averaged; error before the shift {err:.3f}\n"
                 f"after the mean jumps by 2 at step {shift_at}, the estimate is within 0.2 "
                 f"after {lag}", fontsize=10)
    return fig


def explorer():
    """Chapter 12's explorer: :func:`running_estimate_figure` over momentum, batch size and steps (chapter 12)."""
    return explore.Explorer("batchnorm", running_estimate_figure, [
        explore.slider("momentum", 0.5, 0.999, 0.001, 0.9, grid=(0.9,), label="momentum"),
        explore.int_slider("batch_size", 1, 256, 200, grid=(200,), label="batch size"),
        explore.int_slider("num_steps", 100, 2000, 600, grid=(600,), label="steps"),
        explore.int_slider("shift_at", 0, 2000, 300, grid=(300,), label="shift at step"),
    ], web="batch_norm")

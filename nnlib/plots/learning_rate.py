"""Chapter 4 (learning rate): gradient-descent paths on the loss curve, and the explorer figure."""
from __future__ import annotations

import numpy as np

from .. import explore, learning_rate
from . import COLORS, finish_axes, new_figure, plain_log_axis

__all__ = ["descent_figure", "loss_curves_figure", "lr_explorer_figure", "explorer"]


def descent_figure(traces: dict, wlim=(-8.0, 6.5), title=None, colors=None):
    """Left: the loss ``(w + 1)^2`` with each run's path of w (its first 60 points); right: loss
    against step (chapter 4). ``traces`` maps a legend label to an :class:`nnlib.learning_rate.Trace`;
    ``colors`` gives each run's colour (default: the course's colours in order).
    """
    loss = learning_rate.quadratic_loss
    fig, (ax0, ax1) = new_figure(2)
    grid = np.linspace(*wlim, 400).astype(np.float32)
    ax0.plot(grid, loss(grid), color="0.6", lw=1.2, zorder=0)
    for (label, tr), color in zip(traces.items(), colors or COLORS):
        w, y = tr.w.astype(np.float64), np.asarray(loss(tr.w), dtype=np.float64)
        ax0.plot(w[:60], y[:60], "-o", color=color, ms=3.5, lw=1, alpha=0.85, label=label)
        ax0.plot(w[:1], y[:1], "s", color=color, ms=6)
        ax1.plot(np.arange(len(y)), np.maximum(y, 1e-13), "-", color=color, lw=1.5, label=label)
    plain_log_axis(ax1)
    finish_axes(ax0, "upper center", grid=None, xlabel="w", ylabel="loss", xlim=wlim,
                title="path of w on the loss (■ = start)")
    finish_axes(ax1, xlabel="updates", ylabel="loss (log scale)", title="loss against step")
    if title:
        fig.suptitle(title)
    return fig


def loss_curves_figure(curves: dict, chance, title=None):
    """Training loss against update for several learning rates, one line each (chapter 4).

    ``curves`` maps a legend label to the losses, one per update; ``chance`` is drawn as a dotted
    line: the loss of a model that knows nothing (``ln 10`` for ten classes).
    """
    fig, (ax,) = new_figure(1, width=7.0, height=3.4)
    for (label, loss), color in zip(curves.items(), COLORS):
        ax.plot(np.arange(len(loss)), np.asarray(loss, dtype=np.float64), "-", color=color,
                lw=1.5, label=label)
    ax.axhline(chance, color="0.4", ls=":", lw=1.2, label=f"chance ({chance:.3f})")
    plain_log_axis(ax, ticks=[0.03, 0.1, 0.3, 1, 3], fmt="g")
    low = min(float(np.nanmin(loss)) for loss in curves.values())
    ax.set_ylim(low / 4, 6)   # room below the curves for the legend
    finish_axes(ax, xlabel="updates (full-batch gradient descent)",
                ylabel="training loss (log scale)", title=title)
    ax.legend(fontsize=8, loc="lower left", ncol=3)
    return fig


def lr_explorer_figure(lr=0.2, w0=5.0, num_steps=20):
    """The learning-rate explorer: one gradient-descent run on ``(w + 1)^2`` (chapter 4)."""
    tr = learning_rate.gd_trace(learning_rate.quadratic_grad, w0, lr, num_steps)
    factor = 1.0 - 2.0 * lr
    verdict = learning_rate.regime(lr)
    why = {"converges": f"|1 − 2·lr| = {abs(factor):.3g} < 1: each step shrinks the distance to −1",
           "oscillates": "|1 − 2·lr| = 1: w jumps to the mirror point and back, forever",
           "diverges": f"|1 − 2·lr| = {abs(factor):.3g} > 1: each step overshoots further"}[verdict]
    color = {"converges": COLORS[2], "oscillates": COLORS[4], "diverges": COLORS[1]}[verdict]
    final = float(tr.final)
    reach = max(8.0, abs(w0 + 1) * 1.15, min(abs(final + 1) * 1.1, 1e4))
    # the colour goes in before the legend is drawn, so the legend shows it too
    fig = descent_figure({f"lr = {lr:.4g}": tr}, wlim=(-1 - reach, -1 + reach), colors=[color])
    fig.suptitle(f"lr = {lr:.4g}: {verdict} — {why}\n"
                 f"after {len(tr.w) - 1} updates w = {final:.6g}"
                 + (f" ({tr.status})" if tr.diverged_at is not None else ""), fontsize=10)
    return fig


def explorer():
    """Chapter 4's explorer: one run at any learning rate (log scale), start value and number of updates (chapter 4)."""
    return explore.Explorer("learning-rate", lr_explorer_figure, [
        explore.log_slider("lr", 1e-4, 1.2, 0.2, label="learning rate",
                           grid=(0.0001, 0.001, 0.01, 0.05, 0.1, 0.2, 0.3, 0.45,
                                 0.6, 0.8, 0.95, 1.0, 1.05, 1.2)),
        explore.slider("w0", -8.0, 8.0, 0.5, 5.0, grid=(-6.0, 5.0), label="start w"),
        explore.int_slider("num_steps", 1, 100, 20, grid=(20,), label="updates"),
    ])

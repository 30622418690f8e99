"""Chapter 11 (training deep networks): the explorer over stored training runs."""
from __future__ import annotations

import functools

import numpy as np

from .. import explore
from .._check import one_of
from . import COLORS, finish_axes, new_figure

__all__ = ["runs_figure", "explorer", "residual_figure"]


def runs_figure(runs: dict, activation="ELU", lr=0.01):
    """Validation accuracy and dead-unit share per epoch, one line per seed, of stored runs (chapter 11).

    ``runs`` maps (activation label, learning rate) to a list of
    :class:`nnlib.initialization.DeepRun`, one per seed; a missing pair draws a note instead.
    """
    one_of("activation", activation, tuple(sorted({a for a, _ in runs})))
    rates = tuple(sorted({r for _, r in runs}))
    if lr not in rates:
        raise ValueError(f"lr must be one of {rates}, got {lr!r}")
    fig, (ax0, ax1) = new_figure(2, width=9.5, height=3.4, top=0.8, wspace=0.3)
    rs = runs.get((activation, lr), [])
    for seed, (r, color) in enumerate(zip(rs, COLORS)):
        epochs = np.arange(1, len(r.val_acc) + 1)
        ax0.plot(epochs, r.val_acc, "-o", color=color, ms=3, lw=1.5, label=f"seed {seed}")
        ax1.plot(epochs, 100 * np.asarray(r.dead), "-o", color=color, ms=3, lw=1.5)
    if not rs:
        for ax in (ax0, ax1):
            ax.text(0.5, 0.5, "not run at this learning rate", ha="center", va="center",
                    transform=ax.transAxes)
    finish_axes(ax0, "lower right" if rs else None, xlabel="epoch", ylabel="validation accuracy",
                ylim=(0, 1), title="validation accuracy (0.1 = chance)")
    finish_axes(ax1, xlabel="epoch", ylabel="dead hidden units, %", ylim=(0, 15),
                title="share of dead hidden units")
    diverged = sum(bool(np.isnan(r.loss).any()) for r in rs)
    fig.suptitle(f"{activation}, 10 layers of 64, learning rate {lr:g}: {len(rs)} seeds, "
                 f"{diverged} diverged (NaN loss)", fontsize=10)
    return fig


def explorer(runs: dict):
    """Chapter 11's explorer: :func:`runs_figure` over activation and learning rate (chapter 11)."""
    acts = list(dict.fromkeys(a for a, _ in runs))
    if not acts:
        raise ValueError("runs must hold at least one (activation, lr) pair, got none")
    return explore.Explorer("deep", functools.partial(runs_figure, runs), [
        explore.choice("activation", acts, default=acts[0], label="activation"),
        explore.choice("lr", sorted({r for _, r in runs}), default=min(r for _, r in runs),
                       label="learning rate"),
    ], web="deep_networks", web_data=functools.partial(web_runs, runs))


def web_runs(runs: dict) -> dict:
    """The stored runs as the in-browser explorer draws them (chapter 11): per ``"activation|lr"``
    (the drop-downs' texts), one record per seed of the validation accuracy, the share of dead
    hidden units and the gradient norms of the first and last hidden kernels per epoch, and
    whether its loss became NaN; numbers to 6 significant digits, None where not finite."""
    def num(values):
        return [float(f"{v:.6g}") if np.isfinite(v) else None for v in np.asarray(values, dtype=np.float64)]

    return {"runs": {f"{act}|{lr}": [{"val_acc": num(r.val_acc), "dead": num(r.dead),
                                       "first_grad": num(r.first_grad), "last_grad": num(r.last_grad),
                                       "diverged": bool(np.isnan(np.asarray(r.loss, dtype=np.float64)).any())}
                                      for r in rs]
                     for (act, lr), rs in runs.items()}}


def residual_figure(probes: dict):
    """Per block, the norm of the gradient reaching its input, with and without skips; log scale (chapter 11).

    ``probes`` maps a panel title to a pair ``(plain, skips)`` of
    :class:`nnlib.initialization.ResidualProbe`.
    """
    if not probes or any(len(pair) != 2 for pair in probes.values()):
        raise ValueError("probes must map titles to (plain, skips) pairs of ResidualProbe")
    fig, axes = new_figure(len(probes), width=10, height=3.4, top=0.8, wspace=0.3)
    for ax, (title, (plain, skips)) in zip(np.atleast_1d(axes), probes.items()):
        blocks = np.arange(1, len(plain.h_grad) + 1)
        ax.plot(blocks, plain.h_grad, "-o", color=COLORS[1], ms=2.5, lw=1.4, label="plain h = f(hW)")
        ax.plot(blocks, skips.h_grad, "-s", color=COLORS[0], ms=2.5, lw=1.4, label="skip h = h + f(hW)")
        ax.set_yscale("log")
        finish_axes(ax, "best", xlabel="block (1 = next to the input)", ylabel="‖dL/dh‖ reaching the block",
                    title=title)
    fig.suptitle("The gradient that reaches each block's input, at initialization (log scale)", fontsize=10)
    return fig

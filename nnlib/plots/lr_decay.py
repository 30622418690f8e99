"""Chapter 6 (learning-rate decay): smooth against staircase schedules, and the explorer figure."""
from __future__ import annotations

import numpy as np

from .. import explore, learning_rate, lr_decay
from . import COLORS, finish_axes, new_figure, plain_log_axis

__all__ = ["schedule_figure", "decay_explorer_figure", "noisy_runs_figure", "training_figure",
           "robbins_monro_figure", "schedules_figure", "scaling_figure", "explorer"]

# seven schedules share one figure in "In practice": the course's six colours and two more
PALETTE = COLORS + ["#17becf", "#7f7f7f"]


def schedule_figure(base_lr=0.1, decay_steps=10, decay_rate=0.5, num_steps=50):
    """The same exponential decay, smooth and staircase, against the global step (chapter 6)."""
    fig, (ax,) = new_figure(1, width=7.0, height=3.4, left=0.1, right=0.97)
    steps = np.arange(num_steps + 1)
    fine = np.linspace(0, num_steps, 20 * num_steps + 1)
    smooth = lr_decay.exponential_decay(base_lr, fine, decay_steps, decay_rate, staircase=False)
    stair = lr_decay.exponential_decay(base_lr, steps, decay_steps, decay_rate, staircase=True)
    ax.plot(fine, smooth, color=COLORS[0], lw=1.8, label="staircase=False (smooth)")
    ax.step(steps, stair, where="post", color=COLORS[1], lw=1.8,
            label="staircase=True (drops every decay_steps)")
    for k in range(0, num_steps + 1, int(decay_steps)):
        ax.axvline(k, color="0.85", lw=0.8, zorder=0)
    finish_axes(ax, "best", grid=None, xlabel="global step", ylabel="learning rate", xlim=(0, num_steps),
                ylim=(0, base_lr * 1.08),
                title=f"lr = {base_lr:g} · {decay_rate:g}^(step / {decay_steps:g})")
    return fig


def _clip_limits(series, center=-1.0, least=6.5, most=20.0):
    """Symmetric y-limits around the minimum, wide enough for the runs but at most ``most``."""
    reach = least
    for s in series:
        s = np.asarray(s, dtype=np.float64)
        reach = max(reach, min(float(np.max(np.abs(s - center))) * 1.08, most))
    return center - reach, center + reach


def decay_explorer_figure(base_lr=0.1, decay_rate=0.99, decay_steps=1, staircase=True, num_steps=40):
    """The decay explorer: the schedule, and w per update, against a constant rate (chapter 6).

    Left: the learning rate each update uses, decayed and constant (the base rate, as in
    chapter 4). Right: w after each update for both runs on ``(w + 1)^2`` from ``w = 5``.
    """
    from matplotlib.ticker import MaxNLocator

    decayed = lr_decay.decayed_gd_trace(learning_rate.quadratic_grad, 5.0, base_lr, decay_steps,
                                         decay_rate, num_steps, staircase=staircase)
    const = learning_rate.gd_trace(learning_rate.quadratic_grad, 5.0, base_lr, num_steps)
    budget = lr_decay.step_budget(base_lr, decay_steps, decay_rate, num_steps, staircase)

    fig, (ax0, ax1, ax2) = new_figure(3, width=11.0, height=3.6, left=0.06, right=0.985, top=0.78, wspace=0.3)
    k = np.arange(num_steps)
    lrs = decayed.lr[:num_steps].astype(np.float64)
    ax0.step(k, lrs, where="post", color=COLORS[0], lw=1.8, label="decayed")
    ax0.axhline(base_lr, color=COLORS[4], lw=1.2, ls="--", label=f"constant {base_lr:g}")
    top = base_lr * 1.15
    for level, text in ((0.5, "0.5: zig-zag above"), (1.0, "1: grows above")):
        if level < top:
            ax0.axhline(level, color="0.5", lw=0.8, ls=":")
            ax0.text(num_steps * 0.98, level, text, ha="right", va="top", fontsize=7, color="0.4")
    finish_axes(ax0, "lower left", grid=None, xlabel="update k", ylabel="learning rate used",
                xlim=(0, num_steps), ylim=(0, top))

    lo, hi = _clip_limits([decayed.w, const.w])
    ax1.axhline(-1.0, color="0.6", lw=0.8, ls=":")
    for tr, color, name in ((const, COLORS[4], f"constant {base_lr:g}"), (decayed, COLORS[0], "decayed")):
        w = np.asarray(tr.w, dtype=np.float64)
        gone = bool(np.any(np.abs(w + 1) > (hi - lo) / 2)) or tr.diverged_at is not None
        ax1.plot(np.arange(len(w)), np.clip(w, lo, hi), "-o", ms=2.5, lw=1.2, color=color,
                 label=name + (" (leaves the plot)" if gone else ""))
        dist = np.maximum(np.abs(w + 1), 1e-9)
        ax2.plot(np.arange(len(w)), dist, "-", lw=1.5, color=color, label=name)
    finish_axes(ax1, "upper right", grid=None, xlabel="updates", ylabel="w", xlim=(0, num_steps),
                ylim=(lo, hi))
    plain_log_axis(ax2)
    finish_axes(ax2, xlabel="updates", xlim=(0, num_steps))
    # a fixed title position (y=...) skips matplotlib's per-draw title placement, and a few
    # ticks per axis keep each frame cheap (the static explorer draws dozens of them)
    for ax, title in ((ax0, "the schedule"), (ax1, "w after each update"),
                      (ax2, "distance to the minimum |w + 1|")):
        ax.set_title(title, y=1.01, fontsize=10)
        ax.xaxis.set_major_locator(MaxNLocator(5, integer=True))
    ax0.yaxis.set_major_locator(MaxNLocator(5))
    ax1.yaxis.set_major_locator(MaxNLocator(5))

    def final(tr):
        return f"{float(tr.final):.4g}" if tr.diverged_at is None else "diverged"

    fig.suptitle(f"base {base_lr:g}, rate {decay_rate:g} every {decay_steps:g} step(s)"
                 f"{', staircase' if staircase else ''}: after {num_steps} updates w = {final(decayed)} "
                 f"(constant rate: {final(const)})\n"
                 f"sum of the decayed rates = {budget:.3g}; last rate used = {lrs[-1]:.3g}",
                 fontsize=10)
    return fig


def noisy_runs_figure(traces: dict, title=None):
    """Root-mean-square distance to the minimum per update, over many noisy runs (chapter 6).

    ``traces`` maps a label to a trace whose ``w`` has shape ``(steps + 1, runs)``.
    """
    fig, (ax,) = new_figure(1, width=7.0, height=3.4, left=0.1, right=0.97)
    for (label, tr), color in zip(traces.items(), COLORS):
        w = np.asarray(tr.w, dtype=np.float64)
        rms = np.sqrt(np.mean((w + 1) ** 2, axis=1))
        ax.plot(np.arange(len(rms)), rms, color=color, lw=1.6, label=label)
    plain_log_axis(ax, ticks=[0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20], fmt="g")
    finish_axes(ax, "best", xlabel="updates", ylabel="RMS of |w + 1| (log scale)", xlim=(0, len(rms) - 1),
                title=title, title_size=10)
    return fig


def training_figure(rates: dict, val_losses: dict, title=None, train_losses=None):
    """A network trained under several schedules, one colour each (chapter 6).

    Left: the learning rate of every epoch (``rates``: label -> one rate per epoch, or one per
    update, drawn over the epochs). Right: the validation loss after every epoch
    (``val_losses``: label -> one loss per epoch), log scale. With ``train_losses`` (label ->
    the mean batch loss of every epoch) a middle panel shows the training loss the same way.
    """
    from matplotlib.ticker import MaxNLocator

    panels = 2 if train_losses is None else 3
    fig, axes = new_figure(panels, width=4.5 * panels, height=3.4 if panels == 2 else 3.6,
                           left=0.08 if panels == 2 else 0.055, right=0.98,
                           top=0.84, wspace=0.28)
    ax0, ax1 = axes[0], axes[-1]
    top = 1.6 * max(float(np.max(lrs)) for lrs in rates.values())  # room for the legend
    num_epochs = len(next(iter(val_losses.values())))
    for (label, lrs), color in zip(rates.items(), PALETTE):
        lrs = np.asarray(lrs, dtype=np.float64)
        x = np.arange(len(lrs) + 1) * num_epochs / len(lrs)
        ax0.step(x, np.append(lrs, lrs[-1]), where="post", color=color, lw=1.6, label=label)
        loss = np.asarray(val_losses[label], dtype=np.float64)
        ax1.plot(np.arange(1, len(loss) + 1), loss, "-o", ms=2.5, lw=1.4, color=color, label=label)
        if train_losses is not None:
            tl = np.asarray(train_losses[label], dtype=np.float64)
            axes[1].plot(np.arange(1, len(tl) + 1), tl, "-o", ms=2.5, lw=1.4, color=color,
                         label=label)
    finish_axes(ax0, "upper right", legend_size=8 if len(rates) < 5 else 7, grid=None,
                xlabel="epoch", ylabel="learning rate", xlim=(0, num_epochs), ylim=(0, top),
                title="the schedules", title_size=10)
    ticks = [0.01, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 1, 2]
    plain_log_axis(ax1, ticks=ticks, fmt="g")
    finish_axes(ax1, xlabel="epochs trained", ylabel="validation loss (log scale)",
                xlim=(0.5, num_epochs + 0.5), title="loss on the validation set", title_size=10)
    if train_losses is not None:
        plain_log_axis(axes[1], ticks=ticks, fmt="g")
        finish_axes(axes[1], xlabel="epochs trained", ylabel="training loss (log scale)",
                    xlim=(0.5, num_epochs + 0.5), title="mean batch loss while training",
                    title_size=10)
    for ax in axes:
        ax.xaxis.set_major_locator(MaxNLocator(6, integer=True))
    if title:
        fig.suptitle(title, fontsize=10)
    return fig


def robbins_monro_figure(rms: dict, predicted=None, title=None):
    """RMS distance to the minimum against updates, both axes log scale, over many noisy runs (chapter 6).

    ``rms`` maps a label to the RMS of ``|w + 1|`` after 0, 1, 2, ... updates (as
    :func:`nnlib.lr_decay.noisy_quadratic_rms` returns them, one column per schedule);
    ``predicted`` (optional) maps a label to ``(k, rms)`` arrays drawn dashed in black.
    """
    fig, (ax,) = new_figure(1, width=7.0, height=3.6, left=0.1, right=0.97, top=0.88)
    for (label, curve), color in zip(rms.items(), COLORS):
        curve = np.asarray(curve, dtype=np.float64)
        ax.plot(np.arange(1, len(curve)), curve[1:], color=color, lw=1.6, label=label)
    for label, (k, curve) in (predicted or {}).items():
        ax.plot(k, curve, color="black", lw=1.0, ls="--", label=label)
    plain_log_axis(ax, ticks=[0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5], fmt="g")
    plain_log_axis(ax, axis="x", ticks=[1, 10, 100, 1000, 10000], fmt="g")
    finish_axes(ax, "lower left", xlabel="updates (log scale)",
                ylabel="RMS of |w + 1| (log scale)", xlim=(1, len(curve) - 1), title=title,
                title_size=10)
    return fig


def schedules_figure(schedules: dict, steps_per_epoch, title=None):
    """The rate of every update for several schedules of one run, against epochs (chapter 6).

    ``schedules`` maps a label to one rate per update (a reduce-on-plateau run's rates
    included); the x axis counts epochs of ``steps_per_epoch`` updates.
    """
    fig, (ax,) = new_figure(1, width=7.5, height=3.4, left=0.09, right=0.97, top=0.88)
    top = 0.0
    for (label, lrs), color in zip(schedules.items(), PALETTE):
        lrs = np.asarray(lrs, dtype=np.float64)
        ax.plot(np.arange(len(lrs)) / steps_per_epoch, lrs, color=color, lw=1.6, label=label)
        top = max(top, float(lrs.max()))
        num = len(lrs)
    finish_axes(ax, "upper right", legend_size=8, grid=0.3, xlabel="epoch (updates / "
                f"{steps_per_epoch})", ylabel="learning rate", xlim=(0, num / steps_per_epoch),
                ylim=(0, 1.05 * top), title=title, title_size=10)
    return fig


def scaling_figure(val_losses: dict, title=None):
    """Validation loss per epoch for several (batch size, rate) pairs, mean over seeds (chapter 6).

    ``val_losses`` maps a label to an array of shape ``(seeds, epochs)``; the band spans the
    seeds' smallest and largest value.
    """
    from matplotlib.ticker import MaxNLocator

    fig, (ax,) = new_figure(1, width=7.0, height=3.4, left=0.1, right=0.97, top=0.88)
    for (label, losses), color in zip(val_losses.items(), COLORS):
        losses = np.asarray(losses, dtype=np.float64)
        e = np.arange(1, losses.shape[1] + 1)
        ax.plot(e, losses.mean(axis=0), "-o", ms=2.5, lw=1.5, color=color, label=label)
        ax.fill_between(e, losses.min(axis=0), losses.max(axis=0), color=color, alpha=0.15, lw=0)
    plain_log_axis(ax, ticks=[0.1, 0.2, 0.3, 0.5, 1, 2, 3], fmt="g")
    finish_axes(ax, "upper right", xlabel="epochs (passes over the training set)",
                ylabel="validation loss (log scale)", xlim=(0.5, losses.shape[1] + 0.5),
                title=title, title_size=10)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    return fig


def explorer():
    """Chapter 6's explorer: base rate, decay rate, decay steps, staircase and updates (chapter 6)."""
    return explore.Explorer("lr-decay", decay_explorer_figure, [
        explore.log_slider("base_lr", 0.01, 1.2, 0.1, grid=(0.1, 1.05), label="base rate"),
        explore.slider("decay_rate", 0.3, 1.0, 0.01, 0.99, grid=(0.5, 0.9, 0.99), label="decay rate"),
        explore.int_slider("decay_steps", 1, 20, 1, grid=(1, 10), label="decay steps"),
        explore.toggle("staircase", True, label="staircase"),
        explore.int_slider("num_steps", 5, 200, 40, grid=(40,), label="updates"),
    ], web="lr_decay")

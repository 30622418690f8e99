"""Chapter 7 (EMA): the decay ramp, a weight's noisy path with its shadow, the note's run, training curves."""
from __future__ import annotations

import numpy as np

from .. import ema as _ema
from .. import explore
from . import COLORS, finish_axes, new_figure, plain_log_axis

__all__ = ["ramp_figure", "shadow_figure", "note_run_figure", "training_figure", "ema_explorer_figure", "web_data", "explorer"]


def ramp_figure():
    """Left: TF's effective decay against n for three decays; right: how much the start value still
    weighs at decay 0.99 (chapter 7)."""
    fig, (ax0, ax1) = new_figure(2)
    n = np.unique(np.geomspace(1, 10_000, 400).astype(np.int64))
    ax0.plot(n, (1 + n) / (10 + n), color="0.6", lw=1, ls="--", label="(1 + n) / (10 + n)")
    for d, color in zip((0.9, 0.99, 0.999), COLORS):
        ax0.plot(n, _ema.effective_decay(d, n), color=color, lw=1.8, label=f"decay = {d:g}")
    plain_log_axis(ax0, "x", numticks=8, fmt="g")
    finish_axes(ax0, "lower right", xlabel="num_updates n (log scale)", ylabel="decay used", ylim=(0, 1.02),
                title="effective decay min(decay, (1 + n) / (10 + n))")

    decay = 0.99
    steps = np.arange(0, 601)
    with_ramp = np.cumprod(_ema.effective_decay(decay, steps).astype(np.float64))
    without = float(np.float32(decay)) ** (steps + 1.0)
    ax1.plot(steps, without, color=COLORS[1], lw=1.8, label=f"no ramp: {decay:g}^(t+1)")
    ax1.plot(steps, np.maximum(with_ramp, 1e-7), color=COLORS[0], lw=1.8, label="with the decay ramp")
    plain_log_axis(ax1)
    ax1.axhline(0.01, color="0.6", lw=0.8, ls=":")
    finish_axes(ax1, "lower left", xlabel="updates t", ylabel="share of the start value", ylim=(1e-6, 2),
                title=f"what the shadow keeps of its start, decay {decay:g}")
    return fig


def _path_panel(ax, trend, path, shadows: dict, noisy=True, **finish):
    """Plot the weight, its noise-free path and the shadows; ``finish`` goes to ``finish_axes``."""
    steps = np.arange(len(path))
    if noisy:
        ax.plot(steps, path, color="0.72", lw=0.8, label="weight w (noisy)")
    ax.plot(steps, trend, color="k", lw=1, ls="--", label="noise-free path" if noisy else "weight w (no noise)")
    for (label, s), color in zip(shadows.items(), COLORS):
        ax.plot(steps, s, color=color, lw=1.8, label=label)
    finish_axes(ax, xlabel="updates t", ylabel="value", **finish)


def shadow_figure(decays=(0.8, 0.95), noise=1.0, ramp=False, num_steps=300):
    """One noisy weight and its shadows for a few decays (chapter 7)."""
    trend, path = _ema.demo_path(num_steps, noise)
    fig, (ax,) = new_figure(1, width=9.0, height=3.6)
    _path_panel(ax, trend, path, {f"shadow, decay {d:g}": _ema.ema_path(path, d, ramp=ramp)
                                  for d in decays}, legend="upper right",
                title="a weight that drifts from 5 to −1 with noise, and its moving averages")
    return fig


def note_run_figure(w, shadow, printed_shadow):
    """Note 002's run: w1 and its shadow after each apply, with the note's printed shadows (chapter 7)."""
    fig, (ax,) = new_figure(1, width=9.0, height=3.4)
    runs = np.arange(len(w))
    ax.step(runs, w, where="mid", color="0.5", lw=1.2, label="w1")
    ax.plot(runs, shadow, "-o", color=COLORS[0], ms=3.5, lw=1.2, label="shadow (ours)")
    ax.plot(np.arange(len(printed_shadow)), printed_shadow, "x", color=COLORS[1], ms=8, mew=1.8,
            label="shadow printed in the note")
    ax.axvspan(-0.5, 1.5, color="0.92", zorder=0)
    ax.text(0.5, 9.3, "global_step 0", ha="center", fontsize=8)
    ax.text(4.5, 9.3, "global_step 100: decay min(0.99, 101/110)", ha="left", fontsize=8)
    finish_axes(ax, "center right", xlabel="print (one ema_op run before each, from the second on)",
                ylabel="value", ylim=(-0.5, 10.5),
                title="note 002: the shadow of w1 climbs towards 10 by 8.2% of the gap per run")
    return fig


def training_figure(history: dict, x):
    """Validation loss and accuracy against training time for raw and averaged weights (chapter 7).

    ``history`` maps a label to ``(loss, accuracy)`` arrays evaluated at ``x``.
    """
    fig, (ax0, ax1) = new_figure(2)
    for (label, (loss, acc)), color in zip(history.items(), COLORS):
        lw = 1.0 if label.startswith("raw") else 1.8
        ax0.plot(x, loss, color=color, lw=lw, label=label)
        ax1.plot(x, 100 * np.asarray(acc), color=color, lw=lw, label=label)
    plain_log_axis(ax0)
    finish_axes(ax0, xlabel="epochs", ylabel="validation loss (log scale)", title="validation loss")
    finish_axes(ax1, "lower right", xlabel="epochs", ylabel="validation accuracy (%)",
                title="validation accuracy", ylim=(85, 100))
    return fig


def ema_explorer_figure(decay=0.99, noise=1.0, ramp=True, num_steps=300):
    """The EMA explorer: a noisy weight, its shadow, and how far each is from the noise-free path (chapter 7)."""
    trend, path = _ema.demo_path(num_steps, noise)
    shadow = _ema.ema_path(path, decay, ramp=ramp)
    fig, (ax0, ax1) = new_figure(2)
    label = f"shadow, decay {decay:g}" + (" + decay ramp" if ramp else "")
    _path_panel(ax0, trend, path, {label: shadow}, noisy=bool(noise), legend="lower left", ylim=(-4.5, 6.5),
                title="the weight and its shadow")

    steps = np.arange(len(path))
    raw_err = np.abs(path.astype(np.float64) - trend)
    ema_err = np.abs(shadow.astype(np.float64) - trend)
    if noise:
        ax1.plot(steps, np.maximum(raw_err, 1e-4), color="0.72", lw=0.8, label="|w − path|")
    ax1.plot(steps, np.maximum(ema_err, 1e-4), color=COLORS[0], lw=1.5, label="|shadow − path|")
    plain_log_axis(ax1)
    finish_axes(ax1, "lower left", xlabel="updates t", ylabel="distance (log scale)", ylim=(1e-4, 20),
                title="distance from the noise-free path")

    half = len(path) // 2
    rms = lambda e: float(np.sqrt(np.mean(e ** 2)))  # noqa: E731
    d_end = float(_ema.effective_decay(decay, len(path) - 1 if ramp else None))
    fig.suptitle(f"decay {decay:g}{', decay ramp on' if ramp else ', no decay ramp'}, noise {noise:g}: "
                 f"RMS distance, first 30 steps: w {rms(raw_err[:30]):.2f}, shadow {rms(ema_err[:30]):.2f}; "
                 f"second half: w {rms(raw_err[half:]):.2f}, shadow {rms(ema_err[half:]):.2f}\n"
                 f"decay used at the last step {d_end:.3f}: the shadow averages about "
                 f"{1 / (1 - d_end) if d_end < 1 else float('inf'):.0f} recent steps", fontsize=9)
    return fig


def web_data(num_steps=1000):
    """What the in-browser explorer draws from (chapter 7): the noise-free path and the Gaussian
    draws of :func:`nnlib.ema.demo_path` (seed 0) for up to ``num_steps`` updates; the browser
    forms the noisy weight and its average itself."""
    trend, _ = _ema.demo_path(num_steps, 1.0)
    eps = np.random.default_rng(0).standard_normal(num_steps)
    return {"trend": trend.tolist(), "eps": eps.tolist()}


def explorer():
    """Chapter 7's explorer: decay, noise, the decay ramp and the number of updates (chapter 7)."""
    return explore.Explorer("ema", ema_explorer_figure, [
        explore.slider("decay", 0.5, 0.999, 0.001, 0.99, grid=(0.5, 0.9, 0.97, 0.99, 0.999), label="decay"),
        explore.slider("noise", 0.0, 2.0, 0.1, 1.0, grid=(0.0, 0.5, 1.0), label="noise"),
        explore.toggle("ramp", True, label="decay ramp (num_updates = t)"),
        explore.int_slider("num_steps", 50, 1000, 300, grid=(300,), step=50, label="updates"),
    ], web="ema", web_data=web_data)

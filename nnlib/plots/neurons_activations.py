"""Chapter 1 (neurons and activations): activation curves, the dying-ReLU runs, the explorer figure."""
from __future__ import annotations

import numpy as np

from .. import explore, neurons_activations as act
from .._check import one_of
from . import COLORS, finish_axes, new_figure

__all__ = ["GALLERY", "EXPLORER_CHOICES", "activation_gallery_figure", "dying_relu_figure",
           "activation_explorer_figure", "prelu_rrelu_figure", "explorer"]

# (label, name, alpha) of the activations the chapter plots, in the order it introduces them
GALLERY = [
    ("identity", "identity", None), ("sigmoid", "sigmoid", None), ("tanh", "tanh", None),
    ("ReLU", "relu", None), ("leaky ReLU, α = 0.01", "leaky_relu", 0.01),
    ("leaky ReLU, α = 0.2", "leaky_relu", 0.2), ("ELU, α = 1", "elu", 1.0),
    ("softplus", "softplus", None), ("swish / SiLU", "swish", None),
]

# the explorer's drop-down: label -> (name, alpha)
EXPLORER_CHOICES = {
    "sigmoid": ("sigmoid", None), "tanh": ("tanh", None), "ReLU": ("relu", None),
    "leaky ReLU (α = 0.2)": ("leaky_relu", 0.2), "ELU (α = 1)": ("elu", 1.0),
    "swish / SiLU": ("swish", None),
}


def activation_gallery_figure():
    """Every activation of the chapter (solid) with its derivative (dashed), 3 x 3 panels (chapter 1)."""
    fig, axes = new_figure(3, height=7.2, nrows=3, sharex=True, left=0.07, bottom=0.07, top=0.9, wspace=0.28,
                           hspace=0.38)
    z = np.linspace(-5.0, 5.0, 801).astype(np.float32)
    for ax, (label, name, alpha) in zip(axes.flat, GALLERY):
        f, df = act.get(name, alpha)
        ax.axhline(0, color="0.8", lw=0.8)
        ax.axvline(0, color="0.8", lw=0.8)
        ax.plot(z, f(z), color=COLORS[0], lw=1.8, label="f(z)")
        ax.plot(z, df(z), color=COLORS[1], lw=1.4, ls="--", label="f′(z)")
        finish_axes(ax, grid=0.25, title=label, title_size=10, ylim=(-1.6, 2.6))
    for ax in axes[-1]:
        ax.set_xlabel("z (pre-activation)")
    axes[0, 0].legend(fontsize=8, loc="upper left")
    fig.suptitle("Activation functions f (solid) and their derivatives f′ (dashed)")
    return fig


def dying_relu_figure(runs: dict, lr: float):
    """Left: share of hidden units off for every input, per step; right: the loss (chapter 1).

    ``runs`` maps a label to a list of :class:`nnlib.neurons_activations.DeadUnitRun` (one per seed).
    """
    fig, (ax0, ax1) = new_figure(2, height=3.8)
    for (label, rs), color in zip(runs.items(), COLORS):
        for k, r in enumerate(rs):
            steps = np.arange(len(r.loss))
            ax0.plot(steps, 100 * r.off_share, color=color, lw=1.2, alpha=0.75,
                     label=label if k == 0 else None)
            ax1.plot(steps, r.loss, color=color, lw=1.0, alpha=0.75, label=label if k == 0 else None)
    finish_axes(ax0, xlabel="step", ylabel="% of hidden units", ylim=(-3, 103),
                title="units with z ≤ 0 for every input")
    ax1.set(xlabel="step", ylabel="mean squared error", yscale="log", title="training loss")
    ax1.legend(fontsize=8, loc="upper right")
    zero = [label for label, rs in runs.items() if all(r.off_share.max() == 0 for r in rs)]
    if zero:
        ax0.text(0.98, 0.04, "always 0 %: " + ", ".join(zero), transform=ax0.transAxes,
                 ha="right", va="bottom", fontsize=8)
    ax1.grid(alpha=0.3, which="both")
    fig.suptitle(f"Full-batch gradient descent at learning rate {lr:g}, same data and starting "
                 f"weights ({len(next(iter(runs.values())))} seeds each)", fontsize=10)
    return fig


def activation_explorer_figure(activation="ReLU", z=1.5):
    """The explorer: one activation, its value and slope at pre-activation ``z`` (chapter 1)."""
    name, alpha = EXPLORER_CHOICES[one_of("activation", activation, tuple(EXPLORER_CHOICES))]
    f, df = act.get(name, alpha)
    grid = np.linspace(-5, 5, 401).astype(np.float32)
    z32 = np.float32(z)
    fz, dfz = float(f(z32)), float(df(z32))
    fig, (ax0, ax1) = new_figure(2, height=3.4)
    for ax in (ax0, ax1):
        ax.axhline(0, color="0.8", lw=0.8)
        ax.axvline(0, color="0.8", lw=0.8)
        ax.axvline(z, color="0.5", lw=0.8, ls=":")
        finish_axes(ax, grid=0.25, xlim=(-5, 5), xlabel="z (pre-activation)")
    ax0.plot(grid, f(grid), color=COLORS[0], lw=2)
    tangent = fz + dfz * (grid - z)
    ax0.plot(grid, tangent, color=COLORS[1], lw=1, ls="--")
    ax0.plot([z], [fz], "o", color=COLORS[1], ms=7)
    ax0.set(ylim=(-2.2, 5.2), ylabel="output f(z)", title="output, with the tangent at z")
    ax1.plot(grid, df(grid), color=COLORS[2], lw=2)
    ax1.plot([z], [dfz], "o", color=COLORS[1], ms=7)
    ax1.set(ylim=(-0.25, 1.25), ylabel="gradient f′(z)", title="gradient (how much a change passes back)")
    note = "the unit passes no gradient back" if dfz == 0 else (
        "saturated: almost no gradient" if dfz < 0.05 else "")
    fig.suptitle(f"{activation} at z = {z:g}:  f(z) = {fz:.4f},  f′(z) = {dfz:.4f}"
                 + (f"  ({note})" if note else ""), fontsize=11)
    return fig


def prelu_rrelu_figure(slopes=(0.0, 0.25, 0.6), num_points=400, seed=0):
    """PReLU at several slopes (left); RReLU's random slopes in training and its mean slope at
    inference (right) (chapter 1)."""
    fig, (ax0, ax1) = new_figure(2, height=3.6, top=0.85)
    z = np.linspace(-4.0, 3.0, 281).astype(np.float32)
    for k, a in enumerate(slopes):
        ax0.plot(z, act.prelu(z, a), color=COLORS[k], lw=2,
                 label=f"a = {a:g}" + (" (ReLU)" if a == 0 else ""))
    for ax in (ax0, ax1):
        ax.axhline(0, color="0.8", lw=0.8)
        ax.axvline(0, color="0.8", lw=0.8)
    finish_axes(ax0, "upper left", xlabel="z", ylabel="f(z)", ylim=(-2.6, 3.1),
                title="PReLU: the negative slope a is learned")
    lo, hi = act.RRELU_RANGE
    zs = np.random.default_rng(seed).uniform(-4.0, 3.0, num_points).astype(np.float32)
    ax1.plot(zs, act.rrelu(zs, training=True, seed=seed + 1), ".", color=COLORS[0], ms=3,
             label=f"training: a random in [{lo:.3g}, {hi:.3g}]")
    neg = z[z <= 0]
    for a in (lo, hi):
        ax1.plot(neg, a * neg, color="0.5", lw=0.8, ls="--")
    ax1.plot(z, act.rrelu(z), color=COLORS[1], lw=2, label=f"inference: mean slope {(lo + hi) / 2:.3f}")
    finish_axes(ax1, "upper left", xlabel="z", ylim=(-2.6, 3.1),
                title="RReLU: a random slope in training")
    return fig


def explorer():
    """Chapter 1's explorer: :func:`activation_explorer_figure` over the activations and z (chapter 1)."""
    return explore.Explorer("activations", activation_explorer_figure, [
        explore.choice("activation", list(EXPLORER_CHOICES), default="ReLU", label="activation"),
        explore.slider("z", -5.0, 5.0, 0.1, -1.5, grid=(-4.0, -1.5, 1.5, 4.0), label="pre-activation z"),
    ], web="activations")

"""Chapter 2 (loss functions): loss shapes, the yogurt runs, cross-entropy, and the explorer."""
from __future__ import annotations

import functools

import numpy as np

from .. import explore, losses
from ..neurons_activations import sigmoid
from . import COLORS, finish_axes, new_figure

__all__ = ["loss_shapes_figure", "yogurt_paths_figure", "cross_entropy_figure",
           "logit_losses_figure", "cost_profit_figure", "web_data", "explorer"]


def loss_shapes_figure():
    """One day's loss against the prediction error, for MSE and the cost/profit loss (chapter 2)."""
    fig, (ax0, ax1) = new_figure(2)
    e = np.linspace(-0.1, 0.1, 401)
    ax0.plot(e, e ** 2, color=COLORS[0], lw=2, label="(prediction − sales)²")
    ax0.set(title="squared error: both sides alike", ylabel="loss for one day")
    for (cost, profit), color in zip([(1, 9), (9, 1), (1, 1)], COLORS[1:]):
        loss = np.where(e > 0, cost * e, -profit * e)
        ax1.plot(e, loss, color=color, lw=2, label=f"COST={cost}, PROFIT={profit}")
    ax1.set(title="cost / profit: each side its own slope")
    for ax in (ax0, ax1):
        ax.axvline(0, color="0.7", lw=0.8, zorder=0)
        finish_axes(ax, "upper center", xlabel="prediction − sales  (left: too little, right: too much)")
    fig.suptitle("How much one day's error costs under each loss")
    return fig


def yogurt_paths_figure(runs: dict, minima: dict):
    """The weights of the yogurt runs: whole paths, and a close-up of their last 600 steps (chapter 2).

    ``runs`` maps a label to a history of shape ``(num_steps + 1, 2)`` (from
    :func:`nnlib.losses.linear_sgd`); ``minima`` maps the same labels to the exact minimum of
    that run's loss, drawn as a star.
    """
    fig, (ax0, ax1) = new_figure(2, height=4.0)
    tail = 600
    for (label, h), color in zip(runs.items(), COLORS):
        h = np.asarray(h, dtype=np.float64)
        step = max(1, len(h) // 400)
        ax0.plot(h[::step, 0], h[::step, 1], "-", color=color, lw=1.5, label=label)
        ax0.plot(*h[-1], "o", color=color, ms=5)
        last = h[-tail:]
        ax1.plot(last[:, 0], last[:, 1], ".", color=color, ms=2, alpha=0.5)
        ax1.plot(*h[-1], "o", color=color, ms=7, mec="k", label=f"{label}: last step")
        ax1.plot(*np.ravel(minima[label]), "*", color=color, ms=14, mec="k")
    start = np.asarray(next(iter(runs.values())))[0]
    ax0.plot(*start, "ks", ms=6, label="start")
    ax0.plot(1, 1, "k+", ms=10, mew=2, label="x1 + x2 (no noise)")
    ax1.plot(1, 1, "k+", ms=10, mew=2)
    finish_axes(ax0, "upper right", 7.5, xlabel="w1", ylabel="w2", title="paths from the start (■)")
    finish_axes(ax1, "lower right", 7.5, xlabel="w1", ylabel="w2", xlim=(0.93, 1.07), ylim=(0.93, 1.07),
                title=f"close-up: last {tail} steps, end ●, minimum ★")
    return fig


def cross_entropy_figure():
    """``-log p`` of the true class in base e and base 10, with note 000's two models (chapter 2)."""
    fig, (ax,) = new_figure(1, width=6.5, height=3.8, left=0.11, right=0.97)
    p = np.linspace(0.02, 1.0, 300)
    ax.plot(p, -np.log(p), color=COLORS[0], lw=2, label="natural log (TensorFlow, Keras)")
    ax.plot(p, -np.log10(p), color=COLORS[1], lw=2, label="log base 10 (note 000)")
    for q, name in ((0.6, "y1"), (0.8, "y2")):
        for f, color, dy in ((np.log, COLORS[0], 5), (np.log10, COLORS[1], -12)):
            ax.plot(q, -f(q), "o", color=color, ms=6)
            ax.annotate(f"{-f(q):.3f}", (q, -f(q)), textcoords="offset points", xytext=(6, dy),
                        fontsize=8, color=color)
        ax.axvline(q, color="0.75", lw=0.8, zorder=0)
        ax.text(q, 3.6, f"{name}: p = {q}", ha="center", fontsize=8)
    finish_axes(ax, "best", xlabel="probability the model gives the true class", ylabel="cross-entropy",
                ylim=(0, 3.9), title="Same ranking in either base: the curves differ by the factor ln 10")
    return fig


def logit_losses_figure():
    """A true label 1: cross-entropy and squared error of sigmoid(z), and their slopes in z
    (chapter 2)."""
    fig, (ax0, ax1) = new_figure(2)
    z = np.linspace(-8.0, 8.0, 401)
    s = sigmoid(z).astype(np.float64)
    bce = np.logaddexp(0.0, -z)               # -log sigmoid(z), computed stably
    sq = (1.0 - s) ** 2
    ax0.plot(z, bce, color=COLORS[0], lw=2, label="cross-entropy  −log σ(z)")
    ax0.plot(z, sq, color=COLORS[1], lw=2, label="squared error  (1 − σ(z))²")
    ax1.plot(z, s - 1.0, color=COLORS[0], lw=2, label="σ(z) − 1")
    ax1.plot(z, -2.0 * s * (1.0 - s) ** 2, color=COLORS[1], lw=2, label="−2 σ(z) (1 − σ(z))²")
    ax0.set(title="loss (true label 1)", ylabel="loss")
    ax1.set(title="slope d loss / dz (the push on z)", ylabel="gradient")
    for ax, legend in ((ax0, "upper right"), (ax1, "lower right")):
        ax.axvline(0, color="0.7", lw=0.8, zorder=0)
        ax.axvspan(-8.0, -3, color=COLORS[1], alpha=0.06, zorder=0)
        finish_axes(ax, legend, xlabel="logit z  (left: confidently wrong)")
    fig.suptitle("Output p = σ(z), true label 1: when the model is confidently wrong,\n"
                 "cross-entropy keeps pushing and squared error stalls", fontsize=10)
    return fig


# --- the cost / profit explorer ---------------------------------------------------------------

@functools.lru_cache(maxsize=1)
def _yogurt():
    return losses.yogurt_data(return_noise=True)


def cost_profit_figure(cost=1.0, profit=9.0, num_steps=3000):
    """The cost/profit explorer: where the loss aims (left) and what the trained model does on
    the 32 days (right) (chapter 2)."""
    X, y, noise = _yogurt()
    tau = losses.target_quantile(cost, profit)
    fig, (ax0, ax1) = new_figure(2, height=3.9, top=0.78)

    # left: stock x1 + x2 + c against demand x1 + x2 + noise, noise uniform on [-0.05, 0.05]
    c = np.linspace(-0.08, 0.08, 161)
    over = np.clip(c + 0.05, 0.0, 0.1)                # E(c - noise)+ for uniform noise on [-0.05, 0.05]
    over = np.where(c > 0.05, c, over ** 2 / 0.2)
    expected = cost * over + profit * (over - c)      # E(noise - c)+ = E(c - noise)+ - c + 0
    best = -0.05 + 0.1 * tau
    ax0.plot(c, expected, color=COLORS[0], lw=2)
    ax0.axvline(best, color=COLORS[2], lw=1.5, label=f"{tau:.0%} quantile: c = {best:+.3f}")
    ax0.axvline(float(np.mean(noise)), color="0.4", lw=1, ls=":", label="mean: where MSE aims")
    ax0.plot(noise, np.zeros_like(noise), "|", color="k", ms=8)
    ax0.locator_params(axis="y", nbins=4)
    finish_axes(ax0, "upper center", 7.5, xlabel="extra stock c above x1 + x2  (| = the 32 noise values)",
                ylabel="expected loss per day", title="one day, noise uniform on ±0.05",
                xticks=[-0.05, 0.0, 0.05])

    # right: the trained linear model, prediction minus sales on each of the 32 days, sorted
    w = losses.linear_sgd(X, y, losses.YOGURT_W0, 0.001, num_steps, loss="cost_profit",
                          cost=cost, profit=profit)[-1]
    err = np.sort((X.astype(np.float64) @ w.astype(np.float64)) - y[:, 0])
    days = np.arange(1, len(err) + 1)
    short = int(np.sum(err < 0))
    ax1.vlines(days, 0, err, colors=np.where(err < 0, COLORS[0], COLORS[1]), lw=5)
    ax1.axhline(0, color="k", lw=0.8)
    ax1.axvline(0.5 + len(err) * (1 - tau), color=COLORS[2], lw=1.5, ls="--",
                label=f"rule: {1 - tau:.0%} of days short")
    ax1.set(xlabel="the 32 days, sorted", ylabel="prediction − sales", ylim=(-0.16, 0.16),
            xticks=[1, 16, 32], yticks=[-0.1, 0, 0.1],
            title=f"trained model: {short} days short, {len(err) - short} over")
    ax1.legend(fontsize=7.5, loc="upper left")
    ax1.grid(alpha=0.3, axis="y")
    fig.suptitle(f"COST = {cost:g}, PROFIT = {profit:g}: aim at the PROFIT/(COST+PROFIT) = "
                 f"{tau:.2f} quantile of demand\n"
                 f"after {num_steps} steps w1 = {w[0]:.3f}, w2 = {w[1]:.3f}", fontsize=10)
    return fig


def explorer():
    """Chapter 2's explorer: :func:`cost_profit_figure` over COST, PROFIT and the steps (chapter 2)."""
    return explore.Explorer("cost-profit", cost_profit_figure, [
        explore.slider("cost", 0.5, 10.0, 0.5, 1.0, grid=(1.0, 2.0, 3.0, 5.0, 9.0), label="COST"),
        explore.slider("profit", 0.5, 10.0, 0.5, 9.0, grid=(1.0, 2.0, 3.0, 5.0, 9.0), label="PROFIT"),
        explore.int_slider("num_steps", 100, 20000, 3000, grid=(3000,), step=100, label="steps"),
    ], web="losses", web_data=web_data)


def web_data():
    """What the in-browser explorer computes with (chapter 2): the yogurt data (float32 values,
    exactly), the float64 noise and the starting weights ``YOGURT_W0``."""
    X, y, noise = _yogurt()
    return {"X": X.astype(np.float64).ravel().tolist(), "y": y.astype(np.float64).ravel().tolist(),
            "noise": noise.tolist(), "w0": losses.YOGURT_W0.astype(np.float64).ravel().tolist()}

"""Chapter 3 (softmax and cross-entropy): logits and probabilities, four ways to compute the loss,
multi-class decision regions, and the explorer figure."""
from __future__ import annotations

import numpy as np

from .. import explore
from ..softmax import log_softmax, softmax, sparse_categorical_cross_entropy
from . import COLORS, finish_axes, new_figure, plain_log_axis

__all__ = ["softmax_figure", "stability_figure", "softmax_explorer_figure", "loss_by_method", "explorer",
           "decision_regions", "regions_figure"]

GREY = "0.65"


def softmax_figure(z):
    """Left: logits and their softmax probabilities; right: two-class softmax vs the logistic."""
    z = np.asarray(z, dtype=np.float32)
    a = softmax(z)
    fig, (ax0, ax1) = new_figure(2, height=3.4)
    k = np.arange(len(z))
    ax0.bar(k - 0.2, z, width=0.4, color=GREY, label="logit z_j")
    ax0.bar(k + 0.2, a, width=0.4, color=COLORS[0], label="softmax ŷ_j")
    for j in k:
        ax0.annotate(f"{a[j]:.3f}", (j + 0.2, a[j]), ha="center", va="bottom", fontsize=8)
    ax0.axhline(0, color="0.3", lw=0.8)
    ax0.set_xticks(k, [f"class {j + 1}" for j in k])
    finish_axes(ax0, "best", grid=None, title=f"softmax of z: the ŷ_j sum to {a.sum():.6f}")

    t = np.linspace(-8, 8, 161).astype(np.float32)
    pair = softmax(np.stack([t, np.zeros_like(t)], axis=1))[:, 0]
    ax1.plot(t, 1 / (1 + np.exp(-t.astype(np.float64))), color=GREY, lw=5, label="logistic σ(z1 − z2)")
    ax1.plot(t, pair, color=COLORS[1], lw=1.5, label="softmax([z1, z2]) first entry")
    finish_axes(ax1, "upper left", xlabel="z1 − z2", ylabel="probability of class 1",
                title="two classes: softmax is the logistic")
    return fig


def loss_by_method(gaps):
    """For logits ``[0, d]`` and true class 1: the loss computed four ways.

    Returns a dict of float32 arrays: from logits (stable), ``-log`` of the stable softmax,
    ``-log`` of the unshifted ("naive") softmax, and Keras-style clipped probabilities.
    """
    d = np.asarray(gaps, dtype=np.float32)
    z = np.stack([np.zeros_like(d), d], axis=1)
    y = np.zeros(len(d), dtype=np.int64)
    a = softmax(z)
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        e = np.exp(z)
        naive = e / e.sum(axis=1, keepdims=True)
        return {
            "from logits": sparse_categorical_cross_entropy(y, z),
            "-log(stable softmax)": -np.log(a[:, 0]),
            "-log(naive softmax)": -np.log(naive[:, 0]),
            "clipped probabilities (Keras)": sparse_categorical_cross_entropy(y, a, from_logits=False),
        }


def stability_figure():
    """The loss of a confident wrong prediction against the logit gap d up to 120, four ways (float32).

    Left: the loss; right: its error against the exact value ``log(1 + e^d)`` (float64).
    """
    dmax = 120.0
    fig, (ax0, ax1) = new_figure(2, height=3.6)
    d = np.linspace(0.0, dmax, 601).astype(np.float32)
    exact = np.logaddexp(0.0, d.astype(np.float64))
    styles = [(COLORS[0], 5, "-"), (COLORS[2], 1.6, "-"), (COLORS[1], 1.6, "--"), (COLORS[4], 1.6, "-")]
    for (name, loss), (color, lw, ls) in zip(loss_by_method(d).items(), styles):
        finite = np.where(np.isfinite(loss), loss, np.nan)
        alpha = 0.45 if lw > 3 else 0.9
        ax0.plot(d, finite, color=color, lw=lw, ls=ls, label=name, alpha=alpha)
        err = np.abs(finite.astype(np.float64) - exact)
        ax1.plot(d, np.maximum(err, 1e-9), color=color, lw=min(lw, 3), ls=ls, alpha=alpha)
        bad = ~np.isfinite(loss)
        if bad.any():
            first = float(d[np.argmax(bad)])
            for ax in (ax0, ax1):
                ax.axvline(first, color=color, lw=0.8, ls=":")
            ax0.annotate("inf from here", (first, 2), rotation=90, fontsize=7, color=color,
                         ha="right", va="bottom")
    finish_axes(ax0, "upper left", 7, xlabel="logit gap d (logits [0, d], true class 1)", ylabel="loss",
                xlim=(0, dmax), title="the loss (dotted: where it becomes inf)")
    plain_log_axis(ax1)
    finish_axes(ax1, xlabel="logit gap d", ylabel="|computed − exact|", xlim=(0, dmax), ylim=(1e-9, 1e3),
                title="error against the exact log(1 + e^d)")
    fig.suptitle("The same loss, −log ŷ_1 = log(1 + e^d), computed four ways in float32", fontsize=10)
    return fig


def decision_regions(predict, xlim, ylim, num=200):
    """The class a classifier assigns to each point of a ``num`` x ``num`` grid: the argmax of its logits (chapter 3).

    ``predict`` maps float32 points ``(m, 2)`` to logits ``(m, classes)``. Returns ``(xs, ys, z,
    labels)``: the grid's coordinates, the logits ``z[i, j]`` and the class ``labels[i, j]`` at
    the point ``(xs[j], ys[i])``.
    """
    xs = np.linspace(*xlim, num, dtype=np.float32)
    ys = np.linspace(*ylim, num, dtype=np.float32)
    gx, gy = np.meshgrid(xs, ys)
    z = np.asarray(predict(np.stack([gx.ravel(), gy.ravel()], axis=1)))
    z = z.reshape(num, num, -1)
    return xs, ys, z, z.argmax(axis=-1)


def _tie_lines(ax, xs, ys, z):
    """Draw the boundaries: for each pair of classes i < j, the line z_i = z_j where i and j lead."""
    top2 = np.sort(np.argsort(z, axis=-1)[..., -2:], axis=-1)
    for i in range(z.shape[-1]):
        for j in range(i + 1, z.shape[-1]):
            lead = (top2[..., 0] == i) & (top2[..., 1] == j)
            if lead.any():
                ax.contour(xs, ys, np.where(lead, z[..., i] - z[..., j], np.nan), levels=[0.0],
                           colors="0.15", linewidths=1.0)


def regions_figure(X, y, panels, xlim=(-5.0, 5.0), ylim=(-4.5, 5.5), num=200):
    """Multi-class decision regions with the training points, one panel per classifier (chapter 3).

    ``panels`` maps a title to a ``predict`` function (points to logits). Each panel colours the
    plane by the argmax of the logits (:func:`decision_regions`), draws the lines where the two
    leading logits tie, and the points ``X`` with a colour and a marker per label ``y``.
    """
    from matplotlib.colors import ListedColormap, to_rgb

    X, y = np.asarray(X), np.asarray(y)
    k = int(y.max()) + 1
    light = ListedColormap([tuple(0.72 + 0.28 * np.array(to_rgb(c))) for c in COLORS[:k]])
    markers = ["o", "s", "^", "D", "v", "P"]
    fig, axes = new_figure(len(panels), height=4.2, left=0.07, right=0.99, bottom=0.11, top=0.86, wspace=0.15)
    for ax, (title, predict) in zip(axes, panels.items()):
        xs, ys, z, labels = decision_regions(predict, xlim, ylim, num)
        ax.imshow(labels, origin="lower", extent=(*xlim, *ylim), cmap=light, vmin=-0.5, vmax=k - 0.5,
                  interpolation="nearest", aspect="equal")
        _tie_lines(ax, xs, ys, z)
        for c in range(k):
            ax.scatter(*X[y == c].T, s=16, marker=markers[c], color=COLORS[c], edgecolors="white",
                       linewidths=0.5, label=f"label {c}")
        finish_axes(ax, grid=None, title=title, title_size=10, xlim=xlim, ylim=ylim, xlabel="x1",
                    ylabel="x2" if ax is axes[0] else None)
    handles, names = axes[0].get_legend_handles_labels()
    fig.legend(handles, names, loc="upper center", ncol=k, fontsize=9, frameon=False, markerscale=1.5)
    return fig


def softmax_explorer_figure(z1=0.0, z2=1.0, z3=-1.0, true_class=1):
    """The explorer: three logits, their probabilities, the loss for the true class, its gradient."""
    from matplotlib.patches import Patch

    z = np.array([z1, z2, z3], dtype=np.float32)
    y = int(true_class) - 1
    a = softmax(z)
    loss = float(sparse_categorical_cross_entropy(y, z))
    grad = a - np.eye(3, dtype=np.float32)[y]
    fig, (ax0, ax1) = new_figure(2, height=3.6)
    k = np.arange(3)
    colors = [COLORS[1] if j == y else COLORS[0] for j in k]
    ax0.bar(k - 0.2, a, width=0.4, color=colors)
    ax0.bar(k + 0.2, grad, width=0.4, color=GREY)
    for j in k:
        ax0.annotate(f"{a[j]:.3f}", (j - 0.2, a[j]), ha="center", va="bottom", fontsize=8)
        ax0.annotate(f"{grad[j]:+.3f}", (j + 0.2, grad[j]), ha="center",
                     va="bottom" if grad[j] >= 0 else "top", fontsize=8)
    ax0.axhline(0, color="0.3", lw=0.8)
    ax0.set_xticks(k, [f"z{j + 1} = {z[j]:g}" + (" (true)" if j == y else "") for j in k])
    ax0.set(ylim=(-1.15, 1.65), yticks=[-1, -0.5, 0, 0.5, 1],
            title="probabilities (red: true class) and gradient")
    handles = [Patch(color=COLORS[0], label="a_j"), Patch(color=COLORS[1], label="a_y (true class)"),
               Patch(color=GREY, label="∂L/∂z_j = a_j − [j = y]")]
    ax0.legend(handles=handles, fontsize=7, loc="upper center", ncol=3)

    t = np.linspace(-10, 10, 201).astype(np.float32)
    zs = np.repeat(z[None, :], len(t), axis=0)
    zs[:, 0] = t
    logp = log_softmax(zs)
    for j in k:
        ax1.plot(t, -logp[:, j], color=COLORS[1] if j == y else GREY, lw=2 if j == y else 1,
                 ls="-" if j == y else "--", label=f"−log a_{j + 1}" + (" (the loss)" if j == y else ""))
    ax1.plot([z1], [loss], "o", color=COLORS[1], ms=7)
    finish_axes(ax1, "upper center", 7, xlabel="z1 (z2, z3 held)", ylabel="−log a_j", ylim=(0, 14),
                xlim=(-10, 10), title="loss against z1", xticks=[-10, -5, 0, 5, 10], yticks=[0, 4, 8, 12])
    fig.suptitle(f"true class {true_class} (label {y} in code): loss = −log a_{true_class} = {loss:.4f}",
                 fontsize=10)
    return fig


def explorer():
    """Chapter 3's explorer: :func:`softmax_explorer_figure` over three logits and the true class (chapter 3)."""
    return explore.Explorer("softmax", softmax_explorer_figure, [
        explore.slider("z1", -10.0, 10.0, 0.5, 0.0, grid=(-4.0, -3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0),
                       label="logit z1"),
        explore.slider("z2", -10.0, 10.0, 0.5, 1.0, grid=(1.0,), label="logit z2"),
        explore.slider("z3", -10.0, 10.0, 0.5, -1.0, grid=(-1.0,), label="logit z3"),
        explore.choice("true_class", (1, 2, 3), default=1, label="true class"),
    ], web="softmax")

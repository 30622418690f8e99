"""Figures of chapter 13 (overfitting and regularization); each returns a matplotlib Figure."""
from __future__ import annotations

import numpy as np

from .. import explore
from . import COLORS, finish_axes, new_figure

__all__ = ["circle_data_figure", "boundary_figure", "minimizer_figure", "weight_histogram_figure",
           "steps_figure", "dropout_mean_figure", "decay_ratio_figure", "early_stopping_figure",
           "dropout_sweep_figure", "augmentation_figure", "web_data", "explorer"]


def _points(ax, X, y, alpha=0.8, size=12, circle=False):
    """The points, red (y = 1) and blue; with ``circle``, the true boundary x0² + x1² = 2 dotted."""
    red = y.ravel() > 0.5
    ax.scatter(X[red, 0], X[red, 1], s=size, c=COLORS[1], alpha=alpha, lw=0, label="red (y = 1)")
    ax.scatter(X[~red, 0], X[~red, 1], s=size, c=COLORS[0], alpha=alpha, lw=0, label="blue (y = 0)")
    ax.set(xlim=(-3, 3), ylim=(-3, 3), aspect="equal")
    if circle:
        t = np.linspace(0, 2 * np.pi, 200)
        ax.plot(np.sqrt(2) * np.cos(t), np.sqrt(2) * np.sin(t), ":", c="0.4", lw=1)


def circle_data_figure(X, y, X_test, y_test):
    """Note 000's 300 training points (red inside x0² + x1² < 2) beside our held-out test points (chapter 13)."""
    fig, axes = new_figure(2, width=8.0, height=4.2)
    _points(axes[0], X, y, circle=True)
    finish_axes(axes[0], "upper right", grid=None, title=f"training set ({len(X)} points, seed 2)")
    _points(axes[1], X_test, y_test, alpha=0.5, size=6, circle=True)
    axes[1].set_title(f"held-out test set ({len(X_test)} points, another seed)")
    return fig


def boundary_figure(X, y, xx, yy, probs, titles, captions):
    """Each model's 0.5 output contour over the training points, a captioned panel per model (chapter 13)."""
    fig, axes = new_figure(len(probs), width=4.0 * len(probs), height=4.3)
    for ax, p, title, caption in zip(axes, probs, titles, captions):
        _points(ax, X, y, alpha=0.7, size=10, circle=True)
        ax.contour(xx, yy, p, levels=[0.5], colors="k", linewidths=1.5)
        ax.set_title(title, fontsize=10)
        ax.text(0.02, 0.02, caption, transform=ax.transAxes, fontsize=8,
                va="bottom", bbox={"fc": "white", "ec": "0.7", "alpha": 0.9})
    return fig


def minimizer_figure(a, lam, w_l1, w_l2):
    """Where the penalized minimum lands for a data-preferred value a: L1 snaps to 0, L2 shrinks (chapter 13)."""
    fig, (ax0, ax1) = new_figure(2, width=9.0, height=3.6)
    w = np.linspace(-2, 2, 401)
    ax0.plot(w, np.abs(w), c=COLORS[1], label="|w|  (L1)")
    ax0.plot(w, w ** 2, c=COLORS[0], label="w²  (L2)")
    finish_axes(ax0, "best", grid=None, ylim=(0, 2.2), title="the two penalties", xlabel="w")
    ax1.plot(a, a, ":", c="0.5", lw=1, label="no penalty: w = a")
    ax1.plot(a, w_l1, c=COLORS[1], label=f"L1, λ = {lam:g}: exactly 0 for |a| ≤ λ")
    ax1.plot(a, w_l2, c=COLORS[0], label=f"L2, λ = {lam:g}: a / (1 + 2λ)")
    ax1.axhline(0, c="0.8", lw=0.8)
    finish_axes(ax1, "upper left", grid=None, title="minimum of (w − a)²/2 + penalty",
                xlabel="a (where the data alone would put w)", ylabel="best w")
    return fig


def weight_histogram_figure(weights, titles):
    """Histograms of a network's 33 weights after training, one panel per penalty (chapter 13)."""
    fig, axes = new_figure(len(weights), width=3.3 * len(weights), height=3.2)
    bins = np.linspace(-3, 3, 49)
    for k, (ax, w, title) in enumerate(zip(axes, weights, titles)):
        w = np.asarray(w).ravel()
        ax.hist(np.clip(w, -3, 3), bins=bins, color=COLORS[k % len(COLORS)], histtype="stepfilled")
        near = int(np.sum(np.abs(w) < 1e-3))
        ax.set_title(f"{title}\n{near} of {w.size} weights within 0.001 of 0", fontsize=9)
        ax.set_xlabel("weight")
    return fig


def steps_figure(X, y, xx, yy, probs_by_step, steps, titles, captions=None):
    """The 0.5 contour after several step counts (rows of ``probs_by_step``: one per model), with
    an optional caption per panel (chapter 13)."""
    from matplotlib.lines import Line2D

    fig, axes = new_figure(len(probs_by_step), width=4.0 * len(probs_by_step), height=4.3)
    for k, (ax, probs, title) in enumerate(zip(axes, probs_by_step, titles)):
        if captions is not None:
            ax.text(0.02, 0.02, captions[k], transform=ax.transAxes, fontsize=8, va="bottom",
                    bbox={"fc": "white", "ec": "0.7", "alpha": 0.9})
        _points(ax, X, y, alpha=0.35, size=8, circle=True)
        handles = []
        for j, (p, step) in enumerate(zip(probs, steps)):
            color = COLORS[(j + 2) % len(COLORS)]
            ax.contour(xx, yy, p, levels=[0.5], colors=[color], linewidths=1.3)
            handles.append(Line2D([], [], color=color, lw=1.3, label=f"{step} steps"))
        ax.set_title(title, fontsize=10)
        ax.legend(handles=handles, fontsize=7, loc="upper right")
    return fig


def dropout_mean_figure(counts, errors, p):
    """The largest relative error of the mean of dropout's outputs against the number of masks,
    with the standard error sqrt(p/(1 - p)/k) of one entry (chapter 13)."""
    fig, (ax,) = new_figure(1, width=6.0, height=3.4)
    counts = np.asarray(counts, float)
    ax.loglog(counts, errors, "o-", c=COLORS[0], ms=4, label="largest |mean / x − 1| over 8 inputs")
    ax.loglog(counts, np.sqrt(p / (1 - p) / counts), "--", c="0.4", lw=1,
              label=f"one standard error, √(p/(1−p)/k), p = {p:g}")
    finish_axes(ax, "lower left", 8, xlabel="number of masks k",
                title="the average of inverted dropout's outputs tends to the input", title_size=10)
    return fig


def decay_ratio_figure(ratios, labels):
    """Histograms (log x) of how strongly an L2 penalty decays each weight under Adam, relative
    to AdamW's decoupled decay of the same strength (1 = the same), per layer (chapter 13)."""
    fig, (ax,) = new_figure(1, width=7.0, height=3.4)
    r_all = np.concatenate([np.ravel(r) for r in ratios])
    bins = np.logspace(np.floor(np.log10(r_all.min())), np.ceil(np.log10(r_all.max())), 41)
    for k, (r, label) in enumerate(zip(ratios, labels)):
        ax.hist(np.ravel(r), bins=bins, color=COLORS[k], alpha=0.6, label=label)
    ax.set_xscale("log")
    ax.axvline(1, c="0.3", lw=1, ls="--")
    finish_axes(ax, "upper left", 8, grid=None, xlabel="decay per step, L2 under Adam ÷ AdamW",
                ylabel="weights", title="Adam divides the L2 pull by √v̂: each weight decays "
                "at its own rate", title_size=10)
    return fig


def early_stopping_figure(history, best_epoch, patience):
    """Training and validation loss per epoch, the best epoch and where patience stopped (chapter 13)."""
    fig, (ax,) = new_figure(1, width=6.5, height=3.4)
    hist = np.asarray(history)
    epochs = np.arange(1, len(hist) + 1)
    ax.plot(epochs, hist[:, 0], c=COLORS[0], label="training loss")
    ax.plot(epochs, hist[:, 1], c=COLORS[1], label="validation loss")
    ax.axvline(best_epoch, c=COLORS[2], lw=1.2, label=f"best validation loss (epoch {best_epoch})")
    ax.axvline(len(hist), c="0.4", lw=1, ls="--", label=f"stopped: {patience} epochs without a new best")
    finish_axes(ax, "upper right", 8, xlabel="epoch", ylabel="cross-entropy",
                title="early stopping with patience", title_size=10)
    return fig


def dropout_sweep_figure(rates, accs):
    """Validation accuracy against the dropout rate, one line per seed and their mean (chapter 13)."""
    fig, (ax,) = new_figure(1, width=5.5, height=3.4)
    accs = np.asarray(accs)
    for k, a in enumerate(accs.T):
        ax.plot(rates, a, "o-", c=COLORS[k % len(COLORS)], ms=4, lw=1, alpha=0.6, label=f"seed {k}")
    ax.plot(rates, accs.mean(axis=1), "s-", c="k", ms=5, lw=2, label="mean")
    ax.set_xticks(rates)
    finish_axes(ax, "lower left", 8, xlabel="dropout rate p", ylabel="validation accuracy",
                title="dropout on the digits, chosen on validation", title_size=10)
    return fig


def augmentation_figure(images, titles, side=8):
    """One digit and its augmented copies, side by side in grey (chapter 13)."""
    fig, axes = new_figure(len(images), width=2.0 * len(images), height=2.3, left=0.02,
                           right=0.98, bottom=0.02, top=0.86, wspace=0.08)
    for ax, img, title in zip(axes, images, titles):
        ax.imshow(np.asarray(img).reshape(side, side), cmap="gray_r", vmin=0, vmax=1)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(title, fontsize=9)
    return fig


def explorer(X, y, xx, yy, results):
    """Chapter 13's explorer: penalty and strength, over networks trained in advance (chapter 13).

    ``results`` maps ``(kind, lam)`` to a dict with ``probs`` (the output on the grid ``xx, yy``),
    ``w`` (all weights), ``train_acc`` and ``test_acc``, and holds ``("none", 0.0)``; ``lam = 0``
    draws the unregularized model whatever the kind. The default is L2(0.005), the note's.
    """
    lams = sorted({lam for _, lam in results})

    def plot(kind="L2", lam=0.005):
        key = ("none", 0.0) if lam == 0 else (kind.lower(), lam)
        r = results[key]
        base = results[("none", 0.0)]
        fig, (ax0, ax1) = new_figure(2, width=9.0, height=3.8, left=0.06, bottom=0.16)
        _points(ax0, X, y, alpha=0.6, size=8)
        ax0.contour(xx, yy, base["probs"], levels=[0.5], colors="0.6", linewidths=1, linestyles="--")
        ax0.contour(xx, yy, r["probs"], levels=[0.5], colors="k", linewidths=1.6)
        ax0.set_title("0.5 contour (dashed: no penalty)", fontsize=9)
        x = np.arange(len(lams))
        for k, name in enumerate(("l1", "l2")):
            rows = [results[("none", 0.0) if l == 0 else (name, l)] for l in lams]
            for j, (which, style) in enumerate((("train", "-o"), ("test", "--s"))):
                ax1.plot(x, [q[f"{which}_acc"] for q in rows], style, ms=3, c=COLORS[2 * k + j],
                         label=f"{name.upper()} {which}")
        ax1.axvline(lams.index(lam), c="0.7", lw=4, alpha=0.5)
        ax1.set_xticks(x, [f"{l:g}" for l in lams], fontsize=8)
        finish_axes(ax1, "lower left", 7, grid=None, xlabel="λ (Keras convention)", ylim=(0.55, 1.0),
                    title="accuracy of every trained network", title_size=9)
        w = np.asarray(r["w"]).ravel()
        zeros = int(np.sum(np.abs(w) < 1e-3))
        name = "no penalty" if lam == 0 else f"{kind}, λ = {lam:g}"
        fig.suptitle(f"{name}: train accuracy {r['train_acc']:.3f}, test accuracy {r['test_acc']:.3f}, "
                     f"{zeros} of {w.size} weights within 0.001 of 0", fontsize=10)
        return fig

    return explore.Explorer("regularization", plot, [
        explore.choice("kind", ("L2", "L1"), default="L2", label="penalty"),
        explore.choice("lam", tuple(lams), default=0.005, label="λ"),
    ], web="regularization", web_data=lambda: web_data(X, y, xx, yy, results))


def web_data(X, y, xx, yy, results):
    """What the in-browser explorer draws (chapter 13): the points (3 decimals), and per trained
    network its 0.5 boundary as contour lines (contourpy, matplotlib's contour code, on the grid
    ``xx, yy``), its train and test accuracy, the count of weights within 0.001 of 0 and its
    weights' sizes, largest first; ``index[kind][lam]`` finds a network by the controls' values
    (the strength as the control's text, ``str(lam)``; 0 is the unregularized network)."""
    import contourpy

    lams = sorted({lam for _, lam in results})
    keys = list(results)
    nets = []
    for key in keys:
        r = results[key]
        gen = contourpy.contour_generator(xx, yy, np.asarray(r["probs"], dtype=np.float64))
        w = np.abs(np.asarray(r["w"]).ravel())
        nets.append({"contour": [np.round(line, 3).ravel().tolist() for line in gen.lines(0.5)],
                     "train": float(r["train_acc"]), "test": float(r["test_acc"]),
                     "zeros": int(np.sum(w < 1e-3)), "w": [float(f"{v:.4g}") for v in np.sort(w)[::-1]]})
    none = keys.index(("none", 0.0))
    index = {kind: {str(lam): none if lam == 0 else keys.index((kind.lower(), lam)) for lam in lams}
             for kind in ("L1", "L2")}
    return {"points": np.round(np.asarray(X, dtype=np.float64), 3).ravel().tolist(),
            "labels": [int(v > 0.5) for v in np.asarray(y).ravel()],
            "lams": [str(lam) for lam in lams], "nets": nets, "index": index}

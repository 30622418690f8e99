"""Chapter 4 (learning rate): gradient-descent paths on the loss curve, and the explorer figure;
bowls and the ravine in two dimensions, a local minimum, a saddle and a plateau, the mini-batch
noise against the batch size, and the learning-rate range test."""
from __future__ import annotations

import numpy as np

from .. import explore, learning_rate
from . import COLORS, finish_axes, new_figure, plain_log_axis

__all__ = ["descent_figure", "loss_curves_figure", "lr_explorer_figure", "explorer", "own",
           "bowl_figure", "ravine_figure", "landscape_figure", "batch_noise_figure",
           "range_test_figure"]


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
                           grid=(0.0001, 0.001, 0.01, 0.05, 0.2, 0.3, 0.45, 0.6,
                                 0.95, 1.0, 1.05, 1.2)),
        explore.slider("w0", -8.0, 8.0, 0.5, 5.0, grid=(-6.0, 5.0), label="start w"),
        explore.int_slider("num_steps", 1, 100, 20, grid=(20,), label="updates"),
    ], web="learning_rate", own=own)


def own(loss=None, grad=None) -> explore.Own:
    """Your own 1-D loss for the explorer in JupyterLab: ``explorer().live(loss=f)``, ``grad=g`` or
    both (chapter 4). Each setting runs :func:`nnlib.learning_rate.gd_trace` in the kernel on your
    gradient (without one, :func:`nnlib.learning_rate.slope_grad` of your loss), and the widget
    draws w and your loss (``|grad|`` if you gave no loss) against the step."""
    if loss is None and grad is None:
        raise ValueError("give your loss (loss=f, a function of w), your gradient (grad=g), or both")
    for what, fn in (("loss", loss), ("grad", grad)):
        if fn is not None and not callable(fn):
            raise ValueError(f"{what} must be a function of w, got {fn!r}")
    step = grad if grad is not None else learning_rate.slope_grad(loss)

    def value(w):
        v = np.asarray(loss(w) if loss is not None else np.abs(step(w)), dtype=np.float64)
        if v.size != 1:
            raise ValueError(f"{'loss' if loss is not None else 'grad'} must return one number for one w, "
                             f"got shape {v.shape}")
        return float(v.reshape(()))

    def compute(p):
        tr = learning_rate.gd_trace(step, np.float32(p["w0"]), p["lr"], int(p["num_steps"]))
        w = tr.w.astype(np.float64).ravel()
        with np.errstate(all="ignore"):
            values = [value(np.float32(v)) for v in w]
        return {"w": w, "loss": values, "divergedAt": tr.diverged_at, "numSteps": int(p["num_steps"]),
                "own": {"loss": loss is not None}}

    compute({"w0": 5.0, "lr": 0.01, "num_steps": 1})   # a function that cannot run fails here, once
    return explore.Own(compute)



# --- many weights -------------------------------------------------------------------------------

def _contours(ax, loss_xy, xlim, ylim, levels, n=160):
    x, y = np.meshgrid(np.linspace(*xlim, n), np.linspace(*ylim, n))
    ax.contour(x, y, loss_xy(x, y), levels=levels, colors="0.7", linewidths=0.8)


def bowl_figure(bowl, lr, w0, num_steps):
    """Left: a 2-D bowl's contours, its eigen-directions and the path of gradient descent; right:
    the path's distance along each eigen-direction against step, with ``|1 - lr λ|^k`` dashed
    (chapter 4). ``bowl`` is a :class:`nnlib.learning_rate.Bowl`."""
    tr = learning_rate.gd_trace(bowl.grad, w0, lr, num_steps)
    fig, (ax0, ax1) = new_figure(2)
    reach = 1.15 * float(np.max(np.abs(tr.w[0])))
    lim = (-reach, reach)
    _contours(ax0, lambda x, y: bowl.loss(np.stack([x, y], axis=-1)), lim, lim,
              np.geomspace(bowl.loss(tr.w[0]) / 300, bowl.loss(tr.w[0]) * 1.5, 8))
    w = tr.w.astype(np.float64)
    ax0.plot(w[:, 0], w[:, 1], "-o", color=COLORS[0], ms=3, lw=1, label=f"lr = {lr:g}")
    u = bowl.coordinates(w)
    k = np.arange(len(w))
    for i, color in zip(range(2), (COLORS[2], COLORS[1])):
        lam = bowl.eigenvalues[i]
        arrow = bowl.Q[:, i] * reach * 0.8
        ax0.annotate("", xy=arrow, xytext=-arrow,
                     arrowprops=dict(arrowstyle="<->", color=color, lw=1.5))
        ax0.text(*(arrow * 1.05), f"λ = {lam:g}", color=color, fontsize=9)
        factor = 1 - lr * lam
        ax1.plot(k, np.maximum(np.abs(u[:, i]), 1e-12), "o", color=color, ms=3,
                 label=f"direction λ = {lam:g}: factor {factor:+.2f}")
        ax1.plot(k, np.abs(u[0, i]) * np.abs(factor) ** k, "--", color=color, lw=1)
    ax0.set_aspect("equal")
    finish_axes(ax0, "lower right", grid=None, xlabel="w₁", ylabel="w₂", xlim=lim, ylim=lim,
                title="path on the contours (arrows: eigen-directions)")
    plain_log_axis(ax1)
    finish_axes(ax1, "lower left", xlabel="updates", ylabel="|distance| along it (log)",
                title="each direction on its own (dashed: |1 − ηλ|ᵏ)")
    return fig


def ravine_figure(surface, lrs, num_steps, paths=2):
    """Gradient descent on chapter 8's ravine ``(x² + 50y²)/2`` at several rates: the paths of the
    first ``paths`` rates on the contours (left) and every run's distance to the minimum against
    step (right, log scale) (chapter 4). ``surface`` is ``nnlib.optimizers.SURFACES['ravine']``;
    ``lrs`` maps a legend label to a rate."""
    fig, (ax0, ax1) = new_figure(2)
    _contours(ax0, surface.loss_xy, surface.xlim, surface.ylim, [0.1, 0.5, 2, 5, 10, 20])
    runs = surface.paths("sgd", list(lrs.values()), num_steps).astype(np.float64)
    for i, (label, color) in enumerate(zip(lrs, COLORS)):
        w = runs[:, i]
        if i < paths:
            ax0.plot(w[:80, 0], w[:80, 1], "-o", color=color, ms=2, lw=0.8, alpha=0.85,
                     label=label)
        ax1.plot(np.arange(len(w)), np.linalg.norm(w, axis=1), "-", color=color, lw=1.4,
                 label=label)
    ax0.plot(*surface.start, "ks", ms=5)
    finish_axes(ax0, "lower right", grid=None, xlabel="x", ylabel="y", xlim=surface.xlim,
                ylim=surface.ylim, title="first 80 steps (■ = start)")
    plain_log_axis(ax1)
    ax1.set_ylim(1e-4, 30)
    finish_axes(ax1, "lower left", xlabel="updates", ylabel="distance to the minimum (log)",
                title="how fast each run closes in")
    return fig


def landscape_figure(wells: dict, saddle, saddle_starts, plateaus: dict, lr_well, lr_saddle,
                     lr_plateau, num_steps_plateau):
    """Three pictures of what is not a bowl (chapter 4). Left: ``double_well_loss`` with the
    gradient-descent path from each start in ``wells`` (label -> start); middle: chapter 8's
    saddle surface with paths from ``saddle_starts`` (label -> (x, y)); right: the loss
    ``plateau_loss`` against step from each start in ``plateaus`` (label -> start)."""
    fig, (ax0, ax1, ax2) = new_figure(3, width=10.0, wspace=0.32, left=0.07)
    grid = np.linspace(-1.7, 1.7, 300).astype(np.float32)
    ax0.plot(grid, learning_rate.double_well_loss(grid), color="0.6", lw=1.2)
    for (label, w0), color in zip(wells.items(), COLORS):
        tr = learning_rate.gd_trace(learning_rate.double_well_grad, w0, lr_well, 60)
        ax0.plot(tr.w, learning_rate.double_well_loss(tr.w), "-o", color=color, ms=2.5, lw=0.8,
                 label=label)
    finish_axes(ax0, "upper center", xlabel="w", ylabel="loss", ylim=(-0.5, 2.5),
                title="two minima, two outcomes")
    _contours(ax1, saddle.loss_xy, saddle.xlim, saddle.ylim, [-0.2, -0.1, 0, 0.2, 0.5, 1, 2])
    for (label, w0), color in zip(saddle_starts.items(), COLORS):
        tr = learning_rate.gd_trace(saddle.grad, w0, lr_saddle, 200)
        ax1.plot(tr.w[:, 0], tr.w[:, 1], "-o", color=color, ms=2, lw=0.8, label=label)
    ax1.plot([0], [0], "kx", ms=8)
    finish_axes(ax1, "lower left", grid=None, xlabel="x", ylabel="y", xlim=saddle.xlim,
                ylim=saddle.ylim, title="a saddle at × (minima at y = ±1)")
    tr = learning_rate.gd_trace(learning_rate.plateau_grad, list(plateaus.values()), lr_plateau,
                                num_steps_plateau)   # all starts at once, elementwise
    for i, (label, color) in enumerate(zip(plateaus, COLORS)):
        ax2.plot(np.arange(len(tr.w)), learning_rate.plateau_loss(tr.w[:, i]), color=color,
                 lw=1.5, label=label)
    finish_axes(ax2, "lower left", xlabel="updates", ylabel="loss (σ(w) − 1)²",
                title="a plateau, then a drop")
    return fig


def batch_noise_figure(sizes, noise, spread, n):
    """Measured ``mean |g_B - g|²`` against the batch size B (log-log), with the prediction
    ``spread / B · (n - B) / (n - 1)`` drawn as a line (chapter 4)."""
    fig, (ax,) = new_figure(1, width=6.0, height=3.4, left=0.13)
    b = np.geomspace(1, n, 200)
    ax.plot(b[:-1], (spread / b * (n - b) / (n - 1))[:-1], "-", color="0.5", lw=1.2,
            label="σ²/B · (n − B)/(n − 1)")
    ax.plot(sizes, noise, "o", color=COLORS[0], ms=6, label="measured (100 batches)")
    plain_log_axis(ax, fmt="g", ticks=[0.01, 0.1, 1, 10])
    plain_log_axis(ax, axis="x", fmt="g", ticks=[1, 4, 16, 64, 256, 1024])
    finish_axes(ax, "lower left", xlabel="batch size B", ylabel="mean |g_B − g|² (log)",
                title="the noise of a mini-batch gradient")
    return fig


def range_test_figure(tests: dict, grid=()):
    """Learning-rate range tests: training loss against the rate used (log x), one line per
    run (``tests`` maps a label to a :class:`nnlib.learning_rate.RangeTest`), the lowest point of
    each marked, and the rates in ``grid`` as dotted lines (chapter 4)."""
    fig, (ax,) = new_figure(1, width=7.0, height=3.4)
    for (label, rt), color in zip(tests.items(), COLORS):
        ax.plot(rt.lr, rt.loss, "-", color=color, lw=1.4, label=label)
        lr, loss = rt.lowest
        ax.plot([lr], [loss], "v", color=color, ms=7)
    for lr in grid:
        ax.axvline(lr, color="0.5", ls=":", lw=1)
    plain_log_axis(ax, axis="x", fmt="g", ticks=[0.001, 0.01, 0.1, 1, 10])
    top = max(float(rt.loss[0]) for rt in tests.values())
    finish_axes(ax, "lower left", xlabel="learning rate of the update (log scale)",
                ylabel="training loss", ylim=(0, top * 1.6),
                title="range test: one run, the rate grows every update (▼ lowest loss)")
    return fig

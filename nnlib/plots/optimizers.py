"""Chapter 8 (optimizers): paths on 2-D surfaces, the explorer, loss curves, momentum's dynamics."""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from .. import explore
from .. import optimizers as opt
from . import COLORS, finish_axes, new_figure, plain_log_axis

__all__ = ["surface_figure", "explorer_figure", "explorer", "own", "web_contours", "loss_curves_figure",
           "momentum_figure", "adam_start_figure", "decay_figure"]

#: Contour levels of the gap above the minimum, per surface (geometric, so the valley floor shows).
LEVELS = {"ravine": (0.01, 40.0), "rosenbrock": (0.05, 2000.0), "saddle": (0.005, 6.0)}
FLOOR = 1e-12  # a gap of exactly 0 is drawn here on the log scale


@lru_cache(maxsize=None)
def _grid(name, n=120):
    s = opt.SURFACES[name]
    x = np.linspace(*s.xlim, n, dtype=np.float32)
    y = np.linspace(*s.ylim, n, dtype=np.float32)
    X, Y = np.meshgrid(x, y)
    return X, Y, s.gap(np.stack([X, Y], axis=-1))


def _contours(ax, s):
    X, Y, gap = _grid(s.name)
    lo, hi = LEVELS[s.name]
    ax.contour(X, Y, np.maximum(gap, lo / 10), levels=np.geomspace(lo, hi, 12), colors="0.75",
               linewidths=0.8)
    ax.set(xlim=s.xlim, ylim=s.ylim, xlabel="x", ylabel="y")
    # few, fixed ticks: drawing tick labels is most of the time a frame takes
    step = 2 if s.xlim[1] - s.xlim[0] > 5 else 1
    ax.set_xticks(np.arange(np.ceil(s.xlim[0] / step) * step, s.xlim[1] + 0.01, step))
    ax.set_yticks(np.arange(np.ceil(s.ylim[0]), s.ylim[1] + 0.01, 1))


def _run(ax0, ax1, s, trace, color, label, faint=False):
    """A run's path (its first 400 points) on the contours (``ax0``) and its gap per step (``ax1``)."""
    w = np.asarray(trace.w[:400], dtype=np.float64)
    lw, alpha = (1.0, 0.7) if faint else (1.4, 0.9)
    ax0.plot(w[:, 0], w[:, 1], "-", color=color, lw=lw, alpha=alpha, label=label)
    ax0.plot(w[:, 0], w[:, 1], ".", color=color, ms=2.5, alpha=alpha)
    gap = np.maximum(s.gap(trace.w), FLOOR)
    ax1.plot(np.arange(len(gap)), gap, "-", color=color, lw=1.0 if faint else 1.5, label=label)


def _gap_axis(ax, num_steps):
    """Log y from 1e-12 to 1e3 with five fixed ticks (a gap of exactly 0 sits on the floor)."""
    plain_log_axis(ax, ticks=[1e-12, 1e-9, 1e-6, 1e-3, 1.0], fmt="g")
    finish_axes(ax, ylim=(FLOOR / 3, 3e3), xlabel="step", ylabel="loss above the minimum (log)",
                xlim=(0, num_steps))


def surface_figure(surface: str, runs: dict, title=None):
    """Left: every run's path on the contours of ``surface``; right: loss above the minimum (chapter 8).

    ``runs`` maps a legend label to a :class:`nnlib.learning_rate.Trace` from :func:`nnlib.optimizers.run`.
    """
    s = opt.SURFACES[surface]
    fig, (ax0, ax1) = new_figure(2, width=10.0, height=4.2, left=0.07, bottom=0.13, top=0.86, wspace=0.22)
    _contours(ax0, s)
    for (label, tr), color in zip(runs.items(), COLORS * 2):
        _run(ax0, ax1, s, tr, color, label)
    ax0.plot(*s.start, "ks", ms=6)
    ax0.set_title(f"{s.label}: paths from ■", fontsize=10)
    ax0.legend(fontsize=7.5, loc="lower right", framealpha=0.9)
    _gap_axis(ax1, max(len(tr.w) for tr in runs.values()) - 1)
    ax1.set_title("loss against step", fontsize=10)
    if title:
        fig.suptitle(title, fontsize=11)
    return fig


def _hyper(optimizer, beta_1, beta_2) -> dict:
    """The explorer's β₁ and β₂ as the rule's own hyperparameters."""
    return {"momentum": {"momentum": beta_1}, "nesterov": {"momentum": beta_1},
            "rmsprop": {"rho": beta_2}, "adam": {"beta_1": beta_1, "beta_2": beta_2}}.get(optimizer, {})


def explorer_figure(optimizer="momentum", lr=0.01, beta_1=0.9, beta_2=0.99, surface="ravine",
                    x0=None, y0=None, num_steps=100):
    """The optimizer explorer: one rule's path on a surface, plain SGD at the same rate in grey (chapter 8).

    ``beta_1`` is the momentum coefficient (momentum, Nesterov) or Adam's beta_1; ``beta_2`` is
    RMSProp's rho or Adam's beta_2. ``x0, y0`` default to the surface's start.
    """
    s = opt.SURFACES[surface]
    start = (s.start[0] if x0 is None else x0, s.start[1] if y0 is None else y0)
    hyper = _hyper(optimizer, beta_1, beta_2)
    tr = opt.run(optimizer, s.grad, start, lr, num_steps, **hyper)
    fig, (ax0, ax1) = new_figure(2, width=10.0, height=4.2, left=0.07, bottom=0.13, top=0.82, wspace=0.22)
    _contours(ax0, s)
    color = COLORS[opt.NAMES.index(optimizer)]
    label = opt.LABELS[optimizer]
    if optimizer != "sgd":
        _run(ax0, ax1, s, opt.run("sgd", s.grad, start, lr, num_steps), "0.55", "SGD, same lr", faint=True)
    _run(ax0, ax1, s, tr, color, label)
    ax0.plot(*start, "ks", ms=6)
    ax0.legend(fontsize=8, loc="lower right", framealpha=0.9)
    _gap_axis(ax1, num_steps)
    shown = {"lr": lr, **hyper}
    gap = s.gap(tr.w[-1])
    end = (f"diverged at step {tr.diverged_at}" if tr.diverged_at is not None
           else f"after {num_steps} steps the loss is {gap:.2e} above the minimum")
    fig.suptitle(f"{label} on the {s.label}: " + ", ".join(f"{k} = {v:g}" for k, v in shown.items())
                 + f"\n{end}", fontsize=10)
    return fig


def web_contours(surface="ravine"):
    """The contour lines of ``surface`` as the in-browser explorer draws them (chapter 8): the view's
    limits and, per line, its points as a flat list x0, y0, x1, y1, ... (3 decimals)."""
    import contourpy

    s = opt.SURFACES[surface]
    X, Y, gap = _grid(s.name)
    lo, hi = LEVELS[s.name]
    gen = contourpy.contour_generator(X, Y, np.maximum(gap, lo / 10))
    lines = [np.round(line.astype(np.float64), 3).ravel().tolist()
             for level in np.geomspace(lo, hi, 12) for line in gen.lines(level)]
    return {"xlim": list(s.xlim), "ylim": list(s.ylim), "contours": lines}


def explorer():
    """Chapter 8's explorer: rule, learning rate, beta_1 and beta_2, start and steps on the ravine (chapter 8)."""
    return explore.Explorer("optimizers", explorer_figure, [
        explore.choice("optimizer", opt.NAMES, default="momentum", label="optimizer"),
        explore.log_slider("lr", 1e-3, 1.0, 0.01, label="learning rate",
                           grid=(0.003, 0.01, 0.03, 0.1, 0.3)),
        explore.slider("beta_1", 0.0, 0.99, 0.01, 0.9, grid=(0.9,), label="β₁ (momentum)"),
        explore.slider("beta_2", 0.5, 0.999, 0.001, 0.99, grid=(0.99,), label="β₂ (ρ)"),
        explore.slider("x0", -5.0, 2.0, 0.1, -4.5, grid=(-4.5,), label="start x"),
        explore.slider("y0", -1.5, 1.5, 0.05, 1.0, grid=(1.0,), label="start y"),
        explore.int_slider("num_steps", 10, 300, 100, grid=(100,), label="steps"),
    ], web="optimizers", web_data=web_contours, own=own)


def own(loss, grad=None, xlim=(-3.0, 3.0), ylim=(-3.0, 3.0), start=None) -> explore.Own:
    """Your own surface for the explorer in JupyterLab: ``explorer().live(loss=f)`` with
    ``f(x, y)`` (chapter 8). ``grad(w)``, for ``w = [x, y]``, is optional (without it,
    :func:`nnlib.learning_rate.slope_grad` of your loss); ``xlim`` and ``ylim`` set the view,
    ``start`` the first start (default: a quarter of the way in from the view's top-left corner).
    The contours are drawn from ``f`` on a 121 x 121 grid (``f`` is tried on whole arrays, then
    point by point); each setting runs :func:`nnlib.optimizers.run` in the kernel, and the gap is
    measured above the lowest value on that grid."""
    import contourpy

    from .. import learning_rate

    if not callable(loss):
        raise ValueError(f"loss must be a function of x and y, got {loss!r}")
    if grad is not None and not callable(grad):
        raise ValueError(f"grad must be a function of w = [x, y], got {grad!r}")
    for what, lim in (("xlim", xlim), ("ylim", ylim)):
        if (len(lim) != 2 or not all(np.isfinite(lim)) or not lim[0] < lim[1]):
            raise ValueError(f"{what} must be (low, high) with low < high, got {lim!r}")
    xlim, ylim = tuple(map(float, xlim)), tuple(map(float, ylim))
    if start is None:
        start = (xlim[0] + 0.25 * (xlim[1] - xlim[0]), ylim[1] - 0.25 * (ylim[1] - ylim[0]))
    if len(start) != 2 or not (xlim[0] <= start[0] <= xlim[1] and ylim[0] <= start[1] <= ylim[1]):
        raise ValueError(f"start must be a point (x, y) inside the view {xlim} x {ylim}, got {start!r}")
    X, Y = np.meshgrid(np.linspace(*xlim, 121), np.linspace(*ylim, 121))
    with np.errstate(all="ignore"):
        try:
            Z = np.asarray(loss(X, Y), dtype=np.float64)
        except Exception:
            Z = None
        if Z is None or Z.shape != X.shape:   # not vectorised: one point at a time
            Z = np.array([[float(loss(x, y)) for x, y in zip(xr, yr)] for xr, yr in zip(X, Y)])
    if not np.isfinite(Z).any():
        raise ValueError("loss is not finite anywhere in the view: widen xlim and ylim or check the function")
    low = float(np.nanmin(Z[np.isfinite(Z)]))
    gap = np.where(np.isfinite(Z), Z - low, np.nanmax(Z[np.isfinite(Z)]) - low)
    levels = np.unique(np.quantile(gap, np.geomspace(0.01, 0.9, 12)))
    gen = contourpy.contour_generator(X, Y, gap)
    lines = [np.round(line.astype(np.float64), 3).ravel().tolist()
             for level in levels if level > 0 for line in gen.lines(level)]
    step = grad if grad is not None else learning_rate.slope_grad(lambda w: loss(w[0], w[1]))

    def run(name, p, hyper):
        tr = opt.run(name, step, np.array([p["x0"], p["y0"]], dtype=np.float32), p["lr"],
                     int(p["num_steps"]), **hyper)
        with np.errstate(all="ignore"):
            gaps = [float(loss(*w.astype(np.float64))) - low for w in tr.w]
        return {"path": tr.w.astype(np.float64), "rates": tr.rate.astype(np.float64),
                "gap": gaps, "divergedAt": tr.diverged_at}

    def compute(p):
        main = run(p["optimizer"], p, _hyper(p["optimizer"], p["beta_1"], p["beta_2"]))
        sgd = None if p["optimizer"] == "sgd" else run("sgd", p, {})
        return {"main": main, "sgd": sgd, "surface": "own", "start": [p["x0"], p["y0"]], "own": True}

    compute({"optimizer": "sgd", "lr": 0.01, "beta_1": 0.9, "beta_2": 0.99, "x0": start[0],
             "y0": start[1], "num_steps": 1})   # a function that cannot run fails here, once
    return explore.Own(compute, data={"xlim": list(xlim), "ylim": list(ylim), "contours": lines,
                                      "title": "path on your surface (drag the ■ to move the start)"},
                       controls={"x0": {"lo": xlim[0], "hi": xlim[1], "default": float(start[0])},
                                 "y0": {"lo": ylim[0], "hi": ylim[1], "default": float(start[1])}})




def loss_curves_figure(curves: dict, xlabel="epoch", ylabel="training loss", title=None, loglog=False):
    """Curves against step or epoch (from 1), one per label, log y (chapter 8: loss curves, step sizes).

    ``curves`` maps a label to its values.
    """
    fig, (ax,) = new_figure(1, width=7.0, height=3.6, left=0.12, right=0.97, bottom=0.15, top=0.88)
    for (label, y), color in zip(curves.items(), COLORS * 2):
        y = np.asarray(y, dtype=float)
        ax.plot(np.arange(1, len(y) + 1), y, "-", color=color, lw=1.6, label=label)
    if loglog:
        ax.set_xscale("log")
    plain_log_axis(ax)
    finish_axes(ax, "best", xlabel=xlabel + (" (log)" if loglog else ""), ylabel=ylabel + " (log)",
                title=title, title_size=10)
    return fig




def momentum_figure(lr_lam, momenta, best, marks, num_steps=40):
    """Momentum on one eigendirection (chapter 8). Left: ``w`` over the steps from ``(w, m) = (1, 0)``
    at ``lr*lam = lr_lam`` for each momentum in ``momenta`` (a dict label -> momentum). Right: the
    factor per step (:func:`nnlib.optimizers.momentum_rate`) against ``lr*lam`` for gradient
    descent and for the heavy ball and Nesterov at momentum ``best``; dotted lines at ``marks``
    (the ``lr*lam`` of a problem's extreme directions).
    """
    fig, (ax0, ax1) = new_figure(2, width=10.0, height=3.8, left=0.07, right=0.98, bottom=0.15,
                                 top=0.88, wspace=0.25)
    steps = np.arange(num_steps + 1)
    for (label, mu), color in zip(momenta.items(), COLORS):
        a = opt.momentum_matrix(lr_lam, 1.0, mu)
        state, ws = np.array([1.0, 0.0]), []
        for _ in steps:
            ws.append(state[0])
            state = a @ state
        ax0.plot(steps, ws, "-o", color=color, ms=2.5, lw=1.3, label=label)
    ax0.axhline(0, color="0.5", lw=0.8)
    finish_axes(ax0, "upper right", xlabel="step", ylabel="w along the direction",
                title=f"one direction, lr·λ = {lr_lam:g}", title_size=10, xlim=(0, num_steps))
    h = np.geomspace(1e-3, 4.0, 400)
    for (label, mu, nesterov), color in zip(
            [("gradient descent", 0.0, False), (f"heavy ball, μ = {best:.3g}", best, False),
             (f"Nesterov, μ = {best:.3g}", best, True)], COLORS[3:]):
        ax1.plot(h, opt.momentum_rate(h, 1.0, mu, nesterov), "-", color=color, lw=1.5, label=label)
    for x in marks:
        ax1.axvline(x, color="0.4", ls=":", lw=1)
    ax1.axhline(1, color="0.5", lw=0.8)
    ax1.set_xscale("log")
    plain_log_axis(ax1, axis="x", ticks=[1e-3, 1e-2, 0.1, 1.0], fmt="g")
    finish_axes(ax1, "lower left", xlabel="lr·λ (log)", ylabel="factor per step", ylim=(0, 1.5),
                title="how fast a direction shrinks (dotted: the ravine)", title_size=10)
    return fig


def adam_start_figure(steady: dict, noise: dict):
    """Adam's first steps (chapter 8). Left: step / lr for a steady gradient, with and without the
    bias correction; right: mean |step| / lr on pure-noise gradients, with and without warm-up.
    Each maps a label to its values per step (from 1); log x on the left.
    """
    fig, (ax0, ax1) = new_figure(2, width=10.0, height=3.6, left=0.07, right=0.98, bottom=0.15,
                                 top=0.88, wspace=0.22)
    for ax, curves in ((ax0, steady), (ax1, noise)):
        for (label, y), color in zip(curves.items(), COLORS):
            y = np.asarray(y, dtype=float)
            ax.plot(np.arange(1, len(y) + 1), y, "-", color=color, lw=1.5, label=label)
    ax0.set_xscale("log")
    plain_log_axis(ax0, axis="x", ticks=[1, 10, 100, 1000], fmt="g")
    finish_axes(ax0, "upper right", xlabel="step (log)", ylabel="step / lr", ylim=(0, 7.5),
                title="a steady gradient g = 1", title_size=10)
    finish_axes(ax1, "upper right", xlabel="step", ylabel="mean |step| / lr", ylim=(0, 1.1),
                title="gradients that are pure noise", title_size=10)
    return fig


def decay_figure(l2: dict, decoupled: dict, target):
    """Weight decay under Adam (chapter 8): the mean weight over the steps, per gradient scale, with
    an L2 term in the loss (left) and decoupled, AdamW (right); ``target`` is ``(1 - lr*wd)^t``.

    ``l2`` and ``decoupled`` map a label (the gradient scale) to the mean weight after each step.
    """
    fig, axes = new_figure(2, width=10.0, height=3.6, left=0.07, right=0.98, bottom=0.15, top=0.88,
                           wspace=0.12, sharex=True)
    for ax, curves, title in ((axes[0], l2, "Adam, L2 term in the loss"),
                              (axes[1], decoupled, "AdamW, decoupled weight decay")):
        ax.plot(np.arange(len(target)), target, ":", color="0.3", lw=1.5, label="(1 − lr·wd)^t")
        for (label, y), color in zip(curves.items(), COLORS):
            ax.plot(np.arange(len(y)), y, "-", color=color, lw=1.4, label=label)
        finish_axes(ax, "lower left", xlabel="step", ylim=(0, 1.05), title=title, title_size=10,
                    ylabel="mean weight" if ax is axes[0] else None)
    return fig

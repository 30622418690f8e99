"""Chapter 15 (diagnosing a training run): the loss at initialization and on one batch, gradient
norms per layer, learning curves at several learning rates, and the learning-rate explorer."""
from __future__ import annotations

import numpy as np

from .. import explore
from . import COLORS, finish_axes, new_figure, plain_log_axis

__all__ = ["start_figure", "gradient_norms_figure", "curves_figure", "explorer", "fill_sweep",
           "web_sweep"]


def start_figure(initial, curves, reference):
    """Two checks before a long run (chapter 15). Left: the loss at initialization, one dot per
    seed for each setting in ``initial`` (name -> losses), against ``reference`` (ln 10) as a
    dashed line. Right: the loss per step while training on one small batch, one line per
    setting in ``curves`` (name -> losses). Both on log scales."""
    fig, (ax0, ax1) = new_figure(2, height=3.4, wspace=0.3)
    for i, (name, losses) in enumerate(initial.items()):
        ax0.plot(np.full(len(losses), i), losses, "o", color=COLORS[i], alpha=0.7, ms=6)
    ax0.axhline(reference, color="0.3", ls="--", lw=1, label=f"ln 10 = {reference:.3f}")
    ax0.set_xticks(range(len(initial)), list(initial), fontsize=8)
    ax0.set_xlim(-0.5, len(initial) - 0.5)
    finish_axes(ax0, "center left", yscale="log", ylabel="loss before training",
                title="loss at initialization, per seed")
    for i, (name, losses) in enumerate(curves.items()):
        ax1.plot(np.arange(len(losses)), losses, color=COLORS[i], label=name)
    ax1.axhline(reference, color="0.3", ls="--", lw=1)
    finish_axes(ax1, "lower left", yscale="log", xlabel="gradient step (full batch of 32)",
                ylabel="training loss", title="overfitting one batch of 32 images")
    return fig


def gradient_norms_figure(norms, depth_norms):
    """Gradient norms (chapter 15). Left: ``norms`` (steps x layers), the norm of each layer's
    weight gradient at every step of a training run. Right: ``depth_norms`` (name -> one norm per
    layer), the same at initialization for deeper networks, on a log scale."""
    norms = np.asarray(norms)
    fig, (ax0, ax1) = new_figure(2, height=3.4, wspace=0.3)
    for k in range(norms.shape[1]):
        ax0.plot(np.arange(len(norms)), norms[:, k], color=COLORS[k], lw=0.8, label=f"layer {k + 1}")
    finish_axes(ax0, "upper right", xlabel="gradient step", ylabel="norm of dL/dW",
                title="784-25-15-10, SGD (lr 0.1, batches of 32)", title_size=9)
    for i, (name, values) in enumerate(depth_norms.items()):
        ax1.plot(np.arange(1, len(values) + 1), values, "o-", color=COLORS[i], ms=4, label=name)
    finish_axes(ax1, "lower right", yscale="log", xlabel="layer (1 = next to the pixels)",
                ylabel="norm of dL/dW", title="9 layers at initialization", title_size=9)
    return fig


def _curves(ax, train, val, title, ylim=(0.0, 2.6), legend="center right"):
    epochs = np.arange(1, len(train) + 1)
    ax.plot(epochs, np.clip(train, None, 1e3), color=COLORS[0], label="training")
    ax.plot(epochs, np.clip(val, None, 1e3), color=COLORS[1], label="validation")
    ax.axhline(np.log(10), color="0.5", ls=":", lw=1)
    finish_axes(ax, legend, xlabel="epoch", ylim=ylim, title=title, title_size=9)


def curves_figure(panels):
    """Learning curves side by side (chapter 15): ``panels`` maps a title to ``(train, val)``, the
    training and validation loss per epoch; the dotted line is ln 10; the legend is on the second
    panel only."""
    fig, axes = new_figure(len(panels), width=2.4 * len(panels), height=3.0, left=0.06, wspace=0.3)
    for i, (ax, (title, (train, val))) in enumerate(zip(axes, panels.items())):
        _curves(ax, train, val, title, legend="upper right" if i == 1 else None)
    axes[0].set_ylabel("loss")
    return fig


def _one_rate(sweep, lr):
    from .. import diagnostics, network, portable

    if lr in sweep["curves"]:
        return sweep["curves"][lr]
    X, y, X_val, y_val = sweep["data"]
    net = network.glorot_network(sweep["sizes"], loss="softmax_ce", dot=portable.dot)
    c = diagnostics.learning_curves(X, y, X_val, y_val, [net], [lr], num_epochs=sweep["num_epochs"])
    return c.train[0], c.val[0]


def explorer_figure(sweep, lr):
    """The diagnostics explorer's frame (chapter 15). Left: training and validation loss per epoch
    at the rate ``lr`` (taken from ``sweep`` when it holds that rate, else trained now). Right:
    over every rate of the sweep, the last training loss and the lowest validation loss, with
    ``lr`` marked."""
    train, val = _one_rate(sweep, lr)
    fig, (ax0, ax1) = new_figure(2, height=3.3, wspace=0.3)
    best = np.nanmin(val) if np.isfinite(val).any() else np.nan
    _curves(ax0, train, val, f"lr = {lr:.3g}: lowest validation loss {best:.3f}")
    ax0.set_ylabel("loss")
    rates = sorted(sweep["curves"])
    last = [min(sweep["curves"][r][0][-1], 1e3) for r in rates]
    low = [min(np.nanmin(sweep["curves"][r][1]), 1e3) for r in rates]
    ax1.plot(rates, last, "o-", color=COLORS[0], ms=4, label="training, last epoch")
    ax1.plot(rates, low, "s-", color=COLORS[1], ms=4, label="validation, best epoch")
    ax1.axvline(lr, color="0.3", lw=1)
    ax1.axhline(np.log(10), color="0.5", ls=":", lw=1)
    finish_axes(ax1, "upper center", xlabel="learning rate", ylabel="loss",
                title=f"{sweep['num_epochs']} epochs at each rate", title_size=9)
    plain_log_axis(ax1, "x", ticks=rates, fmt="g")
    plain_log_axis(ax1, "y", ticks=[0.01, 0.1, 1], fmt="g")
    return fig


def fill_sweep(sweep, between=3, processes=None):
    """``sweep`` with ``between`` more rates between each two of its rates, geometrically spaced,
    trained from the same start as the others (chapter 15): the fine grid the in-browser explorer
    draws from. Returns a new sweep dict; its ``"curves"`` holds every rate, old and new.

    The new rates are trained in groups, one per CPU (:func:`nnlib.parallel.fork_map`;
    ``processes`` as there): each network ends with the bits it gets alone
    (:func:`nnlib.network.train_together`), so the curves do not depend on the grouping."""
    from .. import diagnostics, network, portable
    from ..parallel import cpus, fork_map

    if isinstance(between, bool) or not isinstance(between, (int, np.integer)) or between < 0:
        raise ValueError(f"between must be a whole number >= 0, got {between!r}")
    rates = sorted(sweep["curves"])
    new = [float(f"{r:.4g}") for a, b in zip(rates, rates[1:]) for r in np.geomspace(a, b, int(between) + 2)[1:-1]]
    X, y, X_val, y_val = sweep["data"]

    def train(group):
        nets = [network.glorot_network(sweep["sizes"], loss="softmax_ce", dot=portable.dot) for _ in group]
        c = diagnostics.learning_curves(X, y, X_val, y_val, nets, list(group), num_epochs=sweep["num_epochs"])
        return [(c.train[i], c.val[i]) for i in range(len(group))]

    n = max(1, min(len(new), processes or cpus()))
    groups = [new[k::n] for k in range(n)] if new else []
    got = fork_map(train, groups, processes)
    trained = {lr: curve for group, curves in zip(groups, got) for lr, curve in zip(group, curves)}
    curves = {**sweep["curves"], **trained}
    return {**sweep, "curves": dict(sorted(curves.items()))}


def web_sweep(sweep) -> dict:
    """The sweep as the in-browser explorer draws it (chapter 15): its rates and, per rate, the
    training and validation loss per epoch (6 significant digits; None where not finite)."""
    def num(values):
        return [float(f"{v:.6g}") if np.isfinite(v) else None for v in np.asarray(values, dtype=np.float64)]

    rates = sorted(sweep["curves"])
    return {"rates": rates, "train": [num(sweep["curves"][r][0]) for r in rates],
            "val": [num(sweep["curves"][r][1]) for r in rates], "numEpochs": sweep["num_epochs"]}


def explorer(sweep):
    """Chapter 15's explorer: learning curves at a learning rate picked on a log slider, next to
    the whole sweep. ``sweep``: ``{"curves": {lr: (train, val)}, "data": (X, y, X_val, y_val),
    "sizes": [...], "num_epochs": n}``. In the book the browser shows the sweep's rate nearest the
    slider (:func:`fill_sweep` makes the grid fine); in JupyterLab the kernel trains the exact
    rate when it is not in the sweep (a fraction of a second)."""
    rates = tuple(sorted(sweep["curves"]))

    def exact(**own):
        if own:
            raise ValueError(f"the diagnostics explorer takes no functions of your own, got {sorted(own)}")

        def compute(p):
            train, val = _one_rate(sweep, float(p["lr"]))
            return {"lr": float(p["lr"]), "train": train, "val": val, "exact": True}

        return explore.Own(compute)

    return explore.Explorer("diagnostics", lambda lr: explorer_figure(sweep, lr), [
        explore.log_slider("lr", rates[0], rates[-1], 0.1 if 0.1 in rates else rates[0], grid=rates,
                           label="learning rate")],
        web="diagnostics", web_data=lambda: web_sweep(sweep), own=exact, live_kernel=True)

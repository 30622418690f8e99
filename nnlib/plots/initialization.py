"""Chapter 10 (weight initialization): per-layer spreads, histograms, training curves, the explorer."""
from __future__ import annotations

import numpy as np

from .. import explore, initialization
from . import COLORS, finish_axes, new_figure, plain_log_axis

__all__ = ["ACT_LABELS", "SCHEME_LABELS", "spread_figure", "histogram_grid_figure",
           "ranking_figure", "init_explorer_figure", "explorer"]

ACT_LABELS = {"sigmoid": "sigmoid", "tanh": "tanh", "relu": "ReLU", "leaky_relu": "leaky ReLU",
              "elu": "ELU"}
SCHEME_LABELS = {"normal": "N(0, 1)", "standard": "standard U(±1/√n)",
                 "glorot_uniform": "Glorot uniform", "glorot_normal": "Glorot normal",
                 "he_uniform": "He uniform", "he_normal": "He normal",
                 "orthogonal": "orthogonal", "lsuv": "LSUV"}


def _label(p) -> str:
    text = SCHEME_LABELS[p.scheme]
    return text if p.gain == 1 else f"{text} ×{p.gain:g}"


def spread_figure(probes):
    """Top: activation std per layer; bottom: back-propagated gradient std; one column per activation (chapter 10).

    ``probes`` is a list of :class:`nnlib.initialization.Probe`; columns follow the order activations first appear.
    """
    acts = list(dict.fromkeys(p.activation for p in probes))
    fig, axes = new_figure(len(acts), height=5.6, nrows=2, bottom=0.09, top=0.88, wspace=0.3, hspace=0.45)
    styles = {}
    for p in probes:
        col = acts.index(p.activation)
        key = _label(p)
        color = styles.setdefault(key, COLORS[len(styles) % len(COLORS)])
        layers = np.arange(1, p.depth + 1)
        for row, values in enumerate((p.act_std(), p.grad_std())):
            axes[row, col].plot(layers, np.maximum(values, 1e-30), "-o", color=color, ms=3, lw=1.4, label=key)
    for col, act in enumerate(acts):
        for row, what in enumerate(("activations", "gradients dL/dz")):
            ax = axes[row, col]
            plain_log_axis(ax)
            finish_axes(ax, xticks=range(1, probes[0].depth + 1, max(1, probes[0].depth // 5)))
            if col == 0:
                ax.set_ylabel(f"std of {what}")
        axes[0, col].set_title(ACT_LABELS[act])
        axes[1, col].set_xlabel("layer (1 = next to the input)")
    axes[0, 0].legend(fontsize=7.5, loc="best")
    fig.suptitle("Spread per layer at initialization: forward (top) and backward (bottom)")
    return fig


def _hist_lines(ax, arrays, bins=None):
    """One histogram line per layer; without ``bins``, 60 bins over the middle 99 % of the values."""
    import matplotlib

    if bins is None:
        lo = min(float(np.percentile(v[::7], 0.5)) for v in arrays if v.size)
        hi = max(float(np.percentile(v[::7], 99.5)) for v in arrays if v.size)
        bins = np.linspace(np.floor(lo), np.ceil(hi), 61)
    cmap = matplotlib.colormaps["viridis"]
    n = len(arrays)
    centers = (bins[:-1] + bins[1:]) / 2
    for k, values in enumerate(arrays):
        counts, _ = np.histogram(values, bins=bins)
        share = counts / max(1, values.size)
        # light (viridis 0.9, yellow-green) for layer 1, dark (viridis 0, purple) for the top
        shade = 0.9 * (1 - k / max(1, n - 1))
        ax.plot(centers, share, color=cmap(shade), lw=1.1, label=f"layer {k + 1}")


def histogram_grid_figure(probes, what="activations"):
    """Histograms per layer (light = layer 1, dark = top layer), rows = activation, columns = scheme (chapter 10).

    ``what="activations"``: values on a linear axis for sigmoid and tanh, and log10 of the positive
    values for ReLU-like units (their scale changes by orders of magnitude); ``what="gradients"``:
    log10 |dL/dz| for every panel.
    """
    acts = list(dict.fromkeys(p.activation for p in probes))
    schemes = list(dict.fromkeys(_label(p) for p in probes))
    fig, axes = new_figure(len(schemes), height=2.2 * len(acts) + 0.8, nrows=len(acts), bottom=0.08, top=0.9,
                           wspace=0.3, hspace=0.55)
    for p in probes:
        ax = axes[acts.index(p.activation), schemes.index(_label(p))]
        if what == "gradients":
            _hist_lines(ax, [np.log10(np.abs(g[g != 0]).ravel()) for g in p.grad_z])
            ax.set_xlabel("log10 |dL/dz|", fontsize=8)
        elif p.activation in ("sigmoid", "tanh"):
            lo = 0.0 if p.activation == "sigmoid" else -1.0
            _hist_lines(ax, [a.ravel() for a in p.a], np.linspace(lo, 1.0, 51))
            ax.set_xlabel("activation", fontsize=8)
        else:
            _hist_lines(ax, [np.log10(a[a > 0]).ravel() for a in p.a])
            ax.set_xlabel("log10 of activation (> 0)", fontsize=8)
        ax.set_title(f"{ACT_LABELS[p.activation]}, {_label(p)}", fontsize=9)
        ax.tick_params(labelsize=7)
        ax.set_yticks([])
    first = axes[0, 0].get_lines()
    axes[0, 0].legend([first[0], first[-1]], [first[0].get_label(), first[-1].get_label()],
                      fontsize=7, loc="upper right", handlelength=1.2, framealpha=0.6)
    head = "activations" if what == "activations" else "back-propagated gradients"
    fig.suptitle(f"Histograms of the {head} of each layer at initialization "
                 f"(light: layer 1 → dark: layer {probes[0].depth})", fontsize=11)
    return fig


def ranking_figure(runs: dict):
    """Left: validation accuracy per epoch; right: training loss (log); mean over seeds, band = min-max (chapter 10).

    ``runs`` maps a label to a list of :class:`nnlib.initialization.DeepRun` (one per seed).
    """
    fig, (ax0, ax1) = new_figure(2, height=3.8)
    for (label, rs), color in zip(runs.items(), COLORS):
        epochs = np.arange(1, len(rs[0].loss) + 1)
        for ax, values in ((ax0, np.array([r.val_acc for r in rs])), (ax1, np.array([r.loss for r in rs]))):
            ax.plot(epochs, values.mean(0), "-o", color=color, ms=3, lw=1.6, label=label)
            ax.fill_between(epochs, values.min(0), values.max(0), color=color, alpha=0.15, lw=0)
    plain_log_axis(ax1)
    finish_axes(ax0, "lower right", xlabel="epoch", ylabel="validation accuracy", ylim=(0, 1),
                title="validation accuracy")
    finish_axes(ax1, xlabel="epoch", ylabel="training loss (log scale)", title="mean training cross-entropy")
    return fig


def init_explorer_figure(depth=10, activation="tanh", scheme="glorot_uniform", gain=1.0, width=64,
                         num_samples=100):
    """The explorer: one probe; activation spread, gradient spread, and the shape of three layers (chapter 10).

    ``activation`` and ``scheme`` may be given by name or by their label in :data:`ACT_LABELS`
    and :data:`SCHEME_LABELS` (what the explorer's drop-downs show).
    """
    activation = {v: k for k, v in ACT_LABELS.items()}.get(activation, activation)
    scheme = {v: k for k, v in SCHEME_LABELS.items()}.get(scheme, scheme)
    p = initialization.probe(activation, scheme, depth=depth, width=width, num_samples=num_samples,
                             gain=gain)
    fig, (ax0, ax2) = new_figure(2, width=9.5, height=3.7, top=0.78)
    layers = np.arange(1, depth + 1)
    act_std, grad_std = p.act_std(), p.grad_std()
    ax0.plot(layers, np.maximum(act_std, 1e-30), "-o", color=COLORS[0], ms=3, lw=1.5,
             label="activations (forward)")
    ax0.plot(layers, np.maximum(p.input_std(), 1e-30), ":", color=COLORS[0], lw=1.5,
             label="activations: part that varies with the input")
    ax0.plot(layers, np.maximum(grad_std, 1e-30), "-s", color=COLORS[1], ms=3, lw=1.5,
             label="gradients dL/dz (backward)")
    plain_log_axis(ax0)
    lo, hi = ax0.get_ylim()
    if hi / lo < 100:  # keep nearly flat lines looking flat
        mid = np.sqrt(lo * hi)
        ax0.set_ylim(mid / 10, mid * 10)
    finish_axes(ax0, xlabel="layer (1 = next to the input)", ylabel="standard deviation",
                title="spread per layer (log scale)")
    ax0.legend(fontsize=7.5, loc="best", framealpha=0.6)
    picks = sorted({1, max(1, (depth + 1) // 2), depth})
    grid = np.linspace(-4, 4, 161)
    for layer, color in zip(picks, (COLORS[2], COLORS[4], COLORS[3])):
        a = np.sort(p.a[layer - 1].astype(np.float64).ravel())
        sd = a.std()
        shape = (a - a.mean()) / sd if sd > 0 and np.isfinite(sd) else np.zeros_like(a)
        cdf = np.searchsorted(shape, grid, side="right") / max(1, a.size)
        ax2.plot(grid, cdf, color=color, lw=1.5, label=f"layer {layer}")
    finish_axes(ax2, "upper left", xlabel="(activation − mean) / std", ylabel="share of values ≤ x",
                ylim=(0, 1), title="distribution of a layer (CDF)")
    sat = p.saturated()
    what = "near a flat end" if activation in ("sigmoid", "tanh") else "with z ≤ 0"
    ratio = grad_std[0] / grad_std[-1] if grad_std[-1] > 0 else float("inf")
    label = SCHEME_LABELS[scheme] + ("" if gain == 1 else f" ×{gain:.3g}")
    fig.suptitle(f"{ACT_LABELS[activation]}, {label}, {depth} layers of {width}: activation std "
                 f"{act_std[0]:.3g} (layer 1) → {act_std[-1]:.3g} (layer {depth})\n"
                 f"gradient std layer 1 / layer {depth} = {ratio:.3g}; "
                 f"units {what}: {100 * sat[0]:.0f}% (layer 1), {100 * sat[-1]:.0f}% (layer {depth})",
                 fontsize=10)
    return fig


def explorer():
    """Chapter 10's explorer: :func:`init_explorer_figure` over depth, activation, scheme and gain (chapter 10)."""
    return explore.Explorer("init", init_explorer_figure, [
        explore.int_slider("depth", 2, 40, 10, grid=(10, 30), label="layers"),
        explore.choice("activation", [ACT_LABELS[a] for a in ("sigmoid", "tanh", "relu")],
                       default="tanh", label="activation"),
        explore.choice("scheme", [SCHEME_LABELS[s] for s in ("glorot_uniform", "orthogonal", "lsuv")],
                       default="Glorot uniform", label="initialization"),
        explore.log_slider("gain", 0.25, 8.0, 1.0, grid=(1.0,), label="weights × gain"),
    ], web="initialization", web_data=web_names)


def web_names() -> dict:
    """What the in-browser explorer needs besides its controls (chapter 10): the drop-downs' labels
    mapped to nnlib's names, and the probe's size (``init_explorer_figure``'s defaults)."""
    import inspect

    defaults = inspect.signature(init_explorer_figure).parameters
    return {"activations": {ACT_LABELS[a]: a for a in ("sigmoid", "tanh", "relu")},
            "schemes": {SCHEME_LABELS[s]: s for s in ("glorot_uniform", "orthogonal", "lsuv")},
            "width": defaults["width"].default, "samples": defaults["num_samples"].default}

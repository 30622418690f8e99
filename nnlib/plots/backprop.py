"""Chapter 5 (backpropagation): the one-neuron computation graph with values and gradients,
the explorer figure, finite-difference error against the step, and the cost of both methods;
then, on matrices: the Jacobian filled by forward and reverse mode, the memory of stored
activations, gradient norms through depth, and a run rescued by gradient clipping."""
from __future__ import annotations

import numpy as np

from .. import explore
from ..backprop import one_neuron
from . import COLORS, finish_axes, new_figure, plain_log_axis

__all__ = ["FORWARD", "BACKWARD", "draw_graph", "graph_figure", "backprop_explorer_figure",
           "slope_error_figure", "cost_figure", "jacobian_figure", "memory_figure", "depth_figure",
           "clipping_figure", "explorer"]

FORWARD, BACKWARD = COLORS[0], COLORS[1]  # values flow forward in blue, gradients backward in red

# where each named node of one_neuron() sits: the chain runs along the bottom row, and each
# second input sits above, halfway between the node before and the node it feeds
_STEP = 1.2
_LAYOUT = {"w": (0, 0), "x": (0.5 * _STEP, 1), "c": (_STEP, 0), "b": (1.5 * _STEP, 1),
           "a": (2 * _STEP, 0), "y": (2.5 * _STEP, 1), "d": (3 * _STEP, 0), "J": (4 * _STEP, 0)}
_FORMULA = {"c": "c = w·x", "a": "a = c + b", "d": "d = a − y", "J": "J = ½d²"}
# the arrows: (input, the named node it feeds directly or through unlabelled nodes)
_EDGES = (("x", "c"), ("w", "c"), ("c", "a"), ("b", "a"), ("a", "d"), ("y", "d"), ("d", "J"))
_BOX_W, _BOX_H = 0.9, 0.5


def _num(v: float) -> str:
    """A value as the figure shows it: '−4', '2.5', '0.125' (a proper minus sign, no '-0')."""
    v = float(v)
    s = f"{v:.4g}"
    return "0" if s in ("0", "-0") else s.replace("-", "−")


def _local(parent, child) -> float:
    """d(child)/d(parent) along paths through unlabelled nodes (J = 0.5 * d**2 has one in between)."""
    total = 0.0
    for p, local in zip(child.parents, child.local_grads):
        if p is parent:
            total += local
        elif not p.label and p.parents:
            total += local * _local(parent, p)
    return total


def _edge_point(center, toward):
    """Where the segment from a box's center toward another point leaves the box."""
    (x0, y0), (x1, y1) = center, toward
    dx, dy = x1 - x0, y1 - y0
    t = min(_BOX_W / 2 / abs(dx) if dx else np.inf, _BOX_H / 2 / abs(dy) if dy else np.inf)
    return np.array([x0 + t * dx, y0 + t * dy])


def draw_graph(ax, g: dict) -> None:
    """Draw the named nodes of ``g`` (from :func:`nnlib.backprop.one_neuron`, after ``backward()``)."""
    from matplotlib.patches import FancyBboxPatch

    for name, node in g.items():
        cx, cy = _LAYOUT[name]
        # grey: data (x, y); thick border: a parameter (w, b); white: an operation
        ax.add_patch(FancyBboxPatch((cx - _BOX_W / 2, cy - _BOX_H / 2), _BOX_W, _BOX_H,
                                    boxstyle="round,pad=0,rounding_size=0.06",
                                    fc="#e8e8e8" if name in ("x", "y") else "white", ec="0.25",
                                    lw=2.2 if name in ("w", "b") else 0.9))
        # two texts per box keep the explorer fast (each text costs several ms to draw)
        ax.text(cx, cy + 0.1, f"{_FORMULA.get(name, name)} = {_num(node.data)}", ha="center",
                va="center", fontsize=9.5, color=FORWARD)
        ax.text(cx, cy - 0.11, f"∂J/∂{name} = {_num(node.grad)}", ha="center", va="center",
                fontsize=9.5, color="0.45" if name in ("x", "y") else BACKWARD)
    for pname, cname in _EDGES:
        a0 = _edge_point(_LAYOUT[pname], _LAYOUT[cname])
        a1 = _edge_point(_LAYOUT[cname], _LAYOUT[pname])
        d = a1 - a0
        off = np.array([d[1], -d[0]]) / np.hypot(*d) * 0.06  # the backward arrow runs beside
        ax.annotate("", xy=a1 - off, xytext=a0 - off,
                    arrowprops=dict(arrowstyle="-|>", color=FORWARD, lw=1.4, shrinkA=0, shrinkB=0))
        ax.annotate("", xy=a0 + off, xytext=a1 + off,
                    arrowprops=dict(arrowstyle="-|>", color=BACKWARD, lw=1.1, ls=(0, (3, 2)),
                                    shrinkA=0, shrinkB=0))
        m = (a0 + a1) / 2 + off * 2.0
        ax.text(m[0], m[1], f"×{_num(_local(g[pname], g[cname]))}",
                ha="center" if not d[1] else "right", va="top", fontsize=8, color=BACKWARD)
    ax.set_xlim(-0.5, 4 * _STEP + 0.5)
    ax.set_ylim(-0.33, 1.28)
    ax.axis("off")


def _graph(x, y, w, b) -> dict:
    g = one_neuron(x=x, y=y, w=w, b=b)
    g["J"].backward()
    return g


def graph_figure(x=-2.0, y=2.0, w=2.0, b=8.0):
    """Note 004's one-neuron graph: values forward (blue), gradients backward (red) (chapter 5)."""
    fig, (ax,) = new_figure(1, width=9.0, height=3.0, left=0.0, right=1.0, bottom=0.0, top=0.84)
    draw_graph(ax, _graph(x, y, w, b))
    fig.suptitle(f"J = ½(wx + b − y)² at x = {_num(x)}, y = {_num(y)}, w = {_num(w)}, b = {_num(b)}.  "
                 "Blue: values, left to right.  Red: ∂J/∂node, right to left "
                 "(×: the local derivative).\nGrey boxes: data; thick borders: the parameters w and b.",
                 fontsize=9)
    return fig


def backprop_explorer_figure(w=2.0, b=8.0, x=-2.0, y=2.0):
    """The backpropagation explorer: the graph at (w, b), and J against w with its tangent (chapter 5)."""
    g = _graph(x, y, w, b)
    fig, (ax,) = new_figure(1, width=10.4, height=3.2, left=0.0, right=1.0, bottom=0.0, top=0.88)
    draw_graph(ax, g)
    # J against w, drawn into the same axes to the right of the graph (a second Axes with its
    # ticks would double the time per frame): w in [-6, 6] -> [x0, x1], J in [0, 130] -> [y0, y1]
    x0, x1, y0, y1, wmax, jmax = 5.45, 6.85, -0.25, 0.95, 6.0, 130.0

    def to_xy(wv, jv):
        jv = np.clip(jv, -5.0, jmax)
        return x0 + (np.asarray(wv) + wmax) / (2 * wmax) * (x1 - x0), y0 + np.asarray(jv) / jmax * (y1 - y0)

    ws = np.linspace(-wmax, wmax, 121)
    ax.plot(*to_xy(ws, 0.5 * (ws * x + b - y) ** 2), color="0.55", lw=1.3)
    ax.plot([x0, x1], [y0, y0], color="0.3", lw=0.8)
    ax.plot([to_xy(0, 0)[0]] * 2, [y0, y1], color="0.3", lw=0.8)
    J, slope = g["J"].data, g["w"].grad
    half = 1.2
    tw = np.array([w - half, w + half])
    ax.plot(*to_xy(tw, J + slope * (tw - w)), color=BACKWARD, lw=2)
    ax.plot(*to_xy([w], [J]), "o", color=FORWARD, ms=6)
    ax.text(x1 + 0.03, y0, "w", ha="left", va="center", fontsize=8)
    ax.text((x0 + x1) / 2, y1 + 0.06, f"J against w: tangent slope {_num(slope)}",
            ha="center", va="bottom", fontsize=8.5)
    ax.set_xlim(-0.5, x1 + 0.15)
    fig.suptitle(f"w = {_num(w)}, b = {_num(b)}  →  J = {_num(J)}.   Blue: values forward.   "
                 f"Red: ∂J/∂node backward (×: local derivative).",
                 fontsize=9.5)
    return fig


def slope_error_figure(eps, forward_err, central_err):
    """Error of one-sided and central difference slopes of J = (2 + 3w)² at w = 3 against the step
    eps, log-log (chapter 5). Errors that are exactly 0 are drawn at the bottom edge (1e-15).
    """
    fig, (ax,) = new_figure(1, width=6.4, height=3.4, left=0.13, right=0.97, bottom=0.15, top=0.86)
    floor = 1e-15
    ax.plot(eps, np.maximum(forward_err, floor), "o-", color=COLORS[0], ms=3.5,
            label="one-sided (J(w+ε) − J(w)) / ε")
    ax.plot(eps, np.maximum(central_err, floor), "s-", color=COLORS[2], ms=3.5,
            label="central (J(w+ε) − J(w−ε)) / 2ε")
    plain_log_axis(ax)
    plain_log_axis(ax, "x", numticks=8)
    # smaller steps to the right
    finish_axes(ax, "lower right", xlim=(max(eps) * 3, min(eps) / 3), ylim=(floor / 3, 10),
                xlabel="step ε (smaller to the right)", ylabel="|slope − exact derivative|",
                title="finite-difference slopes of J = (2 + 3w)², w = 3")
    return fig


def cost_figure(rows):
    """Counted steps for all derivatives: backprop against one slope per parameter (chapter 5).

    ``rows``: dicts with ``P`` (parameters), ``N`` (operation nodes), ``backward`` (chain-rule
    steps counted) and ``slopes`` (operations counted for one-parameter-at-a-time differences).
    """
    rows = sorted(rows, key=lambda r: (r["P"], r["N"]))
    P, N, backward, slopes = (np.array([r[k] for r in rows], dtype=float)
                              for k in ("P", "N", "backward", "slopes"))
    fig, (ax0, ax1) = new_figure(2, height=3.5, bottom=0.15, top=0.84, wspace=0.3)
    ax0.loglog(P, slopes, "s", color=COLORS[1], ms=6,
               label="slopes, counted: (P + 1) forward passes")
    ax0.loglog(P, N * P, "--", color=COLORS[1], lw=1, label="estimate: N × P")
    ax0.loglog(P, backward, "o", color=COLORS[0], ms=6,
               label="backprop, counted: backward steps")
    ax0.loglog(P, N + P, "--", color=COLORS[0], lw=1, label="estimate: N + P")
    plain_log_axis(ax0)
    finish_axes(ax0, "upper left", 7.5, xlabel="parameters P", ylabel="steps (log scale)",
                title="steps for all P derivatives")
    ax1.plot(P, slopes / (N + backward), "o-", color=COLORS[3], ms=5)
    finish_axes(ax1, xlabel="parameters P", ylabel="slopes ÷ (forward + backward)",
                title="how many times more work the slopes take")
    return fig


def jacobian_figure(J, column, row):
    """The Jacobian d outputs / d inputs, with one column (a forward-mode pass) and one row (a
    reverse-mode pass) framed (chapter 5)."""
    from matplotlib.patches import Rectangle

    J = np.asarray(J)
    n_out, n_in = J.shape
    fig, (ax,) = new_figure(1, width=9.0, height=2.9, left=0.07, right=0.9, bottom=0.17, top=0.8)
    lim = float(np.abs(J).max()) or 1.0
    im = ax.imshow(J, cmap="RdBu_r", vmin=-lim, vmax=lim, aspect="auto", interpolation="nearest")
    ax.add_patch(Rectangle((column - 0.5, -0.5), 1, n_out, fill=False, ec=FORWARD, lw=2.4))
    ax.add_patch(Rectangle((-0.5, row - 0.5), n_in, 1, fill=False, ec=COLORS[4], lw=2.4))
    ax.set(xlabel=f"input (pixel) i = 0 … {n_in - 1}", ylabel="output j")
    ax.set_yticks(range(n_out))
    ax.tick_params(labelsize=7)
    ax.set_title(f"∂ŷ_j/∂x_i: forward mode fills one column per pass (blue frame, i = {column}: "
                 f"{n_in} passes in all);\nreverse mode one row per pass (orange frame, j = {row}: "
                 f"{n_out} passes in all)", fontsize=9)
    fig.colorbar(im, ax=ax, fraction=0.03, pad=0.02)
    return fig


def memory_figure(batch_sizes, rows):
    """Bytes kept for the backward pass against the batch size, next to the parameters' bytes (chapter 5).

    ``rows``: ``(label, params_bytes, bytes_per_example)`` per network.
    """
    b = np.asarray(batch_sizes, dtype=float)
    fig, (ax,) = new_figure(1, width=6.6, height=3.4, left=0.13, right=0.97, bottom=0.15, top=0.88)
    for k, (label, params, per_example) in enumerate(rows):
        color = COLORS[k % len(COLORS)]
        ax.loglog(b, per_example * b, "-", color=color, lw=2, label=f"{label}: activations")
        ax.loglog(b, np.full_like(b, params), "--", color=color, lw=1.2, label=f"{label}: parameters")
    plain_log_axis(ax)
    plain_log_axis(ax, "x", fmt="g", ticks=[1, 10, 100, 1000])
    finish_axes(ax, "upper left", 7.5, xlabel="batch size", ylabel="bytes (float32)",
                title="memory kept for the backward pass")
    return fig


def depth_figure(curves, predicted=None):
    """Size of the gradient ||g_k|| / ||g_L|| arriving at each layer k of a deep stack (chapter 5).

    ``curves``: label -> norms for k = 0 .. L (from :func:`nnlib.backprop.gradient_norms_through_depth`);
    ``predicted``: label -> per-layer factor ρ, drawn as the dashed line ρ^(L − k).
    """
    fig, (ax,) = new_figure(1, width=6.8, height=3.6, left=0.13, right=0.97, bottom=0.14, top=0.89)
    for k, (label, norms) in enumerate(curves.items()):
        norms = np.asarray(norms)
        L = len(norms) - 1
        layers = np.arange(L + 1)
        color = COLORS[k % len(COLORS)]
        ax.semilogy(layers, norms, "o-", color=color, ms=3, lw=1.5, label=label)
        if predicted and label in predicted:
            ax.semilogy(layers, predicted[label] ** (L - layers), "--", color=color, lw=1)
    plain_log_axis(ax, numticks=8)
    finish_axes(ax, "lower right", 7.5, xlabel="layer k (0: the input; the loss is above the last)",
                ylabel="||g_k|| / ||g_L||  (g = ∂L/∂a)",
                title="the gradient sent back through L layers (dashed: ρ^(L−k))")
    return fig


def clipping_figure(runs, num_updates_shown=60):
    """A run that explodes and the same run with gradient-norm clipping (chapter 5).

    ``runs``: label -> list (one per seed) of dicts with ``norms`` (the global gradient norm before
    clipping, per update; NaN ends a run) and ``val`` (validation accuracy after each epoch, or
    empty for a run that ended in NaN).
    """
    fig, (ax0, ax1) = new_figure(2, height=3.5, bottom=0.15, top=0.84, wspace=0.3)
    for k, (label, seeds) in enumerate(runs.items()):
        color = COLORS[k % len(COLORS)]
        for s, r in enumerate(seeds):
            norms = np.asarray(r["norms"], dtype=float)[:num_updates_shown]
            ok = np.isfinite(norms)
            ax0.semilogy(np.flatnonzero(ok) + 1, norms[ok], "-", color=color, lw=1.2, alpha=0.85,
                         label=label if s == 0 else None)
            if not ok.all():
                ax0.plot([np.flatnonzero(~ok)[0] + 1], [norms[ok][-1]], "x", color=color, ms=9, mew=2)
            if len(r["val"]):
                ax1.plot(np.arange(1, len(r["val"]) + 1), r["val"], "o-", color=color, ms=3.5, lw=1.2,
                         label=label if s == 0 else None)
    plain_log_axis(ax0, numticks=8)
    finish_axes(ax0, "center right", 7.5, xlabel="update", ylabel="global gradient norm (before clipping)",
                title="× : the loss became NaN")
    finish_axes(ax1, "lower right", 7.5, xlabel="epoch", ylabel="validation accuracy",
                ylim=(0, 1), title="runs that survive (3 seeds each)")
    return fig


def explorer():
    """Chapter 5's explorer: :func:`backprop_explorer_figure` over w, b, x and y (chapter 5)."""
    return explore.Explorer("backprop", backprop_explorer_figure, [
        explore.slider("w", -3.0, 3.0, 0.1, 2.0, grid=(-2.0, -1.0, 0.0, 1.0, 2.0, 3.0)),
        explore.slider("b", -4.0, 10.0, 0.5, 8.0, grid=(0.0, 2.0, 4.0, 6.0, 8.0)),
        explore.slider("x", -3.0, 3.0, 0.5, -2.0, grid=(-2.0,)),
        explore.slider("y", -3.0, 3.0, 0.5, 2.0, grid=(2.0,)),
    ], web="backprop")

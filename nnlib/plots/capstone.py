"""Chapter 16 (capstone): the seven runs' validation accuracies, and the explorer over the steps."""
from __future__ import annotations

import numpy as np

from .. import explore
from . import COLORS, finish_axes, new_figure

__all__ = ["capstone_figure", "capstone_steps_figure", "explorer"]


def _accuracy_bars(ax, results, step, err=None, color=None):
    """Bars of the validation accuracies (%) of runs 0..``step`` (``step`` in colour) on axes fixed by all."""
    names = [r["name"] for r in results]
    acc = np.array([r["accuracy"] for r in results], dtype=float) * 100
    rows = np.arange(len(names))[::-1]
    shown = slice(0, step + 1)
    err = None if err is None else np.broadcast_to(np.asarray(err, dtype=float), acc.shape)
    ax.barh(rows[shown], acc[shown], color=color or ["0.75"] * step + [COLORS[0]],
            xerr=None if err is None else err[shown], ecolor="0.3", capsize=3)
    for i, (r, a) in enumerate(zip(rows[shown], acc[shown])):
        ax.text(a + (0 if err is None else err[i]) + 0.3, r, f"{a:.1f}%", va="center", fontsize=8)
    ax.set_yticks(rows, names, fontsize=8)
    ax.set_xlim(max(0.0, float(acc.min()) - 5), 100)
    ax.set(ylim=(-0.6, len(names) - 0.4), xlabel="validation accuracy (%)")


def capstone_figure(results):
    """Validation accuracy of each capstone run (``results``: dicts with ``"name"``, ``"accuracy"``
    and optionally ``"kept"``), as bars: kept runs in colour, dropped ones grey (chapter 16)."""
    fig, (ax,) = new_figure(1, width=7.5, height=0.4 * len(results) + 1.2, left=0.33, right=0.95, bottom=0.2,
                            top=0.88)
    colors = [COLORS[0] if r.get("kept", True) else "0.75" for r in results]
    _accuracy_bars(ax, results, len(results) - 1, color=colors)
    ax.set_title("Adding techniques one at a time (grey: dropped)")
    return fig


def capstone_steps_figure(results, step, se=None):
    """Capstone explorer (chapter 16): training loss per epoch of runs 0..``step`` (``step`` in
    colour, earlier ones grey), and their validation accuracies with ± ``se`` (a number for every
    run, or one per run: the spread over seeds).

    ``results`` lists the runs in order, each a dict with ``"name"``, ``"losses"`` (mean training
    loss per epoch) and ``"accuracy"`` (on the validation set). The axes are fixed by all the runs, so
    frames for different steps line up.
    """
    if not results:
        raise ValueError("results must list at least one run, got none")
    losses = [np.asarray(r["losses"], dtype=float) for r in results]
    step = int(step)
    if not 0 <= step < len(results):
        raise ValueError(f"step must be between 0 and {len(results) - 1}, got {step}")
    fig, (ax0, ax1) = new_figure(2, width=9.5, height=3.4, left=0.07, bottom=0.16, top=0.86, wspace=0.55)
    for k in range(step + 1):
        epochs = np.arange(1, len(losses[k]) + 1)
        now = k == step
        ax0.plot(epochs, losses[k], color=COLORS[0] if now else "0.75", lw=2.2 if now else 1,
                 marker="o" if now else None, ms=4, zorder=3 if now else 2)
    top = max(float(l.max()) for l in losses)
    finish_axes(ax0, xlabel="epoch", ylabel="mean training loss", ylim=(0, top * 1.05),
                xlim=(0.8, max(len(l) for l in losses) + 0.2), title=f"step {step}: {results[step]['name']}")
    _accuracy_bars(ax1, results, step, None if se is None else np.asarray(se, dtype=float) * 100)
    ax1.set_title("validation accuracy" + ("" if se is None else " ± spread"))
    return fig


def explorer(results, se):
    """Chapter 16's explorer: :func:`capstone_steps_figure` over the capstone's runs (chapter 16).

    In the browser (``capstone.js``) it also shows how each row's rate was chosen and how the row
    fared against the best kept so far, from more of each row: ``"lrs"`` (the rates tried),
    ``"right"`` (validation images right, one row per rate, one number per seed), ``"lr"`` (the
    chosen rate), ``"kept"``, ``"nets"`` (images gained minus lost per seed against the best kept
    row; none for the baseline) and ``"p"`` (McNemar's p of that comparison; sent as text, as the chapter's table prints it)."""
    last = len(results) - 1
    return explore.Explorer("capstone", lambda step: capstone_steps_figure(results, step, se=se), [
        explore.int_slider("step", 0, last, last, grid=tuple(range(last + 1)), label="capstone step")],
        web="capstone", web_data=lambda: web_rows(results, se))


def web_rows(results, se) -> dict:
    """The capstone's rows as the in-browser explorer draws them (chapter 16): per row its name,
    mean training loss per epoch, validation accuracy and its spread over seeds, and the fields
    :func:`explorer` lists when the rows have them; numbers to 6 significant digits."""
    def num(v):
        return None if v is None or not np.isfinite(v) else float(f"{float(v):.6g}")

    se = np.broadcast_to(np.asarray(se, dtype=float), (len(results),))
    rows = []
    for r, spread in zip(results, se):
        row = {"name": r["name"], "losses": [num(v) for v in r["losses"]], "accuracy": num(r["accuracy"]),
               "se": num(spread), "kept": bool(r.get("kept", True))}
        if "lrs" in r:
            row.update(lrs=[float(v) for v in r["lrs"]], right=np.asarray(r["right"], dtype=int).tolist(),
                       lr=float(r["lr"]), nets=[int(v) for v in r.get("nets", [])],
                       p=None if r.get("p") is None else f"{r['p']:.2g}",   # as the chapter's table prints it
                       nVal=int(r.get("n_val", 0)))
        rows.append(row)
    return {"rows": rows}

"""The figures the chapters draw; each returns a matplotlib Figure (shared by pages and explorers).

One submodule per chapter (``nnlib.plots.learning_rate``, ...); this module holds the shared helpers.
Drawing is the slow part of an explorer (about 0.2 s per frame on a 2-core machine): fixed
margins instead of a layout engine, and no mathtext in tick labels, keep it there.

Figures carry their own white background so they stay readable in the book's dark mode.
"""
from __future__ import annotations

import numpy as np


__all__ = ["COLORS", "new_figure", "plain_log_axis"]

COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"]


def new_figure(ncols=1, width=9.0, height=3.6):
    """A white figure with ``ncols`` axes side by side."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, ncols, figsize=(width, height), facecolor="white")
    # fixed margins: a layout engine triples the time to draw (it matters for the explorers)
    fig.subplots_adjust(left=0.08, right=0.98, bottom=0.14, top=0.8, wspace=0.25)
    return fig, np.atleast_1d(axes)


def plain_log_axis(ax):
    """Log-scale y axis with plain '1e-05' labels: mathtext labels cost ~10 ms each to draw."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullLocator

    ax.set_yscale("log")
    ax.yaxis.set_major_locator(LogLocator(base=10, numticks=6))
    ax.yaxis.set_minor_locator(NullLocator())
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.0e}".replace("e+0", "e").replace("e-0", "e-")))

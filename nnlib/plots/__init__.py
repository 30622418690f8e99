"""The figures the chapters draw; each returns a matplotlib Figure (shared by pages and explorers).

One submodule per chapter (``nnlib.plots.learning_rate``, ...); this module holds the shared helpers.
Drawing is the slow part of an explorer (about 0.2 s per frame on a 2-core machine): fixed
margins instead of a layout engine, and no mathtext in tick labels, keep it there.

Figures carry their own white background so they stay readable in the book's dark mode.
"""
from __future__ import annotations

__all__ = ["COLORS", "new_figure", "finish_axes", "plain_log_axis"]

COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"]
MARGINS = dict(left=0.08, right=0.98, bottom=0.14, top=0.8, wspace=0.25)


def new_figure(ncols=1, width=9.0, height=3.6, nrows=1, sharex=False, **margins):
    """A white figure with ``nrows`` x ``ncols`` axes: a flat array for one row, else a 2-d one.

    ``margins`` (left, right, bottom, top, wspace, hspace) override the fixed defaults: a layout
    engine triples the time to draw, which matters for the explorers.
    """
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(nrows, ncols, figsize=(width, height), facecolor="white", sharex=sharex,
                             squeeze=False)
    fig.subplots_adjust(**{**MARGINS, **margins})
    return fig, axes[0] if nrows == 1 else axes


def finish_axes(ax, legend=None, legend_size=8, grid=0.3, title=None, title_size=None, **props):
    """What most panels end with: ``ax.set(**props)``, the ``title`` (if any; at the default size
    unless ``title_size``), a light grid (``grid``: its alpha; None for none) and a small legend at
    location ``legend`` (None for none)."""
    import matplotlib

    ax.set(**props)
    if title:
        ax.set_title(title, fontsize=title_size or matplotlib.rcParams["axes.titlesize"])
    if grid:
        ax.grid(alpha=grid)
    if legend:
        ax.legend(fontsize=legend_size, loc=legend)


def plain_log_axis(ax, axis="y", numticks=6, ticks=None, fmt=".0e"):
    """Log scale with plain labels ('1e-5'; ``fmt="g"``: '0.01') at ``numticks`` powers of 10 or at
    ``ticks``, no minor ticks: mathtext labels cost ~10 ms each to draw."""
    from matplotlib.ticker import FixedLocator, FuncFormatter, LogLocator, NullLocator

    getattr(ax, f"set_{axis}scale")("log")
    scale = getattr(ax, f"{axis}axis")
    scale.set_major_locator(LogLocator(base=10, numticks=numticks) if ticks is None else FixedLocator(ticks))
    scale.set_minor_locator(NullLocator())
    scale.set_major_formatter(FuncFormatter(
        lambda v, _: format(v, fmt).replace("e+0", "e").replace("e-0", "e-")))

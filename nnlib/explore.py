"""Explorers: one plot function, two ways to drive it (every chapter's "Explore" section).

A chapter's plots module writes a function ``plot(**params) -> matplotlib Figure``, lists its
controls and returns the pair as an :class:`Explorer` from its ``explorer(...)`` function.
:meth:`Explorer.live` shows ipywidgets controls in JupyterLab that redraw the figure on every
move. :meth:`Explorer.static` renders the same function once per point of a small grid and emits
plain HTML: range inputs, selects and checkboxes that swap pre-rendered frames in the browser,
so the slider still works in the built book with no Python behind the page. An explorer made with
``web="<module>"`` also has a JavaScript port of its computation in ``nnlib/web/nnlib-web/``
(issue 17): in the book it computes and draws in the browser, every control continuous, with one
picture of the default setting for print and for pages without JavaScript; in JupyterLab its
``live()`` is the same JavaScript as a widget (:func:`WebWidget`) whose controls are attributes.

    ex = Explorer("lr", plot_fn, [log_slider("lr", 1e-4, 1.2, 0.2, grid=[...]), ...])
    ex.static()   # kernel-free: stored in the notebook, rendered by the book
    ex.live()     # JupyterLab: tag the cell remove-output (book) and nbval-ignore-output (tests)
"""
from __future__ import annotations

import base64
import dataclasses
import html
import io
import itertools
import json
import math
import os
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

__all__ = ["Control", "log_slider", "slider", "int_slider", "choice", "toggle", "Explorer",
           "LiveView", "WebWidget", "Own", "json_numbers"]

#: The in-browser explorers' JavaScript (issue 17): served by the book from ``_static/nnlib-web``.
WEB_DIR = Path(__file__).resolve().parent / "web" / "nnlib-web"

MAX_FRAMES = 160  # a static explorer renders every combination: keep pages light


@dataclass(frozen=True)
class Control:
    """One parameter of an explorer: its live widget and the values of its static grid."""

    name: str
    kind: str  # 'log', 'float', 'int', 'choice', 'toggle'
    default: object
    grid: tuple
    label: str
    lo: float | None = None
    hi: float | None = None
    step: float | None = None
    fmt: str = "{}"

    def text(self, value) -> str:
        """The value as shown next to the control."""
        if self.kind == "toggle":
            return "on" if value else "off"
        return self.fmt.format(value)

    def widget(self):
        """The ipywidgets control for the live explorer."""
        import ipywidgets as W

        common = {"value": self.default, "description": self.label}
        slider = {**common, "style": {"description_width": "initial"}, "layout": W.Layout(width="420px")}
        if self.kind == "log":
            return W.FloatLogSlider(base=10, min=math.log10(self.lo), max=math.log10(self.hi), step=0.01,
                                    readout_format=".4g", continuous_update=True, **slider)
        if self.kind in ("float", "int"):
            cls = W.FloatSlider if self.kind == "float" else W.IntSlider
            return cls(min=self.lo, max=self.hi, step=self.step, **slider)
        if self.kind == "choice":
            return W.Dropdown(options=list(self.grid), style=slider["style"], **common)
        return W.Checkbox(indent=False, **common)


def _grid(name, grid, default, what="grid"):
    grid = tuple(grid)
    if not grid:
        raise ValueError(f"control {name!r}: {what} must list at least one value, got {grid!r}")
    if default not in grid:
        raise ValueError(f"control {name!r}: default {default!r} must be one of the grid values {grid!r}")
    return grid


def log_slider(name, lo, hi, default, grid: Sequence[float], label=None, fmt="{:g}") -> Control:
    """A log-scale slider from ``lo`` to ``hi`` (live); ``grid`` lists the kernel-free values."""
    if not (0 < lo < hi):
        raise ValueError(f"control {name!r}: need 0 < lo < hi, got lo={lo!r}, hi={hi!r}")
    grid = _grid(name, grid, default)
    if any(not (lo <= g <= hi) for g in grid):
        raise ValueError(f"control {name!r}: grid values must lie in [{lo}, {hi}], got {grid!r}")
    return Control(name, "log", default, grid, label or name, lo, hi, None, fmt)


def slider(name, lo, hi, step, default, grid: Sequence[float], label=None, fmt="{:g}") -> Control:
    """A linear slider (live); ``grid`` lists the kernel-free values."""
    if not lo < hi:
        raise ValueError(f"control {name!r}: need lo < hi, got lo={lo!r}, hi={hi!r}")
    grid = _grid(name, grid, default)
    return Control(name, "float", default, grid, label or name, lo, hi, step, fmt)


def int_slider(name, lo, hi, default, grid: Sequence[int], step=1, label=None) -> Control:
    """An integer slider (live); ``grid`` lists the kernel-free values."""
    grid = _grid(name, grid, default)
    return Control(name, "int", default, grid, label or name, lo, hi, step, "{}")


def choice(name, options: Sequence, default=None, label=None) -> Control:
    """A drop-down list; every option is part of the kernel-free grid."""
    options = tuple(options)
    default = options[0] if default is None and options else default
    return Control(name, "choice", default, _grid(name, options, default, "options"), label or name)


def toggle(name, default=False, label=None) -> Control:
    """An on/off checkbox; both states are part of the kernel-free grid."""
    return Control(name, "toggle", bool(default), (False, True), label or name)


@dataclass
class Own:
    """A learner's own functions, ready for an explorer's widget (``Explorer.live(loss=...)``).

    ``compute(params)`` returns what the chapter's JavaScript ``compute()`` would, computed in the
    kernel through nnlib (JSON numbers; ``None`` for a non-finite one); ``data`` replaces the page
    data the JavaScript draws (contours of the learner's surface); ``controls`` overrides some
    controls' ``lo``, ``hi`` and ``default`` (a start slider over the learner's view).
    """

    compute: Callable
    data: dict | None = None
    controls: dict | None = None


def json_numbers(x):
    """``x`` (numbers, arrays, lists and dicts of them) as JSON values: floats, with None for
    NaN and infinities (JSON has neither)."""
    import numpy as np

    if isinstance(x, dict):
        return {k: json_numbers(v) for k, v in x.items()}
    if isinstance(x, np.ndarray):
        return json_numbers(x.tolist())
    if isinstance(x, (list, tuple)):
        return [json_numbers(v) for v in x]
    if isinstance(x, (bool, str)) or x is None:
        return x
    if isinstance(x, (int, np.integer)):
        return int(x)
    x = float(x)
    return x if math.isfinite(x) else None


_JS = """<script>
window.nnlibExplore = window.nnlibExplore || function (id) {
  var root = document.getElementById(id), key = [];
  root.querySelectorAll('[data-control]').forEach(function (el) {
    var i = el.type === 'checkbox' ? (el.checked ? 1 : 0)
          : (el.tagName === 'SELECT' ? el.selectedIndex : parseInt(el.value, 10));
    key.push(i);
    var out = root.querySelector('output[data-for="' + el.dataset.control + '"]');
    if (out) { out.textContent = JSON.parse(el.dataset.labels)[i]; }
  });
  key = key.join('-');
  root.querySelectorAll('img[data-key]').forEach(function (img) {
    img.style.display = (img.dataset.key === key) ? 'block' : 'none';
  });
};
</script>"""


class Explorer:
    """A figure driven by controls, live in JupyterLab and kernel-free in the book (every chapter)."""

    def __init__(self, name: str, plot: Callable, controls: Sequence[Control], dpi: int = 72,
                 web: str | None = None, web_data: Callable | None = None,
                 own: Callable | None = None, live_kernel: bool = False):
        if not re.fullmatch(r"[a-z][a-z0-9-]*", name or ""):
            raise ValueError(f"name must be lowercase letters, digits and '-', got {name!r}")
        if not callable(plot):
            raise ValueError(f"plot must be a function returning a matplotlib Figure, got {plot!r}")
        names = [c.name for c in controls]
        if len(set(names)) != len(names):
            raise ValueError(f"control names must be unique, got {names!r}")
        if web is not None and not (WEB_DIR / f"{web}.js").is_file():
            raise ValueError(f"web must name a module in {WEB_DIR} (e.g. 'learning_rate'), got {web!r}")
        self.name, self.plot, self.controls, self.dpi = name, plot, list(controls), dpi
        if web_data is not None and not callable(web_data):
            raise ValueError(f"web_data must be a function returning a dict, got {web_data!r}")
        self.web, self.web_data = web, web_data
        if own is not None and (not callable(own) or web is None):
            raise ValueError(f"own must be a function returning an Own, for an explorer with web=..., got {own!r}")
        self.own = own
        if live_kernel and own is None:
            raise ValueError("live_kernel=True needs own=... (what the kernel computes)")
        self.live_kernel = bool(live_kernel)   # live() computes in the kernel even without functions

    @property
    def num_frames(self) -> int:
        """How many frames :meth:`static` renders: the product of the grid sizes."""
        return math.prod(len(c.grid) for c in self.controls)

    def defaults(self) -> dict:
        """The parameter values the explorer starts at."""
        return {c.name: c.default for c in self.controls}

    def figure(self, **params):
        """Draw one frame with the chapter's plot function (defaults for missing parameters)."""
        import matplotlib.pyplot as plt

        unknown = set(params) - {c.name for c in self.controls}
        if unknown:
            raise ValueError(f"unknown parameter(s) {sorted(unknown)}; controls are "
                             f"{[c.name for c in self.controls]}")
        fig = self.plot(**{**self.defaults(), **params})
        if not isinstance(fig, plt.Figure):
            raise ValueError(f"plot must return a matplotlib Figure, got {type(fig).__name__}")
        return fig

    # -- JupyterLab ---------------------------------------------------------------------------
    def live(self, **own):
        """The explorer in JupyterLab.

        With a browser port (``web=...``): returns a :class:`WebWidget`, the book's in-browser
        explorer as a Jupyter widget, so a move repaints without a round trip to the kernel, and
        each control is an attribute (``ex = explorer.live(); ex.lr = 0.3`` moves the slider,
        ``ex.lr`` reads it). Without one: shows ipywidgets controls that redraw the matplotlib
        figure in the kernel on every move, and returns None.

        Keyword arguments are the learner's own functions (``live(loss=f)``), for the explorers
        made with ``own=...`` (gradient descent, chapter 4; optimizers, chapter 8): the widget then
        computes in the kernel, through nnlib, on every move, and draws with the same JavaScript.
        An explorer made with ``live_kernel=True`` always computes in the kernel in JupyterLab
        (chapter 15: the book draws precomputed rates, the kernel trains the exact one).
        """
        if own or self.live_kernel:
            if self.own is None:
                raise ValueError(f"the {self.name} explorer takes no functions of your own (got "
                                 f"{sorted(own)}); the learning-rate (chapter 4) and optimizers "
                                 f"(chapter 8) explorers do")
            return WebWidget(self, self.own(**own))
        if self.web:
            return WebWidget(self)
        from IPython.display import display

        display(LiveView(self).widget)

    def png(self, params: dict, compress_level: int = 1) -> bytes:
        """One frame as PNG bytes at the explorer's dpi, as the live explorer paints it.

        The same drawing as a :meth:`static` frame (same dpi, white background, no tight
        bounding box); zlib level 1 by default because encoding is on the live path and the bytes
        are not stored; :meth:`static` stores its frames at level 6 (Pillow's default).
        """
        import matplotlib.pyplot as plt

        fig = self.figure(**params)
        try:
            buf = io.BytesIO()
            fig.savefig(buf, format="png", dpi=self.dpi, facecolor="white",
                        metadata={"Software": None}, pil_kwargs={"compress_level": compress_level})
        finally:
            plt.close(fig)
        return buf.getvalue()

    # -- the built book -----------------------------------------------------------------------
    def static(self, max_frames: int = MAX_FRAMES, processes: int | None = None):
        """Render every grid combination and return HTML controls that swap them (no kernel).

        The frames are drawn by ``processes`` worker processes (default: one per CPU this process
        may use; forks of this process, or of a TensorFlow-free fork server once TensorFlow is
        imported, see :mod:`nnlib.parallel`), each drawing whole frames with the same code and
        matplotlib settings, so the page is the same byte for byte as drawn by one process
        (tests/nnlib/test_explore.py); ``processes=1`` draws here.
        """
        import matplotlib.pyplot as plt
        from IPython.display import HTML

        if processes is not None and (isinstance(processes, bool) or not isinstance(processes, int)
                                      or processes < 1):
            raise ValueError(f"processes must be None (one per CPU) or an integer >= 1, "
                             f"got {processes!r}")

        # NNLIB_STATIC_FRAMES=undrawn (the test suite's second CPU profile, which compares no
        # picture bytes: tests/sanitize.cfg): every frame's figure is built but not drawn, and
        # the placeholder FRAME stands for its PNG. Drawing is ~90 % of a frame's cost.
        mode = os.environ.get("NNLIB_STATIC_FRAMES", "")
        if mode not in ("", "undrawn"):
            raise ValueError(f"NNLIB_STATIC_FRAMES must be unset or 'undrawn', got {mode!r}")
        undrawn = mode == "undrawn"
        dom_id = f"nnlib-explorer-{self.name}"
        if self.web:   # one picture; the controls are the JavaScript's
            return HTML(self._static_web(dom_id, undrawn))
        if self.num_frames > max_frames:
            raise ValueError(f"explorer {self.name!r} would render {self.num_frames} frames; "
                             f"max_frames is {max_frames}: use fewer grid values")
        varying = [c for c in self.controls if len(c.grid) > 1]
        start = [c.grid.index(c.default) for c in varying]
        parts = [_JS, f'<div class="nnlib-explorer" id="{dom_id}">',
                 '<div class="nnlib-controls" style="display:flex;flex-wrap:wrap;gap:0.4em 1.5em;'
                 'margin-bottom:0.5em;font-family:sans-serif;font-size:0.9em">']
        for c in self.controls:
            if len(c.grid) == 1:  # fixed in the book; the live explorer varies it
                parts.append(f'<span>{html.escape(c.label)} <output>{html.escape(c.text(c.default))}'
                             f'</output> <small>(fixed here; vary it live in JupyterLab)</small></span>')
                continue
            i = c.grid.index(c.default)
            labels = html.escape(json.dumps([c.text(v) for v in c.grid]))
            common = (f'data-control="{c.name}" data-labels="{labels}" '
                      f'aria-label="{html.escape(c.label)}" '
                      f'oninput="nnlibExplore(\'{dom_id}\')" onchange="nnlibExplore(\'{dom_id}\')"')
            if c.kind == "toggle":
                field = f'<input type="checkbox" {common}{" checked" if c.default else ""}>'
            elif c.kind == "choice":
                opts = "".join(f'<option{" selected" if k == i else ""}>{html.escape(c.text(v))}</option>'
                               for k, v in enumerate(c.grid))
                field = f'<select {common}>{opts}</select>'
            else:
                field = (f'<input type="range" min="0" max="{len(c.grid) - 1}" step="1" '
                         f'value="{i}" {common}>')
            parts.append(f'<label>{html.escape(c.label)} {field} '
                         f'<output data-for="{c.name}">{html.escape(c.text(c.default))}</output></label>')
        parts.append("</div>")
        keys = list(itertools.product(*(range(len(c.grid)) for c in varying)))
        frames = [{**self.defaults(), **{c.name: c.grid[k] for c, k in zip(varying, idx)}}
                  for idx in keys]
        if undrawn:  # build each figure (its computation runs), do not rasterize it
            for params in frames:
                plt.close(self.figure(**params))
            pngs = ["FRAME"] * len(frames)
        else:
            pngs = self._draw(frames, processes)
        for idx, params, data in zip(keys, frames, pngs):
            alt = html.escape(f"{self.name} explorer at " +
                              ", ".join(f"{c.label} = {c.text(params[c.name])}" for c in self.controls))
            shown = "block" if list(idx) == start else "none"
            parts.append(f'<img data-key="{"-".join(map(str, idx))}" alt="{alt}" '
                         f'style="display:{shown};max-width:100%" src="data:image/png;base64,{data}">')
        parts.append("</div>")
        return HTML("\n".join(parts))

    def _static_web(self, dom_id: str, undrawn: bool) -> str:
        """An explorer with a browser port: the mount point its JavaScript fills, and one picture,
        the default setting, for print and for pages without JavaScript (frame-switching needs
        JavaScript too, so more frames would only make the page heavier and slower to load)."""
        params = self.defaults()
        data = "FRAME" if undrawn else _png_base64(self, params)
        if undrawn:
            import matplotlib.pyplot as plt

            plt.close(self.figure(**params))
        alt = html.escape(f"{self.name} explorer at " +
                          ", ".join(f"{c.label} = {c.text(params[c.name])}" for c in self.controls))
        return "\n".join([
            f'<div class="nnlib-explorer" id="{dom_id}">',
            f'<div class="nnlib-web" data-module="{self.web}" '
            f'data-spec="{html.escape(json.dumps(self.web_spec()))}"></div>',
            # hidden by the JavaScript once the live charts are drawn
            '<div class="nnlib-frames"><p class="nnlib-nojs"><small>This explorer runs in the '
            'browser with JavaScript; shown here: its default setting.</small></p>',
            f'<img data-key="default" alt="{alt}" style="max-width:100%" '
            f'src="data:image/png;base64,{data}"></div>',
            # draw it as soon as the parser gets here, not after the rest of the page (the
            # runtime, in the page's head, mounts every explorer again at DOMContentLoaded)
            '<script>window.nnlibWeb && nnlibWeb.mountAll && nnlibWeb.mountAll();</script></div>'])

    def web_spec(self) -> dict:
        """The controls as the in-browser explorer reads them (``nnlib/web/nnlib-web/explore.js``)."""
        controls = []
        for c in self.controls:
            spec = {"name": c.name, "kind": c.kind, "label": c.label, "default": c.default}
            if c.kind == "choice":
                spec["options"] = [str(v) for v in c.grid]
                spec["default"] = str(c.default)
            elif c.kind != "toggle":
                # in the browser a slider is continuous (1001 positions) unless its step already
                # gives at least 100 values: the "any value" (issue 17)
                step = c.step if c.kind == "int" or (c.step and (c.hi - c.lo) / c.step >= 100) else None
                spec.update(lo=c.lo, hi=c.hi, step=step)
                if c.kind == "log" and c.fmt == "{:.0f}":   # a whole number on a log scale (batch size)
                    spec["whole"] = True
            controls.append(spec)
        spec = {"name": self.name, "controls": controls}
        if self.web_data is not None:   # what the JavaScript draws but does not compute (contours)
            spec["data"] = self.web_data()
        return spec


    def _draw(self, frames: list, processes: int | None) -> list:
        """Each frame's PNG (zlib level 6) in base64, drawn here or by worker processes
        (:func:`nnlib.parallel.fork_map`; only bytes come back)."""
        from .parallel import fork_map

        return fork_map(lambda params: _png_base64(self, params), frames, processes)


def _png_base64(explorer: Explorer, params: dict) -> str:
    return base64.b64encode(explorer.png(params, compress_level=6)).decode("ascii")


class LiveView:
    """The live explorer's widgets: a control per parameter and one ``ipywidgets.Image``.

    Each move of a control sets the new frame's PNG bytes (:meth:`Explorer.png`) on the Image
    widget: one comm message, and the browser swaps the ``<img>`` source (no Output widget
    re-rendering a display_data bundle, no second draw for a tight bounding box as the inline
    backend does). While the kernel draws, the browser keeps only the newest value to send next,
    so a drag drops positions instead of queueing them. A change that leaves every parameter as
    painted does not redraw; nothing is cached.
    """

    def __init__(self, explorer: Explorer):
        import ipywidgets as W

        self.explorer = explorer
        self.controls = {c.name: c.widget() for c in explorer.controls}
        self.image = W.Image(format="png", layout=W.Layout(max_width="100%"))
        self.image.add_class("nnlib-live-figure")
        self.message = W.HTML("")  # the plot function's error, if a parameter set fails
        self.renders = 0  # figures painted so far
        self.last_seconds = None  # draw + encode time of the last painted figure
        self._painted = None
        for w in self.controls.values():
            w.observe(lambda change: self.update(), names="value")
        self.widget = W.VBox([W.VBox(list(self.controls.values())), self.image, self.message])
        self.widget.add_class("nnlib-live-explorer")
        self.update()

    def params(self) -> dict:
        """The controls' current values."""
        return {name: w.value for name, w in self.controls.items()}

    def update(self) -> bool:
        """Paint the figure for the controls' current values; False when nothing was drawn."""
        params = self.params()
        if params == self._painted:
            return False
        start = time.perf_counter()
        try:
            png = self.explorer.png(params)
        except Exception as exc:  # show it under the figure, as the Output widget showed tracebacks
            self._painted = None
            self.message.value = (f'<pre style="color:#b00020;white-space:pre-wrap">'
                                  f'{html.escape(type(exc).__name__)}: {html.escape(str(exc))}</pre>')
            return False
        self.image.value = png
        if self.message.value:
            self.message.value = ""
        self._painted = params
        self.renders += 1
        self.last_seconds = time.perf_counter() - start
        return True


# -- JupyterLab: the in-browser explorer as a widget (issue 17) ---------------------------------

def _uplot_dir() -> Path:
    """Where the Makefile put uPlot (``$(VENV)/web/static/uplot``), for the widget's bundle."""
    for base in (Path(sys.prefix), Path(__file__).resolve().parents[1] / ".venv"):
        d = base / "web" / "static" / "uplot"
        if (d / "uPlot.iife.min.js").is_file():
            return d
    raise FileNotFoundError("uPlot is not installed: run `make lab` (or `make book`), which puts it in "
                            ".venv/web/static/uplot")


_WIDGET_CLASSES: dict = {}


def _widget_class(explorer: "Explorer"):
    """A widget class for ``explorer``: the bundle of uPlot, the runtime and the chapter's module as
    its ES module, and one attribute per control."""
    key = (explorer.name, explorer.web, tuple(c.name for c in explorer.controls))
    if key in _WIDGET_CLASSES:
        return _WIDGET_CLASSES[key]
    import anywidget
    import traitlets

    uplot = _uplot_dir()
    scripts = [uplot / "uPlot.iife.min.js", WEB_DIR / "explore.js", WEB_DIR / "portable.js",
               WEB_DIR / f"{explorer.web}.js"]
    esm = "\n".join(["window.nnlibWeb = window.nnlibWeb || { modules: {} };",
                     "window.nnlibWeb.widget = true;"] + [p.read_text() for p in scripts] + [_WIDGET_RENDER])
    css = (uplot / "uPlot.min.css").read_text() + (WEB_DIR / "explore.css").read_text()

    def attribute(control: Control):
        def get(self):
            return self._value(self._controls.get(control.name, control))

        def put(self, value):
            c = self._controls.get(control.name, control)
            self.params = {**self.params, control.name: _checked(c, value)}

        return property(get, put, doc=f"the control {control.label!r}")

    body = {"_esm": esm, "_css": css,
            "module": traitlets.Unicode(explorer.web).tag(sync=True),
            "spec": traitlets.Dict().tag(sync=True),
            "params": traitlets.Dict().tag(sync=True),
            # a learner's own functions (Explorer.live(loss=...)): the kernel computes, the
            # browser draws what it sends, {"params": ..., "data": ...} or {"params": ..., "error": ...}
            "kernel": traitlets.Bool(False).tag(sync=True),
            "computed": traitlets.Dict().tag(sync=True)}
    for c in explorer.controls:
        if c.name in ("module", "spec", "params", "kernel", "computed") or c.name.startswith("_") or hasattr(anywidget.AnyWidget, c.name):
            raise ValueError(f"control name {c.name!r} clashes with the widget's own attributes")
        body[c.name] = attribute(c)
    cls = type(f"WebWidget_{explorer.name.replace('-', '_')}", (_WebWidgetBase, anywidget.AnyWidget), body)
    _WIDGET_CLASSES[key] = cls
    return cls


class _WebWidgetBase:
    _own = None
    _controls: dict = {}

    def _compute(self, change=None):
        """The learner's functions at the current setting, sent to the browser to draw."""
        params = {name: self._value(c) for name, c in self._controls.items()}
        try:
            self.computed = {"params": dict(self.params), "data": json_numbers(self._own.compute(params))}
        except Exception as exc:   # the learner's function failed: say so under the controls
            self.computed = {"params": dict(self.params), "error": f"{type(exc).__name__}: {exc}"}

    def _value(self, control: Control):
        v = self.params.get(control.name, control.default)
        if control.kind == "choice":   # the browser sends the option's text: give back the value
            return next((g for g in control.grid if str(g) == str(v)), v)
        if control.kind == "toggle":
            return bool(v)
        return int(v) if control.kind == "int" else float(v)

    def __repr__(self) -> str:
        import textwrap

        text = f"<{self.module} explorer: " + ", ".join(f"{k}={v!r}" for k, v in self.params.items()) + ">"
        return "\n".join(textwrap.wrap(text, 77, subsequent_indent="  ", break_long_words=False))


def _checked(control: Control, value):
    """``value`` for ``control`` as the browser takes it, or a ValueError saying what is allowed."""
    if control.kind == "choice":
        if not any(str(g) == str(value) for g in control.grid):
            raise ValueError(f"{control.name} must be one of {list(control.grid)!r}, got {value!r}")
        return str(value)
    if control.kind == "toggle":
        if not isinstance(value, bool):
            raise ValueError(f"{control.name} must be True or False, got {value!r}")
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"{control.name} must be a number, got {value!r}")
    if not control.lo <= value <= control.hi:
        raise ValueError(f"{control.name} must be between {control.lo:g} and {control.hi:g}, got {value!r}")
    return int(value) if control.kind == "int" else float(value)


def WebWidget(explorer: "Explorer", own: "Own | None" = None):
    """The in-browser explorer of ``explorer`` as a Jupyter widget (anywidget): the same JavaScript
    as the book, so a move repaints in the browser with no kernel round trip; its controls are
    attributes (``w.lr = 0.3`` moves the slider, ``w.lr`` reads it), checked against their
    ranges. Needs an explorer made with ``web=...``. With ``own`` (an :class:`Own`, from
    ``Explorer.live(loss=...)``) the kernel computes each setting and the browser draws it."""
    if not explorer.web:
        raise ValueError(f"explorer {explorer.name!r} has no browser port (web=...): use its live() view")
    cls = _widget_class(explorer)
    if own is None:
        return cls(spec=explorer.web_spec(), params=explorer.defaults())
    if not isinstance(own, Own):
        raise ValueError(f"own must be an Own (from the explorer's own=... builder), got {own!r}")
    spec, controls = explorer.web_spec(), {c.name: c for c in explorer.controls}
    if own.data is not None:
        spec["data"] = own.data
    for name, change in (own.controls or {}).items():
        if name not in controls or not set(change) <= {"lo", "hi", "default"}:
            raise ValueError(f"own.controls may change lo, hi and default of {sorted(controls)}, got {name}: {change}")
        controls[name] = dataclasses.replace(controls[name], **change)
        next(c for c in spec["controls"] if c["name"] == name).update(change)
    w = cls(spec=spec, params={name: c.default for name, c in controls.items()}, kernel=True)
    w._own, w._controls = own, controls
    w._compute()
    w.observe(w._compute, names="params")
    return w


_WIDGET_RENDER = """
export default {
  render({ model, el }) {
    const W = window.nnlibWeb;
    const root = document.createElement("div");
    root.className = "nnlib-web nnlib-web-widget";
    // JupyterLab's notebook takes the arrow keys for itself (a bubble-phase handler prevents
    // their default): keep the keys pressed on the explorer's controls to the explorer
    root.addEventListener("keydown", (e) => { if (e.target !== root) e.stopPropagation(); });
    el.appendChild(root);
    // with a learner's own functions the kernel computes and the browser draws what it sends
    const kernel = model.get("kernel") ? () => model.get("computed") : null;
    const instance = W.mountWidget(root, model.get("module"), model.get("spec"), model.get("params"), (params) => {
      model.set("params", params);
      model.save_changes();
    }, kernel);
    const fromKernel = () => instance.set(model.get("params"));
    const computed = () => instance.paint();
    model.on("change:params", fromKernel);
    model.on("change:computed", computed);
    return () => { model.off("change:params", fromKernel); model.off("change:computed", computed); };
  },
};
"""

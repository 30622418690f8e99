"""nnlib.explore: the kernel-free HTML control and the live widget are driven by one function."""
from __future__ import annotations

import re

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from nnlib import explore  # noqa: E402
from tests.helpers import ROOT  # noqa: E402

CALLS = []


def _plot(a=1.0, b="x", on=False, n=5):
    CALLS.append((a, b, on))
    fig, ax = plt.subplots(figsize=(2, 1.5))
    ax.plot([0, 1], [0, a])
    ax.set_title(f"{a} {b} {on}")
    return fig


def _explorer():
    return explore.Explorer("demo", _plot, [
        explore.log_slider("a", 0.01, 10, 1.0, grid=(0.01, 0.1, 1.0, 10)),
        explore.choice("b", ["x", "y"]),
        explore.toggle("on", False, label="switch"),
    ])


def test_static_renders_every_combination_once_and_shows_the_default():
    CALLS.clear()
    html = _explorer().static(processes=1).data   # drawn here, so the calls are counted here
    assert len(CALLS) == 4 * 2 * 2 and len(set(CALLS)) == 16
    keys = re.findall(r'<img data-key="([\d-]+)"', html)
    assert len(keys) == 16 and len(set(keys)) == 16
    shown = re.findall(r'<img data-key="([\d-]+)" alt="[^"]*" style="display:block', html)
    assert shown == ["2-0-0"]  # a = 1.0 is index 2; b = 'x'; switch off
    assert 'type="range" min="0" max="3"' in html and "<select" in html and 'type="checkbox"' in html
    assert "nnlibExplore('nnlib-explorer-demo')" in html
    assert 'alt="demo explorer at a = 1, b = x, switch = off"' in html
    frames = re.findall(r"base64,([A-Za-z0-9+/=]+)", html)
    assert len(frames) == 16 and len(set(frames)) == 16  # every frame differs with the parameters


def test_frames_drawn_by_forked_workers_make_the_same_page_byte_for_byte():
    one = _explorer().static(processes=1).data
    CALLS.clear()
    assert _explorer().static(processes=3).data == one

    assert CALLS == []   # every frame was drawn in a worker (forked, or from the fork server)
    assert _explorer().static().data == one   # the default: one worker per usable CPU
    for bad in (0, -1, 1.5, True, "2"):
        with pytest.raises(ValueError, match="processes must be None"):
            _explorer().static(processes=bad)


def test_undrawn_frames_build_every_figure_and_sanitize_like_drawn_ones(monkeypatch):
    # the foreign-profile nbval session sets NNLIB_STATIC_FRAMES=undrawn: same HTML after
    # tests/sanitize.cfg, every plot call still made
    import configparser

    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "tests" / "sanitize.cfg")
    rule = next(cfg[s] for s in cfg.sections() if "png" in s)

    def sanitized(text):
        return re.sub(rule["regex"], rule["replace"], text)

    drawn = _explorer().static().data
    monkeypatch.setenv("NNLIB_STATIC_FRAMES", "undrawn")
    CALLS.clear()
    undrawn = _explorer().static().data
    assert len(CALLS) == 16 and "base64,FRAME" in undrawn
    assert sanitized(undrawn) == sanitized(drawn) != drawn
    monkeypatch.setenv("NNLIB_STATIC_FRAMES", "sometimes")
    with pytest.raises(ValueError, match="NNLIB_STATIC_FRAMES"):
        _explorer().static()


def test_single_value_controls_are_fixed_in_the_book():
    CALLS.clear()
    ex = explore.Explorer("fixed", _plot, [
        explore.slider("a", 0, 5, 0.5, 2.0, grid=(1.0, 2.0)),
        explore.int_slider("n", 1, 100, 20, grid=(20,)),
    ])
    ex.plot = lambda a, n: _plot(a)
    html = ex.static().data
    assert "(fixed here; vary it live in JupyterLab)" in html
    assert re.findall(r'<img data-key="([\d-]+)"', html) == ["0", "1"]


def _pixels(png: bytes):
    import io

    import numpy as np
    from PIL import Image

    png = bytes(png)  # ipywidgets keeps Image.value as a memoryview
    assert png.startswith(b"\x89PNG")
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


def test_live_paints_the_static_frame_into_one_image_widget():
    import base64

    import ipywidgets as W

    ex = _explorer()
    view = explore.LiveView(ex)
    assert isinstance(view.image, W.Image) and view.image.format == "png"
    assert "nnlib-live-figure" in view.image._dom_classes
    assert view.renders == 1 and view.params() == {"a": 1.0, "b": "x", "on": False}
    live = _pixels(view.image.value)
    assert live.shape == (108, 144, 3)  # figsize (2, 1.5) at the explorer's 72 dpi
    html = ex.static().data  # the book's frame for the same parameters: the same picture
    frame = re.search(r'data-key="2-0-0"[^>]*base64,([A-Za-z0-9+/=]+)', html).group(1)
    assert (live == _pixels(base64.b64decode(frame))).all()


def test_every_real_move_of_a_control_repaints_the_image_and_nothing_else_does():
    view = explore.LiveView(_explorer())
    first = bytes(view.image.value)
    seen = []
    view.image.observe(lambda change: seen.append(bytes(change["new"])), names="value")
    CALLS.clear()
    assert view.update() is False  # nothing moved
    view.controls["a"].value = 1.0  # same value: no change event, no draw
    assert CALLS == [] and view.renders == 1
    view.controls["a"].value = 10.0
    assert CALLS == [(10.0, "x", False)] and view.renders == 2 and len(seen) == 1
    assert bytes(view.image.value) == seen[0] != first
    assert not (_pixels(view.image.value) == _pixels(first)).all()
    view.controls["on"].value = True
    view.controls["b"].value = "y"
    assert CALLS[-1] == (10.0, "y", True) and view.renders == 4 and len(seen) == 3
    assert view.last_seconds > 0
    view.controls["a"].value = 0.1
    view.controls["a"].value = 10.0  # back to a painted value: drawn fresh (nothing cached)
    assert [c[0] for c in CALLS[-2:]] == [0.1, 10.0] and view.renders == 6


def test_a_failing_parameter_set_is_reported_under_the_figure():
    def plot(a=1.0):
        if a > 5:
            raise ValueError(f"a must be at most 5, got {a}")
        return _plot(a)

    view = explore.LiveView(explore.Explorer("err", plot, [
        explore.slider("a", 0, 10, 1, 1.0, grid=(1.0,))]))
    good = bytes(view.image.value)
    assert view.message.value == ""
    view.controls["a"].value = 7.0
    assert "ValueError: a must be at most 5, got 7.0" in view.message.value
    assert view.image.value == good and view.renders == 1
    view.controls["a"].value = 2.0
    assert view.message.value == "" and view.renders == 2 and view.image.value != good


def test_live_displays_only_the_widget_and_prints_nothing(monkeypatch, capsys):
    import IPython.display
    import ipywidgets as W

    plt.close("all")  # figures left open by other modules on this worker are not ours
    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda *objs, **kw: shown.extend(objs))
    assert _explorer().live() is None
    assert len(shown) == 1 and isinstance(shown[0], W.VBox)
    controls = shown[0].children[0].children  # one widget per control
    assert [type(w) for w in controls] == [W.FloatLogSlider, W.Dropdown, W.Checkbox]
    assert controls[0].value == 1.0
    images = [w for w in shown[0].children if isinstance(w, W.Image)]
    assert len(images) == 1 and bytes(images[0].value).startswith(b"\x89PNG")
    assert capsys.readouterr() == ("", "")
    assert not plt.get_fignums()  # every drawn figure is closed


def test_an_explorer_with_a_web_module_hands_its_controls_to_the_browser():
    """web=...: the page gets a .nnlib-web mount point whose spec lists every control with its
    range (the JavaScript makes a continuous slider of it), and one picture, the default setting,
    is kept beside it for print and for pages without JavaScript (no frame grid, no frame controls)."""
    import html as html_lib
    import json

    ex = explore.Explorer("demo", _plot, [
        explore.log_slider("a", 0.01, 10, 1.0, grid=(0.01, 1.0)),
        explore.int_slider("n", 1, 50, 5, grid=(5,)),
        explore.choice("b", ["x", "y"]),
        explore.toggle("on", False, label="switch"),
    ], web="learning_rate")
    page = ex.static(processes=1).data
    spec = json.loads(html_lib.unescape(re.search(r'data-spec="([^"]*)"', page)[1]))
    assert spec == {"name": "demo", "controls": [
        {"name": "a", "kind": "log", "label": "a", "default": 1.0, "lo": 0.01, "hi": 10, "step": None},
        {"name": "n", "kind": "int", "label": "n", "default": 5, "lo": 1, "hi": 50, "step": 1},
        {"name": "b", "kind": "choice", "label": "b", "default": "x", "options": ["x", "y"]},
        {"name": "on", "kind": "toggle", "label": "switch", "default": False}]}
    assert 'data-module="learning_rate"' in page and page.index("nnlib-web") < page.index("nnlib-frames")
    assert re.findall(r'<img data-key="([^"]*)"', page) == ["default"]   # print, no JavaScript
    assert "data-control=" not in page and "fixed here" not in page
    assert "nnlib-web" not in _explorer().static(processes=1).data


def test_the_optimizer_explorer_sends_its_contours_to_the_browser():
    """Chapter 8's in-browser explorer draws the ravine's contour lines that matplotlib's contour
    code computes here: twelve levels, every point inside the view."""
    import json

    from nnlib.plots import optimizers as opt_plots

    spec = opt_plots.explorer().web_spec()
    data = spec["data"]
    assert data["xlim"] == [-5.0, 2.0] and data["ylim"] == [-1.5, 1.5]
    assert len(data["contours"]) >= 12 and all(len(c) % 2 == 0 and len(c) >= 8 for c in data["contours"])
    xs = [x for c in data["contours"] for x in c[0::2]]
    ys = [y for c in data["contours"] for y in c[1::2]]
    assert -5.0 <= min(xs) and max(xs) <= 2.0 and -1.5 <= min(ys) and max(ys) <= 1.5
    assert [c["name"] for c in spec["controls"]] == ["optimizer", "lr", "beta_1", "beta_2", "x0", "y0",
                                                     "num_steps"]
    assert len(json.dumps(spec)) < 40_000   # light enough to ship in the page


@pytest.mark.parametrize("make, words", [
    (lambda: explore.log_slider("lr", 0, 1, 0.1, grid=(0.1,)), "need 0 < lo < hi"),
    (lambda: explore.log_slider("lr", 1e-3, 1, 0.5, grid=(0.1,)), "default 0.5 must be one of"),
    (lambda: explore.log_slider("lr", 1e-3, 1, 2.0, grid=(2.0,)), "grid values must lie in"),
    (lambda: explore.slider("x", 1, 1, 0.1, 1, grid=(1,)), "need lo < hi"),
    (lambda: explore.choice("c", []), "options must list at least one value"),
    (lambda: explore.Explorer("Bad Name", _plot, []), "name must be lowercase"),
    (lambda: explore.Explorer("ok", 3, []), "plot must be a function"),
    (lambda: explore.Explorer("ok", _plot, [explore.toggle("a"), explore.toggle("a")]), "unique"),
    (lambda: explore.Explorer("big", _plot, [explore.slider("a", 0, 100, 1, 0, grid=tuple(range(20))),
                                             explore.choice("b", list("abcdefghij"))]).static(max_frames=160),
     "would render 200 frames"),
    (lambda: _explorer().figure(c=1), "unknown parameter"),
    (lambda: explore.Explorer("ok", _plot, [explore.toggle("a")], web="no_such_module"),
     "web must name a module in"),
    (lambda: explore.Explorer("ok", _plot, [explore.toggle("a")], web="optimizers", web_data={}),
     "web_data must be a function"),
    (lambda: explore.Explorer("bad", lambda a: None, [explore.toggle("a")]).figure(),
     "must return a matplotlib Figure, got NoneType"),
])
def test_bad_definitions_and_calls_are_refused(make, words):
    with pytest.raises(ValueError, match=re.escape(words)):
        make()


def test_every_browser_module_is_served_by_the_book():
    """Every page loads uPlot, the runtime and portable.js (which the chapter modules need); each
    chapter module in nnlib/web/nnlib-web/ is copied to _static by html_static_path and added by
    the runtime on the pages that use it, so its name must be one the runtime accepts."""
    import yaml

    config = yaml.safe_load((explore.WEB_DIR.parents[2] / "_config.yml").read_text())["sphinx"]["config"]
    assert config["html_js_files"] == ["uplot/uPlot.iife.min.js", "nnlib-web/explore.js", "nnlib-web/portable.js"]
    assert "nnlib/web" in config["html_static_path"]
    modules = [p.stem for p in explore.WEB_DIR.glob("*.js") if p.stem not in ("explore", "portable")]
    assert len(modules) == 17 and all(re.fullmatch(r"[a-z_]+", m) for m in modules)   # 16 chapters + appendix
    runtime = (explore.WEB_DIR / "explore.js").read_text()
    assert "/^[a-z_]+$/.test(root.dataset.module" in runtime and 'script.src = BASE + name + ".js"' in runtime


def test_an_explorer_with_a_web_module_is_a_widget_in_jupyterlab():
    """live() of an explorer with a browser port returns the widget (anywidget) whose bundle is
    uPlot, the runtime and the chapter's module; each control is an attribute, checked against its
    range, options or type, and a choice comes back as the value it was given as."""
    from nnlib.plots import learning_rate as lr_plots
    from nnlib.plots import regularization as reg_plots  # noqa: F401  (a choice-only explorer below)

    w = lr_plots.explorer().live()
    assert type(w).__name__ == "WebWidget_learning_rate" and w.module == "learning_rate"
    assert w.params == {"lr": 0.2, "w0": 5.0, "num_steps": 20} and w.spec == lr_plots.explorer().web_spec()
    assert "W.mountWidget = function" in w._esm and "W.modules.learning_rate" in w._esm and "uPlot" in w._esm
    w.lr, w.num_steps = 0.9, 37
    assert (w.lr, w.num_steps) == (0.9, 37) and w.params["lr"] == 0.9
    for name, bad, message in (("lr", 5, "between 0.0001 and 1.2"), ("lr", "0.3", "must be a number"),
                               ("num_steps", float("nan"), "must be a number")):
        with pytest.raises(ValueError, match=message):
            setattr(w, name, bad)
    assert w.lr == 0.9
    ex = explore.Explorer("demo", _plot, [explore.choice("b", [0.0, 0.005]), explore.toggle("on", False)],
                          web="learning_rate")
    d = ex.live()
    d.b = 0.005
    assert d.params["b"] == "0.005" and d.b == 0.005 and d.on is False
    with pytest.raises(ValueError, match=r"must be one of \[0.0, 0.005\]"):
        d.b = 0.01
    with pytest.raises(ValueError, match="must be True or False"):
        d.on = 1
    with pytest.raises(ValueError, match="clashes with the widget"):
        explore.Explorer("bad", _plot, [explore.toggle("params")], web="learning_rate").live()
    with pytest.raises(ValueError, match="has no browser port"):
        explore.WebWidget(_explorer())


def test_a_learners_own_function_is_computed_in_the_kernel_through_nnlib():
    """Issue 17, item 4: live(loss=..., grad=...) on the gradient-descent and optimizer explorers
    runs nnlib's loops in the kernel on every change and sends the result for the browser to draw;
    what it sends is gd_trace's and opt.run's numbers, and bad functions are refused clearly."""
    import numpy as np

    from nnlib import learning_rate as lr_mod
    from nnlib import optimizers as opt
    from nnlib.plots import learning_rate as lr_plots
    from nnlib.plots import optimizers as opt_plots

    grad = lambda w: 4 * w**3 - 6 * w + 1   # noqa: E731  (loss w^4 - 3 w^2 + w)
    w = lr_plots.explorer().live(grad=grad)
    assert w.kernel and w.computed["params"] == w.params
    w.lr, w.w0 = 0.01, 1.5
    expected = lr_mod.gd_trace(grad, np.float32(1.5), 0.01, 20).w
    assert w.computed["params"]["lr"] == 0.01 and w.computed["data"]["w"] == expected.astype(float).tolist()
    assert w.computed["data"]["loss"][0] == abs(float(grad(np.float32(1.5))))   # no loss given: |grad|
    # the loss alone: central differences give the same path as the exact gradient, nearly
    v = lr_plots.explorer().live(loss=lambda w: w**4 - 3 * w**2 + w)
    v.lr, v.w0 = 0.01, 1.5
    assert np.allclose(v.computed["data"]["w"], expected, rtol=0, atol=1e-4)
    assert lr_mod.slope_grad(lambda w: (w**2).sum())(np.array([3.0, -1.0])) == pytest.approx([6.0, -2.0])
    # a function that fails at some setting: the browser is told, the widget survives
    u = lr_plots.explorer().live(grad=lambda w: 2 * w if w < 6 else None + 1)
    u.w0 = 7.0
    assert "TypeError" in u.computed["error"] and "data" not in u.computed
    u.w0 = 1.0
    assert "data" in u.computed
    for kwargs, message in (({"loss": None}, "give your loss"), ({"loss": 3}, "loss must be a function"),
                            ({"grad": "g"}, "grad must be a function")):
        with pytest.raises(ValueError, match=message):
            lr_plots.explorer().live(**kwargs)
    from nnlib.plots import ema as ema_plots
    with pytest.raises(ValueError, match="takes no functions of your own"):
        ema_plots.explorer().live(loss=abs)

    # chapter 8: the surface's contours, the start sliders over the view, opt.run's paths
    f = lambda x, y: (1 - x)**2 + 5 * (y - x**2)**2   # noqa: E731
    o = opt_plots.explorer().live(loss=f, xlim=(-2, 2), ylim=(-1, 3))
    assert o.spec["data"]["xlim"] == [-2.0, 2.0] and len(o.spec["data"]["contours"]) > 5
    x0 = next(c for c in o.spec["controls"] if c["name"] == "x0")
    assert (x0["lo"], x0["hi"], o.x0, o.y0) == (-2.0, 2.0, -1.0, 2.0)
    with pytest.raises(ValueError, match="between -2 and 2"):
        o.x0 = -4.5   # the ravine's start, outside this view
    exact = lambda w: np.array([-2 * (1 - w[0]) - 20 * w[0] * (w[1] - w[0]**2), 10 * (w[1] - w[0]**2)])  # noqa: E731
    g = opt_plots.explorer().live(loss=f, grad=exact, xlim=(-2, 2), ylim=(-1, 3))
    g.optimizer, g.lr, g.num_steps = "adam", 0.05, 50
    tr = opt.run("adam", exact, np.array([-1.0, 2.0], np.float32), 0.05, 50, beta_1=0.9, beta_2=0.99)
    assert g.computed["data"]["main"]["path"] == tr.w.astype(float).tolist()
    assert g.computed["data"]["sgd"]["path"] == opt.run("sgd", exact, np.array([-1.0, 2.0], np.float32),
                                                         0.05, 50).w.astype(float).tolist()
    for kwargs, message in (({"loss": f, "xlim": (1, 0)}, "xlim must be"),
                            ({"loss": f, "start": (9, 9)}, "start must be a point"),
                            ({"loss": lambda x, y: np.inf * x}, "not finite anywhere")):
        with pytest.raises(ValueError, match=message):
            opt_plots.explorer().live(**kwargs)
    assert explore.json_numbers([np.float32(1.5), np.inf, {"a": np.array([np.nan, 2])}]) == [1.5, None, {"a": [None, 2.0]}]


def test_a_live_kernel_explorer_trains_the_exact_rate_in_jupyterlab():
    """Chapter 15: in the book the browser draws the trained rate nearest the slider; in
    JupyterLab live() asks the kernel, which trains the exact rate when the sweep lacks it."""
    import numpy as np

    from nnlib import data, network, portable
    from nnlib.plots import diagnostics as dp

    D, d, D_val, d_val, *_ = data.digits_with_validation()
    X, y = D[:64], d[:64]
    sweep = {"data": (X, y, D_val[:32], d_val[:32]), "sizes": [64, 8, 10], "num_epochs": 2, "curves": {}}
    from nnlib import diagnostics
    nets = [network.glorot_network([64, 8, 10], loss="softmax_ce", dot=portable.dot) for _ in (0.01, 0.1)]
    c = diagnostics.learning_curves(X, y, D_val[:32], d_val[:32], nets, [0.01, 0.1], num_epochs=2)
    sweep["curves"] = {0.01: (c.train[0], c.val[0]), 0.1: (c.train[1], c.val[1])}
    fine = dp.fill_sweep(sweep, between=1)
    assert sorted(fine["curves"]) == [0.01, 0.03162, 0.1]
    w = dp.explorer(fine).live()
    assert w.kernel and w.computed["data"]["exact"] and w.computed["data"]["lr"] == 0.1
    w.lr = 0.05   # not in the sweep: trained now, from the same start
    assert w.computed["data"]["lr"] == 0.05 and len(w.computed["data"]["train"]) == 2
    assert np.isfinite(w.computed["data"]["train"]).all()
    assert dp.fill_sweep(sweep, between=0)["curves"] == sweep["curves"]   # nothing to add
    # trained in groups on worker processes or all here: the same bits
    two, one = dp.fill_sweep(sweep, between=3, processes=2), dp.fill_sweep(sweep, between=3, processes=1)
    assert len(two["curves"]) == 5 and list(two["curves"]) == list(one["curves"])
    for lr in one["curves"]:
        for a, b in zip(two["curves"][lr], one["curves"][lr]):
            assert np.array_equal(a, b, equal_nan=True), lr
    web = dp.web_sweep(fine)
    assert web["rates"] == [0.01, 0.03162, 0.1] and len(web["val"][1]) == 2
    with pytest.raises(ValueError, match="live_kernel=True needs own"):
        explore.Explorer("bad", _plot, [explore.toggle("on")], web="learning_rate", live_kernel=True)
    with pytest.raises(ValueError, match="between"):
        dp.fill_sweep(sweep, between=-1)


def test_the_test_set_explorer_orders_a_cell_by_confidence():
    """Chapter 14: selection() keeps a confusion cell's images, the most confident first (in
    255ths, then by index), as the browser does; the page data carries every image and label."""
    import numpy as np

    from nnlib.plots import training as tp

    probs = np.array([[0.9, 0.1] + [0] * 8, [0.2, 0.8] + [0] * 8, [0.95, 0.05] + [0] * 8,
                      [0.3, 0.7] + [0] * 8, [0.9001, 0.0999] + [0] * 8])
    y = np.array([0, 0, 1, 1, 0])
    assert tp.selection(y, probs).tolist() == [2, 0, 4, 1, 3]   # 0.9 and 0.9001 are both 230/255
    assert tp.selection(y, probs, "0", "1").tolist() == [1]
    assert tp.selection(y, probs, 1, "any").tolist() == [2, 3]
    assert tp.selection(y, probs, "5", "5").tolist() == []
    X = np.zeros((5, 784))
    web = tp.web_test_set(X, probs, y)
    assert web["labels"] == [0, 0, 1, 1, 0] and web["pred"] == [0, 1, 0, 1, 0]
    assert web["sprite"].startswith("data:image/png;base64,") and len(web["tf_probs"]) == 68
    ex = tp.explorer(X, probs, y)
    assert ex.defaults() == {"true": "any", "predicted": "any", "rank": 0}
    plt.close(ex.figure(true="5", predicted="5"))   # an empty cell: a note, not an error
    with pytest.raises(ValueError, match="same n images"):
        tp.explorer(X[:3], probs, y)

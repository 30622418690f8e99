"""nnlib.explore: the kernel-free HTML control and the live widget are driven by one function."""
from __future__ import annotations

import re

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from nnlib import explore  # noqa: E402

CALLS = []


def _plot(a=1.0, b="x", on=False):
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
    html = _explorer().static().data
    assert len(CALLS) == 4 * 2 * 2 and len(set(CALLS)) == 16
    keys = re.findall(r'<img data-key="([\d-]+)"', html)
    assert len(keys) == 16 and len(set(keys)) == 16
    shown = re.findall(r'<img data-key="([\d-]+)" alt="[^"]*" style="display:block', html)
    assert shown == ["2-0-0"]  # a = 1.0 is index 2; b = 'x'; switch off
    assert 'type="range" min="0" max="3"' in html and "<select" in html and 'type="checkbox"' in html
    assert "nnlibExplore('nnlib-explorer-demo')" in html
    assert 'alt="demo explorer at a = 1, b = x, switch = off"' in html


def test_frames_differ_with_the_parameter():
    html = _explorer().static().data
    frames = re.findall(r"base64,([A-Za-z0-9+/=]+)", html)
    assert len(set(frames)) == len(frames)


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


def test_live_builds_one_widget_per_control():
    import ipywidgets as W

    ex = _explorer()
    ws = [c.widget() for c in ex.controls]
    assert isinstance(ws[0], W.FloatLogSlider) and ws[0].value == 1.0
    assert isinstance(ws[1], W.Dropdown) and isinstance(ws[2], W.Checkbox)
    assert ex.live() is None  # nothing to print a repr for


@pytest.mark.parametrize("make, words", [
    (lambda: explore.log_slider("lr", 0, 1, 0.1, grid=(0.1,)), "need 0 < lo < hi"),
    (lambda: explore.log_slider("lr", 1e-3, 1, 0.5, grid=(0.1,)), "default 0.5 must be one of"),
    (lambda: explore.log_slider("lr", 1e-3, 1, 2.0, grid=(2.0,)), "grid values must lie in"),
    (lambda: explore.slider("x", 1, 1, 0.1, 1, grid=(1,)), "need lo < hi"),
    (lambda: explore.choice("c", []), "options must list at least one value"),
    (lambda: explore.Explorer("Bad Name", _plot, []), "name must be lowercase"),
    (lambda: explore.Explorer("ok", 3, []), "plot must be a function"),
    (lambda: explore.Explorer("ok", _plot, [explore.toggle("a"), explore.toggle("a")]), "unique"),
])
def test_bad_definitions_are_refused(make, words):
    with pytest.raises(ValueError, match=re.escape(words)):
        make()


def test_too_many_frames_is_refused():
    ex = explore.Explorer("big", _plot, [
        explore.slider("a", 0, 100, 1, 0, grid=tuple(range(20))),
        explore.choice("b", list("abcdefghij")),
    ])
    with pytest.raises(ValueError, match="would render 200 frames"):
        ex.static(max_frames=160)


def test_unknown_parameter_and_wrong_return_are_explained():
    ex = _explorer()
    with pytest.raises(ValueError, match="unknown parameter"):
        ex.figure(c=1)
    bad = explore.Explorer("bad", lambda a: None, [explore.slider("a", 0, 1, 0.5, 0.0, grid=(0.0,))])
    with pytest.raises(ValueError, match="must return a matplotlib Figure, got NoneType"):
        bad.figure()

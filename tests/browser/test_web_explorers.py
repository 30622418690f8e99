"""The explorers computed in the browser (issue 17), in Debian's Chromium on the built book.

Each chapter module in ``nnlib/web/nnlib-web/`` ports the chapter's computation to JavaScript;
here its ``compute`` runs on at least 100 random settings and is compared with nnlib: bit for
bit, since both round every operation to float32 in the same order. Then the page itself: the
state round-trips through the URL hash, the keyboard moves a slider, the reset button restores the
defaults. (How fast a control move repaints is a benchmark, not a test: under the five processes of
`make test` on two cores the median moved from 6.4 ms, idle, to 17 ms.)
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from nnlib import learning_rate
from tests.browser import launch, serve
from tests.helpers import HTML

BOOK = Path(os.environ.get("NNLIB_BOOK_HTML", HTML))
LR_PAGE = "chapters/04_learning_rate.html"
MOUNTED = "() => document.querySelector('.nnlib-web[data-mounted]') !== null"


@pytest.fixture(scope="module")
def book():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p, serve(BOOK) as base:
        browser = launch(p, "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1")
        context = browser.new_context(viewport={"width": 1280, "height": 900})

        def open_page(page_name, hash_=""):
            page = context.new_page()
            errors = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(f"{base}/{page_name}{hash_}", wait_until="load")
            page.wait_for_function(MOUNTED, timeout=10_000)
            page.errors = errors
            return page

        yield open_page
        context.close()
        browser.close()


def _settings(rng, n=200):
    """Random settings over the explorer's whole range (log-uniform rate), and a few beyond it that
    overflow float32, to compare the divergence path too."""
    out = [{"lr": float(10 ** rng.uniform(-4, np.log10(1.2))), "w0": float(rng.uniform(-8, 8)),
            "num_steps": int(rng.integers(1, 101))} for _ in range(n)]
    out += [{"lr": 1.0, "w0": 5.0, "num_steps": 100}, {"lr": 0.5, "w0": -6.0, "num_steps": 3},
            {"lr": 60.0, "w0": 5.0, "num_steps": 100}, {"lr": 1e4, "w0": 0.3, "num_steps": 50}]
    return out


def test_learning_rate_javascript_matches_nnlib_bit_for_bit(book):
    page = book(LR_PAGE)
    settings = _settings(np.random.default_rng(17))
    results = page.evaluate("s => s.map(p => nnlibWeb.modules.learning_rate.compute(p))", settings)
    diverged = 0
    for params, js in zip(settings, results):
        tr = learning_rate.gd_trace(learning_rate.quadratic_grad, params["w0"], params["lr"],
                                    params["num_steps"])
        ours = tr.w.ravel()
        theirs = np.array(js["w"], dtype=np.float64)
        assert np.array_equal(theirs, ours.astype(np.float64)), params   # every w, every bit
        with np.errstate(over="ignore"):   # the runs that overflow: inf in both
            loss = learning_rate.quadratic_loss(ours).astype(np.float64)
        assert np.array_equal(np.array(js["loss"], dtype=np.float64), loss), params
        assert js["divergedAt"] == tr.diverged_at, params
        diverged += tr.diverged_at is not None
    assert diverged == 2 and len(settings) >= 100   # the overflow path was compared too
    assert not page.errors


def test_url_hash_keyboard_and_reset(book):
    page = book(LR_PAGE, "#learning-rate:lr=0.45,w0=-6,num_steps=37&other:x=1")
    web = page.locator(".nnlib-web")
    shown = web.locator("output").all_inner_texts()
    assert shown == ["0.45", "-6", "37"], shown
    assert web.locator(".nnlib-web-caption").inner_text().startswith("lr = 0.45: converges")
    lr = web.locator('[data-web-control="lr"]')
    lr.focus()
    for _ in range(10):
        page.keyboard.press("ArrowRight")
    moved = float(web.locator("output").first.inner_text())
    assert moved > 0.45
    # keyboard focus is visible (explore.css: a 3-px outline on :focus-visible)
    assert lr.evaluate("el => getComputedStyle(el).outlineStyle") != "none"
    # the new state reaches the URL once the controls rest (explore.js HASH_WAIT, 150 ms)
    page.wait_for_function("() => location.hash.includes('lr=' + encodeURIComponent("
                           "+nnlibWeb.instances['learning-rate'].params.lr.toPrecision(6)))", timeout=5_000)
    again = book(LR_PAGE, page.evaluate("location.hash"))
    assert again.locator(".nnlib-web output").first.inner_text() == str(moved)
    # a drag across the slider (ten moves in one task) writes the URL once, with the last state
    writes = page.evaluate("""() => new Promise(done => {
      const el = document.querySelector('[data-web-control="lr"]'), real = history.replaceState;
      let n = 0;
      history.replaceState = function (...a) { n += 1; return real.apply(this, a); };
      for (let k = 0; k < 10; k++) { el.value = String(100 + 50 * k); el.dispatchEvent(new Event('input', {bubbles: true})); }
      setTimeout(() => { history.replaceState = real; done([n, location.hash]); }, 600);
    })""")
    last = page.evaluate("+nnlibWeb.instances['learning-rate'].params.lr.toPrecision(6)")
    assert writes[0] == 1 and f"lr={last:g}" in writes[1], (writes, last)
    web.get_by_role("button", name="reset every control to its default").click()
    assert web.locator("output").all_inner_texts() == ["0.2", "5", "20"]
    assert not page.errors and not again.errors


OPT_PAGE = "chapters/08_optimizers.html"


def _optimizer_settings(rng, n=150):
    """Every rule, over the explorer's whole ranges (rate 0.001-1 log-uniform, beta_1 0-0.99,
    beta_2 0.5-0.999, start anywhere in the view, 10-300 steps), on all three surfaces."""
    from nnlib import optimizers as opt

    out = []
    for k in range(n):
        surface = ("ravine", "ravine", "rosenbrock", "saddle")[k % 4]
        s = opt.SURFACES[surface]
        out.append({"optimizer": opt.NAMES[k % 6], "surface": surface,
                    "lr": float(10 ** rng.uniform(-3, 0)), "beta_1": float(rng.uniform(0, 0.99)),
                    "beta_2": float(rng.uniform(0.5, 0.999)), "x0": float(rng.uniform(*s.xlim)),
                    "y0": float(rng.uniform(*s.ylim)), "num_steps": int(rng.integers(10, 301))})
    return out


def test_optimizers_javascript_matches_nnlib_bit_for_bit(book):
    """Paths, each weight's rate and the loss gap of every rule (Adam's beta^t through
    nnlib.portable.power), and the SGD comparison run; the saddle's y^4 is numpy's float32 power,
    which may differ from the browser's in the last bit, so its gap is compared within 1e-6."""
    from nnlib import optimizers as opt

    page = book(OPT_PAGE)
    settings = _optimizer_settings(np.random.default_rng(8))
    results = page.evaluate("s => s.map(p => nnlibWeb.modules.optimizers.compute(p))", settings)
    diverged = 0
    for p, js in zip(settings, results):
        s = opt.SURFACES[p["surface"]]
        hyper = {"momentum": {"momentum": p["beta_1"]}, "nesterov": {"momentum": p["beta_1"]},
                 "rmsprop": {"rho": p["beta_2"]},
                 "adam": {"beta_1": p["beta_1"], "beta_2": p["beta_2"]}}.get(p["optimizer"], {})
        runs = [(js["main"], opt.run(p["optimizer"], s.grad, (p["x0"], p["y0"]), p["lr"], p["num_steps"],
                                     **hyper))]
        if p["optimizer"] != "sgd":
            runs.append((js["sgd"], opt.run("sgd", s.grad, (p["x0"], p["y0"]), p["lr"], p["num_steps"])))
        for theirs, tr in runs:
            assert np.array_equal(np.array(theirs["path"], dtype=np.float64), tr.w.astype(np.float64)), p
            assert np.array_equal(np.array(theirs["rates"], dtype=np.float64).reshape(-1, 2),
                                  tr.rate.astype(np.float64).reshape(-1, 2)), p
            assert theirs["divergedAt"] == tr.diverged_at, p
            gap = s.gap(tr.w)
            mine = np.array(theirs["gap"], dtype=np.float64)
            if p["surface"] == "saddle":
                assert np.allclose(mine, gap, rtol=1e-6, atol=1e-7, equal_nan=True), p
            else:
                assert np.array_equal(mine, gap, equal_nan=True), p
            diverged += tr.diverged_at is not None
    assert len(settings) >= 100 and diverged > 0      # the overflow path was compared too
    assert not page.errors


def test_portable_power_in_javascript_is_nnlibs(book):
    """Adam's bias corrections: nnlib.portable.power, ported, on 2000 random bases and steps."""
    from nnlib import portable

    page = book(OPT_PAGE)
    rng = np.random.default_rng(3)
    bases = rng.uniform(0.5, 0.9999, 2000).astype(np.float32)
    ts = rng.integers(1, 5000, 2000)
    js = page.evaluate("([b, t]) => b.map((x, i) => nnlibWeb.modules.optimizers.power(x, t[i]))",
                       [bases.astype(np.float64).tolist(), ts.tolist()])
    assert np.array_equal(np.array(js, dtype=np.float32), portable.power(bases, ts))


def test_dragging_the_start_moves_the_paths_and_the_sliders(book):
    page = book(OPT_PAGE)
    web = page.locator(".nnlib-web")
    canvas = web.locator("canvas").first
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    state = page.evaluate("() => nnlibWeb.instances.optimizers.params")
    assert (state["x0"], state["y0"]) == (-4.5, 1.0)
    # the start square sits at (-4.5, 1): map it through the panel's axes (margins 34/8/6/22 px)
    px = box["x"] + 34 + (-4.5 + 5) / 7 * (box["width"] - 42)
    py = box["y"] + box["height"] - 22 - (1.0 + 1.5) / 3 * (box["height"] - 28)
    paints = int(web.get_attribute("data-paints"))
    page.mouse.move(px, py)
    page.mouse.down()
    page.mouse.move(px + 60, py + 40, steps=5)
    page.mouse.up()
    after = page.evaluate("() => nnlibWeb.instances.optimizers.params")
    assert after["x0"] > -4.5 and after["y0"] < 1.0, after
    assert int(web.get_attribute("data-paints")) > paints
    shown = dict(zip(["x0", "y0"], web.locator("output").all_inner_texts()[3:5]))
    assert float(shown["x0"]) == float(f"{after['x0']:.4g}") and float(shown["y0"]) == float(f"{after['y0']:.4g}")
    page.wait_for_function("x => location.hash.includes(x)", arg=f"x0={float(format(after['x0'], '.6g')):g}",
                           timeout=5_000)
    canvas.focus()
    page.keyboard.press("ArrowLeft")
    assert page.evaluate("() => nnlibWeb.instances.optimizers.params.x0") < after["x0"]
    assert not page.errors


SOFTMAX_PAGE = "chapters/03_softmax.html"


def test_softmax_javascript_matches_nnlib_bit_for_bit(book):
    """Probabilities, loss, gradient and the loss curves against z1, on 150 random logits (with
    nnlib.portable's exp and log ported), and the portable exp and log themselves."""
    from nnlib import portable
    from nnlib.softmax import log_softmax, softmax, sparse_categorical_cross_entropy

    page = book(SOFTMAX_PAGE)
    rng = np.random.default_rng(3)
    settings = [{"z1": float(rng.uniform(-10, 10)), "z2": float(rng.uniform(-10, 10)),
                 "z3": float(rng.uniform(-10, 10)), "true_class": int(rng.integers(1, 4))}
                for _ in range(150)]
    results = page.evaluate("s => s.map(p => nnlibWeb.modules.softmax.compute(p))", settings)
    t = np.linspace(-10, 10, 201).astype(np.float32)
    for p, js in zip(settings, results):
        z = np.array([p["z1"], p["z2"], p["z3"]], dtype=np.float32)
        y = p["true_class"] - 1
        a = softmax(z)
        assert np.array_equal(np.array(js["a"], dtype=np.float32), a), p
        assert np.float32(js["loss"]) == sparse_categorical_cross_entropy(y, z), p
        assert np.array_equal(np.array(js["grad"], dtype=np.float32), a - np.eye(3, dtype=np.float32)[y]), p
        zs = np.repeat(z[None, :], len(t), axis=0)
        zs[:, 0] = t
        assert np.array_equal(np.array(js["curves"], dtype=np.float32), -log_softmax(zs).T), p
    x = np.concatenate([rng.uniform(-80, 80, 3000), rng.uniform(1e-30, 50, 3000)]).astype(np.float32)
    ex, lg = page.evaluate("x => [x.map(nnlibWeb.portable.exp), x.map(nnlibWeb.portable.log)]",
                           x.astype(np.float64).tolist())
    assert np.array_equal(np.array(ex, dtype=np.float32), portable.exp(x))
    with np.errstate(invalid="ignore"):
        ours = portable.log(x)
    assert np.array_equal(np.array(lg, dtype=np.float32), ours, equal_nan=True)
    assert not page.errors


ACT_PAGE = "chapters/01_neurons_activations.html"


def test_activations_javascript_matches_nnlib_bit_for_bit(book):
    """Every activation of the menu: f and f' on the explorer's grid and at 100 random z each
    (nnlib.portable's sigmoid, tanh and expm1 ported), and those three on 6000 values."""
    from nnlib import neurons_activations as act
    from nnlib import portable
    from nnlib.plots.neurons_activations import EXPLORER_CHOICES

    chosen = book(ACT_PAGE, "#activations:activation=leaky%20ReLU%20(%CE%B1%20%3D%200.2),z=-2.5")
    assert chosen.locator(".nnlib-web-caption").inner_text().startswith("leaky ReLU (α = 0.2) at z = -2.5")
    page = book(ACT_PAGE)
    rng = np.random.default_rng(1)
    grid = np.linspace(-5, 5, 401).astype(np.float32)
    settings = [{"activation": label, "z": float(z)} for label in EXPLORER_CHOICES
                for z in rng.uniform(-5, 5, 100)]
    results = page.evaluate("s => s.map(p => nnlibWeb.modules.activations.compute(p))", settings)
    for p, js in zip(settings, results):
        fn, dfn = act.get(*EXPLORER_CHOICES[p["activation"]])
        z = np.float32(p["z"])
        assert np.array_equal(np.array(js["values"], dtype=np.float32), fn(grid)), p["activation"]
        assert np.array_equal(np.array(js["slopes"], dtype=np.float32), dfn(grid)), p["activation"]
        assert (np.float32(js["fz"]), np.float32(js["dfz"])) == (fn(z), dfn(z)), p
    x = np.concatenate([rng.uniform(-30, 30, 3000), rng.uniform(-0.6, 0.6, 3000)]).astype(np.float32)
    sg, th, em = page.evaluate("x => ['sigmoid', 'tanh', 'expm1'].map(k => x.map(nnlibWeb.portable[k]))",
                               x.astype(np.float64).tolist())
    assert np.array_equal(np.array(sg, dtype=np.float32), portable.sigmoid(x))
    assert np.array_equal(np.array(th, dtype=np.float32), portable.tanh(x))
    with np.errstate(over="ignore"):
        assert np.array_equal(np.array(em, dtype=np.float32), portable.expm1(x))
    assert not page.errors


DECAY_PAGE = "chapters/06_lr_decay.html"


def test_lr_decay_javascript_against_nnlib(book):
    """The schedule: every rate within 2 float32 ulps of nnlib.lr_decay.exponential_decay (the
    browser's power is Math.pow rounded to float32, nnlib's the C library's powf: the power may
    differ by 1 ulp, and the product with the base rate rounds once more), and the share
    of rates that differ at all is reported; the two descents bit for bit wherever the rates agree."""
    from nnlib import learning_rate, lr_decay, portable

    page = book(DECAY_PAGE)
    rng = np.random.default_rng(6)
    settings = [{"base_lr": float(10 ** rng.uniform(-2, np.log10(1.2))), "decay_rate": float(rng.uniform(0.3, 1.0)),
                 "decay_steps": int(rng.integers(1, 21)), "staircase": bool(rng.integers(0, 2)),
                 "num_steps": int(rng.integers(5, 201))} for _ in range(150)]
    results = page.evaluate("s => s.map(p => nnlibWeb.modules.lr_decay.compute(p))", settings)
    differ = total = 0
    for p, js in zip(settings, results):
        ours = lr_decay.exponential_decay(p["base_lr"], np.arange(p["num_steps"] + 1), p["decay_steps"],
                                          p["decay_rate"], p["staircase"])
        theirs = np.array(js["lrs"], dtype=np.float32)
        assert portable.ulps(theirs, ours) <= 2, p
        differ += int(np.sum(theirs != ours))
        total += len(ours)
        if np.array_equal(theirs, ours):
            tr = lr_decay.decayed_gd_trace(learning_rate.quadratic_grad, 5.0, p["base_lr"], p["decay_steps"],
                                           p["decay_rate"], p["num_steps"], staircase=p["staircase"])
            assert np.array_equal(np.array(js["decayed"]["w"], dtype=np.float64), tr.w.astype(np.float64)), p
        const = learning_rate.gd_trace(learning_rate.quadratic_grad, 5.0, p["base_lr"], p["num_steps"])
        assert np.array_equal(np.array(js["constant"]["w"], dtype=np.float64), const.w.astype(np.float64)), p
    print(f"rates that differ in the last bit: {differ} of {total}")
    assert differ <= total // 100      # rare: at most 1 % of the rates
    assert not page.errors


EMA_PAGE = "chapters/07_ema.html"


def test_ema_javascript_matches_nnlib_bit_for_bit(book):
    """The noisy weight and its shadow (ramp on and off), on 150 random settings: the same bits
    as nnlib.ema.demo_path and nnlib.ema.ema_path (the draws come with the page)."""
    from nnlib import ema

    page = book(EMA_PAGE)
    rng = np.random.default_rng(7)
    settings = [{"decay": float(rng.uniform(0.5, 0.999)), "noise": float(rng.uniform(0, 2)),
                 "ramp": bool(rng.integers(0, 2)), "num_steps": int(rng.integers(50, 1001))} for _ in range(150)]
    results = page.evaluate("""s => { const spec = JSON.parse(document.querySelector('.nnlib-web').dataset.spec);
        return s.map(p => nnlibWeb.modules.ema.compute(p, spec.data)); }""", settings)
    for p, js in zip(settings, results):
        trend, path = ema.demo_path(p["num_steps"], p["noise"])
        assert np.array_equal(np.array(js["trend"]), trend), p
        assert np.array_equal(np.array(js["path"], dtype=np.float64), path.astype(np.float64)), p
        shadow = ema.ema_path(path, p["decay"], ramp=p["ramp"])
        assert np.array_equal(np.array(js["shadow"], dtype=np.float64), shadow.astype(np.float64)), p
        d_end = ema.effective_decay(p["decay"], p["num_steps"] - 1 if p["ramp"] else None)
        assert np.float32(js["dEnd"]) == d_end, p
    assert not page.errors


LOSSES_PAGE = "chapters/02_losses.html"


def test_losses_javascript_matches_nnlib_bit_for_bit(book):
    """The COST/PROFIT training redone in the browser on 120 random price pairs over the whole
    range (0.5-10 each) and step counts: the weights after the last step are nnlib.losses.linear_sgd's
    bits, and the days short are the same count."""
    from nnlib import losses

    page = book(LOSSES_PAGE)
    rng = np.random.default_rng(2)
    settings = [{"cost": float(rng.uniform(0.5, 10)), "profit": float(rng.uniform(0.5, 10)),
                 "num_steps": int(rng.integers(100, 3001))} for _ in range(117)]
    settings += [{"cost": 1.0, "profit": 9.0, "num_steps": 20000}, {"cost": 9.0, "profit": 9.0, "num_steps": 20000},
                 {"cost": 0.5, "profit": 10.0, "num_steps": 100}]
    results = page.evaluate("""s => { const spec = JSON.parse(document.querySelector('.nnlib-web').dataset.spec);
        return s.map(p => nnlibWeb.modules.losses.compute(p, spec.data)); }""", settings)
    X, y = losses.yogurt_data()
    for p, js in zip(settings, results):
        w = losses.linear_sgd(X, y, losses.YOGURT_W0, 0.001, p["num_steps"], loss="cost_profit",
                              cost=p["cost"], profit=p["profit"])[-1]
        assert np.array_equal(np.array(js["w"], dtype=np.float64), w.astype(np.float64)), p
        err = X.astype(np.float64) @ w.astype(np.float64) - y[:, 0]
        assert js["short"] == int(np.sum(err < 0)), p
        assert js["tau"] == losses.target_quantile(p["cost"], p["profit"]), p
    assert len(settings) >= 100 and not page.errors


REG_PAGE = "chapters/13_regularization.html"


def test_regularization_explorer_shows_the_chapters_trained_networks(book):
    """The eleven networks come with the page as data: for every setting of the two controls the
    caption's train and test accuracy and count of near-zero weights are the row the chapter
    printed for that network, and each boundary lies inside the view."""
    import re

    page = book(REG_PAGE)
    text = page.text_content("body")   # the whole page: innerText leaves out parts not yet shown
    rows = {(m[1], float(m[2])): (m[3], m[4], int(m[5])) for m in
            re.finditer(r"^(none|l1|l2)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+(\d+)\s*$", text, re.M)}
    assert len(rows) == 11, rows
    spec = page.evaluate("() => JSON.parse(document.querySelector('.nnlib-web').dataset.spec)")
    checked = 0
    for kind in ("L1", "L2"):
        for lam in spec["data"]["lams"]:
            caption = page.evaluate("([k, l]) => { const m = nnlibWeb.modules.regularization, d = JSON.parse("
                                    "document.querySelector('.nnlib-web').dataset.spec).data;"
                                    " const p = {kind: k, lam: l}; return m.caption(m.compute(p, d), p); }", [kind, lam])
            key = ("none", 0.0) if float(lam) == 0 else (kind.lower(), float(lam))
            train, test, zeros = rows[key]
            assert f"train accuracy {train}, test accuracy {test}, {zeros} of 33 weights" in caption, (key, caption)
            checked += 1
    assert checked == 12
    drawn = [np.concatenate([np.array(c) for c in net["contour"]]) for net in spec["data"]["nets"]
             if net["contour"]]   # a network that calls every point one colour has no boundary
    assert len(drawn) >= 9 and all(len(pts) >= 8 and np.all(np.abs(pts) <= 3.0) for pts in drawn)
    assert not page.errors


BACKPROP_PAGE = "chapters/05_backprop.html"


def test_backprop_javascript_matches_nnlib_bit_for_bit(book):
    """Both passes of note 004's one-neuron graph on 150 random (w, b, x, y) over the sliders'
    ranges: every node's value and gradient and every arrow's local derivative are the bits of
    nnlib.backprop.one_neuron + backward(), and the numbers are written as the figure writes them."""
    from nnlib.backprop import one_neuron
    from nnlib.plots import backprop as bp_plots

    page = book(BACKPROP_PAGE)
    rng = np.random.default_rng(5)
    settings = [{"w": float(rng.uniform(-3, 3)), "b": float(rng.uniform(-4, 10)), "x": float(rng.uniform(-3, 3)),
                 "y": float(rng.uniform(-3, 3))} for _ in range(146)]
    settings += [{"w": 0.0, "b": 2.0, "x": -2.0, "y": 2.0}, {"w": 3.0, "b": 8.0, "x": -2.0, "y": 2.0},
                 {"w": 1e-5, "b": 0.0, "x": 3.0, "y": 0.0}, {"w": -0.0, "b": -4.0, "x": 0.0, "y": -3.0}]
    results = page.evaluate("s => s.map(p => { const m = nnlibWeb.modules.backprop, d = m.compute(p);"
                            " d.text = Object.keys(d.value).map(k => [m.num(d.value[k]), m.num(d.grad[k])]);"
                            " return d; })", settings)
    for p, js in zip(settings, results):
        g = one_neuron(**p)
        g["J"].backward()
        for k, (shown_value, shown_grad) in zip(js["value"], js["text"]):
            assert js["value"][k] == g[k].data and js["grad"][k] == g[k].grad, (p, k)
            assert np.signbit(js["grad"][k]) == np.signbit(g[k].grad), (p, k)
            assert (shown_value, shown_grad) == (bp_plots._num(g[k].data), bp_plots._num(g[k].grad)), (p, k)
        for pn, cn in bp_plots._EDGES:
            assert js["local"][f"{pn}-{cn}"] == bp_plots._local(g[pn], g[cn]), (p, pn, cn)
    assert len(settings) >= 100 and not page.errors


BN_PAGE = "chapters/12_batch_norm.html"


def test_batch_norm_javascript_matches_nnlib_bit_for_bit(book):
    """Given numpy's draws, the browser's batch means, biased batch variances (numpy's pairwise
    sums, ported) and moving mean and variance are nnlib.batch_norm.running_estimate's bits, on 120
    random settings: momentum 0.5-0.999, batch sizes 1-256 (both sides of numpy's blocks of 8 and
    128), jumps anywhere."""
    from nnlib import batch_norm

    page = book(BN_PAGE)
    rng = np.random.default_rng(12)
    settings = [{"momentum": float(rng.uniform(0.5, 0.999)), "batch_size": int(b), "num_steps": int(rng.integers(5, 41)),
                 "shift_at": int(rng.integers(0, 41)), "seed": k}
                for k, b in enumerate(np.r_[1, 7, 8, 9, 127, 128, 129, 200, 256, rng.integers(1, 257, 111)])]
    settings.append({"momentum": 0.99, "batch_size": 8, "num_steps": 2000, "shift_at": 300, "seed": 0})
    inputs = []
    for p in settings:   # running_estimate's draws, as it makes them
        true_mean = np.where(np.arange(p["num_steps"]) < p["shift_at"], 1.0, 3.0).astype(np.float32)
        z = np.random.default_rng(p["seed"]).standard_normal((p["num_steps"], p["batch_size"]))
        inputs.append(((z * 2.0).astype(np.float32) + true_mean[:, None]).ravel().astype(np.float64).tolist())
    results = page.evaluate("""([s, xs]) => s.map((p, i) => { const r = nnlibWeb.modules.batch_norm.estimate(
        new Float32Array(xs[i]), p.batch_size, p.num_steps, p.momentum);
        return [r.bmean, r.bvar, r.mm, r.mv].map(a => Array.from(a)); })""", [settings, inputs])
    for p, (bmean, bvar, mm, mv) in zip(settings, results):
        r = batch_norm.running_estimate(p["momentum"], p["batch_size"], p["num_steps"], p["shift_at"], seed=p["seed"])
        for mine, theirs in ((bmean, r.batch_mean), (mm, r.moving_mean), (mv, r.moving_var)):
            assert np.array_equal(np.array(mine, dtype=np.float32), theirs), p
        X = np.array(inputs[settings.index(p)], dtype=np.float32).reshape(p["num_steps"], p["batch_size"])
        assert np.array_equal(np.array(bvar, dtype=np.float32), np.square(X - r.batch_mean[:, None]).mean(axis=1, dtype=np.float32)), p
    assert len(settings) >= 100 and not page.errors


MB_PAGE = "chapters/09_minibatches.html"


def test_minibatches_javascript_matches_nnlib_bit_for_bit(book):
    """Softmax regression on the digits by minibatch SGD, redone in the browser on 110 random
    settings (batch sizes 1-1797 log-uniform, rates 0.01-10 including runs whose loss rises, 1-4
    epochs, any seed): given the browser's shuffles, every epoch's loss is the bits of
    nnlib.optimizers.minibatch_sgd(..., portable=True); and that portable run ends where the
    chapter's own (BLAS) run does, to float32 rounding, at the explorer's default."""
    from nnlib import optimizers as opt
    from nnlib.plots import minibatches as mb

    page = book(MB_PAGE)
    X, y = mb._digits01()
    rng = np.random.default_rng(9)
    settings = [{"batch_size": int(np.clip(round(10 ** rng.uniform(0, np.log10(1797))), 1, 1797)),
                 "lr": float(10 ** rng.uniform(-2, 1)), "num_epochs": int(rng.integers(1, 5)),
                 "seed": int(rng.integers(0, 10))} for _ in range(100)]
    settings += [{"batch_size": b, "lr": lr, "num_epochs": e, "seed": 0}
                 for b, lr, e in ((1, 0.5 / 32, 1), (7, 0.1, 2), (8, 0.125, 2), (9, 3.0, 2), (127, 2.0, 3),
                                  (128, 8.0, 3), (129, 10.0, 4), (1797, 10.0, 4), (1797, 0.01, 1), (32, 0.5, 5))]
    results = page.evaluate("""s => { const m = nnlibWeb.modules.minibatches,
        D = m.load(JSON.parse(document.querySelector('.nnlib-web').dataset.spec).data);
        return s.map(p => { const o = m.orders(D.n, p.num_epochs, p.seed);
                            return [o, m.train(D, p.batch_size, p.lr, o)]; }); }""", settings)
    rose = 0
    for p, (orders, losses) in zip(settings, results):
        ours = opt.minibatch_sgd(X, y, p["batch_size"], p["lr"], p["num_epochs"], orders=orders, portable=True)[1]
        js = np.array([np.nan if v is None else v for v in losses], dtype=np.float64)
        assert np.array_equal(js, ours, equal_nan=True), p
        rose += bool(np.any(np.diff(ours) > 0))
    assert rose >= 10, f"only {rose} settings have a loss that rises: the rate's far end is not tested"
    portable = opt.minibatch_sgd(X, y, 32, 0.5, 5, portable=True)[1]
    assert np.allclose(portable, opt.minibatch_sgd(X, y, 32, 0.5, 5)[1], rtol=1e-5, atol=0)
    assert not page.errors


INIT_PAGE = "chapters/10_initialization.html"

# a 32-bit digest of float32 arrays' bits (every NaN counted as one bit pattern): sum of bits[i] * M^i
_DIGEST_JS = """(arr) => { const u = new Uint32Array(Float32Array.from(arr).buffer);
    let h = 0, p = 1;
    for (let i = 0; i < u.length; i++) {
      const b = Number.isNaN(arr[i]) ? 0x7fc00000 : u[i];
      h = (h + Math.imul(b, p)) >>> 0; p = Math.imul(p, 2654435761) >>> 0;
    }
    return h; }"""


def _digest(a) -> int:
    bits = np.asarray(a, dtype=np.float32).ravel().view(np.uint32).copy()
    bits[np.isnan(np.asarray(a, dtype=np.float32).ravel())] = 0x7FC00000
    powers = np.cumprod(np.r_[np.uint32(1), np.full(len(bits) - 1, 2654435761, dtype=np.uint32)], dtype=np.uint32)
    return int((bits.astype(np.uint64) * powers.astype(np.uint64) % (1 << 32)).sum() % (1 << 32))


def test_initialization_javascript_matches_nnlib_bit_for_bit(book):
    """The probe redone in the browser, on 110 random settings (depth 2-40, sigmoid, tanh or ReLU,
    Glorot uniform, orthogonal or LSUV, gain 0.25-8 log-uniform, including stacks whose spreads explode or vanish):
    given the page's draws (its inputs, top gradients and base kernels), nnlib's own gain and
    nnlib.initialization.lsuv make the same kernels, and nnlib.initialization.propagate the same
    z, activations and gradients of every layer, bit for bit (digests of the bits); the spreads
    the page plots are numpy's np.std of them; and the page's orthogonal kernels are numpy's QR
    recipe (orthogonalize) on the same normal draw, to 1e-12."""
    from nnlib import initialization as init
    from nnlib.plots import initialization as init_plots

    page = book(INIT_PAGE)
    names = init_plots.web_names()
    n, m = names["width"], names["samples"]
    rng = np.random.default_rng(10)
    acts, schemes = list(names["activations"]), list(names["schemes"])
    settings = [{"depth": int(rng.integers(2, 41)), "activation": acts[rng.integers(3)],
                 "scheme": schemes[rng.integers(3)], "gain": float(np.exp(rng.uniform(np.log(0.25), np.log(8))))}
                for _ in range(100)]
    settings += [{"depth": 40, "activation": a, "scheme": s, "gain": g}
                 for a, s, g in (("ReLU", "Glorot uniform", 8.0), ("ReLU", "orthogonal", 8.0), ("tanh", "LSUV", 1.0),
                                 ("sigmoid", "LSUV", 4.0), ("sigmoid", "Glorot uniform", 0.25), ("tanh", "orthogonal", 1.0),
                                 ("ReLU", "LSUV", 0.25), ("tanh", "Glorot uniform", 1.0), ("sigmoid", "orthogonal", 8.0),
                                 ("ReLU", "Glorot uniform", 1.0))]
    base = page.evaluate("""([names, depth]) => { const m = nnlibWeb.modules.initialization;
        const d = m.draws({depth, activation: "tanh", scheme: "Glorot uniform", gain: 1}, names);
        const o = m.draws({depth, activation: "tanh", scheme: "orthogonal", gain: 1}, names);
        return {x: Array.from(d.x), r: Array.from(d.r), glorot: d.weights.map(w => Array.from(w)),
                orthogonal: o.weights.map(w => Array.from(w)), normal0: Array.from(m.normals(d.n * d.n, 2000)),
                normal7: Array.from(m.normals(d.n * d.n, 2007))}; }""", [names, 40])
    x = np.array(base["x"], np.float32).reshape(m, n)
    r = np.array(base["r"], np.float32).reshape(m, n)
    kernels = {s: [np.array(w, np.float32).reshape(n, n) for w in base[s]] for s in ("glorot", "orthogonal")}
    for layer in (0, 7):   # the orthogonal kernels: numpy's QR recipe on the page's normal draw
        ours = init.orthogonalize(np.array(base[f"normal{layer}"]).reshape(n, n))
        assert np.allclose(kernels["orthogonal"][layer], ours.astype(np.float32), rtol=0, atol=1e-6)
        assert np.abs(ours.T @ ours - np.eye(n)).max() < 1e-12

    results = page.evaluate("""([s, names, digest]) => { const m = nnlibWeb.modules.initialization, h = eval(digest);
        return s.map(p => { const d = m.draws(p, names), pr = m.propagate(d), c = m.compute(p, names);
            return {w: d.weights.map(h), z: pr.z.map(h), a: pr.a.map(h), g: pr.gradZ.map(h),
                    actStd: c.actStd, gradStd: c.gradStd}; }); }""", [settings, names, _DIGEST_JS])
    extreme = 0
    for p, js in zip(settings, results):
        act, scheme, depth = names["activations"][p["activation"]], names["schemes"][p["scheme"]], p["depth"]
        if scheme == "lsuv":
            ws, _ = init.lsuv(kernels["orthogonal"][:depth], x, act)
        else:
            ws = kernels["glorot" if scheme == "glorot_uniform" else "orthogonal"][:depth]
        ws = [w if np.float32(p["gain"]) == 1 else (np.float32(p["gain"]) * w).astype(np.float32) for w in ws]
        assert js["w"] == [_digest(w) for w in ws], p
        z, a, g = init.propagate(x, r, ws, act)
        assert js["z"] == [_digest(v) for v in z] and js["a"] == [_digest(v) for v in a], p
        assert js["g"] == [_digest(v) for v in g], p
        with np.errstate(invalid="ignore", over="ignore"):
            for mine, theirs in ((js["actStd"], [np.std(v, dtype=np.float64) for v in a]),
                                 (js["gradStd"], [np.std(v, dtype=np.float64) for v in g])):
                mine = np.array([np.nan if v is None else v for v in mine], dtype=np.float64)
                assert np.array_equal(mine, np.array(theirs, dtype=np.float64), equal_nan=True), (p, mine, theirs)
        extreme += max(js["actStd"]) > 1e6 or min(js["gradStd"]) < 1e-6
    assert extreme >= 5, "too few settings whose spreads explode or vanish: the extremes are not tested"
    assert not page.errors


DEEP_PAGE = "chapters/11_deep_networks.html"


def test_deep_networks_explorer_draws_every_stored_run(book):
    """Every (activation, rate) pair: the caption counts the seeds and the diverged runs as the
    chapter's figure title does (runs_figure), and each panel has one line per seed, with the
    stored values."""
    import json

    page = book(DEEP_PAGE)
    spec = json.loads(page.locator(".nnlib-web").first.get_attribute("data-spec"))
    acts = next(c for c in spec["controls"] if c["name"] == "activation")["options"]
    rates = next(c for c in spec["controls"] if c["name"] == "lr")["options"]
    pairs = [{"activation": a, "lr": r} for a in acts for r in rates]
    shown = page.evaluate("""([pairs, data]) => pairs.map(p => { const m = nnlibWeb.modules.deep_networks,
        d = m.compute(p, data); return [m.caption(d, p), m.charts(d, p).map(c => c.data.slice(1))]; })""",
                          [pairs, spec["data"]])
    for p, (caption, panels) in zip(pairs, shown):
        runs = spec["data"]["runs"].get(f"{p['activation']}|{p['lr']}", [])
        if not runs:
            assert caption == f"{p['activation']} was not run at learning rate {p['lr']}.", caption
            continue
        head = (f"{p['activation']}, 10 layers of 64, learning rate {float(p['lr']):g}: {len(runs)} seeds, "
                f"{sum(r['diverged'] for r in runs)} diverged (NaN loss)")
        assert caption.startswith(head), (caption, head)
        assert [len(panel) for panel in panels] == [len(runs)] * 3
        assert panels[0] == [r["val_acc"] for r in runs]
    assert not page.errors


CAPSTONE_PAGE = "chapters/16_capstone.html"


def test_capstone_explorer_captions_agree_with_the_chapters_table(book):
    """Each of the seven steps: the caption's rate, accuracy ± spread, images gained minus lost
    per seed, McNemar's p and verdict are the chapter's printed table row; the rate panel holds
    every rate tried, and its seeds' counts average to the mean line."""
    import json
    import re

    from tests.helpers import CHAPTERS, stored_text

    page = book(CAPSTONE_PAGE)
    spec = json.loads(page.locator(".nnlib-web").first.get_attribute("data-spec"))
    stored, table = stored_text(CHAPTERS / "16_capstone.ipynb"), {}
    for row in spec["data"]["rows"]:   # the table's line for each row: name, lr, acc ± spread, nets, p, kept
        line = next(x for x in stored if x.startswith(row["name"] + " ") and "±" in x)
        m = re.fullmatch(r"\s*([\d.e-]+)\s+([\d.]+) ± ([\d.]+)(?:\s+((?:[+-]\d+ ?)+)\s+(\S+)\s+(yes|no))?",
                         line[len(row["name"]):])
        assert m, line
        table[row["name"]] = m.groups()
    assert len(table) == 7, table
    shown = page.evaluate("""data => data.rows.map((_, k) => { const m = nnlibWeb.modules.capstone,
        d = m.compute({step: k}, data); return [m.caption(d, {step: k}), m.charts(d, {step: k}).map(c => c.data || null)]; })""",
                          spec["data"])
    for row, (caption, panels) in zip(spec["data"]["rows"], shown):
        lr, acc, se, nets, p, kept = table[row["name"]]
        assert f"rate {float(lr):g} " in caption and f"accuracy {acc}% ± {se}" in caption, (caption, lr, acc, se)
        if nets:
            assert f"per seed {nets.strip()}, McNemar p = {p}: {'kept' if kept == 'yes' else 'dropped'}." in caption, caption
        rates, mean, *seeds = panels[2]
        assert rates == row["lrs"] and np.allclose(np.mean(seeds, axis=0), mean)
    assert not page.errors


TRAINING_PAGE = "chapters/14_training.html"


def test_training_explorer_steps_through_nnlibs_selection(book):
    """Every cell of the confusion matrix (true x predicted, and 'any'): the browser's images and
    their order are nnlib.plots.training.selection's on the page's data, and the caption counts
    them; each image's predicted digit has its largest probability; the matrix's diagonal is the
    chapter's printed number of right answers."""
    import json
    import re

    from nnlib.plots import training as tp
    from tests.helpers import CHAPTERS, stored_text

    page = book(TRAINING_PAGE)
    spec = json.loads(page.locator(".nnlib-web").first.get_attribute("data-spec"))
    data = spec["data"]
    q = np.frombuffer(__import__("base64").b64decode(data["tf_probs"]), dtype=np.uint8).reshape(-1, 10)
    y, pred = np.array(data["labels"]), np.array(data["pred"])
    assert np.all(q[np.arange(len(y)), pred] == q.max(axis=1))
    right = next(int(m.group(1)) for line in stored_text(CHAPTERS / "14_training.ipynb")
                 for m in [re.match(r"(\d+) of (\d+) right", line)] if m)
    assert int(np.sum(y == pred)) == right
    cells = [{"true": t, "predicted": p, "rank": 0} for t in ["any"] + [str(d) for d in range(10)]
             for p in ["any"] + [str(d) for d in range(10)]]
    shown = page.evaluate("""([cells, data]) => cells.map(p => { const m = nnlibWeb.modules.training,
        d = m.compute(p, data); return [d.sel, m.caption(d, p)]; })""", [cells, data])
    for p, (sel, caption) in zip(cells, shown):
        ours = tp.selection(y, q / 255, p["true"], p["predicted"], pred=pred)
        assert sel == ours.tolist(), p
        assert (f": {len(sel)} of {len(y)} test images" in caption) if len(sel) else caption.startswith("No test image"), caption
    assert not page.errors


DIAG_PAGE = "chapters/15_diagnostics.html"


def test_diagnostics_explorer_shows_the_nearest_trained_rate(book):
    """100 random slider values over the whole range: the browser shows the trained rate nearest
    on the log scale, its curves as stored, and the caption's lowest validation loss and its epoch
    are those of the stored curve; the sweep holds the chapter's seven rates and 96 between them,
    and the slider's 1001 positions reach every one of the 103."""
    import json

    page = book(DIAG_PAGE)
    spec = json.loads(page.locator(".nnlib-web").first.get_attribute("data-spec"))
    data = spec["data"]
    rates = np.array(data["rates"])
    assert len(rates) == 103 and {0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0} <= set(data["rates"])
    reached = page.evaluate("""data => { const m = nnlibWeb.modules.diagnostics, lo = Math.log(0.003), hi = Math.log(3);
        return [...new Set(Array.from({length: 1001}, (_, pos) => m.compute({lr: Math.exp(lo + pos / 1000 * (hi - lo))}, data).lr))]; }""",
                            data)
    assert sorted(reached) == sorted(data["rates"])
    rng = np.random.default_rng(15)
    lrs = np.exp(rng.uniform(np.log(rates[0]), np.log(rates[-1]), 100)).tolist()
    shown = page.evaluate("""([lrs, data]) => lrs.map(lr => { const m = nnlibWeb.modules.diagnostics,
        d = m.compute({lr}, data); return [d.lr, m.caption(d, {lr})]; })""", [lrs, data])
    for lr, (picked, caption) in zip(lrs, shown):
        k = int(np.argmin(np.abs(np.log(rates / lr))))
        assert picked == rates[k], (lr, picked)
        val = np.array([np.inf if v is None else v for v in data["val"][k]])
        assert f"lowest validation loss {val.min():.3f} at epoch {int(np.argmin(val)) + 1};" in caption, caption
    assert not page.errors


def test_clicking_a_confusion_cell_picks_it(book):
    """Chapter 14's linked views: a click on the cell (true 4, predicted 9) of the matrix sets
    both drop-downs, the caption and the URL to that cell."""
    page = book(TRAINING_PAGE)
    canvas = page.locator(".nnlib-web canvas").first
    canvas.scroll_into_view_if_needed()
    # the panel's view: x from -0.5 to 9.5 over 34..292 px, y (true) from 9.5 (bottom) to -0.5 over 270..6 px
    x = 34 + (9 + 0.5) / 10 * (300 - 34 - 8)
    y = 270 - (4 - 9.5) / -10 * (300 - 6 - 30)
    canvas.click(position={"x": x, "y": y})
    page.wait_for_function("() => document.querySelector('[data-web-control=\"true\"]').value === '4'", timeout=5_000)
    assert page.locator('[data-web-control="predicted"]').input_value() == "9"
    assert page.locator(".nnlib-web-caption").first.inner_text().startswith("a 4 read as 9:")
    page.wait_for_function("() => location.hash.includes('true=4') && location.hash.includes('predicted=9')",
                           timeout=5_000)
    assert not page.errors


def test_the_image_slider_ends_at_the_cells_last_image(book):
    """Chapter 14: the image slider spans the chosen cell's images. On a cell with a few images,
    End shows the last of them (captioned with its number) and one more step stays there; a move
    to a larger cell lets the slider reach further, and back to the small cell clamps it again."""
    page = book(TRAINING_PAGE)
    web = page.locator(".nnlib-web").first
    spec = json.loads(web.get_attribute("data-spec"))
    from nnlib.training import confusion_matrix

    y = spec["data"]["labels"]
    cm = confusion_matrix(y, spec["data"]["pred"])
    t, p = max(((t, p) for t in range(10) for p in range(10) if t != p and cm[t, p] >= 2), key=lambda tp: cm[tp])
    few, row = int(cm[t, p]), int(cm[t].sum())
    web.locator('[data-web-control="true"]').select_option(str(t))
    web.locator('[data-web-control="predicted"]').select_option(str(p))
    slider = web.locator('[data-web-control="rank"]')
    assert slider.get_attribute("max") == str(few - 1)
    slider.focus()
    page.keyboard.press("End")
    page.keyboard.press("ArrowRight")
    caption = web.locator(".nnlib-web-caption").inner_text()
    assert f"{few} of {len(y)} test images; showing number {few} by confidence" in caption, caption
    assert slider.input_value() == str(few - 1) and web.locator("output").first.inner_text() == str(few - 1)
    web.locator('[data-web-control="predicted"]').select_option("any")
    assert slider.get_attribute("max") == str(row - 1)
    slider.focus()
    page.keyboard.press("End")
    assert web.locator("output").first.inner_text() == str(row - 1)
    web.locator('[data-web-control="predicted"]').select_option(str(p))
    assert slider.input_value() == str(few - 1) and web.locator("output").first.inner_text() == str(few - 1)
    page.wait_for_function("r => location.hash.includes(`rank=${r}`)", arg=few - 1, timeout=5_000)
    assert not page.errors


@pytest.mark.parametrize("page_name, module, control", [(MB_PAGE, "minibatches", "batch_size"),
                                                        (INIT_PAGE, "initialization", "depth")])
def test_explorers_computed_in_steps_end_with_the_whole_result(book, page_name, module, control):
    """Chapters 9 and 10 compute a setting in steps (explore.js ``progressive``): the move's own
    frame shows a partial result with a progress line, later frames the rest. Three quick moves
    in a row (the first two dropped unfinished): once the explorer is idle, the caption and every
    chart's numbers are those of the whole result for the last setting (the module's compute(),
    which the bit-for-bit tests check against nnlib), and nothing of an older setting remains."""
    page = book(page_name)
    web = page.locator(".nnlib-web").first
    slider = web.locator(f'[data-web-control="{control}"]')
    states = []
    # the move and the look at its state in one task: no frame runs in between, however slow the
    # round trips to the browser are on a loaded machine (two separate calls let the remaining
    # steps finish between them)
    for pos in ("900", "40", "700"):
        states.append(slider.evaluate("""(el, pos) => {
            el.value = pos; el.dispatchEvent(new Event('input', {bubbles: true}));
            const r = el.closest('.nnlib-web');
            return [r.dataset.busy || '', r.querySelector('.nnlib-web-caption').textContent]; }""", pos))
    busy, caption = states[-1]
    assert busy == "1", "the last move finished in its own frame: no longer a test of the steps"
    assert any(w in caption for w in ("epoch", "pass")) and "of" in caption, caption
    page.wait_for_function("r => !r.dataset.busy", arg=web.element_handle(), timeout=60_000)
    spec = json.loads(web.get_attribute("data-spec"))
    same, shown, expected = page.evaluate("""([name, module, spec]) => {
        const inst = nnlibWeb.instances[name], m = nnlibWeb.modules[module];
        const data = m.compute({ ...inst.params }, spec.data);
        return [JSON.stringify(inst.drawn()) === JSON.stringify(data),
                inst.root.querySelector('.nnlib-web-caption').textContent, m.caption(data, inst.params, spec.data)]; }""",
                                          [spec["name"], module, spec])
    assert shown == expected, (shown, expected)
    assert same, "the charts show another result than compute() for the last setting"
    assert not page.errors


APPENDIX_PAGE = "chapters/appendix_keras.html"


def test_conv1d_javascript_matches_nnlib_bit_for_bit(book):
    """The appendix's heartbeat explorer on 150 random settings (kernel, odd width, noise): the
    signal has heartbeat()'s float32 bits, the kernel kernel()'s and the output conv1d()'s float64
    bits; the caption's largest output is conv1d's."""
    from nnlib import keras_models as km

    page = book(APPENDIX_PAGE)
    rng = np.random.default_rng(11)
    settings = [{"name": str(rng.choice(km.KERNELS)), "width": int(2 * rng.integers(1, 16) + 1),
                 "noise": float(rng.uniform(0, 0.5))} for _ in range(150)]
    results = page.evaluate("""s => { const spec = JSON.parse(document.querySelector('.nnlib-web').dataset.spec),
        m = nnlibWeb.modules.keras_models;
        return s.map(p => { const d = m.compute(p, spec.data); return {...d, caption: m.caption(d, p)}; }); }""", settings)
    for p, js in zip(settings, results):
        signal = km.heartbeat(noise=p["noise"])
        w = km.kernel(p["name"], p["width"])
        out = km.conv1d(signal, w)
        assert np.array_equal(np.array(js["signal"]), signal.astype(np.float64)), p
        assert np.array_equal(np.array(js["w"]), w), p
        assert np.array_equal(np.array(js["out"]), out), p
        assert f"the largest output, {out.max():.3f}," in js["caption"], p
    assert not page.errors


# whether the part with this id has its first <pre> rendered (not skipped by content-visibility)
RENDERED = "id => document.getElementById(id).querySelector('pre').checkVisibility({contentVisibilityAuto: true})"


def test_only_the_parts_near_the_screen_are_rendered_but_explorers_always_are(book):
    """course.css: the parts of a chapter are laid out and painted when they come near the screen
    (content-visibility: auto), so a move repaints the explorer, not the whole page; the cell
    that holds an explorer, and the headings, are always rendered."""
    page = book(OPT_PAGE)
    got = page.evaluate("""() => {
      const parts = [...document.querySelectorAll('article.bd-article section > *')];
      const cv = (el) => getComputedStyle(el).contentVisibility;
      const explorer = parts.find((el) => el.querySelector('.nnlib-web'));
      return {auto: parts.filter((el) => cv(el) === 'auto').length, parts: parts.length,
              explorer: cv(explorer), headings: [...document.querySelectorAll('article h2')].map(cv)};
    }""")
    assert got["auto"] > got["parts"] // 2, got
    assert got["explorer"] == "visible" and set(got["headings"]) == {"visible"}, got
    # a part far below the screen is skipped until it comes near: its content is not laid out
    page.evaluate("window.scrollTo(0, 0)")
    far = page.evaluate("""() => {
      const parts = [...document.querySelectorAll('article.bd-article section > .cell')]
        .filter((el) => !el.closest('details') && el.querySelector('pre'));
      const k = parts.findIndex((el) => el.getBoundingClientRect().top > 3 * innerHeight);
      parts[k].id = parts[k].id || 'far-part';
      return [k, parts[k].id, parts[k].querySelector('pre').checkVisibility({contentVisibilityAuto: true})];
    }""")
    assert far[0] >= 0 and far[2] is False, far      # skipped: not rendered
    page.emulate_media(media="print")                 # on paper every part is rendered
    page.wait_for_function(RENDERED, arg=far[1], timeout=5_000)
    page.emulate_media(media="screen")
    page.evaluate("window.scrollTo(0, 0)")
    page.wait_for_function(f"id => !({RENDERED})(id)", arg=far[1], timeout=5_000)
    page.locator(f"#{far[1]}").scroll_into_view_if_needed()
    page.wait_for_function(RENDERED, arg=far[1], timeout=5_000)
    assert not page.errors

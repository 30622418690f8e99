/* Chapter 8's explorer in the browser: one update rule on a 2-D surface, plain SGD at the same rate
 * for comparison. The arithmetic is nnlib's (nnlib.optimizers: the rules as Keras 3 writes them,
 * and the surfaces), float32 operation for operation, with Adam's powers beta^t from
 * nnlib.portable.power (fixed float64 polynomials, so the same bits as nnlib on every CPU).
 * tests/browser/test_web_explorers.py compares compute() with nnlib.optimizers.run bit for bit. */
(function () {
  "use strict";
  const W = (window.nnlibWeb = window.nnlibWeb || { modules: {} });
  const f = Math.fround;

  const power = (base, t) => W.portable.power(base, t); // nnlib.portable.power

  // --- the surfaces (nnlib.optimizers.SURFACES), float32 -------------------------------------
  const SURFACES = {
    ravine: { start: [-4.5, 1.0], xlim: [-5, 2], ylim: [-1.5, 1.5], minLoss: 0,
      loss: (x, y) => f(f(0.5) * f(f(x * x) + f(f(50 * y) * y))),
      grad: ([x, y]) => [x, f(y * 50)] },
    rosenbrock: { start: [-1.2, 1.0], xlim: [-2, 2], ylim: [-1, 3], minLoss: 0,
      loss: (x, y) => { const a = f(1 - x), b = f(y - f(x * x)); return f(f(a * a) + f(100 * f(b * b))); },
      grad: ([x, y]) => { const r = f(y - f(x * x)); return [f(f(-2 * f(1 - x)) - f(f(400 * x) * r)), f(200 * r)]; } },
    saddle: { start: [-2.0, 0.001], xlim: [-2.5, 1.5], ylim: [-1.5, 1.5], minLoss: -0.25,
      loss: (x, y) => f(f(f(f(0.5 * x) * x) + f(0.25 * f(Math.pow(y, 4)))) - f(f(0.5 * y) * y)),
      grad: ([x, y]) => [x, f(f(f(y * y) * y) - y)] },
  };

  // --- the rules (nnlib.optimizers), each weight separately, float32 -------------------------
  const EPS = f(1e-7);
  function makeRule(name, h) {
    const mu = f(h.momentum), rho = f(h.rho), oneMinusRho = f(1 - h.rho);
    const b1 = f(h.beta_1), b2 = f(h.beta_2), c1 = f(1 - h.beta_1), c2 = f(1 - h.beta_2);
    switch (name) {
      case "sgd": return { init: () => [], step: (w, g, s, t, lr) => f(w - f(lr * g)), rate: (s, t, lr) => lr };
      case "momentum": return { init: () => [0],
        step: (w, g, s, t, lr) => { s[0] = f(f(s[0] * mu) - f(g * lr)); return f(w + s[0]); }, rate: (s, t, lr) => lr };
      case "nesterov": return { init: () => [0],
        step: (w, g, s, t, lr) => { s[0] = f(f(s[0] * mu) - f(g * lr)); return f(w + f(f(s[0] * mu) - f(g * lr))); },
        rate: (s, t, lr) => lr };
      case "adagrad": return { init: () => [f(0.1)],
        step: (w, g, s, t, lr) => { s[0] = f(s[0] + f(g * g)); return f(w - f(f(lr * g) / f(Math.sqrt(f(s[0] + EPS))))); },
        rate: (s, t, lr) => f(lr / f(Math.sqrt(f(s[0] + EPS)))) };
      case "rmsprop": return { init: () => [0],
        step: (w, g, s, t, lr) => { s[0] = f(f(rho * s[0]) + f(oneMinusRho * f(g * g)));
          return f(w - f(f(lr * g) / f(Math.sqrt(f(s[0] + EPS))))); },
        rate: (s, t, lr) => f(lr / f(Math.sqrt(f(s[0] + EPS)))) };
      case "adam": {
        // Keras: alpha_t = lr * sqrt(1 - beta_2^t) / (1 - beta_1^t)
        const alphaK = (t, lr) => f(f(lr * f(Math.sqrt(f(1 - power(b2, t))))) / f(1 - power(b1, t)));
        return { init: () => [0, 0],
          step: (w, g, s, t, lr) => {
            s[0] = f(s[0] + f(f(g - s[0]) * c1));
            s[1] = f(s[1] + f(f(f(g * g) - s[1]) * c2));
            return f(w - f(f(s[0] * alphaK(t, lr)) / f(f(Math.sqrt(s[1])) + EPS)));
          },
          rate: (s, t, lr) => f(alphaK(t, lr) / f(f(Math.sqrt(s[1])) + EPS)) };
      }
      default: throw new Error("unknown optimizer " + name);
    }
  }

  // nnlib.learning_rate.gd_trace with a rule of nnlib.optimizers: the path, each weight's rate
  // after every update, and the update at which a weight overflowed (null if none)
  function run(name, surface, start, lr, numSteps, hyper) {
    const s = SURFACES[surface], rule = makeRule(name, hyper), rate = f(lr);
    let w = [f(start[0]), f(start[1])];
    const states = [rule.init(), rule.init()];
    const path = [w.slice()], rates = [];
    let divergedAt = null;
    for (let k = 0; k < numSteps; k++) {
      const g = s.grad(w).map(f);
      const next = [0, 1].map((i) => rule.step(w[i], g[i], states[i], k + 1, rate));
      if (!next.every(Number.isFinite)) { divergedAt = k; break; }
      w = next;
      path.push(w.slice());
      rates.push([0, 1].map((i) => rule.rate(states[i], k + 1, rate)));
    }
    const gap = path.map(([x, y]) => s.loss(x, y) - s.minLoss);
    return { path, rates, gap, divergedAt };
  }

  function hyperOf(p) {
    return { momentum: p.beta_1, beta_1: p.beta_1, rho: p.beta_2, beta_2: p.beta_2 };
  }

  function compute(p) {
    const surface = p.surface || "ravine";
    const s = SURFACES[surface];
    const start = [p.x0 === undefined ? s.start[0] : p.x0, p.y0 === undefined ? s.start[1] : p.y0];
    const main = run(p.optimizer, surface, start, p.lr, p.num_steps, hyperOf(p));
    const sgd = p.optimizer === "sgd" ? null : run("sgd", surface, start, p.lr, p.num_steps, {});
    return { main, sgd, surface, start };
  }

  const LABELS = { sgd: "SGD", momentum: "momentum", nesterov: "Nesterov", adagrad: "AdaGrad", rmsprop: "RMSProp", adam: "Adam" };
  const COLORS = { sgd: "#1f77b4", momentum: "#d62728", nesterov: "#2ca02c", adagrad: "#9467bd", rmsprop: "#ff7f0e", adam: "#8c564b" };
  const FLOOR = 1e-12;

  function charts(data, p) {
    const color = COLORS[p.optimizer];
    const steps = data.main.gap.map((_, k) => k);
    const pad = (arr) => steps.map((k) => (k < arr.length ? Math.max(arr[k], FLOOR) : null));
    const gapSeries = [{ label: "step" }, { label: LABELS[p.optimizer], stroke: color, width: 2 }];
    const gapData = [steps, pad(data.main.gap)];
    if (data.sgd) { gapSeries.push({ label: "SGD, same lr", stroke: "#999", width: 1 }); gapData.push(pad(data.sgd.gap)); }
    const rateSteps = data.main.rates.map((_, k) => k + 1);
    return [
      { kind: "surface" },
      { opts: { title: data.own ? "loss above the grid's lowest value" : "loss above the minimum",
                scales: { x: { time: false }, y: { distr: 3, log: 10, range: data.own ? undefined : [FLOOR / 3, 3e3] } },
                series: gapSeries, axes: [{ label: "step" }, W.logAxis("gap (log)")] },
        data: gapData },
      { opts: { title: "each weight's learning rate",
                scales: { x: { time: false }, y: { distr: 3, log: 10 } },
                series: [{ label: "step" }, { label: "rate of x", stroke: color, width: 2 },
                         { label: "rate of y", stroke: color, width: 2, dash: [5, 4] }],
                axes: [{ label: "step" }, W.logAxis("rate (log)")] },
        data: [rateSteps.length ? rateSteps : [1], rateSteps.length ? data.main.rates.map((r) => r[0]) : [null],
               rateSteps.length ? data.main.rates.map((r) => r[1]) : [null]] },
    ];
  }

  function caption(data, p) {
    const shown = ["lr = " + +p.lr.toPrecision(3)];
    if (["momentum", "nesterov", "adam"].includes(p.optimizer)) shown.push("β₁ = " + +p.beta_1.toPrecision(3));
    if (["rmsprop", "adam"].includes(p.optimizer)) shown.push("β₂ = " + +p.beta_2.toPrecision(4));
    const m = data.main;
    const end = m.divergedAt !== null ? `diverged at step ${m.divergedAt}`
      : `after ${p.num_steps} steps the loss is ${m.gap[m.gap.length - 1].toExponential(2)} above ` +
        (data.own ? "the lowest value on the grid (computed in the kernel by opt.run)" : "the minimum");
    return `${LABELS[p.optimizer]} from (${+data.start[0].toPrecision(3)}, ${+data.start[1].toPrecision(3)}): ${shown.join(", ")}; ${end}`;
  }

  // the path panel: precomputed contours (Python's matplotlib), the paths, and a draggable start
  function surfacePanel(host, spec, getParams, set) {
    const setStart = (x, y) => set({ x0: x, y0: y });
    const { xlim, ylim, contours } = spec.data;
    const P = W.canvasPanel(host, { title: spec.data.title || "path on the ravine (drag the ■ to move the start)", xlim, ylim,
                                    label: "the paths on the loss surface; arrow keys move the start" });
    const { canvas, ctx, X, Y, invX, invY } = P;
    canvas.tabIndex = 0;
    const lines = contours.map(P.flat);
    function draw(data, p) {
      P.clear();
      for (const pts of lines) P.line(pts, "#c8c8c8", 0.8);
      if (data.sgd) P.line(data.sgd.path.slice(0, 400), "#9a9a9a", 1);
      P.line(data.main.path.slice(0, 400), COLORS[p.optimizer], 1.6);
      ctx.fillStyle = "#111";
      ctx.fillRect(X(data.start[0]) - 4, Y(data.start[1]) - 4, 8, 8);
      P.done();
    }
    let dragging = false;
    const at = (ev) => { const r = canvas.getBoundingClientRect(); return [invX(ev.clientX - r.left), invY(ev.clientY - r.top)]; };
    canvas.addEventListener("pointerdown", (ev) => {
      const p = getParams(), r = canvas.getBoundingClientRect();
      if (Math.hypot(ev.clientX - r.left - X(p.x0), ev.clientY - r.top - Y(p.y0)) < 12) {
        dragging = true; canvas.setPointerCapture(ev.pointerId);
      }
    });
    canvas.addEventListener("pointermove", (ev) => { if (dragging) setStart(...at(ev)); });
    canvas.addEventListener("pointerup", () => { dragging = false; });
    canvas.addEventListener("keydown", (ev) => {
      const p = getParams(), d = { ArrowLeft: [-0.1, 0], ArrowRight: [0.1, 0], ArrowUp: [0, 0.05], ArrowDown: [0, -0.05] }[ev.key];
      if (d) { ev.preventDefault(); setStart(p.x0 + d[0], p.y0 + d[1]); }
    });
    return { draw };
  }

  W.modules.optimizers = { compute, charts, caption, run, power, surfacePanel, SURFACES };
})();

/* Chapter 4's explorer in the browser: gradient descent on (w + 1)^2, in float32 as nnlib does it
 * (nnlib.learning_rate.gd_trace with quadratic_grad: g = (w + 1) * 2, then w - lr * g, each
 * operation rounded to float32). tests/browser/test_web_explorers.py compares compute() with
 * gd_trace bit for bit on random settings. */
(function () {
  "use strict";
  const W = (window.nnlibWeb = window.nnlibWeb || { modules: {} });
  const f = Math.fround;

  function compute({ lr, w0, num_steps }) {
    const rate = f(lr);
    let w = f(w0);
    const ws = [w];
    let divergedAt = null;
    for (let k = 0; k < num_steps; k++) {
      const g = f(f(w + 1) * 2);
      const next = f(w - f(rate * g));
      if (!Number.isFinite(next)) { divergedAt = k; break; }
      w = next;
      ws.push(w);
    }
    const loss = ws.map((v) => f(f(v + 1) * f(v + 1)));
    return { w: ws, loss, divergedAt, numSteps: num_steps };
  }

  function regime(lr) {
    const factor = Math.abs(1 - 2 * lr);
    if (Math.abs(factor - 1) <= 1e-12) return "oscillates";
    return factor < 1 ? "converges" : "diverges";
  }

  const COLOR = { converges: "#2ca02c", oscillates: "#ff7f0e", diverges: "#d62728" };

  // a learner's own loss (nnlib.plots.learning_rate.own, computed in the kernel): no known
  // minimum, and a loss that may be negative, so a linear scale
  function ownCharts(data) {
    const steps = data.w.map((_, k) => k);
    const finite = data.w.filter(Number.isFinite);
    const lo = Math.min(...finite), hi = Math.max(...finite), pad = Math.max(0.5, 0.08 * (hi - lo));
    const what = data.own.loss ? "your loss" : "|your gradient|";
    return [
      { opts: { title: "w against step", scales: { x: { time: false }, y: { range: [lo - pad, hi + pad] } },
                series: [{ label: "update" }, { label: "w", stroke: "#1f77b4", width: 2, points: { show: true, size: 5 } }],
                axes: [{ label: "updates" }, { label: "w" }] },
        data: [steps, data.w], scales: { y: { min: lo - pad, max: hi + pad } } },
      { opts: { title: what + " at each w", scales: { x: { time: false } },
                series: [{ label: "update" }, { label: what, stroke: "#1f77b4", width: 2 }],
                axes: [{ label: "updates" }, { label: what }] },
        data: [steps, data.loss] },
    ];
  }

  function charts(data, params) {
    if (data.own) return ownCharts(data);
    const color = COLOR[regime(params.lr)];
    const steps = data.w.map((_, k) => k);
    const floor = data.loss.map((v) => Math.max(v, 1e-13));
    const reach = Math.max(8, Math.abs(params.w0 + 1) * 1.15, Math.min(Math.abs(data.w[data.w.length - 1] + 1) * 1.1, 1e4));
    return [
      { opts: { title: "w against step (minimum at −1)",
                scales: { x: { time: false }, y: { range: [-1 - reach, -1 + reach] } },
                series: [{ label: "update" }, { label: "w", stroke: color, width: 2, points: { show: true, size: 5 } },
                         { label: "minimum", stroke: "#999", dash: [4, 4] }],
                axes: [{ label: "updates" }, { label: "w" }] },
        data: [steps, data.w, steps.map(() => -1)], scales: { y: { min: -1 - reach, max: -1 + reach } } },
      { opts: { title: "loss (w + 1)², log scale",
                scales: { x: { time: false }, y: { distr: 3, log: 10 } },
                series: [{ label: "update" }, { label: "loss", stroke: color, width: 2 }],
                axes: [{ label: "updates" }, W.logAxis("loss (log)")] },
        data: [steps, floor] },
    ];
  }

  function caption(data, params) {
    if (data.own) {
      const last = data.w[data.w.length - 1], n = data.w.length - 1, L = data.loss;
      const what = data.own.loss ? "your loss" : "|your gradient|";
      const end = data.divergedAt === null ? `after ${n} updates w = ${Number(last.toPrecision(6))}`
        : `w overflowed float32 at update ${data.divergedAt + 1}; the last finite w is ${last.toExponential(3)}`;
      const num = (v) => (v === null ? "not finite" : Number(v.toPrecision(4)));
      return `your function, lr = ${Number(params.lr.toPrecision(4))} (computed in the kernel by gd_trace): ${end}; ` +
             `${what} went from ${num(L[0])} to ${num(L[L.length - 1])}.`;
    }
    const lr = params.lr, factor = 1 - 2 * lr, verdict = regime(lr);
    const why = { converges: `|1 − 2·lr| = ${Math.abs(factor).toPrecision(3)} < 1: each step shrinks the distance to −1`,
                  oscillates: "|1 − 2·lr| = 1: w jumps to the mirror point and back, forever",
                  diverges: `|1 − 2·lr| = ${Math.abs(factor).toPrecision(3)} > 1: each step overshoots further` }[verdict];
    const last = data.w[data.w.length - 1];
    const end = data.divergedAt === null ? `after ${data.w.length - 1} updates w = ${Number(last.toPrecision(6))}`
      : `w overflowed float32 at update ${data.divergedAt + 1}; the last finite w is ${last.toExponential(3)}`;
    return `lr = ${Number(lr.toPrecision(4))}: ${verdict} — ${why}. ${end}.`;
  }

  W.modules.learning_rate = { compute, charts, caption, regime };
})();

/* Chapter 2's explorer in the browser: the COST/PROFIT loss on note 000's yogurt data. Left, the
 * one-day problem: the expected loss of stocking x1 + x2 + c when the noise is uniform on
 * [-0.05, 0.05] (float64, as nnlib.plots.losses.cost_profit_figure). Right, the linear model
 * trained with those prices by nnlib.losses.linear_sgd (float32, batches of 8 in order, learning
 * rate 0.001, every operation rounded as numpy rounds it: tests/browser/test_web_explorers.py
 * compares the weights bit for bit) and its prediction minus sales on each of the 32 days. The
 * data (X, y, the noise and the starting weights) come with the page. */
(function () {
  "use strict";
  const W = (window.nnlibWeb = window.nnlibWeb || { modules: {} });
  const f = Math.fround;
  const BLUE = "#1f77b4", RED = "#d62728", GREEN = "#2ca02c";
  const LR = 0.001, BATCH = 8;

  // nnlib.losses.linear_sgd(X, y, w0, 0.001, n, loss="cost_profit", cost, profit): the weights
  // after the last step
  function train(X, y, w0, cost, profit, numSteps) {
    const n = y.length, lr = f(LR), over = f(cost), under = f(-profit);
    let w0_ = f(w0[0]), w1_ = f(w0[1]);
    for (let i = 0; i < numSteps; i++) {
      const start = (i * BATCH) % n, end = Math.min(start + BATCH, n);
      let g0 = 0, g1 = 0;
      for (let r = start; r < end; r++) {
        const yHat = f(f(X[2 * r] * w0_) + f(X[2 * r + 1] * w1_));   // x1*w1 + x2*w2
        const d = yHat > y[r] ? over : under;     // the loss's slope in y_hat: COST if over-stocked
        const p0 = f(X[2 * r] * d), p1 = f(X[2 * r + 1] * d);
        if (r === start) { g0 = p0; g1 = p1; } else { g0 = f(g0 + p0); g1 = f(g1 + p1); }
      }
      w0_ = f(w0_ - f(g0 * lr));
      w1_ = f(w1_ - f(g1 * lr));
    }
    return [w0_, w1_];
  }

  function compute(p, data) {
    const tau = p.profit / (p.cost + p.profit);
    const c = Array.from({ length: 161 }, (_, k) => -0.08 + (0.16 * k) / 160);
    const expected = c.map((v) => {
      let o = Math.min(Math.max(v + 0.05, 0), 0.1);
      o = v > 0.05 ? v : (o * o) / 0.2;
      return p.cost * o + p.profit * (o - v);
    });
    const w = train(data.X, data.y, data.w0, p.cost, p.profit, p.num_steps);
    const err = data.y.map((yr, r) => data.X[2 * r] * w[0] + data.X[2 * r + 1] * w[1] - yr).sort((a, b) => a - b);
    const short = err.filter((e) => e < 0).length;
    const mean = data.noise.reduce((a, b) => a + b, 0) / data.noise.length;
    return { tau, c, expected, best: -0.05 + 0.1 * tau, mean, w, err, short };
  }

  let shown = null;   // the latest result, for the charts' draw hooks
  function vline(u, x, color, dash, width) {
    const ctx = u.ctx, px = u.valToPos(x, "x", true);
    ctx.save();
    ctx.strokeStyle = color; ctx.lineWidth = width * devicePixelRatio; ctx.setLineDash(dash.map((d) => d * devicePixelRatio));
    ctx.beginPath(); ctx.moveTo(px, u.bbox.top); ctx.lineTo(px, u.bbox.top + u.bbox.height); ctx.stroke();
    ctx.restore();
  }

  function charts(d, p, data) {
    shown = { d, p, data };
    const days = d.err.map((_, k) => k + 1);
    const bars = uPlot.paths && uPlot.paths.bars ? uPlot.paths.bars({ size: [0.7, 14] }) : undefined;
    const top = Math.max(...d.expected) * 1.1;
    return [
      { opts: { title: "one day, noise uniform on ±0.05",
                scales: { x: { time: false }, y: { range: [0, top] } },
                series: [{ label: "c" }, { label: "expected loss", stroke: BLUE, width: 2 }],
                axes: [{ label: "extra stock c (ticks: the 32 noises)" }, { label: "expected loss per day" }],
                hooks: { draw: [(u) => {
                  const s = shown.d, ctx = u.ctx;
                  vline(u, s.mean, "#666", [2, 3], 1);
                  vline(u, s.best, GREEN, [], 1.5);
                  ctx.save(); ctx.strokeStyle = "#000"; ctx.lineWidth = devicePixelRatio;
                  const y0 = u.bbox.top + u.bbox.height;
                  shown.data.noise.forEach((e) => {
                    const px = u.valToPos(e, "x", true);
                    ctx.beginPath(); ctx.moveTo(px, y0); ctx.lineTo(px, y0 - 8 * devicePixelRatio); ctx.stroke();
                  });
                  ctx.restore();
                }] } },
        data: [d.c, d.expected], scales: { y: { min: 0, max: top } } },
      { opts: { title: "trained model, the 32 days sorted",
                scales: { x: { time: false, range: [0, 33] }, y: { range: [-0.16, 0.16] } },
                series: [{ label: "day" },
                         { label: "short", stroke: BLUE, fill: BLUE, paths: bars, points: { show: false } },
                         { label: "over", stroke: RED, fill: RED, paths: bars, points: { show: false } }],
                axes: [{ label: "day (sorted)" }, { label: "prediction − sales" }],
                hooks: { draw: [(u) => vline(u, 0.5 + shown.d.err.length * (1 - shown.d.tau), GREEN, [5, 4], 1.5)] } },
        data: [days, d.err.map((e) => (e < 0 ? e : null)), d.err.map((e) => (e < 0 ? null : e))] },
    ];
  }

  function caption(d, p) {
    const n = d.err.length;
    return `COST = ${+p.cost.toPrecision(3)}, PROFIT = ${+p.profit.toPrecision(3)}: aim at the ` +
      `${d.tau.toFixed(2)} quantile of demand (green line); after ${p.num_steps} steps ` +
      `w1 = ${d.w[0].toFixed(3)}, w2 = ${d.w[1].toFixed(3)}: ${d.short} days short, ${n - d.short} over ` +
      `(the rule: ${(n * (1 - d.tau)).toFixed(1)} short, dashed)`;
  }

  W.modules.losses = { compute, charts, caption, train };
})();

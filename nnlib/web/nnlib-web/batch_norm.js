/* Chapter 12's explorer in the browser: one feature's batches (true mean 1, variance 4; the mean
 * jumps to 3 at a chosen step) and the moving mean and variance batch normalization keeps, as
 * nnlib.batch_norm.running_estimate computes them in float32: the batch mean and the biased batch
 * variance summed as numpy sums a row (its pairwise scheme), then Keras's update
 * moving = moving * momentum + batch * (1 - momentum), one float32 scalar at a time. Given the same
 * draws the numbers are nnlib's, bit for bit (tests/browser/test_web_explorers.py); the draws here
 * come from the page's own seeded generator, not numpy's, so the noise differs from the figure's. */
(function () {
  "use strict";
  const W = (window.nnlibWeb = window.nnlibWeb || { modules: {} });
  const f = Math.fround;
  const BLUE = "#1f77b4", RED = "#d62728";
  const MAX_STEPS = 2000, MAX_BATCH = 256;

  const pairwise = (a, lo, n) => W.portable.pairwise(a, lo, n);

  // batch means and biased variances of X (steps rows of m float32 values)
  function batchStats(X, m, steps) {
    const bmean = new Float32Array(steps), bvar = new Float32Array(steps);
    const sq = new Float32Array(m);
    for (let t = 0; t < steps; t++) {
      const lo = t * m;
      const mean = f(pairwise(X, lo, m) / m);
      for (let k = 0; k < m; k++) { const d = f(X[lo + k] - mean); sq[k] = f(d * d); }
      bmean[t] = mean; bvar[t] = f(pairwise(sq, 0, m) / m);
    }
    return { bmean, bvar };
  }

  // the moving averages from Keras's start (mean 0, variance 1)
  function moving(bmean, bvar, momentum) {
    const steps = bmean.length, mom = f(momentum), rest = f(1 - mom);
    const mm = new Float32Array(steps), mv = new Float32Array(steps);
    let a = f(0), v = f(1);
    for (let t = 0; t < steps; t++) {
      a = f(f(a * mom) + f(bmean[t] * rest));
      v = f(f(v * mom) + f(bvar[t] * rest));
      mm[t] = a; mv[t] = v;
    }
    return { mm, mv };
  }

  function estimate(X, m, steps, momentum) {
    const s = batchStats(X, m, steps);
    return { ...s, ...moving(s.bmean, s.bvar, momentum) };
  }

  // standard normal draws for every (step, example), made once: mulberry32 + Box-Muller, seed 0
  let pool = null;
  function draws() {
    if (pool) return pool;
    const u = W.portable.uniform(0x9e3779b9);
    pool = new Float64Array(MAX_STEPS * MAX_BATCH);
    for (let i = 0; i < pool.length; i += 2) {
      const r = Math.sqrt(-2 * Math.log(1 - u())), th = 2 * Math.PI * u();
      pool[i] = r * Math.cos(th); pool[i + 1] = r * Math.sin(th);
    }
    return pool;
  }

  // the batches' statistics of the last setting of batch size, steps and jump: a move of the
  // momentum alone only redoes the moving averages
  let last = null;
  function batches(p) {
    const key = `${p.batch_size},${p.num_steps},${p.shift_at}`;
    if (last && last.key === key) return last;
    const m = p.batch_size, steps = p.num_steps, z = draws();
    const X = new Float32Array(steps * m);
    for (let t = 0; t < steps; t++) {
      const mu = t < p.shift_at ? 1 : 3;
      for (let k = 0; k < m; k++) X[t * m + k] = f(f(z[t * MAX_BATCH + k] * 2) + mu);
    }
    const s = batchStats(X, m, steps);
    last = { key, ...s, meanList: Array.from(s.bmean) };
    return last;
  }

  function compute(p) {
    const steps = p.num_steps, b = batches(p);
    const trueMean = (t) => (t < p.shift_at ? 1 : 3);
    const r = { bmean: b.bmean, bvar: b.bvar, meanList: b.meanList, ...moving(b.bmean, b.bvar, p.momentum) };
    // as running_estimate_figure: the error over the 50 steps before the shift, and the steps after
    // it until the moving mean is within 0.2 of the new mean
    let se = 0, cnt = 0;
    for (let t = Math.max(p.shift_at - 50, 0); t < Math.min(p.shift_at, steps); t++) { se += (r.mm[t] - trueMean(t)) ** 2; cnt++; }
    let lag = null;
    for (let t = p.shift_at; t < steps; t++) if (Math.abs(r.mm[t] - 3) < 0.2) { lag = t - p.shift_at + 1; break; }
    const burn = Math.floor(steps / 2);
    let settled = 0;
    for (let t = burn; t < steps; t++) settled += r.mv[t];
    return { ...r, err: cnt ? Math.sqrt(se / cnt) : NaN, lag, settled: settled / (steps - burn), trueMean };
  }

  function charts(d, p) {
    const n = p.num_steps, steps = Array.from({ length: n }, (_, t) => t + 1);
    const expected = (4 * (p.batch_size - 1)) / p.batch_size;
    return [
      { opts: { title: "moving mean", scales: { x: { time: false }, y: { range: [-1.5, 4.5] } },
                series: [{ label: "step" },
                         { label: "batch mean", stroke: "#b3b3b3", width: 0, points: { show: true, size: 3, width: 0, fill: "#b3b3b3", paths: W.squarePoints } },
                         { label: "true mean", stroke: "#000", width: 1, dash: [5, 4] },
                         { label: "moving_mean", stroke: BLUE, width: 1.6 }],
                axes: [{ label: "training step" }, { label: "mean" }] },
        data: [steps, d.meanList, steps.map((t) => d.trueMean(t - 1)), Array.from(d.mm)],
        scales: { x: { min: 1, max: n } } },
      { opts: { title: "moving variance", scales: { x: { time: false }, y: { range: [0, 7] } },
                series: [{ label: "step" },
                         { label: "true variance", stroke: "#000", width: 1, dash: [5, 4] },
                         { label: `(m − 1)/m · 4 = ${+expected.toFixed(3)}`, stroke: "#888", width: 1, dash: [2, 3] },
                         { label: "moving_variance", stroke: RED, width: 1.6 }],
                axes: [{ label: "training step" }, { label: "variance" }] },
        data: [steps, steps.map(() => 4), steps.map(() => expected), Array.from(d.mv)],
        scales: { x: { min: 1, max: n } } },
    ];
  }

  function caption(d, p) {
    const m = p.batch_size, mom = +p.momentum.toPrecision(4);
    const before = Number.isFinite(d.err) ? `error before the shift ${d.err.toFixed(3)}` : "no steps before the shift";
    const after = p.shift_at >= p.num_steps ? "the mean does not jump within these steps"
      : `after the mean jumps by 2 at step ${p.shift_at}, the estimate is within 0.2 after ` +
        (d.lag === null ? `more than ${p.num_steps - p.shift_at} steps` : `${d.lag} steps`);
    return `momentum ${mom}, batch size ${m}: about ${Math.round(1 / (1 - p.momentum))} batches averaged; ${before}; ` +
      `${after}. Moving variance over the second half: ${d.settled.toFixed(2)} ` +
      `(true 4; the biased batch variance averages (m − 1)/m · 4 = ${((4 * (m - 1)) / m).toFixed(2)})`;
  }

  W.modules.batch_norm = { compute, charts, caption, estimate, batchStats, moving, pairwise };
})();

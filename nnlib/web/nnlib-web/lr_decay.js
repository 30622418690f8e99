/* Chapter 6's explorer in the browser: exponential decay of the learning rate (Keras's
 * ExponentialDecay, float32), gradient descent on (w + 1)^2 from w = 5 with the decayed and with
 * the constant rate. As nnlib.lr_decay, except one operation: nnlib raises the rate to the power
 * with the C library's powf, the browser with Math.pow rounded to float32; the two can differ in
 * the last bit. tests/browser/test_web_explorers.py states how often, and compares the rest bit
 * for bit. */
(function () {
  "use strict";
  const W = (window.nnlibWeb = window.nnlibWeb || { modules: {} });
  const f = Math.fround;
  const TINY = 1.1754943508222875e-38;   // float32's smallest normal number: TF flushes below it
  const flush = (x) => (Math.abs(x) < TINY ? 0 : x);

  function schedule(base, decaySteps, decayRate, staircase, n) {
    const b = f(base), ds = f(decaySteps), r = f(decayRate), out = [];
    for (let k = 0; k < n; k++) {
      let p = f(f(k) / ds);
      if (staircase) p = Math.floor(p);
      const power = flush(f(Math.pow(r, p)));
      out.push(flush(f(b * power)));
    }
    return out;
  }

  function descend(lrs, numSteps) {   // nnlib.learning_rate.gd_trace on (w + 1)^2 from w = 5
    let w = f(5);
    const ws = [w];
    let divergedAt = null;
    for (let k = 0; k < numSteps; k++) {
      const next = f(w - f(lrs[k] * f(f(w + 1) * 2)));
      if (!Number.isFinite(next)) { divergedAt = k; break; }
      w = next;
      ws.push(w);
    }
    return { w: ws, divergedAt };
  }

  function compute(p) {
    const lrs = schedule(p.base_lr, p.decay_steps, p.decay_rate, !!p.staircase, p.num_steps + 1);
    const decayed = descend(lrs, p.num_steps);
    const constant = descend(lrs.map(() => f(p.base_lr)), p.num_steps);
    let budget = 0;
    for (let k = 0; k < p.num_steps; k++) budget += lrs[k];
    return { lrs, decayed, constant, budget };
  }

  const BLUE = "#1f77b4", ORANGE = "#ff7f0e";

  function charts(data, p) {
    const n = p.num_steps;
    const ks = Array.from({ length: n + 1 }, (_, k) => k);
    const pad = (tr) => ks.map((k) => (k < tr.w.length ? tr.w[k] : null));
    let reach = 6.5;
    [data.decayed, data.constant].forEach((tr) => tr.w.forEach((v) => { reach = Math.max(reach, Math.min(Math.abs(v + 1) * 1.08, 20)); }));
    const clip = (arr) => arr.map((v) => (v === null ? null : Math.min(Math.max(v, -1 - reach), -1 + reach)));
    const dist = (tr) => pad(tr).map((v) => (v === null ? null : Math.max(Math.abs(v + 1), 1e-9)));
    const stepped = uPlot.paths && uPlot.paths.stepped ? uPlot.paths.stepped({ align: 1 }) : undefined;
    return [
      { opts: { title: "the schedule", scales: { x: { time: false }, y: { range: [0, p.base_lr * 1.15] } },
                series: [{ label: "update k" }, { label: "decayed", stroke: BLUE, width: 2, paths: stepped },
                         { label: `constant ${+p.base_lr.toPrecision(3)}`, stroke: ORANGE, width: 1, dash: [5, 4] }],
                axes: [{ label: "update k" }, { label: "learning rate used" }] },
        data: [ks.slice(0, n), data.lrs.slice(0, n), ks.slice(0, n).map(() => p.base_lr)],
        scales: { y: { min: 0, max: p.base_lr * 1.15 } } },
      { opts: { title: "w after each update", scales: { x: { time: false } },
                series: [{ label: "update" }, { label: "constant", stroke: ORANGE, width: 1.5 },
                         { label: "decayed", stroke: BLUE, width: 1.5, points: { show: true, size: 4 } }],
                axes: [{ label: "updates" }, { label: "w" }] },
        data: [ks, clip(pad(data.constant)), clip(pad(data.decayed))], scales: { y: { min: -1 - reach, max: -1 + reach } } },
      { opts: { title: "distance to the minimum |w + 1|", scales: { x: { time: false }, y: { distr: 3, log: 10 } },
                series: [{ label: "update" }, { label: "constant", stroke: ORANGE, width: 1.5 },
                         { label: "decayed", stroke: BLUE, width: 1.5 }],
                axes: [{ label: "updates" }, W.logAxis("|w + 1| (log)")] },
        data: [ks, dist(data.constant), dist(data.decayed)] },
    ];
  }

  function caption(data, p) {
    const final = (tr) => (tr.divergedAt === null ? String(+tr.w[tr.w.length - 1].toPrecision(4)) : "diverged");
    const last = data.lrs[p.num_steps - 1];
    return `base ${+p.base_lr.toPrecision(3)}, rate ${+p.decay_rate.toPrecision(3)} every ${p.decay_steps} step(s)` +
      `${p.staircase ? ", staircase" : ""}: after ${p.num_steps} updates w = ${final(data.decayed)} ` +
      `(constant rate: ${final(data.constant)}); sum of the decayed rates = ${+data.budget.toPrecision(3)}; ` +
      `last rate used = ${+last.toPrecision(3)}`;
  }

  W.modules.lr_decay = { compute, charts, caption, schedule };
})();

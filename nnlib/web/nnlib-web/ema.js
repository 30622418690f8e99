/* Chapter 7's explorer in the browser: a noisy weight, its exponential moving average (TensorFlow's
 * ExponentialMovingAverage, with or without the decay ramp) and how far each is from the
 * noise-free path. The noise-free path and the Gaussian draws come from Python (nnlib.ema.demo_path,
 * seed 0) with the page; the averaging is nnlib.ema.ema_path's float32 arithmetic, operation for
 * operation (tests/browser/test_web_explorers.py: bit for bit). */
(function () {
  "use strict";
  const W = (window.nnlibWeb = window.nnlibWeb || { modules: {} });
  const f = Math.fround;

  function effectiveDecay(decay, t, ramp) {
    const d = f(decay);
    if (!ramp) return d;
    const n = f(t);
    return Math.min(d, f(f(1 + n) / f(10 + n)));
  }

  function compute(p, src) {   // src: {trend, eps} from the page
    const n = p.num_steps;
    const trend = src.trend.slice(0, n);
    const path = trend.map((v, t) => f(v + p.noise * src.eps[t]));
    const shadow = [];
    let s = path[0];
    for (let t = 0; t < n; t++) {
      const oneMinus = f(1 - effectiveDecay(p.decay, t, p.ramp));
      s = f(s - f(f(s - path[t]) * oneMinus));
      shadow.push(s);
    }
    return { trend, path, shadow, dEnd: effectiveDecay(p.decay, n - 1, p.ramp) };
  }

  function charts(data, p) {
    const ts = data.path.map((_, t) => t);
    const raw = data.path.map((v, t) => Math.max(Math.abs(v - data.trend[t]), 1e-4));
    const ema = data.shadow.map((v, t) => Math.max(Math.abs(v - data.trend[t]), 1e-4));
    const label = `shadow, decay ${+p.decay.toPrecision(3)}` + (p.ramp ? " + decay ramp" : "");
    return [
      { opts: { title: "the weight and its shadow", scales: { x: { time: false }, y: { range: [-4.5, 6.5] } },
                series: [{ label: "t" }, { label: "noisy w", stroke: "#b8b8b8", width: 1 },
                         { label: "noise-free path", stroke: "#333", width: 1, dash: [5, 4] },
                         { label, stroke: "#1f77b4", width: 2 }],
                axes: [{ label: "updates t" }, { label: "w" }] },
        data: [ts, data.path, data.trend, data.shadow], scales: { y: { min: -4.5, max: 6.5 } } },
      { opts: { title: "distance from the noise-free path", scales: { x: { time: false }, y: { distr: 3, log: 10, range: [1e-4, 20] } },
                series: [{ label: "t" }, { label: "|w − path|", stroke: "#b8b8b8", width: 1 },
                         { label: "|shadow − path|", stroke: "#1f77b4", width: 2 }],
                axes: [{ label: "updates t" }, W.logAxis("distance (log)")] },
        data: [ts, p.noise ? raw : ts.map(() => null), ema] },
    ];
  }

  function caption(data, p) {
    const n = data.path.length, half = Math.floor(n / 2);
    const rms = (a, b, lo, hi) => { let s = 0; for (let t = lo; t < hi; t++) s += (a[t] - b[t]) ** 2; return Math.sqrt(s / (hi - lo)).toFixed(2); };
    const avg = data.dEnd < 1 ? (1 / (1 - data.dEnd)).toFixed(0) : "∞";
    return `decay ${+p.decay.toPrecision(3)}${p.ramp ? ", decay ramp on" : ", no decay ramp"}, noise ${+p.noise.toPrecision(3)}: ` +
      `RMS distance, first 30 steps: w ${rms(data.path, data.trend, 0, 30)}, shadow ${rms(data.shadow, data.trend, 0, 30)}; ` +
      `second half: w ${rms(data.path, data.trend, half, n)}, shadow ${rms(data.shadow, data.trend, half, n)}. ` +
      `Decay used at the last step ${data.dEnd.toFixed(3)}: the shadow averages about ${avg} recent steps`;
  }

  W.modules.ema = { compute, charts, caption, effectiveDecay };
})();

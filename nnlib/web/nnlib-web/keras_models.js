/* The appendix's explorer in the browser: a synthetic heartbeat through a 1-D convolution.
 * The noise-free signal and the standard normal draws come from Python with the page
 * (nnlib.keras_models.heartbeat_parts); the signal is rounded to float32 as heartbeat() does, and
 * the convolution is nnlib.keras_models.conv1d's float64 arithmetic, one kernel tap at a time in
 * the same order (tests/browser/test_web_explorers.py: bit for bit). */
(function () {
  "use strict";
  const W = (window.nnlibWeb = window.nnlibWeb || { modules: {} });
  const GREY = "#333", BLUE = "#1f77b4", RED = "#d62728";

  // nnlib.keras_models.kernel: an average, a difference of two halves, a spike detector
  function kernel(name, k) {
    if (name === "average") return Array.from({ length: k }, () => 1.0 / k);
    if (name === "difference") {
      const half = Math.floor(k / 2), d = Math.max(half, 1);
      return Array.from({ length: k }, (_, j) => (j < half ? -1 : j >= k - half ? 1 : 0) / d);
    }
    const w = Array.from({ length: k }, () => -1.0 / Math.max(k - 1, 1));
    w[Math.floor(k / 2)] = 1.0;
    return w;
  }

  function compute(p, data) {
    const k = Math.round(p.width), x = data.clean.map((c, t) => Math.fround(c + p.noise * data.draws[t]));
    const w = kernel(p.name, k), m = x.length - k + 1;
    const out = new Array(m).fill(0);   // conv1d: zeros + bias 0, then one tap at a time
    for (let j = 0; j < k; j++) for (let t = 0; t < m; t++) out[t] += x[j + t] * w[j];
    return { signal: x, w, out };
  }

  function charts(d, p) {
    const n = d.signal.length, k = d.w.length, ts = d.signal.map((_, t) => t);
    const window0 = d.signal.map((v, t) => (t < k ? v : null));
    const o = Math.floor((k - 1) / 2);   // output t is drawn at the centre of its window, t + o
    const centre = ts.map((t) => (t - o >= 0 && t - o < d.out.length ? d.out[t - o] : null));
    return [
      { opts: { title: `input: ${n} samples`, legend: { live: false }, scales: { x: { time: false }, y: { range: [-1.4, 1.8] } },
                series: [{ label: "sample" }, { label: "heartbeat", stroke: GREY, width: 1.2 },
                         { label: `window of output 0 (${k} samples)`, stroke: BLUE, width: 4 }],
                axes: [{ label: "sample" }, { label: "input" }] },
        data: [ts, d.signal, window0], scales: { x: { min: -1, max: n }, y: { min: -1.4, max: 1.8 } } },
      { opts: { title: `output: ${d.out.length} values, ${k} weights + 1 bias`, legend: { live: false },
                scales: { x: { time: false } },
                series: [{ label: "sample" }, { label: `${p.name} kernel, width ${k}`, stroke: RED, width: 1.6, spanGaps: true }],
                axes: [{ label: "sample (centre of the window)" }, { label: "output" }] },
        data: [ts, centre], scales: { x: { min: -1, max: n } } },
    ];
  }

  function caption(d, p) {
    let best = 0;
    d.out.forEach((v, t) => { if (v > d.out[best]) best = t; });
    const k = d.w.length;
    return `${p.name} kernel of width ${k}, noise ${+p.noise.toPrecision(3)}: ${d.signal.length} samples in, ` +
      `${d.out.length} out (${d.signal.length} − ${k} + 1), ${k + 1} parameters; the largest output, ` +
      `${d.out[best].toFixed(3)}, is centred on sample ${best + Math.floor((k - 1) / 2)}.`;
  }

  W.modules.keras_models = { compute, charts, caption, kernel };
})();

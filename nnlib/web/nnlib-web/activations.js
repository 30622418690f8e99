/* Chapter 1's explorer in the browser: one activation, its value and slope at a pre-activation z.
 * The kernels are nnlib.neurons_activations', float32 operation for operation, with
 * nnlib.portable's sigmoid, tanh and expm1 (tests/browser/test_web_explorers.py: bit for bit). */
(function () {
  "use strict";
  const W = (window.nnlibWeb = window.nnlibWeb || { modules: {} });
  const f = Math.fround;
  const KERNELS = W.portable.kernels;   // nnlib.neurons_activations' kernels, in portable.js
  // the explorer's menu (nnlib.plots.neurons_activations.EXPLORER_CHOICES): label -> [name, alpha]
  const CHOICES = { "sigmoid": ["sigmoid", null], "tanh": ["tanh", null], "ReLU": ["relu", null],
    "leaky ReLU (α = 0.2)": ["leaky_relu", f(0.2)], "ELU (α = 1)": ["elu", f(1)], "swish / SiLU": ["swish", null] };
  // numpy.linspace(-5, 5, 401) in float64, then float32
  const GRID = Array.from({ length: 401 }, (_, k) => f(k === 400 ? 5 : k * 0.025 + -5));

  function compute(p) {
    const [name, alpha] = CHOICES[p.activation];
    const [fn, dfn] = KERNELS[name];
    const z = f(p.z);
    const values = GRID.map((g) => fn(g, alpha));
    const slopes = GRID.map((g, k) => dfn(g, values[k], alpha));
    const fz = fn(z, alpha);
    return { z, fz, dfz: dfn(z, fz, alpha), values, slopes };
  }

  function charts(data) {
    const k = GRID.findIndex((g) => g > data.z);        // where z goes in the grid
    const at = k < 0 ? GRID.length : k;
    const xs = [...GRID.slice(0, at), data.z, ...GRID.slice(at)];
    const ins = (arr, v) => [...arr.slice(0, at), v, ...arr.slice(at)];
    const point = xs.map((x, i) => (i === at ? null : null));
    const fPoint = point.slice(); fPoint[at] = data.fz;
    const dPoint = point.slice(); dPoint[at] = data.dfz;
    const tangent = xs.map((x) => data.fz + data.dfz * (x - data.z));
    const dot = { width: 0, points: { show: true, size: 9, fill: "#d62728" }, stroke: "#d62728" };
    return [
      { opts: { title: "output, with the tangent at z", scales: { x: { time: false }, y: { range: [-2.2, 5.2] } },
                series: [{ label: "z" }, { label: "f(z)", stroke: "#1f77b4", width: 2 },
                         { label: "tangent", stroke: "#d62728", width: 1, dash: [5, 4] }, { label: "at z", ...dot }],
                axes: [{ label: "z (pre-activation)" }, { label: "output f(z)" }] },
        data: [xs, ins(data.values, data.fz), tangent, fPoint], scales: { y: { min: -2.2, max: 5.2 } } },
      { opts: { title: "gradient (how much a change passes back)", scales: { x: { time: false }, y: { range: [-0.25, 1.25] } },
                series: [{ label: "z" }, { label: "f′(z)", stroke: "#2ca02c", width: 2 }, { label: "at z", ...dot }],
                axes: [{ label: "z (pre-activation)" }, { label: "gradient f′(z)" }] },
        data: [xs, ins(data.slopes, data.dfz), dPoint], scales: { y: { min: -0.25, max: 1.25 } } },
    ];
  }

  function caption(data, p) {
    const note = data.dfz === 0 ? "the unit passes no gradient back" : data.dfz < 0.05 ? "saturated: almost no gradient" : "";
    return `${p.activation} at z = ${+p.z.toPrecision(4)}:  f(z) = ${data.fz.toFixed(4)},  f′(z) = ${data.dfz.toFixed(4)}` +
      (note ? `  (${note})` : "");
  }

  W.modules.activations = { compute, charts, caption, KERNELS, CHOICES };
})();

/* Chapter 10's explorer in the browser: a deep stack of square layers at initialization, one
 * batch forward and a fixed random direction backward, as nnlib.initialization.probe computes it:
 * every product rounded to float32 and added in a fixed order (nnlib.portable.dot), the
 * activations from nnlib.portable, Glorot-uniform or orthogonal kernels (the Q of a normal draw,
 * each column signed by R's diagonal, as Keras does) or LSUV's rescaled orthogonal ones (the
 * variance of z in float64, summed as numpy sums). The draws come from the page's own seeded
 * generator, not numpy's, so the picture's numbers differ in detail; given the same draws the two
 * passes are nnlib.initialization.propagate's bits (tests/browser/test_web_explorers.py). */
(function () {
  "use strict";
  const W = (window.nnlibWeb = window.nnlibWeb || { modules: {} });
  const f = Math.fround;

  // standard normals (Box-Muller on the page's generator), one stream per seed
  function normals(count, seed) {
    const u = W.portable.uniform(seed), out = new Float64Array(count);
    for (let i = 0; i < count; i += 2) {
      const r = Math.sqrt(-2 * Math.log(1 - u())), th = 2 * Math.PI * u();
      out[i] = r * Math.cos(th);
      if (i + 1 < count) out[i + 1] = r * Math.sin(th);
    }
    return out;
  }

  const pairwise64 = (a, lo, n) => W.portable.pairwise64(a, lo, n);   // as np.var(z, dtype=float64) adds
  function variance64(z) {   // np.var(z, dtype=np.float64)
    const n = z.length, mean = pairwise64(z, 0, n) / n, sq = new Float64Array(n);
    for (let i = 0; i < n; i++) { const d = z[i] - mean; sq[i] = d * d; }
    return pairwise64(sq, 0, n) / n;
  }

  // Householder QR of an n x n float64 matrix (row-major); Q with each column signed by R's diagonal
  function orthogonalize(a, n) {
    const R = Float64Array.from(a), Q = new Float64Array(n * n);
    for (let i = 0; i < n; i++) Q[i * n + i] = 1;
    const v = new Float64Array(n);
    for (let c = 0; c < n - 1; c++) {
      let norm = 0;
      for (let i = c; i < n; i++) norm += R[i * n + c] * R[i * n + c];
      norm = Math.sqrt(norm);
      if (norm === 0) continue;
      const alpha = R[c * n + c] > 0 ? -norm : norm;
      let vn = 0;
      for (let i = c; i < n; i++) { v[i] = R[i * n + c] - (i === c ? alpha : 0); vn += v[i] * v[i]; }
      if (vn === 0) continue;
      for (let j = 0; j < n; j++) {   // R = H R and Q = Q H with H = I - 2 v v^T / v^T v
        let s = 0;
        for (let i = c; i < n; i++) s += v[i] * R[i * n + j];
        s = (2 * s) / vn;
        for (let i = c; i < n; i++) R[i * n + j] -= s * v[i];
      }
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (let k = c; k < n; k++) s += Q[i * n + k] * v[k];
        s = (2 * s) / vn;
        for (let k = c; k < n; k++) Q[i * n + k] -= s * v[k];
      }
    }
    for (let j = 0; j < n; j++) {
      const sign = R[j * n + j] < 0 ? -1 : 1;
      for (let i = 0; i < n; i++) Q[i * n + j] *= sign;
    }
    return Q;
  }

  // A B (or A B^T) with B square (n x n): each product rounded to float32, added in increasing k.
  // Eight outputs at a time, each its own chain of additions in the same order (independent chains
  // run side by side in the CPU: the same bits, about three times faster than one at a time).
  function dot(A, rows, B, n, transposeB) {
    let BT = B;   // BT's row j is column j of B
    if (!transposeB) {
      BT = new Float32Array(n * n);
      for (let k = 0; k < n; k++) for (let j = 0; j < n; j++) BT[j * n + k] = B[k * n + j];
    }
    const out = new Float32Array(rows * n);
    for (let i = 0; i < rows; i++) {
      const a = i * n;
      let j = 0;
      for (; j + 7 < n; j += 8) {
        const b0 = j * n, b1 = b0 + n, b2 = b1 + n, b3 = b2 + n, b4 = b3 + n, b5 = b4 + n, b6 = b5 + n, b7 = b6 + n;
        let s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
        for (let k = 0; k < n; k++) {
          const x = A[a + k];
          s0 = f(s0 + f(x * BT[b0 + k])); s1 = f(s1 + f(x * BT[b1 + k]));
          s2 = f(s2 + f(x * BT[b2 + k])); s3 = f(s3 + f(x * BT[b3 + k]));
          s4 = f(s4 + f(x * BT[b4 + k])); s5 = f(s5 + f(x * BT[b5 + k]));
          s6 = f(s6 + f(x * BT[b6 + k])); s7 = f(s7 + f(x * BT[b7 + k]));
        }
        out[a + j] = s0; out[a + j + 1] = s1; out[a + j + 2] = s2; out[a + j + 3] = s3;
        out[a + j + 4] = s4; out[a + j + 5] = s5; out[a + j + 6] = s6; out[a + j + 7] = s7;
      }
      for (; j < n; j++) {
        let s = 0;
        for (let k = 0; k < n; k++) s = f(s + f(A[a + k] * BT[j * n + k]));
        out[a + j] = s;
      }
    }
    return out;
  }

  // the probe's draws: inputs, top gradients, and each layer's kernel (times gain, float32)
  const base = new Map();
  function kernel(scheme, l, n) {   // layer l's kernel before any gain: cached, the same for every activation
    const key = scheme + ":" + l;
    if (!base.has(key)) {
      if (base.size > 200) base.clear();
      let w;
      if (scheme === "glorot_uniform") {   // U(-r, r), r = sqrt(6 / (fan_in + fan_out))
        const u = W.portable.uniform(1000 + l), r = Math.sqrt(3 / n);
        w = new Float32Array(n * n);
        for (let i = 0; i < n * n; i++) w[i] = f(-r + 2 * r * u());
      } else {
        w = Float32Array.from(orthogonalize(normals(n * n, 2000 + l), n));
      }
      base.set(key, w);
    }
    return base.get(key);
  }

  // the draws of a setting; a generator (checkpoints inside LSUV), whose return value is them
  function* drawsSteps(p, names) {
    const n = names.width, m = names.samples;
    const x = Float32Array.from(normals(m * n, 11)), r = Float32Array.from(normals(m * n, 12));
    const scheme = names.schemes[p.scheme], act = names.activations[p.activation];
    const g = f(p.gain);
    let weights = [];
    for (let l = 0; l < p.depth; l++) {
      weights.push(kernel(scheme === "lsuv" ? "orthogonal" : scheme, l, n));
      if (l % 4 === 3) yield;   // a new orthogonal kernel is a QR of a square matrix
    }
    if (scheme === "lsuv") weights = yield* lsuvSteps(weights, x, m, n, act);
    weights = weights.map((w) => (g === 1 ? w : w.map((v) => f(g * v))));
    return { x, r, weights, act, scheme, n, m };
  }
  const drain = (it) => { let r; do r = it.next(); while (!r.done); return r.value; };
  const draws = (p, names) => drain(drawsSteps(p, names));

  // nnlib.initialization.lsuv: divide each kernel by the std of its z until the variance is within
  // 0.01 of 1 (a checkpoint after every product)
  function* lsuvSteps(weights, x, m, n, act) {
    const [fn] = W.portable.kernels[act];
    const out = [];
    let prev = x;
    for (const w0 of weights) {
      const w = Float32Array.from(w0);
      let z = dot(prev, m, w, n), count = 0, v = variance64(z);
      yield;
      while (count < 10 && Math.abs(v - 1) > 0.01) {
        const s = f(1 / Math.sqrt(v));
        for (let i = 0; i < w.length; i++) w[i] = f(w[i] * s);
        count++;
        z = dot(prev, m, w, n);
        v = variance64(z);
        yield;
      }
      out.push(w);
      prev = z.map((t) => fn(t));
    }
    return out;
  }
  const lsuv = (weights, x, m, n, act) => drain(lsuvSteps(weights, x, m, n, act));

  // nnlib.initialization.propagate: forward, then the gradient dL/dz of each layer backward. A
  // generator: after each layer it yields {layer, forward} (the layer just done, and whether on
  // the way forward); its return value is {z, a, gradZ}.
  function* propagateSteps({ x, r, weights, act, n, m }, out) {
    const [fn, dfn] = W.portable.kernels[act];
    const zs = out.z, as = out.a;
    let prev = x;
    for (let l = 0; l < weights.length; l++) {
      const z = dot(prev, m, weights[l], n);
      prev = z.map((t) => fn(t));
      zs.push(z); as.push(prev);
      yield { layer: l, forward: true };
    }
    const gz = out.gradZ;
    let ga = r;
    for (let l = weights.length - 1; l >= 0; l--) {
      const g = new Float32Array(m * n), z = zs[l], a = as[l];
      for (let i = 0; i < g.length; i++) g[i] = f(ga[i] * dfn(z[i], a[i]));
      gz[l] = g;
      if (l) ga = dot(g, m, weights[l], n, true);
      yield { layer: l, forward: false };
    }
    return out;
  }
  const propagate = (d) => drain(propagateSteps(d, { z: [], a: [], gradZ: new Array(d.weights.length) }));

  const std = (a) => Math.sqrt(variance64(a));
  function inputStd(a, m, n) {   // per unit, the std over the samples; averaged over the units
    let total = 0;
    for (let j = 0; j < n; j++) {
      let mean = 0;
      for (let i = 0; i < m; i++) mean += a[i * n + j];
      mean /= m;
      let v = 0;
      for (let i = 0; i < m; i++) v += (a[i * n + j] - mean) ** 2;
      total += Math.sqrt(v / m);
    }
    return total / n;
  }
  function saturated(act, z, a) {
    let c = 0;
    for (let i = 0; i < a.length; i++) {
      if (act === "sigmoid" ? a[i] < 0.01 || a[i] > 0.99 : act === "tanh" ? Math.abs(a[i]) > 0.99 : z[i] <= 0) c++;
    }
    return c / a.length;
  }
  const GRID = Array.from({ length: 161 }, (_, k) => -4 + k * 0.05);
  function cdf(a) {   // the share of (a - mean) / std at or below each grid point
    const v = Float64Array.from(a).sort(), sd = std(a), mean = pairwise64(Float64Array.from(a), 0, a.length) / a.length;
    const shape = Number.isFinite(sd) && sd > 0 ? v.map((t) => (t - mean) / sd) : v.map(() => 0);
    let k = 0;
    return GRID.map((g) => { while (k < shape.length && shape[k] <= g) k++; return k / shape.length; });
  }

  // the explorer's result in steps (the runtime draws each partial one): the spreads fill in layer
  // by layer, forward (activations) and then backward (gradients), as the passes run
  function* steps(p, names) {
    const depth = p.depth, picks = Array.from(new Set([1, Math.max(1, Math.floor((depth + 1) / 2)), depth]));
    const d = yield* drawsSteps(p, names);
    const pr = { z: [], a: [], gradZ: new Array(depth) };
    const res = { act: d.act, scheme: d.scheme, n: d.n, depth, picks,
                  actStd: new Array(depth).fill(null), inStd: new Array(depth).fill(null), gradStd: new Array(depth).fill(null),
                  sat: null, cdfs: picks.map(() => null) };
    const partial = (what) => ({ ...res, actStd: res.actStd.slice(), inStd: res.inStd.slice(), gradStd: res.gradStd.slice(),
                                 cdfs: res.cdfs.slice(), progress: what });
    for (const { layer: l, forward } of propagateSteps(d, pr)) {
      if (forward) {
        res.actStd[l] = std(pr.a[l]);
        res.inStd[l] = inputStd(pr.a[l], d.m, d.n);
        picks.forEach((pick, k) => { if (pick === l + 1) res.cdfs[k] = cdf(pr.a[l]); });
        yield partial(`forward pass: layer ${l + 1} of ${depth}`);
      } else {
        res.gradStd[l] = std(pr.gradZ[l]);
        yield partial(`backward pass: layer ${l + 1} of ${depth}`);
      }
    }
    res.sat = [saturated(d.act, pr.z[0], pr.a[0]), saturated(d.act, pr.z[depth - 1], pr.a[depth - 1])];
    yield res;
  }
  function compute(p, names) {   // the whole result at once (tests, and any caller without a runtime)
    let r, last;
    const it = steps(p, names);
    do { r = it.next(); if (r.value !== undefined) last = r.value; } while (!r.done);
    return last;
  }

  const floor = (v) => (Number.isFinite(v) ? Math.max(v, 1e-30) : null);
  const g3 = (v) => (Number.isFinite(v) ? String(+v.toPrecision(3)) : String(v));

  function charts(d) {
    const layers = d.actStd.map((_, l) => l + 1);
    const ys = [...d.actStd, ...d.gradStd].filter((v) => Number.isFinite(v) && v > 0);
    let lo = ys.length ? Math.min(...ys) : 1, hi = ys.length ? Math.max(...ys) : 1;
    if (hi / lo < 100) { const mid = Math.sqrt(lo * hi); lo = mid / 10; hi = mid * 10; }   // flat lines look flat
    const colors = ["#2ca02c", "#9467bd", "#d62728"];
    return [
      { opts: { title: "spread per layer (log scale)", scales: { x: { time: false }, y: { distr: 3, log: 10 } },
                series: [{ label: "layer" },
                         { label: "activations (forward)", stroke: "#1f77b4", width: 1.5, points: { show: true, size: 4 } },
                         { label: "part that varies with the input", stroke: "#1f77b4", width: 1.5, dash: [2, 3] },
                         { label: "gradients dL/dz (backward)", stroke: "#d62728", width: 1.5, points: { show: true, size: 4 } }],
                axes: [{ label: "layer (1 = next to the input)" }, W.logAxis("standard deviation")] },
        data: [layers, d.actStd.map(floor), d.inStd.map(floor), d.gradStd.map(floor)], scales: { y: { min: lo / 1.5, max: hi * 1.5 } } },
      { opts: { title: "distribution of a layer (CDF)", scales: { x: { time: false }, y: { range: [0, 1] } },
                series: [{ label: "x" }, ...[0, 1, 2].map((k) => ({ label: `layer ${d.picks[k] || d.picks[d.picks.length - 1]}`, stroke: colors[k], width: 1.5 }))],
                axes: [{ label: "(activation − mean) / std" }, { label: "share of values ≤ x" }] },
        data: [GRID, ...[0, 1, 2].map((k) => (d.cdfs[Math.min(k, d.cdfs.length - 1)] || GRID.map(() => null)))] },
    ];
  }

  function caption(d, p) {
    const L = d.depth, a = d.actStd, g = d.gradStd;
    const ratio = g[L - 1] > 0 ? g[0] / g[L - 1] : Infinity;
    const what = d.act === "sigmoid" || d.act === "tanh" ? "near a flat end" : "with z ≤ 0";
    const gain = p.gain === 1 ? "" : ` ×${g3(p.gain)}`;
    return `${p.activation}, ${p.scheme}${gain}, ${L} layers of ${d.n}: activation std ${g3(a[0])} (layer 1) → ` +
           `${g3(a[L - 1])} (layer ${L}); gradient std layer 1 / layer ${L} = ${g3(ratio)}; units ${what}: ` +
           `${Math.round(100 * d.sat[0])}% (layer 1), ${Math.round(100 * d.sat[1])}% (layer ${L})`;
  }

  W.modules.initialization = { compute, steps, charts, caption, draws, propagate, lsuv, orthogonalize, normals, variance64 };
})();

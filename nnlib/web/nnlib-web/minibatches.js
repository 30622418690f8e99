/* Chapter 9's explorer in the browser: softmax regression on the 1797 digits (pixels / 16) trained
 * by minibatch SGD from zero weights, as nnlib.optimizers.minibatch_sgd(..., portable=True)
 * computes it in float32: every product X[i, k] * W[k, j] rounded and added in increasing k (the
 * gradient's X^T G in batch order), the softmax's exp and log from nnlib.portable's polynomials,
 * row sums and the mean loss summed as numpy sums (its pairwise scheme). Each epoch's shuffle
 * comes from the page's own seeded generator, not numpy's, so a curve differs from the figure's
 * in its last digits; given the same shuffles the losses are nnlib's, bit for bit
 * (tests/browser/test_web_explorers.py). The digits come with the page (Python's web_digits). */
(function () {
  "use strict";
  const W = (window.nnlibWeb = window.nnlibWeb || { modules: {} });
  const f = Math.fround;
  const REF = { B: 32, lr: 0.5 };   // nnlib.plots.minibatches.REFERENCE, in grey

  let digits = null;
  function load(pageData) {
    if (digits) return digits;
    const bytes = (b64) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const px = bytes(pageData.pixels), y = bytes(pageData.labels);
    const n = y.length, d = px.length / n, X = new Float32Array(px.length);
    for (let i = 0; i < px.length; i++) X[i] = f(px[i] / 16);
    // each row's nonzero pixels: while the weights are finite a zero pixel adds +-0 to a sum that
    // starts at +0, which changes no bit, so the products skip them (about half the pixels)
    const nz = [];
    for (let i = 0; i < n; i++) {
      const row = [];
      for (let q = 0; q < d; q++) if (X[i * d + q] !== 0) row.push(q);
      nz.push(Int32Array.from(row));
    }
    digits = { X, y, n, d, k: pageData.classes, nz };
    return digits;
  }

  // one shuffle per epoch: Fisher-Yates on the page's generator, seeded by (seed, epoch)
  function orders(n, numEpochs, seed) {
    const out = [];
    for (let e = 0; e < numEpochs; e++) {
      const u = W.portable.uniform(0x51ed270b ^ (seed * 7919 + e * 104729));
      const o = Array.from({ length: n }, (_, i) => i);
      for (let i = n - 1; i > 0; i--) {
        const j = Math.floor(u() * (i + 1));
        const t = o[i]; o[i] = o[j]; o[j] = t;
      }
      out.push(o);
    }
    return out;
  }

  // softmax(z) - onehot(y) over one row of logits, divided by the batch size (nnlib's _softmax_grad);
  // shifted and e are scratch rows
  function rowGrad(z, label, m, out, shifted, e) {
    const k = z.length, P = W.portable;
    let mx = z[0];
    for (let j = 1; j < k; j++) mx = z[j] > mx || Number.isNaN(z[j]) ? z[j] : mx;
    for (let j = 0; j < k; j++) { shifted[j] = f(z[j] - mx); e[j] = f(P.exp64(shifted[j])); }
    const lg = f(P.log64(P.pairwise(e, 0, k)));
    for (let j = 0; j < k; j++) out[j] = f(P.exp64(f(shifted[j] - lg)));
    out[label] = f(out[label] - 1);
    for (let j = 0; j < k; j++) out[j] = f(out[j] / m);
  }

  const allFinite = (a) => { for (let t = 0; t < a.length; t++) if (!Number.isFinite(a[t])) return false; return true; };

  // z = x_i W for example i: products rounded to float32, added in increasing pixel order (the
  // nonzero pixels only while W is finite)
  function logits(D, Wt, i, z, skip) {
    const { X, d, k, nz } = D, base = i * d;
    if (skip) {
      const cols = nz[i];
      for (let j = 0; j < k; j++) {
        let s = 0;
        for (let c = 0; c < cols.length; c++) { const q = cols[c]; s = f(s + f(X[base + q] * Wt[q * k + j])); }
        z[j] = s;
      }
    } else {
      for (let j = 0; j < k; j++) {
        let s = 0;
        for (let q = 0; q < d; q++) s = f(s + f(X[base + q] * Wt[q * k + j]));
        z[j] = s;
      }
    }
  }

  // the mean cross-entropy over all examples (nnlib's softmax_regression_loss, portable); a
  // generator with a checkpoint every CHUNK examples, whose return value is the loss
  const CHUNK = 128;
  function* lossSteps(Wt, D) {
    const { y, n, k } = D, P = W.portable, skip = allFinite(Wt);
    const per = new Float32Array(n), z = new Float32Array(k), e = new Float32Array(k);
    for (let i = 0; i < n; i++) {
      if (i % CHUNK === CHUNK - 1) yield;
      logits(D, Wt, i, z, skip);
      let mx = z[0];
      for (let j = 1; j < k; j++) mx = z[j] > mx || Number.isNaN(z[j]) ? z[j] : mx;
      for (let j = 0; j < k; j++) e[j] = P.exp(f(z[j] - mx));
      per[i] = f(0 - f(f(z[y[i]] - mx) - P.log(P.pairwise(e, 0, k))));
    }
    return f(P.pairwise(per, 0, n) / n);
  }
  const drain = (it) => { let r; do r = it.next(); while (!r.done); return r.value; };
  const loss = (Wt, D) => drain(lossSteps(Wt, D));

  // minibatch SGD from zero weights: the loss before training and after each epoch. A generator:
  // checkpoints (undefined) every CHUNK examples; after each epoch's loss it yields the losses so
  // far (null for the epochs to come); it returns them all. The loss at zero weights is the same
  // for every setting (all logits 0), so it is computed once.
  let atZero = null;
  function* trainSteps(D, B, lr, shuffles) {
    const { X, y, n, d, k, nz } = D, rate = f(lr);
    const Wt = new Float32Array(d * k), G = new Float32Array(B * k), grad = new Float32Array(d * k);
    const z = new Float32Array(k), g = new Float32Array(k), sh = new Float32Array(k), e = new Float32Array(k);
    if (atZero === null) atZero = yield* lossSteps(Wt, D);
    const losses = [atZero, ...shuffles.map(() => null)];
    yield losses.slice();
    let since = 0;
    for (let epoch = 0; epoch < shuffles.length; epoch++) {
      const order = shuffles[epoch];
      for (let start = 0; start < n; start += B) {
        const m = Math.min(B, n - start), skip = allFinite(Wt);
        if ((since += m) >= CHUNK) { since = 0; yield; }
        for (let r = 0; r < m; r++) {
          logits(D, Wt, order[start + r], z, skip);
          rowGrad(z, y[order[start + r]], m, g, sh, e);
          for (let j = 0; j < k; j++) G[r * k + j] = g[j];
        }
        // X^T G, over the batch's rows in order; a zero pixel adds +-0 to a sum that starts at +0
        // (or NaN if the gradient is not finite: then every pixel counts)
        const gskip = allFinite(G.subarray(0, m * k));
        grad.fill(0);
        for (let r = 0; r < m; r++) {
          const i = order[start + r], base = i * d;
          if (gskip) {
            const cols = nz[i];
            for (let c = 0; c < cols.length; c++) {
              const q = cols[c], x = X[base + q];
              for (let j = 0; j < k; j++) grad[q * k + j] = f(grad[q * k + j] + f(x * G[r * k + j]));
            }
          } else {
            for (let q = 0; q < d; q++) {
              const x = X[base + q];
              for (let j = 0; j < k; j++) grad[q * k + j] = f(grad[q * k + j] + f(x * G[r * k + j]));
            }
          }
        }
        for (let t = 0; t < d * k; t++) Wt[t] = f(Wt[t] - f(rate * grad[t]));
      }
      losses[epoch + 1] = yield* lossSteps(Wt, D);
      yield losses.slice();
    }
    return losses;
  }
  const train = (D, B, lr, shuffles) => drain(trainSteps(D, B, lr, shuffles));

  // numpy's rint: halves to even (Python's round, as explorer_figure rounds the batch size)
  const rint = (x) => (Math.abs(x % 1) === 0.5 ? 2 * Math.round(x / 2) : Math.round(x));

  // the losses of one run, computed in steps (see trainSteps): yields the losses so far, returns
  // them all; finished runs are kept (the last 24)
  const cache = new Map();
  function* runSteps(D, B, lr, numEpochs, seed) {
    const key = [B, lr, numEpochs, seed].join(",");
    if (cache.has(key)) return cache.get(key);
    const losses = yield* trainSteps(D, B, lr, orders(D.n, numEpochs, seed));
    if (cache.size > 24) cache.delete(cache.keys().next().value);
    cache.set(key, losses);
    return losses;
  }

  // the explorer's result in steps (the runtime draws each partial one): the grey reference run
  // first, then the chosen one; partial results carry a progress line instead of the caption
  function* steps(p, pageData) {
    const D = load(pageData);
    const B = Math.min(Math.max(rint(p.batch_size), 1), D.n), E = p.num_epochs;
    const empty = () => new Array(E + 1).fill(null);
    const ref = yield* relay(runSteps(D, REF.B, REF.lr, E, p.seed), (L) => ({ B, n: D.n, ref: L, main: empty(),
      progress: `computing the grey reference run: epoch ${L.filter((v) => v !== null).length - 1} of ${E}` }));
    const main = yield* relay(runSteps(D, B, p.lr, E, p.seed), (L) => ({ B, n: D.n, ref, main: L,
      progress: `training: epoch ${L.filter((v) => v !== null).length - 1} of ${E} (${Math.ceil(D.n / B)} updates per epoch)` }));
    yield { B, n: D.n, ref, main };
  }
  // pass a generator's checkpoints on, each partial losses list as wrap(list); return its result
  function* relay(it, wrap) {
    for (;;) {
      const r = it.next();
      if (r.done) return r.value;
      yield r.value === undefined ? undefined : wrap(r.value);
    }
  }
  function compute(p, pageData) {   // the whole result at once (tests, and any caller without a runtime)
    let r, last;
    const it = steps(p, pageData);
    do { r = it.next(); if (r.value !== undefined) last = r.value; } while (!r.done);
    return last;
  }

  function verdict(L) {   // nnlib.plots.minibatches._verdict
    const bad = L.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) return `diverged in epoch ${bad}`;
    if (L[L.length - 1] > L[0]) return `ends above its start (${+L[L.length - 1].toPrecision(3)})`;
    for (let e = 1; e < L.length; e++) if (L[e] > L[e - 1]) return `rises in epoch ${e}, ends at ${L[L.length - 1].toFixed(3)}`;
    return `ends at ${L[L.length - 1].toFixed(3)}`;
  }

  const shown = (v) => (Number.isFinite(v) && v < 1e6 ? v : null);

  function charts(data, p) {
    const epochs = data.main.map((_, e) => e);
    // the right panel's x: updates so far (epoch 0 at 0.7 on the log axis), both runs' on one axis
    const per = (b) => Math.ceil(data.n / b);
    const at = (b) => epochs.map((e) => Math.max(e * per(b), 0.7));
    const xs = Array.from(new Set([...at(REF.B), ...at(data.B)])).sort((a, b) => a - b);
    const on = (b, L) => { const m = new Map(at(b).map((x, e) => [x, shown(L[e])])); return xs.map((x) => (m.has(x) ? m.get(x) : null)); };
    const series = [{ label: "epoch" },
                    { label: `batch ${REF.B}, lr ${REF.lr}`, stroke: "#999", width: 1.6, spanGaps: true, points: { show: true, size: 4 } },
                    { label: `batch ${data.B}, lr ${+p.lr.toPrecision(3)}`, stroke: "#d62728", width: 1.6, spanGaps: true, points: { show: true, size: 4 } }];
    return [
      { opts: { title: "training loss per epoch", scales: { x: { time: false }, y: { distr: 3, log: 10 } },
                series, axes: [{ label: "epoch" }, W.logAxis("training loss (log)")] },
        data: [epochs, data.ref.map(shown), data.main.map(shown)] },
      { opts: { title: "training loss per update", scales: { x: { time: false, distr: 3, log: 10 }, y: { distr: 3, log: 10 } },
                series: [{ label: "updates" }, series[1], series[2]],
                axes: [{ ...W.logAxis("updates (log; epoch 0 at 0.7)") }, W.logAxis("training loss (log)")] },
        data: [xs, on(REF.B, data.ref), on(data.B, data.main)] },
    ];
  }

  function caption(data, p) {
    const per = Math.ceil(data.n / data.B), lr = +p.lr.toPrecision(3);
    return `batch ${data.B} at lr ${lr}: η/B = ${+(p.lr / data.B).toPrecision(3)}, ${per} updates per epoch; ${verdict(data.main)} ` +
           `(grey: batch ${REF.B} at ${REF.lr}, η/B = ${+(REF.lr / REF.B).toPrecision(3)}, ${verdict(data.ref)})`;
  }

  W.modules.minibatches = { compute, steps, charts, caption, train, trainSteps, orders, loss, load };
})();

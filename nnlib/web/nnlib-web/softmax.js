/* Chapter 3's explorer in the browser: three logits, their softmax probabilities, the
 * cross-entropy loss of the true class and its gradient, and the loss against z1. The arithmetic
 * is nnlib.softmax's, float32 operation for operation, with nnlib.portable's exp and log
 * (tests/browser/test_web_explorers.py compares it bit for bit). */
(function () {
  "use strict";
  const W = (window.nnlibWeb = window.nnlibWeb || { modules: {} });
  const f = Math.fround;
  const P = () => W.portable;

  function softmax(z) {            // exp(z - max z) * (1 / sum), as nnlib (and TensorFlow)
    const m = Math.max(...z);
    const e = z.map((v) => P().exp(f(v - m)));
    let s = 0;
    e.forEach((v) => { s = f(s + v); });
    const inv = f(1 / s);
    return e.map((v) => f(v * inv));
  }
  function logSoftmax(z) {         // (z - max z) - log sum exp(z - max z)
    const m = Math.max(...z);
    const shifted = z.map((v) => f(v - m));
    let s = 0;
    shifted.forEach((v) => { s = f(s + P().exp(v)); });
    const l = P().log(s);
    return shifted.map((v) => f(v - l));
  }

  // numpy.linspace(-10, 10, 201) in float64, then float32
  const T = Array.from({ length: 201 }, (_, k) => f(k === 200 ? 10 : k * 0.1 + -10));

  function compute(p) {
    const z = [f(p.z1), f(p.z2), f(p.z3)];
    const y = Number(p.true_class) - 1;
    const a = softmax(z);
    const loss = f(0 - logSoftmax(z)[y]);
    const grad = a.map((v, j) => f(v - (j === y ? 1 : 0)));
    const curves = [[], [], []];
    T.forEach((t) => { const l = logSoftmax([t, z[1], z[2]]); l.forEach((v, j) => curves[j].push(f(0 - v))); });
    return { z, y, a, loss, grad, curves };
  }

  const RED = "#d62728", BLUE = "#1f77b4", GREY = "#7f7f7f";

  function charts(data, p) {
    const series = [{ label: "z1" }];
    [0, 1, 2].forEach((j) => series.push({ label: `−log a${j + 1}` + (j === data.y ? " (the loss)" : ""),
      stroke: j === data.y ? RED : GREY, width: j === data.y ? 2 : 1, dash: j === data.y ? undefined : [5, 4] }));
    series.push({ label: "here", stroke: RED, width: 0, points: { show: true, size: 9, fill: RED } });
    const k = Math.min(200, Math.max(0, Math.round((data.z[0] + 10) / 0.1)));  // the grid point nearest z1
    const here = T.map((t, i) => (i === k ? data.loss : null));
    return [
      { kind: "bars" },
      { opts: { title: "loss against z1 (z2, z3 held)", scales: { x: { time: false }, y: { range: [0, 14] } },
                series, axes: [{ label: "z1" }, { label: "−log a_j" }] },
        data: [T, ...data.curves, here], scales: { y: { min: 0, max: 14 } } },
    ];
  }

  function caption(data, p) {
    return `true class ${p.true_class} (label ${data.y} in code): loss = −log a${p.true_class} = ${data.loss.toFixed(4)}`;
  }

  // probabilities (the true class in red) and the gradient a_j − [j = y], as bars
  function barsPanel(host) {
    const lo = -1.15, hi = 1.3;
    const P = W.canvasPanel(host, { title: "probabilities (red: true class) and gradient (grey)", xlim: [-0.5, 2.5],
                                    ylim: [lo, hi], cssW: 310, cssH: 250, margins: { l: 34, r: 8, t: 8, b: 24 } });
    const { ctx, X, Y } = P, cssW = 310, cssH = 250, M = { l: 34, r: 8 };
    function draw(data) {
      P.clear();
      ctx.restore();   // no clip: the labels sit outside the view
      ctx.font = "11px sans-serif"; ctx.fillStyle = "#222"; ctx.textAlign = "right";
      [-1, -0.5, 0, 0.5, 1].forEach((v) => {
        ctx.fillText(String(v), M.l - 4, Y(v) + 4);
        ctx.strokeStyle = v === 0 ? "#555" : "#e4e4e4"; ctx.lineWidth = 1;
        ctx.beginPath(); ctx.moveTo(M.l, Y(v)); ctx.lineTo(cssW - M.r, Y(v)); ctx.stroke();
      });
      const bw = 0.42 * (cssW - M.l - M.r) / 3;
      ctx.textAlign = "center";
      ctx.font = "10px sans-serif";
      [0, 1, 2].forEach((j) => {
        const a = data.a[j], g = data.grad[j];
        ctx.fillStyle = j === data.y ? RED : BLUE;
        ctx.fillRect(X(j) - bw - 1, Math.min(Y(a), Y(0)), bw, Math.abs(Y(a) - Y(0)));
        ctx.fillStyle = GREY;
        ctx.fillRect(X(j) + 1, Math.min(Y(g), Y(0)), bw, Math.abs(Y(g) - Y(0)));
        ctx.fillStyle = "#222";
        ctx.fillText(a.toFixed(3), X(j) - bw / 2, Y(a) - 3);
        ctx.fillText((g >= 0 ? "+" : "") + g.toFixed(3), X(j) + bw / 2, g >= 0 ? Y(g) - 3 : Y(g) + 11);
        ctx.fillText(`z${j + 1} = ${+data.z[j].toPrecision(4)}` + (j === data.y ? " (true)" : ""), X(j), cssH - 6);
      });
    }
    return { draw };
  }

  W.modules.softmax = { compute, charts, caption, barsPanel, softmax, logSoftmax };
})();

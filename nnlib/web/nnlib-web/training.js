/* Chapter 14's explorer in the browser: the test set through the trained network's eyes, from the
 * data Python sent with the page (nnlib.plots.training.web_test_set): every test image in one PNG,
 * the labels, the predictions and the ten probabilities in 255ths. Pick a cell of the confusion
 * matrix (click it, or use the two drop-downs) and step through its images, the most confident
 * first, in the order nnlib.plots.training.selection gives. */
(function () {
  "use strict";
  const W = (window.nnlibWeb = window.nnlibWeb || { modules: {} });
  const GREEN = "#2ca02c", RED = "#d62728", BLUE = "#1f77b4";

  let loaded = null;
  function load(data) {
    if (loaded && loaded.data === data) return loaded;
    const q = Uint8Array.from(atob(data.tf_probs), (c) => c.charCodeAt(0));
    const n = data.labels.length, cm = Array.from({ length: 10 }, () => new Array(10).fill(0));
    data.labels.forEach((t, i) => { cm[t][data.pred[i]] += 1; });
    const img = new Image();
    img.src = data.sprite;
    loaded = { data, q, n, cm, img };
    return loaded;
  }

  function selection(L, t, p) {   // nnlib.plots.training.selection
    const { data, q, n } = L, out = [];
    for (let i = 0; i < n; i++) {
      if ((t === "any" || data.labels[i] === +t) && (p === "any" || data.pred[i] === +p)) out.push(i);
    }
    const conf = (i) => q[i * 10 + data.pred[i]];
    return out.sort((a, b) => conf(b) - conf(a) || a - b);
  }

  function compute(p, data) {
    const L = load(data), sel = selection(L, p.true, p.predicted);
    const k = Math.min(p.rank, Math.max(sel.length - 1, 0));
    const i = sel.length ? sel[k] : null;
    return { L, sel, k, i, probs: i === null ? null : Array.from(L.q.subarray(i * 10, i * 10 + 10), (v) => v / 255) };
  }

  // the image slider ends at the chosen cell's last image
  function limits(d) { return { rank: d.sel.length - 1 }; }

  function charts() { return [{ kind: "matrix" }, { kind: "digit" }]; }

  function caption(d, p) {
    const { L, sel, k, i } = d;
    const cell = `${p.true === "any" ? "any digit" : "a " + p.true} read as ${p.predicted === "any" ? "anything" : p.predicted}`;
    if (i === null) return `No test image is ${cell}.`;
    const t = L.data.labels[i], y = L.data.pred[i];
    const verdict = t === y ? "right" : "wrong";
    const which = k === 0 ? "the most confident" : `number ${k + 1} by confidence`;
    return `${cell}: ${sel.length} of ${L.n} test images; showing ${which}, test image ${i}: ` +
           `true ${t}, says ${y} with p = ${d.probs[y].toFixed(2)} (${verdict}).`;
  }

  // the confusion matrix: counts, the chosen cell framed; a click picks a cell
  function matrixPanel(host, spec, getParams, set) {
    const P = W.canvasPanel(host, { title: "confusion matrix (click a cell)", xlim: [-0.5, 9.5], ylim: [9.5, -0.5],
                                    cssW: 300, cssH: 300, margins: { l: 34, r: 8, t: 6, b: 30 },
                                    label: "confusion matrix of the test set: rows true digit, columns predicted" });
    const { canvas, ctx, X, Y, invX, invY } = P;
    canvas.style.cursor = "pointer";
    canvas.addEventListener("click", (ev) => {
      const r = canvas.getBoundingClientRect();
      const c = Math.round(invX(ev.clientX - r.left)), t = Math.round(invY(ev.clientY - r.top));
      if (c >= 0 && c <= 9 && t >= 0 && t <= 9) set({ true: String(t), predicted: String(c), rank: 0 });
    });
    function draw(d, p) {
      const { cm } = d.L;
      let max = 0;
      cm.forEach((row, t) => row.forEach((v, c) => { if (t !== c) max = Math.max(max, v); }));
      P.clear();
      ctx.font = "10px sans-serif"; ctx.textAlign = "center";
      const w = X(1) - X(0), h = Y(1) - Y(0);
      cm.forEach((row, t) => row.forEach((v, c) => {
        const x0 = X(c - 0.5), y0 = Y(t - 0.5);
        ctx.fillStyle = t === c ? "#e8f4e8" : v ? `rgba(214, 39, 40, ${0.15 + 0.85 * v / max})` : "white";
        ctx.fillRect(x0, y0, w, h);
        if (v) { ctx.fillStyle = t === c ? GREEN : "#111"; ctx.fillText(String(v), X(c), Y(t) + 4); }
      }));
      const inT = (t) => p.true === "any" || +p.true === t, inC = (c) => p.predicted === "any" || +p.predicted === c;
      const ts = [...Array(10).keys()].filter(inT), cs = [...Array(10).keys()].filter(inC);
      ctx.strokeStyle = BLUE; ctx.lineWidth = 2.5;
      ctx.strokeRect(X(Math.min(...cs) - 0.5), Y(Math.min(...ts) - 0.5), (Math.max(...cs) - Math.min(...cs) + 1) * w,
                     (Math.max(...ts) - Math.min(...ts) + 1) * h);
      ctx.restore();
      ctx.fillStyle = "#222"; ctx.font = "11px sans-serif"; ctx.textAlign = "center";
      for (let c = 0; c <= 9; c++) ctx.fillText(String(c), X(c), 300 - 16);
      ctx.fillText("predicted", X(4.5), 300 - 3);
      ctx.textAlign = "right";
      for (let t = 0; t <= 9; t++) ctx.fillText(String(t), 26, Y(t) + 4);
      ctx.save(); ctx.translate(9, Y(4.5)); ctx.rotate(-Math.PI / 2); ctx.textAlign = "center"; ctx.fillText("true", 0, 0); ctx.restore();
    }
    return { draw };
  }

  // the image, six times its size, and its ten probabilities
  function digitPanel(host, spec) {
    const P = W.canvasPanel(host, { title: "the image and its ten probabilities", xlim: [-0.5, 9.5], ylim: [0, 1],
                                    cssW: 300, cssH: 300, margins: { l: 34, r: 8, t: 180, b: 22 },
                                    label: "the chosen test image and the network's probabilities for it" });
    const { ctx, X, Y } = P;
    let last = null;
    function draw(d) {
      last = d;
      P.clear();
      ctx.restore();
      ctx.fillStyle = "white"; ctx.fillRect(0, 0, 300, 178);
      if (d.i !== null) {
        const per = d.L.data.perRow, sx = (d.i % per) * 28, sy = Math.floor(d.i / per) * 28;
        ctx.imageSmoothingEnabled = false;
        if (d.L.img.complete) ctx.drawImage(d.L.img, sx, sy, 28, 28, 150 - 84, 4, 168, 168);
        else d.L.img.onload = () => last && draw(last);
        ctx.strokeStyle = "#999"; ctx.strokeRect(150 - 84, 4, 168, 168);
        const t = d.L.data.labels[d.i], y = d.L.data.pred[d.i];
        d.probs.forEach((v, c) => {
          ctx.fillStyle = c === t ? GREEN : c === y ? RED : "#bbb";
          ctx.fillRect(X(c - 0.35), Y(v), X(c + 0.35) - X(c - 0.35), Y(0) - Y(v));
        });
      }
      P.done(1, 0.5);
    }
    return { draw };
  }

  W.modules.training = { compute, limits, charts, caption, matrixPanel, digitPanel, selection, load };
})();

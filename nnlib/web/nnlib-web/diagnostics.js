/* Chapter 15's explorer in the browser: learning curves at one learning rate next to the whole
 * sweep, from the curves Python trained and sent with the page (nnlib.plots.diagnostics.web_sweep:
 * the chapter's seven rates and sixteen more between each two, 103 in all). In the book the slider shows the
 * trained rate nearest to it; in JupyterLab the widget draws that at once and asks the kernel, which
 * trains the exact rate and sends it to be drawn in its place. */
(function () {
  "use strict";
  const W = (window.nnlibWeb = window.nnlibWeb || { modules: {} });
  const BLUE = "#1f77b4", RED = "#d62728", LN10 = Math.log(10), CLIP = 1e3;

  function compute(p, data) {
    let k = 0;
    data.rates.forEach((r, i) => { if (Math.abs(Math.log(r / p.lr)) < Math.abs(Math.log(data.rates[k] / p.lr))) k = i; });
    return { lr: data.rates[k], train: data.train[k], val: data.val[k], exact: false };
  }

  const clip = (v) => (v === null || !Number.isFinite(v) ? null : Math.min(v, CLIP));
  function lowest(val) {
    let k = -1;
    val.forEach((v, e) => { if (v !== null && Number.isFinite(v) && (k < 0 || v < val[k])) k = e; });
    return k;
  }

  function charts(d, p, data) {
    const epochs = d.train.map((_, e) => e + 1);
    const xs = Array.from(new Set([...data.rates, d.lr])).sort((a, b) => a - b);
    const at = (vals) => xs.map((x) => { const i = data.rates.indexOf(x); return i < 0 ? null : vals[i]; });
    const last = data.train.map((t) => clip(t[t.length - 1]));
    const best = data.val.map((v) => { const k = lowest(v); return k < 0 ? null : clip(v[k]); });
    const dBest = lowest(d.val);
    return [
      { opts: { title: "loss per epoch at this rate", legend: { live: true }, scales: { x: { time: false }, y: { range: [0, 2.6] } },
                series: [{ label: "epoch" }, { label: "training", stroke: BLUE, width: 1.8 }, { label: "validation", stroke: RED, width: 1.8 },
                         { label: "ln 10", stroke: "#888", dash: [2, 3], width: 1 }],
                axes: [{ label: "epoch" }, { label: "loss" }] },
        data: [epochs, d.train.map(clip), d.val.map(clip), epochs.map(() => LN10)] },
      { opts: { title: `${data.numEpochs} epochs at each rate`, legend: { live: true },
                scales: { x: { time: false, distr: 3, log: 10 }, y: { distr: 3, log: 10 } },
                series: [{ label: "rate" },
                         { label: "training, last epoch", stroke: BLUE, width: 1.5, spanGaps: true, points: { show: true, size: 4 } },
                         { label: "validation, best epoch", stroke: RED, width: 1.5, spanGaps: true, points: { show: true, size: 4 } },
                         { label: "this rate", stroke: "#111", paths: () => null, points: { show: true, size: 9, fill: "#111" } }],
                axes: [W.logAxis("learning rate (log)"), W.logAxis("loss (log)")] },
        data: [xs, at(last), at(best), xs.map((x) => (x === d.lr ? (dBest < 0 ? null : clip(d.val[dBest])) : null))] },
    ];
  }

  function caption(d, p) {
    const k = lowest(d.val), lr = +d.lr.toPrecision(3);
    const which = d.exact ? `lr = ${lr} (trained in the kernel)` : `lr = ${lr}, the trained rate nearest the slider's ${+p.lr.toPrecision(3)}`;
    const end = d.train[d.train.length - 1];
    if (k < 0) return `${which}: the validation loss was never finite.`;
    return `${which}: lowest validation loss ${d.val[k].toFixed(3)} at epoch ${k + 1}; training loss after the last epoch ` +
           `${end === null ? "not finite" : end.toFixed(3)}.`;
  }

  // in JupyterLab, while the kernel trains the exact rate: the nearest trained one, said so
  function interim(d, p) {
    return `lr = ${+d.lr.toPrecision(3)}, the trained rate nearest the slider's ${+p.lr.toPrecision(3)}, ` +
           `while the kernel trains lr = ${+p.lr.toPrecision(3)} ...`;
  }

  W.modules.diagnostics = { compute, charts, caption, interim };
})();

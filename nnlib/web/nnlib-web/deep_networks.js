/* Chapter 11's explorer in the browser: the chapter's stored training runs (ten hidden layers of
 * 64, one run per seed), drawn from the numbers Python sent with the page (nnlib.plots.
 * deep_networks.web_runs): nothing is trained here. Per epoch: the validation accuracy, the share
 * of dead hidden units, and how the gradient of the first hidden kernel compares with the last's. */
(function () {
  "use strict";
  const W = (window.nnlibWeb = window.nnlibWeb || { modules: {} });
  const COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"];

  function compute(p, data) {
    return { runs: data.runs[`${p.activation}|${p.lr}`] || [] };
  }

  function charts(d) {
    const n = Math.max(1, ...d.runs.map((r) => r.val_acc.length));
    const epochs = Array.from({ length: n }, (_, e) => e + 1);
    const seeds = d.runs.map((r, s) => ({ label: `seed ${s}`, stroke: COLORS[s % COLORS.length], width: 1.5,
                                          points: { show: true, size: 4 } }));
    const pad = (v) => epochs.map((_, e) => (e < v.length ? v[e] : null));
    const ratio = (r) => r.first_grad.map((g, e) => (g !== null && r.last_grad[e] ? g / r.last_grad[e] : null));
    return [
      { opts: { legend: { live: true }, title: "validation accuracy (0.1 = chance)", scales: { x: { time: false }, y: { range: [0, 1] } },
                series: [{ label: "epoch" }, ...seeds], axes: [{ label: "epoch" }, { label: "validation accuracy" }] },
        data: [epochs, ...d.runs.map((r) => pad(r.val_acc))] },
      { opts: { legend: { live: true }, title: "share of dead hidden units", scales: { x: { time: false }, y: { range: [0, 15] } },
                series: [{ label: "epoch" }, ...seeds], axes: [{ label: "epoch" }, { label: "dead hidden units, %" }] },
        data: [epochs, ...d.runs.map((r) => pad(r.dead.map((v) => (v === null ? null : 100 * v))))] },
      { opts: { legend: { live: true }, title: "gradient norm, first ÷ last layer", scales: { x: { time: false }, y: { distr: 3, log: 10 } },
                series: [{ label: "epoch" }, ...seeds], axes: [{ label: "epoch (its first batch)" }, W.logAxis("first / last (log)")] },
        data: [epochs, ...d.runs.map((r) => pad(ratio(r)))] },
    ];
  }

  function caption(d, p) {
    if (!d.runs.length) return `${p.activation} was not run at learning rate ${p.lr}.`;
    const diverged = d.runs.filter((r) => r.diverged).length;
    const last = d.runs.map((r) => r.val_acc[r.val_acc.length - 1]).filter((v) => v !== null);
    const best = last.length ? `; final validation accuracy ${Math.min(...last).toFixed(3)}–${Math.max(...last).toFixed(3)}` : "";
    return `${p.activation}, 10 layers of 64, learning rate ${p.lr}: ${d.runs.length} seeds, ${diverged} diverged (NaN loss)${best}`;
  }

  W.modules.deep_networks = { compute, charts, caption };
})();

/* Chapter 16's explorer in the browser: the capstone's rows, drawn from the numbers Python sent
 * with the page (nnlib.plots.capstone.web_rows); nothing is trained here. For the rows up to the
 * chosen step: the mean training loss per epoch and the validation accuracy with its spread over
 * the seeds; for the chosen step, how its learning rate was chosen (every rate tried, every seed)
 * and, in the caption, how it fared against the best row kept so far. */
(function () {
  "use strict";
  const W = (window.nnlibWeb = window.nnlibWeb || { modules: {} });
  const BLUE = "#1f77b4", GREY = "#bbbbbb", SEEDS = ["#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"];

  function compute(p, data) {
    return { rows: data.rows, step: Math.min(Math.max(Math.round(p.step), 0), data.rows.length - 1) };
  }

  function charts(d) {
    const { rows, step } = d, row = rows[step];
    const n = Math.max(...rows.map((r) => r.losses.length));
    const epochs = Array.from({ length: n }, (_, e) => e + 1);
    const top = Math.max(...rows.flatMap((r) => r.losses.filter((v) => v !== null)));
    // the same series on every move (one per row, grey, and the chosen row again in blue), so a
    // move only replaces the data: rows after the chosen step are empty
    const lossSeries = rows.map((r) => ({ label: r.name, stroke: GREY, width: 1, points: { show: false } }));
    const lossesOf = (r) => epochs.map((_, e) => (e < r.losses.length ? r.losses[e] : null));
    const empty = epochs.map(() => null);
    const out = [
      { key: "loss", opts: { title: `training loss, steps 0–${step}`, scales: { x: { time: false }, y: { range: [0, top * 1.05] } },
                             series: [{ label: "epoch" }, ...lossSeries,
                                      { label: "chosen", stroke: BLUE, width: 2.2, points: { show: true, size: 5 } }],
                             legend: { show: false }, axes: [{ label: "epoch" }, { label: "mean training loss" }] },
        data: [epochs, ...rows.map((r, k) => (k <= step ? lossesOf(r) : empty)), lossesOf(row)] },
      { kind: "bars" },
    ];
    if (row.lrs) {
      const seeds = row.right[0].length, total = row.nVal;
      const mean = row.right.map((byseed) => byseed.reduce((a, b) => a + b, 0) / seeds);
      out.push({ opts: { title: `step ${step}: images right at each rate`, legend: { live: true },
                         scales: { x: { time: false, distr: 3, log: 10 } },
                         series: [{ label: "rate" }, { label: "mean", stroke: BLUE, width: 2 },
                                  ...Array.from({ length: seeds }, (_, s) => ({ label: `seed ${s}`, stroke: SEEDS[s % SEEDS.length],
                                                                                paths: () => null, points: { show: true, size: 7 } }))],
                         axes: [{ ...W.logAxis("learning rate (log)"), values: (u, v) => v.map((x) => (x == null ? "" : String(+x.toPrecision(2)))),
                                  splits: (u) => u.data[0], filter: (u, splits) => splits },
                                { label: `images right${total ? " (of " + total + ")" : ""}` }] },
                 key: "rates", data: [row.lrs, mean, ...Array.from({ length: seeds }, (_, s) => row.right.map((byseed) => byseed[s]))] });
    }
    return out;
  }

  function caption(d) {
    const row = d.rows[d.step];
    const acc = `validation accuracy ${(100 * row.accuracy).toFixed(1)}% ± ${(100 * row.se).toFixed(1)}`;
    if (!row.lrs) return `step ${d.step}: ${row.name}, ${acc}`;
    const rate = `rate ${row.lr} (best mean over the seeds on validation)`;
    if (!row.nets.length) return `step ${d.step}: ${row.name}, the baseline: ${rate}; ${acc}.`;
    const nets = row.nets.map((v) => (v >= 0 ? "+" : "") + v).join(" ");   // as Python's {:+d}
    return `step ${d.step}: ${row.name}: ${rate}; ${acc}; against the best row kept so far, images gained − lost ` +
           `per seed ${nets}, McNemar p = ${row.p}: ${row.kept ? "kept" : "dropped"}.`;
  }

  // validation accuracy ± spread of the rows so far, as horizontal bars (kept rows in colour)
  function barsPanel(host, spec) {
    const rows = spec.data.rows, acc = rows.map((r) => 100 * r.accuracy);
    const lo = Math.max(0, Math.floor(Math.min(...acc) - 5));
    const P = W.canvasPanel(host, { title: "validation accuracy ± spread over seeds", xlim: [lo, 100], ylim: [-0.6, rows.length - 0.4],
                                    cssW: 400, margins: { l: 150, r: 12, t: 6, b: 22 },
                                    label: "validation accuracy of each row so far, with its spread over the seeds" });
    const { ctx, X, Y } = P;
    function draw(d) {
      P.clear();
      rows.forEach((r, k) => {
        if (k > d.step) return;
        const y = Y(rows.length - 1 - k), h = Math.abs(Y(0) - Y(0.7));
        ctx.fillStyle = k === d.step ? BLUE : r.kept ? "#9ecae1" : "#d0d0d0";
        ctx.fillRect(X(lo), y - h / 2, X(100 * r.accuracy) - X(lo), h);
        ctx.strokeStyle = "#333"; ctx.lineWidth = 1; ctx.beginPath();
        ctx.moveTo(X(100 * (r.accuracy - r.se)), y); ctx.lineTo(X(100 * (r.accuracy + r.se)), y); ctx.stroke();
      });
      P.done(5, 0);
      ctx.fillStyle = "#222"; ctx.textAlign = "right"; ctx.font = "11px sans-serif";
      rows.forEach((r, k) => {
        ctx.fillStyle = k <= d.step ? "#222" : "#aaa";
        ctx.fillText(r.name + (k <= d.step ? `  ${(100 * r.accuracy).toFixed(1)}%` : ""), 146, Y(rows.length - 1 - k) + 4);
      });
    }
    return { draw };
  }

  W.modules.capstone = { compute, charts, caption, barsPanel };
})();

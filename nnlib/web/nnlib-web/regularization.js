/* Chapter 13's explorer in the browser: the eleven circle networks trained in the notebook (no
 * penalty, L1 and L2 at five strengths, 40000 steps each) are too slow to train on every move, so
 * the page brings what they computed (nnlib.plots.regularization.web_data): each network's 0.5
 * boundary as contour lines, its train and test accuracy and its 33 weights. Here they are only
 * drawn: the boundary on the points, accuracy against the strength, and the weights sorted by size
 * on a log scale, where L1's zeros and L2's uniform shrinking are told apart at a glance. */
(function () {
  "use strict";
  const W = (window.nnlibWeb = window.nnlibWeb || { modules: {} });
  const BLUE = "#1f77b4", RED = "#d62728", GREEN = "#2ca02c", PURPLE = "#9467bd";
  const FLOOR = 1e-7;   // a weight of exactly 0 is drawn here on the log scale

  function compute(p, data) {
    const net = data.nets[data.index[p.kind][p.lam]];
    const none = data.nets[data.index.L2[data.lams[0]]];
    return { net, none, at: data.lams.indexOf(p.lam) };
  }

  function charts(d, p, data) {
    const xs = data.lams.map((_, k) => k);
    const acc = (kind, which) => data.lams.map((l) => data.nets[data.index[kind][l]][which]);
    const chosen = xs.map((k) => (k === d.at ? d.net.test : null));
    const ranks = d.net.w.map((_, k) => k + 1);
    const floor = (w) => w.map((v) => Math.max(v, FLOOR));
    return [
      { kind: "boundary" },
      { opts: { title: "accuracy of every trained network",
                scales: { x: { time: false, range: [-0.3, xs.length - 0.7] }, y: { range: [0.55, 1.0] } },
                series: [{ label: "λ" },
                         { label: "L1 train", stroke: BLUE, width: 1.5, points: { show: true, size: 5 } },
                         { label: "L1 test", stroke: RED, width: 1.5, dash: [5, 4], points: { show: true, size: 5 } },
                         { label: "L2 train", stroke: GREEN, width: 1.5, points: { show: true, size: 5 } },
                         { label: "L2 test", stroke: PURPLE, width: 1.5, dash: [5, 4], points: { show: true, size: 5 } },
                         { label: "chosen (test)", stroke: "#111", width: 0, points: { show: true, size: 11, fill: "#ffd54f" } }],
                axes: [{ label: "λ (Keras convention)", splits: () => xs, values: (u, s) => s.map((k) => data.lams[k] === "0.0" ? "0" : data.lams[k]) },
                       { label: "accuracy" }] },
        data: [xs, acc("L1", "train"), acc("L1", "test"), acc("L2", "train"), acc("L2", "test"), chosen] },
      { opts: { title: `the ${d.net.w.length} weights, largest first`,
                scales: { x: { time: false }, y: { distr: 3, log: 10, range: [FLOOR / 2, 10] } },
                series: [{ label: "rank" }, { label: "no penalty", stroke: "#999", width: 1.5 },
                         { label: "chosen", stroke: p.kind === "L1" ? BLUE : GREEN, width: 2, points: { show: true, size: 4 } }],
                axes: [{ label: "rank by |w|" }, W.logAxis("|w| (log; 0 drawn at 1e-7)")] },
        data: [ranks, floor(d.none.w), floor(d.net.w)] },
    ];
  }

  function caption(d, p) {
    const name = p.lam === "0.0" ? "no penalty" : `${p.kind}, λ = ${p.lam}`;
    return `${name}: train accuracy ${d.net.train.toFixed(3)}, test accuracy ${d.net.test.toFixed(3)}, ` +
      `${d.net.zeros} of ${d.net.w.length} weights within 0.001 of 0`;
  }

  // the boundary panel: the training points, the 0.5 contour of the chosen network (solid) and of
  // the unregularized one (dashed)
  function boundaryPanel(host, spec) {
    const data = spec.data;
    const P = W.canvasPanel(host, { title: "0.5 contour (dashed: no penalty)", xlim: [-3, 3], ylim: [-3, 3],
                                    cssW: 300, cssH: 280, label: "the points and the networks' boundaries" });
    const { ctx, X, Y } = P;
    function draw(d) {
      P.clear();
      for (let i = 0; i < data.labels.length; i++) {
        ctx.fillStyle = data.labels[i] ? "rgba(214,39,40,0.6)" : "rgba(31,119,180,0.6)";
        ctx.beginPath();
        ctx.arc(X(data.points[2 * i]), Y(data.points[2 * i + 1]), 2.2, 0, 2 * Math.PI);
        ctx.fill();
      }
      d.none.contour.forEach((c) => P.line(P.flat(c), "#999", 1, [5, 4]));
      d.net.contour.forEach((c) => P.line(P.flat(c), "#111", 1.8));
      P.done();
    }
    return { draw };
  }

  W.modules.regularization = { compute, charts, caption, boundaryPanel };
})();

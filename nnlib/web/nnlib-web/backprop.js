/* Chapter 5's explorer in the browser: note 004's one-neuron graph J = ½(wx + b − y)², its values
 * forward and its gradients backward, as nnlib.backprop.one_neuron and Value.backward compute them
 * (float64, the same operations in the same order: tests/browser/test_web_explorers.py compares
 * every node bit for bit), drawn as nnlib.plots.backprop.draw_graph draws it; and J against w with
 * the tangent whose slope is ∂J/∂w. */
(function () {
  "use strict";
  const W = (window.nnlibWeb = window.nnlibWeb || { modules: {} });
  const BLUE = "#1f77b4", RED = "#d62728";
  const STEP = 1.2;
  const LAYOUT = { w: [0, 0], x: [0.5 * STEP, 1], c: [STEP, 0], b: [1.5 * STEP, 1], a: [2 * STEP, 0],
                   y: [2.5 * STEP, 1], d: [3 * STEP, 0], J: [4 * STEP, 0] };
  const FORMULA = { c: "c = w·x", a: "a = c + b", d: "d = a − y", J: "J = ½d²" };
  const EDGES = [["x", "c"], ["w", "c"], ["c", "a"], ["b", "a"], ["a", "d"], ["y", "d"], ["d", "J"]];
  const BOX_W = 0.9, BOX_H = 0.5;

  // the graph of one_neuron(): values forward, then the backward pass (each node feeds one other,
  // so every gradient is one product, local derivative times the child's gradient)
  function compute(p) {
    const { x, y, w, b } = p;
    const c = w * x, a = c + b, d = a - y, s = d * d, J = s * 0.5;   // s = d ** 2, J = 0.5 * s
    // Value.backward: every grad starts at 0.0 and adds local * child's grad (0.0 + v turns -0 into 0)
    const add = (v) => 0.0 + v;
    const g = { J: 1.0 };
    const gs = add(0.5 * g.J), gd = add(2 * d * gs);                  // d(d**2)/dd = 2.0 * d ** 1.0
    g.d = gd; g.a = add(1.0 * gd); g.y = add(-1.0 * gd); g.c = add(1.0 * g.a); g.b = add(1.0 * g.a);
    g.w = add(x * g.c); g.x = add(w * g.c);
    const value = { x, y, w, b, c, a, d, J };
    // the local derivative on each arrow (through the unnamed node d**2 for d -> J)
    const local = { "x-c": add(w), "w-c": add(x), "c-a": 1.0, "b-a": 1.0, "a-d": 1.0, "y-d": -1.0,
                    "d-J": add(0.5 * add(2 * d)) };
    const ws = Array.from({ length: 121 }, (_, k) => (k === 120 ? 6 : k * 0.1 + -6));   // np.linspace(-6, 6, 121)
    const curve = ws.map((v) => 0.5 * (v * x + b - y) ** 2);
    return { value, grad: g, local, ws, curve };
  }

  // Python's f"{v:.4g}" with a proper minus sign and no "-0" (nnlib.plots.backprop._num)
  function num(v) {
    if (v === 0) return "0";
    let s = v.toExponential(3);                      // d.ddde±x, correctly rounded
    let [m, e] = s.split("e");
    const exp = +e;
    if (exp >= -4 && exp < 4) {
      s = v.toFixed(Math.max(0, 3 - exp));
      if (s.includes(".")) s = s.replace(/0+$/, "").replace(/\.$/, "");
    } else {
      if (m.includes(".")) m = m.replace(/0+$/, "").replace(/\.$/, "");
      s = m + "e" + (exp < 0 ? "-" : "+") + String(Math.abs(exp)).padStart(2, "0");
    }
    return s === "-0" ? "0" : s.replace(/-/g, "−");
  }

  function charts(data, p) {
    const J = data.value.J, slope = data.grad.w;
    const tangent = data.ws.map((v) => (Math.abs(v - p.w) <= 1.2 + 1e-9 ? J + slope * (v - p.w) : null));
    const point = data.ws.map(() => null);
    let k = 0;
    data.ws.forEach((v, i) => { if (Math.abs(v - p.w) < Math.abs(data.ws[k] - p.w)) k = i; });
    const ws = data.ws.slice(), curve = data.curve.slice();
    ws.splice(k + 1, 0, p.w); curve.splice(k + 1, 0, J); tangent.splice(k + 1, 0, J); point.splice(k + 1, 0, J);
    const order = ws.map((_, i) => i).sort((i, j) => ws[i] - ws[j]);
    const pick = (arr) => order.map((i) => arr[i]);
    return [
      { kind: "graph" },
      { opts: { title: `J against w: tangent slope ${num(slope)}`,
                scales: { x: { time: false, range: [-6, 6] }, y: { range: [0, 130] } },
                series: [{ label: "w" }, { label: "J", stroke: "#8c8c8c", width: 1.3 },
                         { label: "tangent", stroke: RED, width: 2, spanGaps: false },
                         { label: "(w, J)", stroke: BLUE, width: 0, points: { show: true, size: 9, fill: BLUE } }],
                axes: [{ label: "w" }, { label: "J" }] },
        data: [pick(ws), pick(curve), pick(tangent), pick(point)], scales: { y: { min: 0, max: 130 } } },
    ];
  }

  function caption(data, p) {
    return `w = ${num(p.w)}, b = ${num(p.b)}, x = ${num(p.x)}, y = ${num(p.y)}  →  J = ${num(data.value.J)}. ` +
      "Blue: values forward. Red: ∂J/∂node backward (×: local derivative).";
  }

  function edgePoint([x0, y0], [x1, y1]) {   // where the segment from a box's centre leaves the box
    const dx = x1 - x0, dy = y1 - y0;
    const t = Math.min(dx ? BOX_W / 2 / Math.abs(dx) : Infinity, dy ? BOX_H / 2 / Math.abs(dy) : Infinity);
    return [x0 + t * dx, y0 + t * dy];
  }

  function graphPanel(host) {
    const P = W.canvasPanel(host, { title: "the graph: values forward, gradients backward", xlim: [-0.5, 4 * STEP + 0.5],
                                    ylim: [-0.33, 1.28], cssW: 600, cssH: 210, margins: { l: 0, r: 0, t: 0, b: 0 },
                                    label: "the computation graph with each node's value and gradient" });
    const { ctx, X, Y } = P;
    function arrow(from, to, color, width, dash) {
      P.line([from, to], color, width, dash);
      const ang = Math.atan2(Y(to[1]) - Y(from[1]), X(to[0]) - X(from[0]));
      ctx.fillStyle = color; ctx.beginPath();
      ctx.moveTo(X(to[0]), Y(to[1]));
      ctx.lineTo(X(to[0]) - 8 * Math.cos(ang - 0.4), Y(to[1]) - 8 * Math.sin(ang - 0.4));
      ctx.lineTo(X(to[0]) - 8 * Math.cos(ang + 0.4), Y(to[1]) - 8 * Math.sin(ang + 0.4));
      ctx.closePath(); ctx.fill();
    }
    function draw(data) {
      P.clear();
      const sx = X(1) - X(0), sy = Y(0) - Y(1);
      for (const [name, [cx, cy]] of Object.entries(LAYOUT)) {
        ctx.fillStyle = name === "x" || name === "y" ? "#e8e8e8" : "white";
        ctx.strokeStyle = "#404040"; ctx.lineWidth = name === "w" || name === "b" ? 2.2 : 0.9;
        ctx.beginPath();
        ctx.roundRect(X(cx - BOX_W / 2), Y(cy + BOX_H / 2), BOX_W * sx, BOX_H * sy, 6);
        ctx.fill(); ctx.stroke();
        ctx.textAlign = "center"; ctx.textBaseline = "middle"; ctx.font = "12px sans-serif";
        ctx.fillStyle = BLUE;
        ctx.fillText(`${FORMULA[name] || name} = ${num(data.value[name])}`, X(cx), Y(cy + 0.1));
        ctx.fillStyle = name === "x" || name === "y" ? "#737373" : RED;
        ctx.fillText(`∂J/∂${name} = ${num(data.grad[name])}`, X(cx), Y(cy - 0.11));
      }
      for (const [pn, cn] of EDGES) {
        const a0 = edgePoint(LAYOUT[pn], LAYOUT[cn]), a1 = edgePoint(LAYOUT[cn], LAYOUT[pn]);
        const d = [a1[0] - a0[0], a1[1] - a0[1]], len = Math.hypot(d[0], d[1]);
        const off = [(d[1] / len) * 0.06, (-d[0] / len) * 0.06];
        arrow([a0[0] - off[0], a0[1] - off[1]], [a1[0] - off[0], a1[1] - off[1]], BLUE, 1.4);
        arrow([a1[0] + off[0], a1[1] + off[1]], [a0[0] + off[0], a0[1] + off[1]], RED, 1.1, [3, 2]);
        const m = [(a0[0] + a1[0]) / 2 + off[0] * 2, (a0[1] + a1[1]) / 2 + off[1] * 2];
        ctx.fillStyle = RED; ctx.font = "11px sans-serif"; ctx.textBaseline = "top";
        ctx.textAlign = d[1] ? "right" : "center";
        ctx.fillText(`×${num(data.local[pn + "-" + cn])}`, X(m[0]), Y(m[1]));
      }
      ctx.restore();   // no frame: the graph stands on its own
    }
    return { draw };
  }

  W.modules.backprop = { compute, charts, caption, num, graphPanel };
})();

/* nnlib's explorers computed in the browser (issue 17): the runtime every chapter module uses.
 *
 * A chapter module registers itself as nnlibWeb.modules[name] = {compute(params, pageData),
 * charts(data, params, pageData), caption(data, params, pageData)}: compute() does the chapter's
 * arithmetic (float32 where nnlib is float32: every operation rounded with Math.fround, in
 * nnlib's order), charts() returns uPlot series for each panel (or {kind} for a custom panel,
 * module[kind + "Panel"], drawn on a W.canvasPanel), caption() a line of text; pageData is what
 * Python sent with the page (contours, precomputed runs). The Python side
 * (nnlib.explore.Explorer.static with web=...) writes a <div class="nnlib-web" data-module=...
 * data-spec=...> whose spec lists the controls; mount() builds the controls, draws with uPlot,
 * keeps the state in the URL hash and hides the picture of the default setting that stands in
 * for the explorer in print and on pages without JavaScript.
 */
(function () {
  "use strict";
  const W = (window.nnlibWeb = window.nnlibWeb || { modules: {} });
  const SLIDER_STEPS = 1000; // a continuous control has 1001 reachable values
  const HASH_WAIT = 150; // ms: the URL is written once the controls rest this long

  function fmt(value, control) {
    if (control.kind === "choice") return String(value);
    if (control.kind === "toggle") return value ? "on" : "off";
    if (control.kind === "int" || control.whole) return String(Math.round(value));
    return Number(value.toPrecision(4)).toString();
  }

  // slider position 0..SLIDER_STEPS <-> value
  function toValue(c, pos) {
    if (c.kind === "log") {
      const v = Math.exp(Math.log(c.lo) + (pos / SLIDER_STEPS) * (Math.log(c.hi) - Math.log(c.lo)));
      return c.whole ? Math.min(Math.max(Math.round(v), c.lo), c.hi) : v;
    }
    if (c.kind === "int") return Math.round(c.lo + pos);
    const raw = c.lo + (pos / SLIDER_STEPS) * (c.hi - c.lo);
    return c.step ? Math.round(raw / c.step) * c.step : raw;
  }
  function toPos(c, value) {
    if (c.kind === "log") return Math.round(((Math.log(value) - Math.log(c.lo)) / (Math.log(c.hi) - Math.log(c.lo))) * SLIDER_STEPS);
    if (c.kind === "int") return Math.round(value - c.lo);
    return Math.round(((value - c.lo) / (c.hi - c.lo)) * SLIDER_STEPS);
  }

  // the state in the URL hash: #<explorer>:<control>=<value>,... (values URI-encoded), one part
  // per explorer on the page, joined by '&'
  function readHash(name) {
    const out = {};
    const part = window.location.hash.replace(/^#/, "").split("&").find((p) => p.startsWith(name + ":"));
    if (!part) return out;
    part.slice(name.length + 1).split(",").forEach((kv) => {
      const i = kv.indexOf("=");
      if (i > 0) {
        try { out[kv.slice(0, i)] = decodeURIComponent(kv.slice(i + 1)); } catch (e) { /* ignore */ }
      }
    });
    return out;
  }
  function writeHash(name, params, spec) {
    const state = spec.controls.map((c) => c.name + "=" + encodeURIComponent(
      c.kind === "choice" || c.kind === "toggle" ? String(params[c.name]) : +Number(params[c.name]).toPrecision(6))).join(",");
    const others = window.location.hash.replace(/^#/, "").split("&").filter((p) => p && !p.startsWith(name + ":"));
    history.replaceState(null, "", "#" + [...others, name + ":" + state].join("&"));
  }

  function parse(c, text) {
    if (text === undefined) return undefined;
    if (c.kind === "choice") return c.options.includes(text) ? text : undefined;
    if (c.kind === "toggle") return text === "true" || text === "1";
    const v = Number(text);
    if (!Number.isFinite(v) || v < c.lo || v > c.hi) return undefined;
    return c.kind === "int" ? Math.round(v) : v;
  }

  // A page loads only its own chapter modules: the first explorer that needs one adds its script
  // (from this file's folder) and mounts when it has run.
  const here = document.currentScript && document.currentScript.src;
  const BASE = here ? here.replace(/[^/]*$/, "") : "";
  const waiting = {};
  function need(name, then) {
    if (waiting[name]) { waiting[name].push(then); return; }
    waiting[name] = [then];
    const script = document.createElement("script");
    script.src = BASE + name + ".js";
    script.onload = () => waiting[name].forEach((f) => f());
    document.head.appendChild(script);
  }

  // a page of the book: the explorer's state starts from, and is kept in, the URL hash
  function mount(root) {
    if (root.dataset.mounted) return;
    if (!W.modules[root.dataset.module] && !W.widget && /^[a-z_]+$/.test(root.dataset.module || "")) {
      if (!root.dataset.loading) { root.dataset.loading = "1"; need(root.dataset.module, () => mount(root)); }
      return;
    }
    const mod = W.modules[root.dataset.module];
    if (!mod || typeof uPlot === "undefined") return; // the PNG frames stay
    const spec = JSON.parse(root.dataset.spec);
    const fromHash = readHash(spec.name);
    const start = {};
    spec.controls.forEach((c) => { start[c.name] = parse(c, fromHash[c.name]); });
    // the URL follows the state once the controls have rested for HASH_WAIT ms: a slider dragged
    // across its range writes the URL once, not on every frame (replaceState costs a few ms, and
    // browsers throttle pages that call it too often); leaving the page writes a pending state
    let timer = null, pending = null;
    const write = () => { clearTimeout(timer); timer = null; if (pending) writeHash(spec.name, pending, spec); pending = null; };
    window.addEventListener("pagehide", write);
    build(root, mod, spec, start, (params) => {
      pending = params;
      clearTimeout(timer);
      timer = setTimeout(write, HASH_WAIT);
    });
    const frames = root.parentElement && root.parentElement.querySelector(".nnlib-frames");
    if (frames) frames.classList.add("nnlib-frames-replaced");
  }

  // JupyterLab (nnlib.explore.WebWidget, an anywidget): the state comes from and goes to the
  // kernel's widget model; set() applies a change made in Python (ex.lr = 0.3)
  // kernel(), when given, returns what the kernel computed for the learner's own functions
  // ({params, data} or {params, error}): the widget draws that instead of computing
  W.mountWidget = function (root, moduleName, spec, values, onChange, kernel) {
    const mod = W.modules[moduleName];
    if (!mod) throw new Error(`no in-browser module ${moduleName}`);
    const start = {};
    spec.controls.forEach((c) => { start[c.name] = parse(c, values[c.name] === undefined ? undefined : String(values[c.name])); });
    return build(root, mod, spec, start, onChange, kernel);
  };

  function build(root, mod, spec, start, changed, kernel) {
    root.dataset.mounted = "1";
    if (kernel) root.dataset.kernel = "1";   // a move is painted when the kernel's answer is
    const name = spec.name;
    const params = {};
    spec.controls.forEach((c) => { params[c.name] = start[c.name] === undefined ? c.default : start[c.name]; });

    const bar = document.createElement("div");
    bar.className = "nnlib-web-controls";
    const inputs = {};
    spec.controls.forEach((c) => {
      const label = document.createElement("label");
      const text = document.createElement("span");
      text.textContent = c.label + " ";
      const out = document.createElement("output");
      let input;
      if (c.kind === "choice") {
        input = document.createElement("select");
        c.options.forEach((o) => {
          const opt = document.createElement("option");
          opt.textContent = o;
          input.appendChild(opt);
        });
        input.value = params[c.name];
      } else if (c.kind === "toggle") {
        input = document.createElement("input");
        input.type = "checkbox";
        input.checked = !!params[c.name];
      } else {
        input = document.createElement("input");
        input.type = "range";
        input.min = 0;
        input.max = c.kind === "int" ? c.hi - c.lo : SLIDER_STEPS;
        input.step = 1;
        input.value = toPos(c, params[c.name]);
      }
      input.setAttribute("aria-label", c.label);
      input.dataset.webControl = c.name;
      input.addEventListener("input", () => {
        params[c.name] = c.kind === "choice" ? input.value : c.kind === "toggle" ? input.checked : toValue(c, +input.value);
        update();
      });
      inputs[c.name] = { input, out, control: c };
      label.append(text, input, " ");
      if (c.kind !== "choice") label.append(out); // a select shows its value itself
      bar.appendChild(label);
    });
    const reset = document.createElement("button");
    reset.type = "button";
    reset.textContent = "reset";
    reset.setAttribute("aria-label", "reset every control to its default");
    reset.addEventListener("click", () => {
      spec.controls.forEach((c) => {
        params[c.name] = c.default;
        const { input } = inputs[c.name];
        if (c.kind === "choice") input.value = c.default;
        else if (c.kind === "toggle") input.checked = !!c.default;
        else input.value = toPos(c, c.default);
      });
      update();
    });
    bar.appendChild(reset);

    const caption = document.createElement("div");
    caption.className = "nnlib-web-caption";
    caption.setAttribute("aria-live", "polite");
    const panels = document.createElement("div");
    panels.className = "nnlib-web-panels";
    root.append(bar, caption, panels);

    const width = () => Math.max(260, Math.min(460, (panels.clientWidth || 700) / 2 - 24));
    let plots = null, drawn = null;   // drawn: the result on the charts now

    // A module whose arithmetic takes longer than a frame (chapters 9 and 10: training, a deep
    // stack) gives steps(params, pageData), a generator: it yields undefined at checkpoints and a
    // partial result (data with a `progress` line) whenever there is more to draw; its last yield
    // is the whole result, the one compute() returns. The runtime draws the first partial result
    // in the frame of the move, then goes on for about BUDGET ms per animation frame, drawing
    // each share, until the end; a newer move drops the old computation.
    const BUDGET = 8;
    let job = 0;
    function progressive(t0) {
      const mine = ++job, it = mod.steps({ ...params }, spec.data);
      root.dataset.busy = "1";
      let first = true;
      const slice = () => {
        if (mine !== job) return;   // a newer move took over
        const start = performance.now();
        let r, last;
        // the move's own frame stops at the first partial result: the answer starts at once
        do { r = it.next(); if (r.value !== undefined) last = r.value; }
        while (!r.done && (first ? last === undefined : performance.now() - start < BUDGET));
        const wasFirst = first;
        first = false;
        if (last !== undefined) paint(last);
        // the next share at the start of a frame, painted in it; after the move's own share, at
        // the start of the frame after next, so that the move's frame is painted without waiting
        if (!r.done) { requestAnimationFrame(wasFirst ? () => requestAnimationFrame(slice) : slice); return; }
        delete root.dataset.busy;
        root.dataset.completeMs = (performance.now() - t0).toFixed(2);   // move -> whole result drawn
        root.dataset.completes = String(+(root.dataset.completes || 0) + 1);
      };
      slice();
    }
    function update() {
      const t0 = performance.now();
      spec.controls.forEach((c) => { inputs[c.name].out.textContent = fmt(params[c.name], c); });
      if (kernel) {   // the kernel computes this setting; paint() runs when its answer arrives
        changed({ ...params });
        // a module that can draw a stand-in from the page's data (mod.interim: chapter 15's
        // nearest trained rate) draws it in this frame, captioned as such, until the answer
        if (mod.interim && plots) {
          const stand = mod.compute(params, spec.data);
          stand.progress = mod.interim(stand, params, spec.data);
          paint(stand);
        }
        if (!plots) paint();
        return;
      }
      if (mod.steps) progressive(t0);
      else paint();
      changed({ ...params });
      root.dataset.lastPaintMs = (performance.now() - t0).toFixed(2);
    }
    function paint(partial) {
      let data = partial, shown = params;
      if (partial !== undefined) {
        // drawn below like any result
      } else if (kernel) {
        const got = kernel();
        if (!got || (!got.data && !got.error)) return;
        if (got.error) { caption.textContent = "your function failed: " + got.error; return; }
        data = got.data;
        shown = { ...params, ...got.params };
        root.dataset.kernelPaints = String(+(root.dataset.kernelPaints || 0) + 1);
      } else {
        data = mod.compute(params, spec.data);   // spec.data: what Python sent with the page
        if (mod.limits) limit(mod.limits(data, params));
      }
      const charts = mod.charts(data, shown, spec.data);
      caption.textContent = data.progress || mod.caption(data, shown, spec.data);
      drawn = data;
      if (!plots) {
        plots = charts.map((ch) => {
          if (ch.kind) return { custom: mod[ch.kind + "Panel"](panels, spec, () => params, set) };
          const div = document.createElement("div");
          panels.appendChild(div);
          const plot = new uPlot({ legend: { live: false }, ...ch.opts, width: width(), height: 260 }, ch.data, div);
          plot.nnlibKey = ch.key;
          return plot;
        });
      } else {
        charts.forEach((ch, k) => {
          if (ch.kind) return;
          // another number of lines, or other styles (ch.key changed): a new chart in its place
          if (ch.opts.series.length !== plots[k].series.length || ch.key !== plots[k].nnlibKey) {
            const div = plots[k].root.parentNode;
            plots[k].destroy();
            plots[k] = new uPlot({ legend: { live: false }, ...ch.opts, width: width(), height: 260 }, ch.data, div);
            plots[k].nnlibKey = ch.key;
            return;
          }
          if (ch.scales) Object.entries(ch.scales).forEach(([s, r]) => plots[k].setScale(s, r));
          plots[k].setData(ch.data, !ch.scales);
          // a title that names the setting changes without a new chart
          const title = plots[k].root.querySelector(".u-title");
          if (title && ch.opts.title !== undefined && title.textContent !== ch.opts.title) title.textContent = ch.opts.title;
        });
      }
      charts.forEach((ch, k) => { if (ch.kind) plots[k].custom.draw(data, shown); });
      root.dataset.paints = String(+(root.dataset.paints || 0) + 1);
    }
    // a module may end a whole-number slider where the current setting's values end (chapter
    // 14: the image slider spans the chosen cell's images): the slider's end moves there and a
    // value past it is clamped, so every position shows something different
    function limit(ends) {
      Object.entries(ends).forEach(([k, hi]) => {
        const { input, out, control: c } = inputs[k];
        const end = Math.min(Math.max(hi, c.lo), c.hi);
        input.max = end - c.lo;
        if (params[k] > end) {
          params[k] = end;
          input.value = toPos(c, end);
          out.textContent = fmt(end, c);
        }
      });
    }
    // set some controls from code (a drag on a surface sets the start; Python sets any control),
    // numbers clamped to their ranges; repaints only if a value changed
    function set(values) {
      let moved = false;
      Object.entries(values).forEach(([k, v]) => {
        if (!inputs[k]) return;
        const { input, control: c } = inputs[k];
        let x;
        if (c.kind === "choice") {
          x = String(v);
          if (!c.options.includes(x)) return;
          input.value = x;
        } else if (c.kind === "toggle") {
          x = !!v;
          input.checked = x;
        } else {
          x = Math.min(Math.max(+v, c.lo), c.hi);
          if (c.step) x = Math.round(x / c.step) * c.step;
          x = c.kind === "int" ? Math.round(x) : +x.toPrecision(12);
          input.value = toPos(c, x);
        }
        // a number that only lost digits on its way through the kernel is no move
        const same = typeof x === "number" ? Math.abs(params[k] - x) <= 1e-9 * Math.max(1, Math.abs(x)) : params[k] === x;
        if (!same) { params[k] = x; moved = true; }
      });
      if (moved) update();
    }
    W.instances = W.instances || {};
    const instance = { params, update, paint, set, inputs, root, drawn: () => drawn };
    W.instances[name] = instance;
    update();
    root.dataset.firstPaint = performance.now().toFixed(1);   // ms since the page started loading
    return instance;
  }

  // uPlot points drawn as small filled squares, no outline: one path of rectangles, which a
  // software canvas fills several times faster than as many stroked circles (chapter 12's 600
  // batch means every move). Use as a series' points.paths, with points.size in CSS pixels.
  W.squarePoints = function (u, sidx, i0, i1) {
    const size = Math.max(1, Math.round(u.series[sidx].points.size * uPlot.pxRatio)), h = size / 2;
    const xs = u.data[0], ys = u.data[sidx], fill = new Path2D(), clip = new Path2D();
    const { left, top, width, height } = u.bbox;
    clip.rect(left, top, width, height);
    for (let i = i0; i <= i1; i++) {
      const y = ys[i];
      if (y == null || !Number.isFinite(y)) continue;
      fill.rect(Math.round(u.valToPos(xs[i], "x", true) - h), Math.round(u.valToPos(y, "y", true) - h), size, size);
    }
    return { stroke: null, fill, clip, flags: 3 };
  };

  // A log axis with labels at powers of ten only (at most ~6 of them), as nnlib's plain_log_axis.
  W.logAxis = function (label) {
    return {
      label,
      splits: (u, i, min, max) => {
        const lo = Math.floor(Math.log10(Math.max(min, 1e-300))), hi = Math.ceil(Math.log10(Math.max(max, 1e-300)));
        const step = Math.max(1, Math.ceil((hi - lo) / 6));
        const inside = (v) => v >= min * (1 - 1e-9) && v <= max * (1 + 1e-9);
        const out = [];
        for (let e = lo; e <= hi; e += step) if (inside(Math.pow(10, e))) out.push(Math.pow(10, e));
        // less than a decade in view: label its two ends instead
        return out.length >= 2 || !(min > 0) ? out : [min, max].map((v) => +v.toPrecision(2)).filter(inside);
      },
      values: (u, splits) => splits.map((v) => (v == null ? "" : v >= 0.001 && v < 1e5 ? String(+v.toPrecision(3)) : v.toExponential(0).replace("e+", "e"))),
    };
  };

  // A canvas panel for what uPlot does not draw (points and curves in a fixed x-y view, contour
  // lines): a title, a canvas of cssW x cssH CSS pixels sharp on any screen, the view's maps
  // between data and pixels, and helpers to clear, stroke a polyline and frame the view with
  // integer ticks. Used by the chapter modules' custom panels.
  W.canvasPanel = function (host, { title, xlim, ylim, cssW = 380, cssH = 250, margins, label }) {
    const canvas = document.createElement("canvas");
    const head = document.createElement("div");
    head.className = "nnlib-web-panel-title";
    head.textContent = title;
    const wrap = document.createElement("div");
    wrap.append(head, canvas);
    host.appendChild(wrap);
    const dpr = window.devicePixelRatio || 1;
    wrap.style.width = cssW + "px";
    canvas.width = cssW * dpr; canvas.height = cssH * dpr;
    canvas.style.width = cssW + "px"; canvas.style.height = cssH + "px";
    canvas.setAttribute("role", "img");
    canvas.setAttribute("aria-label", label || title);
    const ctx = canvas.getContext("2d");
    const M = margins || { l: 34, r: 8, t: 6, b: 22 };
    const X = (x) => M.l + ((x - xlim[0]) / (xlim[1] - xlim[0])) * (cssW - M.l - M.r);
    const Y = (y) => cssH - M.b - ((y - ylim[0]) / (ylim[1] - ylim[0])) * (cssH - M.t - M.b);
    const invX = (px) => xlim[0] + ((px - M.l) / (cssW - M.l - M.r)) * (xlim[1] - xlim[0]);
    const invY = (py) => ylim[0] + ((cssH - M.b - py) / (cssH - M.t - M.b)) * (ylim[1] - ylim[0]);
    function clear() {   // white, and clip to the view until done()
      ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
      ctx.fillStyle = "white"; ctx.fillRect(0, 0, cssW, cssH);
      ctx.save();
      ctx.beginPath(); ctx.rect(M.l, M.t, cssW - M.l - M.r, cssH - M.t - M.b); ctx.clip();
    }
    function line(pts, color, width, dash) {   // pts: [[x, y], ...]; non-finite points break it
      ctx.strokeStyle = color; ctx.lineWidth = width; ctx.setLineDash(dash || []); ctx.beginPath();
      let open = false;
      for (const [x, y] of pts) {
        if (!Number.isFinite(x) || !Number.isFinite(y) || Math.abs(x) > 1e6 || Math.abs(y) > 1e6) { open = false; continue; }
        if (open) ctx.lineTo(X(x), Y(y)); else { ctx.moveTo(X(x), Y(y)); open = true; }
      }
      ctx.stroke();
      ctx.setLineDash([]);
    }
    function flat(xy) {   // a flat list x0, y0, x1, y1, ... as points
      const pts = [];
      for (let i = 0; i < xy.length; i += 2) pts.push([xy[i], xy[i + 1]]);
      return pts;
    }
    function done(xstep = 1, ystep = 1) {   // end the clip, frame the view, integer ticks (ystep 0: none)
      ctx.restore();
      ctx.strokeStyle = "#444"; ctx.lineWidth = 1;
      ctx.strokeRect(M.l, M.t, cssW - M.l - M.r, cssH - M.t - M.b);
      ctx.fillStyle = "#222"; ctx.font = "11px sans-serif"; ctx.textAlign = "center";
      for (let x = Math.ceil(xlim[0] / xstep) * xstep; x <= xlim[1]; x += xstep) ctx.fillText(String(x), X(x), cssH - 6);
      ctx.textAlign = "right";
      if (ystep) for (let y = Math.ceil(ylim[0] / ystep) * ystep; y <= ylim[1]; y += ystep) ctx.fillText(String(y), M.l - 4, Y(y) + 4);
    }
    return { canvas, ctx, X, Y, invX, invY, clear, line, flat, done };
  };

  W.mount = mount;
  W.fround = Math.fround;
  // every explorer of a book page (in JupyterLab, where the widget's bundle defines nnlibWeb, the
  // book's HTML in a notebook's stored output stays a picture)
  W.mountAll = function () { if (!W.widget) document.querySelectorAll(".nnlib-web[data-spec]").forEach(mount); };
  if (W.widget) return;   // inside the JupyterLab widget's bundle: it mounts its own element
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", W.mountAll);
  else W.mountAll();
})();

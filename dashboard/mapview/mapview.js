// The map of the Karte page: a classed choropleth drawn on a canvas.
//
// The shapes of a level are one static file of the app (projected to
// EPSG:3035, quantised, delta-encoded, gzip; see dashboard/mapview/__init__.py). The
// browser fetches and decodes it once per page load; each rerun sends only the
// class, value and rank of every region, in the file's order. Nothing is
// loaded from another host.

const shapesCache = new Map(); // url -> Promise of decoded shapes
const instances = new WeakMap(); // parentElement -> map instance

function loadShapes(url) {
  if (!shapesCache.has(url)) {
    // The app publishes the file gzip-compressed (dashboard/data.py: _publish);
    // the browser decompresses it here.
    const promise = fetch(url)
      .then((r) => {
        if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
        return new Response(r.body.pipeThrough(new DecompressionStream("gzip"))).json();
      })
      .then(decode);
    promise.catch(() => shapesCache.delete(url));
    shapesCache.set(url, promise);
  }
  return shapesCache.get(url);
}

// {ids, names, width, height, rings: [[x0, y0, dx, dy, ...], ...] per region}
// -> Path2D per region in map units (y down) with its bounding box, and all
// of them in one Path2D for the borders.
function decode(file) {
  const n = file.ids.length;
  const paths = new Array(n);
  const boxes = new Float64Array(4 * n);
  for (let i = 0; i < n; i++) {
    const path = new Path2D();
    let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
    for (const ring of file.shapes[i]) {
      let x = 0, y = 0;
      for (let j = 0; j < ring.length; j += 2) {
        x += ring[j];
        y += ring[j + 1];
        if (j === 0) path.moveTo(x, y);
        else path.lineTo(x, y);
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
      path.closePath();
    }
    paths[i] = path;
    boxes.set([x0, y0, x1, y1], 4 * i);
  }
  // Every border in one path: one stroke call instead of one per region
  // (11,000 Gemeinden: about 8 ms instead of 50).
  const borders = new Path2D();
  for (const path of paths) borders.addPath(path);
  return { ids: file.ids, names: file.names, width: file.width, height: file.height, paths, boxes, borders };
}

// Whether two reruns' data show the same map (``report_drawn`` aside).
function sameShown(a, b) {
  const { report_drawn: _a, ...x } = a;
  const { report_drawn: _b, ...y } = b;
  return JSON.stringify(x) === JSON.stringify(y);
}

const CSS = `
:host { display: block; }
.dsr-map { font-family: "Source Sans", "DejaVu Sans", Arial, sans-serif; color: #262730; position: relative; }
.dsr-title { font-size: 17px; margin: 4px 0 6px 6px; }
.dsr-stage { position: relative; }
.dsr-stage canvas { position: absolute; left: 0; top: 0; touch-action: pan-y; cursor: pointer; }
.dsr-stage canvas.dsr-hover { pointer-events: none; }
.dsr-legend { position: absolute; left: 6px; top: 6px; background: rgba(255,255,255,0.85); padding: 4px 8px; font-size: 12px; line-height: 18px; pointer-events: none; }
.dsr-legend .dsr-note { font-style: italic; color: #555; max-width: 220px; white-space: normal; line-height: 15px; margin-bottom: 3px; }
.dsr-legend span.sw { display: inline-block; width: 22px; height: 12px; margin-right: 6px; vertical-align: -1px; border: 1px solid #bbb; box-sizing: border-box; }
.dsr-tools { position: absolute; right: 6px; top: 6px; display: flex; flex-direction: column; gap: 4px; }
.dsr-tools button { width: 30px; height: 30px; border: 1px solid #bbb; background: #fff; border-radius: 4px; font-size: 16px; cursor: pointer; color: #262730; }
.dsr-tools button:focus-visible { outline: 2px solid #0b5394; }
.dsr-tip div { white-space: pre-line; }
.dsr-tip { position: absolute; pointer-events: none; background: #fff; border: 1px solid #888; border-radius: 3px; padding: 4px 7px; font-size: 12px; line-height: 16px; white-space: nowrap; box-shadow: 0 1px 4px rgba(0,0,0,0.2); display: none; z-index: 2; }
.dsr-source { font-size: 10px; color: #555; margin: 6px 0 0 6px; white-space: pre-line; }
.dsr-message { padding: 24px; color: #555; }
`;

function el(tag, cls, parent) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (parent) parent.appendChild(node);
  return node;
}

class ChoroplethMap {
  constructor(parent) {
    const style = el("style", null, parent);
    style.textContent = CSS;
    this.root = el("div", "dsr-map", parent);
    this.titleEl = el("div", "dsr-title", this.root);
    this.stage = el("div", "dsr-stage", this.root);
    this.canvas = el("canvas", null, this.stage);
    this.hoverCanvas = el("canvas", "dsr-hover", this.stage);
    this.legend = el("div", "dsr-legend", this.stage);
    this.tools = el("div", "dsr-tools", this.stage);
    this.tip = el("div", "dsr-tip", this.stage);
    this.sourceEl = el("div", "dsr-source", this.root);
    this.hitCtx = document.createElement("canvas").getContext("2d");
    this.view = { z: 1, px: 0, py: 0 };
    this.hovered = -1;
    this.selected = -1;
    this.shapes = null;
    this.data = null;
    this.width = 0;
    for (const [label, action] of [["+", () => this.zoomBy(2)], ["−", () => this.zoomBy(0.5)], ["⟲", () => this.reset()]]) {
      const b = el("button", null, this.tools);
      b.type = "button";
      b.textContent = label;
      b.addEventListener("click", action);
      b.dataset.action = label;
    }
    this.bindPointer();
    new ResizeObserver(() => this.resize()).observe(this.root);
  }

  async update(data, setTriggerValue) {
    this.setTriggerValue = setTriggerValue;
    this.reportDrawn = data.report_drawn;
    // A rerun that sends what is drawn already (the page's deferred part
    // arriving after the first view) leaves the map as it is.
    if (this.root.dataset.state === "drawn" && this.data && sameShown(this.data, data)) {
      this.data = data;
      return;
    }
    this.data = data;
    for (const old of this.stage.querySelectorAll(".dsr-message")) old.remove();
    this.root.dataset.state = "loading";
    this.root.dataset.drawn = "0";
    this.titleEl.textContent = data.title;
    this.sourceEl.textContent = data.source;
    this.canvas.setAttribute("role", "img");
    this.canvas.setAttribute("aria-label", data.title);
    const [zin, zout, zreset] = this.tools.children;
    zin.title = zin.ariaLabel = data.text.zoom_in;
    zout.title = zout.ariaLabel = data.text.zoom_out;
    zreset.title = zreset.ariaLabel = data.text.zoom_reset;
    this.renderLegend();
    this.stage.style.height = `${data.height}px`;
    let shapes;
    const started = performance.now();
    try {
      shapes = await loadShapes(data.url);
      this.root.dataset.loadMs = (performance.now() - started).toFixed(0);
    } catch (err) {
      this.showMessage(`${data.text.error}: ${err.message}`);
      return;
    }
    if (this.data !== data) return; // a newer rerun arrived meanwhile
    if (shapes.ids.length !== data.cls.length) {
      this.showMessage(`${data.text.error}: ${data.url}`);
      return;
    }
    if (this.shapes !== shapes) {
      this.shapes = shapes;
      this.view = { z: 1, px: 0, py: 0 };
      this.hovered = -1;
    }
    // The selection is Python's (the URL's): a click shows at once, and the
    // rerun it causes sends it back.
    this.selected = data.selected ?? -1;
    this.outlined = new Map((data.outline ? data.outline.idx : []).map((i, j) => [i, data.outline.text[j]]));
    this.noData = new Map(Object.entries(data.nd || {}).map(([i, text]) => [Number(i), text]));
    this.numberFormat = new Intl.NumberFormat(data.locale, { minimumFractionDigits: data.decimals, maximumFractionDigits: data.decimals });
    this.intFormat = new Intl.NumberFormat(data.locale, { maximumFractionDigits: 0 });
    this.renderLegend();
    this.resize(true);
  }

  showMessage(text) {
    this.root.dataset.state = "error";
    const msg = el("div", "dsr-message", this.stage);
    msg.textContent = text;
    this.reportShown();
  }

  // Tells the page once that the map is on the screen (drawn, or its error
  // shown), when the page asked (``report_drawn``): the page then sends what
  // its first view could do without.
  reportShown() {
    if (!this.reportDrawn || this.reported || !this.setTriggerValue) return;
    this.reported = true;
    this.setTriggerValue("drawn", true);
  }

  renderLegend() {
    const d = this.data;
    this.legend.replaceChildren();
    if (d.legend_note) el("div", "dsr-note", this.legend).textContent = d.legend_note;
    const entries = d.labels.map((label, i) => [d.colours[i], label, false]);
    if (d.cls.some((c) => c < 0)) entries.push([d.no_data_colour, d.text.no_data, false]);
    if (d.outline && d.outline.idx.length) entries.push(["transparent", d.outline.label, "#cc0000"]);
    // The chosen region, by name, once the shapes (with the names) are loaded.
    if (this.shapes && this.selected >= 0) entries.push(["transparent", this.shapes.names[this.selected], d.highlight_colour]);
    for (const [colour, label, outline] of entries) {
      const row = el("div", "dsr-entry", this.legend);
      const sw = el("span", "sw", row);
      sw.style.background = colour;
      if (outline) sw.style.border = `2px solid ${outline}`;
      row.appendChild(document.createTextNode(label));
    }
  }

  resize(force) {
    const width = this.root.clientWidth;
    if (!this.data || !this.shapes || !width || (width === this.width && !force)) return;
    this.width = width;
    const height = this.data.height;
    const dpr = window.devicePixelRatio || 1;
    for (const c of [this.canvas, this.hoverCanvas]) {
      c.width = Math.round(width * dpr);
      c.height = Math.round(height * dpr);
      c.style.width = `${width}px`;
      c.style.height = `${height}px`;
    }
    // Fit Germany into the stage, centred (the legend sits on top, at the left).
    const s = this.shapes;
    const pad = 8;
    const scale = Math.min((width - 2 * pad) / s.width, (height - 2 * pad) / s.height);
    this.fit = { s: scale, ox: (width - s.width * scale) / 2, oy: (height - s.height * scale) / 2 };
    this.dpr = dpr;
    this.draw();
  }

  // Screen (CSS px) = z * (s * map + o) + p
  transform(ctx) {
    const { s, ox, oy } = this.fit;
    const { z, px, py } = this.view;
    const k = this.dpr * z * s;
    ctx.setTransform(k, 0, 0, k, this.dpr * (z * ox + px), this.dpr * (z * oy + py));
    return k;
  }

  draw() {
    const started = performance.now();
    const d = this.data, s = this.shapes;
    if (d.cls.length !== s.paths.length) return; // a new level's shapes are still loading
    const ctx = this.canvas.getContext("2d");
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
    const k = this.transform(ctx);
    // One pass per class colour: few style changes for 11,000 regions.
    const colours = [...d.colours, d.no_data_colour];
    const byClass = colours.map(() => []);
    for (let i = 0; i < d.cls.length; i++) byClass[d.cls[i] < 0 ? colours.length - 1 : d.cls[i]].push(i);
    colours.forEach((colour, c) => {
      ctx.fillStyle = colour;
      for (const i of byClass[c]) ctx.fill(s.paths[i], "evenodd");
    });
    ctx.strokeStyle = "#ffffff";
    ctx.lineWidth = d.line_width * this.dpr / k;
    ctx.lineJoin = "round";
    ctx.stroke(s.borders);
    if (this.outlined.size) {
      ctx.strokeStyle = "#cc0000";
      ctx.lineWidth = 1.6 * this.dpr / k;
      for (const i of this.outlined.keys()) ctx.stroke(s.paths[i]);
    }
    this.drawHover();
    this.root.dataset.drawMs = (performance.now() - started).toFixed(0);
    this.root.dataset.drawn = String(s.paths.length);
    // A User Timing mark, once per page load and number of regions: when a
    // level's map is first on the screen (bench/run.py reads it).
    const mark = `dsr-map-drawn:${s.paths.length}`;
    if (!performance.getEntriesByName(mark, "mark").length) performance.mark(mark);
    this.root.dataset.state = "drawn";
    this.reportShown();
  }

  drawHover() {
    const ctx = this.hoverCanvas.getContext("2d");
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, this.hoverCanvas.width, this.hoverCanvas.height);
    this.root.dataset.selected = this.selected < 0 ? "" : this.shapes.ids[this.selected];
    if (this.hovered < 0 && this.selected < 0) return;
    const k = this.transform(ctx);
    if (this.selected >= 0) {
      // The chosen region: a dark outline with a white halo, readable on every class colour.
      ctx.lineJoin = "round";
      ctx.strokeStyle = "#ffffff";
      ctx.lineWidth = 5 * this.dpr / k;
      ctx.stroke(this.shapes.paths[this.selected]);
      ctx.strokeStyle = this.data.highlight_colour;
      ctx.lineWidth = 2.5 * this.dpr / k;
      ctx.stroke(this.shapes.paths[this.selected]);
    }
    if (this.hovered >= 0) {
      ctx.strokeStyle = "#222222";
      ctx.lineWidth = 1.8 * this.dpr / k;
      ctx.stroke(this.shapes.paths[this.hovered]);
    }
  }

  toMap(cx, cy) {
    const { s, ox, oy } = this.fit;
    const { z, px, py } = this.view;
    return [((cx - px) / z - ox) / s, ((cy - py) / z - oy) / s];
  }

  regionAt(cx, cy) {
    const [x, y] = this.toMap(cx, cy);
    const b = this.shapes.boxes;
    for (let i = 0; i < this.shapes.paths.length; i++) {
      const j = 4 * i;
      if (x < b[j] || x > b[j + 2] || y < b[j + 1] || y > b[j + 3]) continue;
      if (this.hitCtx.isPointInPath(this.shapes.paths[i], x, y, "evenodd")) return i;
    }
    return -1;
  }

  tooltip(i) {
    const d = this.data, s = this.shapes;
    const lines = [[`${s.names[i]} (${s.ids[i]})`, true]];
    if (d.cls[i] >= 0) {
      lines.push([`${this.numberFormat.format(d.val[i])} ${d.unit}`, false]);
      lines.push([`${d.text.rank} ${this.intFormat.format(d.rank[i])} / ${this.intFormat.format(d.n_ranked)}`, false]);
    } else {
      lines.push([this.noData.get(i) || d.text.no_data, false]);
    }
    if (this.outlined.has(i)) lines.push([this.outlined.get(i), false]);
    this.tip.replaceChildren();
    for (const [text, bold] of lines) {
      const row = el(bold ? "b" : "div", null, this.tip);
      row.style.display = "block";
      row.textContent = text;
    }
  }

  hover(cx, cy) {
    if (this.data.cls.length !== this.shapes.paths.length) return;
    const i = this.regionAt(cx, cy);
    if (i !== this.hovered) {
      this.hovered = i;
      this.drawHover();
      this.root.dataset.hovered = i < 0 ? "" : this.shapes.ids[i];
      if (i >= 0) this.tooltip(i);
    }
    if (i < 0) {
      this.tip.style.display = "none";
      return;
    }
    this.tip.style.display = "block";
    const left = cx + 14 + this.tip.offsetWidth > this.width ? cx - 14 - this.tip.offsetWidth : cx + 14;
    this.tip.style.left = `${left}px`;
    this.tip.style.top = `${Math.max(0, cy - 10)}px`;
  }

  choose(i) {
    if (this.data.cls.length !== this.shapes.paths.length || i === this.selected) return;
    this.selected = i;
    this.drawHover();
    this.renderLegend();
    if (this.setTriggerValue) this.setTriggerValue("clicked", i < 0 ? "" : this.shapes.ids[i]);
  }

  zoomBy(factor, cx = this.width / 2, cy = this.data.height / 2) {
    const z = Math.min(64, Math.max(1, this.view.z * factor));
    const f = z / this.view.z;
    this.view = { z, px: cx - f * (cx - this.view.px), py: cy - f * (cy - this.view.py) };
    if (z === 1) this.view = { z: 1, px: 0, py: 0 };
    this.draw();
  }

  reset() {
    this.view = { z: 1, px: 0, py: 0 };
    this.draw();
  }

  bindPointer() {
    const c = this.canvas;
    let drag = null;
    const at = (e) => {
      const r = c.getBoundingClientRect();
      return [e.clientX - r.left, e.clientY - r.top];
    };
    c.addEventListener("pointerdown", (e) => {
      if (!this.shapes) return;
      const [x, y] = at(e);
      drag = { x, y, px: this.view.px, py: this.view.py, moved: false };
      c.setPointerCapture(e.pointerId);
    });
    c.addEventListener("pointermove", (e) => {
      if (!this.shapes) return;
      const [x, y] = at(e);
      if (drag && (drag.moved || Math.abs(x - drag.x) + Math.abs(y - drag.y) > 3)) {
        // While dragging, move the drawn image; redraw once at the end.
        drag.moved = true;
        this.view = { ...this.view, px: drag.px + x - drag.x, py: drag.py + y - drag.y };
        c.style.transform = this.hoverCanvas.style.transform = `translate(${x - drag.x}px, ${y - drag.y}px)`;
        this.tip.style.display = "none";
        return;
      }
      this.hover(x, y);
    });
    const end = (e) => {
      if (drag && drag.moved) {
        c.style.transform = this.hoverCanvas.style.transform = "";
        this.draw();
      } else if (drag && e.type === "pointerup" && e.detail < 2) {
        // A click (not a drag, not the second click of a double click)
        // chooses the region under the pointer; a click beside the map clears.
        const [x, y] = at(e);
        this.choose(this.regionAt(x, y));
      }
      drag = null;
    };
    c.addEventListener("pointerup", end);
    c.addEventListener("pointercancel", end);
    c.addEventListener("pointerleave", () => {
      if (drag) return;
      this.hovered = -1;
      this.drawHover();
      this.tip.style.display = "none";
    });
    c.addEventListener("dblclick", (e) => {
      const [x, y] = at(e);
      this.zoomBy(e.shiftKey ? 0.5 : 2, x, y);
    });
    c.addEventListener("wheel", (e) => {
      // Zoom with Ctrl/⌘ + wheel; a plain wheel scrolls the page as usual.
      if (!(e.ctrlKey || e.metaKey) || !this.shapes) return;
      e.preventDefault();
      const [x, y] = at(e);
      this.zoomBy(e.deltaY < 0 ? 1.5 : 1 / 1.5, x, y);
    }, { passive: false });
  }
}

export default function (component) {
  const { parentElement, data, setTriggerValue } = component;
  if (data.prefetch) {
    // mapview.prefetch: only load and decode the shapes (the map shows an error).
    loadShapes(data.prefetch).catch(() => {});
    return;
  }
  let map = instances.get(parentElement);
  if (!map) {
    map = new ChoroplethMap(parentElement);
    instances.set(parentElement, map);
  }
  map.update(data, setTriggerValue);
}

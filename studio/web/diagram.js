// The flow as an SVG diagram, from the graph model GET/POST /api/graph
// returns (the one `callscript graph` draws as Mermaid or DOT): boxes for
// steps with their kind, edges labelled with answers, keys and timers.
// Laid out by layout.js; clicking a box asks the editor to show its step.

import { layout } from "./layout.js";

const SVG = "http://www.w3.org/2000/svg";
const CHAR_W = 6.6; // px per Latin character at the 11px font
const WIDE_W = 11.5; // a CJK character
const LINE_H = 15;
const PAD = 8;
const MAX_CHARS = 30; // longer lines are cut; the full text is the tooltip

/** The graph's node id for a step id (graph::node_id in Rust). */
export function nodeIdOfStep(step) {
  const clean = step.replace(/[^A-Za-z0-9_]/g, "_");
  return clean === "end" || /^[0-9]/.test(clean) ? `step_${clean}` : clean;
}

function textWidth(s) {
  let w = 0;
  for (const c of s) w += c.charCodeAt(0) > 0x2e80 ? WIDE_W : CHAR_W;
  return w;
}

function cut(s) {
  const chars = [...s];
  return chars.length > MAX_CHARS ? chars.slice(0, MAX_CHARS - 1).join("") + "…" : s;
}

function el(name, attrs, parent) {
  const e = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (parent) parent.appendChild(e);
  return e;
}

// What a node of the model shows and how it is drawn. `kind` is the
// node's shape (step, end, marker); a step's own kind is `step_kind`,
// already in its label ("welcome (ask)").
function normalise(n) {
  return {
    id: n.id,
    step: n.step ?? null,
    kind: n.step_kind ?? null,
    shape: n.kind ?? "marker",
    line: n.line ?? null,
    lines: String(n.label ?? n.id).split("\n"),
  };
}

const dashed = (e) => e.kind === "timer";

// The diagram without the background: solid edges only, and the nodes a
// solid edge joins to a step (a marker such as "any listening step" stays
// when it leads to one; the audio-trouble markers go).
function answersOnly(all, edges) {
  const shape = new Map(all.map((n) => [n.id, n.shape]));
  const solid = edges.filter((e) => !dashed(e));
  const keep = new Set(all.filter((n) => n.shape === "step").map((n) => n.id));
  for (const e of solid) {
    if (shape.get(e.from) === "step" || shape.get(e.to) === "step") keep.add(e.from).add(e.to);
  }
  return {
    nodes: all.filter((n) => keep.has(n.id)),
    edges: solid.filter((e) => keep.has(e.from) && keep.has(e.to)),
  };
}

// A point of a cubic Bézier curve, one coordinate at a time.
function cubic(p0, p1, p2, p3, t) {
  const u = 1 - t;
  return u * u * u * p0 + 3 * u * u * t * p1 + 3 * u * t * t * p2 + t * t * t * p3;
}

// Where along its box's edge each edge leaves and arrives (0..1), in the
// order of the boxes at the other end, so edges out of one step fan out
// and their labels do not sit on one another.
function ports(edges, placed) {
  const out = new Map();
  const into = new Map();
  const centre = (id) => {
    const p = placed.nodes.get(id);
    return p.x + p.width / 2;
  };
  edges.forEach((e, i) => {
    if (e.from === e.to) return;
    const first = placed.routes.get(i)?.[0];
    const last = placed.routes.get(i)?.at(-1);
    (out.get(e.from) ?? out.set(e.from, []).get(e.from)).push({ i, x: first ? first.x : centre(e.to) });
    (into.get(e.to) ?? into.set(e.to, []).get(e.to)).push({ i, x: last ? last.x : centre(e.from) });
  });
  const result = new Map(edges.map((_, i) => [i, { out: 0.5, in: 0.5 }]));
  for (const [side, lists] of [["out", out], ["in", into]]) {
    for (const list of lists.values()) {
      list.sort((p, q) => p.x - q.x);
      list.forEach((p, k) => (result.get(p.i)[side] = (k + 1) / (list.length + 1)));
    }
  }
  return result;
}

export class Diagram {
  /** @param {HTMLElement} host @param {{onNode: (node: {id: string, step: string|null, line: number|null}) => void}} hooks */
  constructor(host, hooks) {
    this.host = host;
    this.hooks = hooks;
    this.model = null;
    this.showBackground = false; // the timers and audio trouble crowd the answers
    this.path = [];
    this.current = null;
    this.cursor = null;
    this.zoom = 1;
  }

  /** Scales the drawing: a factor, or "fit" for the pane's width. */
  setZoom(zoom) {
    const svg = this.host.querySelector("svg");
    if (!svg) return;
    const base = Number(svg.dataset.width);
    this.zoom = zoom === "fit" ? Math.min(1, (this.host.clientWidth - 8) / base) : Math.max(0.2, Math.min(2, zoom));
    svg.setAttribute("width", base * this.zoom);
    svg.setAttribute("height", Number(svg.dataset.height) * this.zoom);
  }

  /** Draws a new model (the text changed); keeps the highlights. */
  draw(model) {
    this.model = model;
    this.render();
  }

  setBackground(show) {
    this.showBackground = show;
    this.render();
  }

  // The node ids the model gives for a step id.
  nodeOf(step) {
    if (!this.model || !step) return null;
    const byStep = this.model.nodes.find((n) => n.step === step);
    if (byStep) return byStep.id;
    const id = nodeIdOfStep(step);
    return this.model.nodes.some((n) => n.id === id) ? id : null;
  }

  /** Marks the steps a simulated call went through, in order. */
  highlightPath(steps, current) {
    this.path = steps;
    this.current = current ?? null;
    this.paint();
  }

  /** Marks the step the editor's cursor is in. */
  highlightCursor(step) {
    this.cursor = step;
    this.paint();
    const id = this.nodeOf(step);
    const box = id && this.host.querySelector(`g.node[data-node="${CSS.escape(id)}"]`);
    if (box) box.scrollIntoView({ block: "nearest", inline: "nearest", behavior: "smooth" });
  }

  render() {
    this.host.textContent = "";
    if (!this.model) return;
    const all = this.model.nodes.map(normalise);
    const { nodes, edges } = this.showBackground ? { nodes: all, edges: this.model.edges } : answersOnly(all, this.model.edges);

    const sized = nodes.map((n) => {
      const shown = n.lines.map(cut);
      const width = Math.max(90, ...shown.map(textWidth)) + 2 * PAD;
      return { ...n, shown, width, height: shown.length * LINE_H + 2 * PAD };
    });
    const root = sized.find((n) => n.id === "call_start")?.id ?? sized[0]?.id;
    const placed = layout(sized, edges, root);

    const margin = 40;
    const svg = el("svg", {
      width: placed.width + 2 * margin + 120,
      height: placed.height + 2 * margin,
      viewBox: `${-margin} ${-margin} ${placed.width + 2 * margin + 120} ${placed.height + 2 * margin}`,
      "aria-hidden": "true",
    });
    const defs = el("defs", {}, svg);
    for (const [id, cls] of [["arrow", "arrow"], ["arrow-hot", "arrow hot"]]) {
      const m = el("marker", { id, viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" }, defs);
      el("path", { d: "M0,0 L10,5 L0,10 z", class: cls }, m);
    }
    const edgeLayer = el("g", { class: "edges" }, svg);
    const labelLayer = el("g", { class: "labels" }, svg);
    const nodeLayer = el("g", { class: "nodes" }, svg);

    placed.ports = ports(edges, placed);
    edges.forEach((e, i) => this.drawEdge(e, i, placed, edgeLayer, labelLayer));
    for (const n of sized) this.drawNode(n, placed.nodes.get(n.id), nodeLayer);
    svg.dataset.width = placed.width + 2 * margin + 120;
    svg.dataset.height = placed.height + 2 * margin;
    this.host.appendChild(svg);
    this.setZoom(this.zoom);
    this.paint();
  }

  drawEdge(e, i, placed, edgeLayer, labelLayer) {
    const a = placed.nodes.get(e.from);
    const b = placed.nodes.get(e.to);
    let d;
    let lx;
    let ly;
    if (e.from === e.to) {
      // A loop on the box's right side.
      const x = a.x + a.width;
      const y = a.y + a.height / 2;
      d = `M${x},${y - 6} C${x + 40},${y - 26} ${x + 40},${y + 26} ${x},${y + 6}`;
      lx = x + 42;
      ly = y;
    } else if (placed.routes.has(i) || !(placed.back.has(i) || b.y <= a.y)) {
      // Down (or, for a loop back, up) through the layers between.
      const upward = placed.back.has(i);
      const port = placed.ports.get(i);
      const start = { x: a.x + a.width * port.out, y: upward ? a.y : a.y + a.height };
      const end = { x: b.x + b.width * port.in, y: upward ? b.y + b.height : b.y };
      const points = [start, ...(placed.routes.get(i) ?? []), end];
      d = `M${start.x},${start.y}`;
      for (let k = 1; k < points.length; k++) {
        const p = points[k - 1];
        const q = points[k];
        const mid = (p.y + q.y) / 2;
        d += ` C${p.x},${mid} ${q.x},${mid} ${q.x},${q.y}`;
      }
      // The label sits on the edge's first stretch, higher or lower by
      // where it leaves its box, so the labels of one step's edges do not
      // cover one another.
      const first = points[1];
      const t = 0.3 + 0.4 * port.out;
      const mid = (start.y + first.y) / 2;
      lx = cubic(start.x, start.x, first.x, first.x, t);
      ly = cubic(start.y, mid, mid, first.y, t);
    } else {
      // Back up one layer: out of the right side, round, into the right side.
      const x1 = a.x + a.width;
      const y1 = a.y + a.height / 2;
      const x2 = b.x + b.width;
      const y2 = b.y + b.height / 2;
      const bend = Math.max(x1, x2) + 30 + (i % 4) * 12;
      d = `M${x1},${y1} C${bend},${y1} ${bend},${y2} ${x2},${y2}`;
      lx = bend - 4;
      ly = (y1 + y2) / 2;
    }
    const path = el("path", {
      d,
      class: `edge${dashed(e) ? " dashed" : ""}`,
      "data-from": e.from,
      "data-to": e.to,
      "marker-end": "url(#arrow)",
    }, edgeLayer);
    if (e.label) {
      const g = el("g", { class: "edge-label", "data-from": e.from, "data-to": e.to }, labelLayer);
      const text = cut(e.label);
      const w = textWidth(text) + 6;
      el("rect", { x: lx - w / 2, y: ly - 8, width: w, height: 15, rx: 3 }, g);
      const t = el("text", { x: lx, y: ly + 3, "text-anchor": "middle" }, g);
      t.textContent = text;
      el("title", {}, g).textContent = e.label;
      el("title", {}, path).textContent = e.label;
    }
  }

  drawNode(n, at, layer) {
    const g = el("g", {
      class: `node ${n.shape}`,
      "data-node": n.id,
      transform: `translate(${at.x},${at.y})`,
      tabindex: n.shape === "step" ? 0 : -1,
    }, layer);
    if (n.step) g.setAttribute("data-step", n.step);
    if (n.kind) g.setAttribute("data-kind", n.kind);
    el("rect", { width: at.width, height: at.height, rx: n.shape === "step" ? 6 : 14 }, g);
    n.shown.forEach((line, k) => {
      const t = el("text", { x: PAD, y: PAD + LINE_H * (k + 1) - 4, class: k === 0 ? "title" : "" }, g);
      t.textContent = line;
    });
    el("title", {}, g).textContent = n.lines.join("\n");
    const open = () => this.hooks.onNode(n);
    g.addEventListener("click", open);
    g.addEventListener("keydown", (ev) => {
      if (ev.key === "Enter" || ev.key === " ") {
        ev.preventDefault();
        open();
      }
    });
  }

  // Classes only: the highlights change without laying out again.
  paint() {
    const pathNodes = this.path.map((s) => this.nodeOf(s)).filter(Boolean);
    const onPath = new Set(pathNodes);
    const pairs = new Set();
    const from = this.model?.nodes.some((n) => n.id === "call_start") ? ["call_start", ...pathNodes] : pathNodes;
    for (let k = 1; k < from.length; k++) pairs.add(`${from[k - 1]}→${from[k]}`);
    const current = this.nodeOf(this.current);
    const cursor = this.nodeOf(this.cursor);
    for (const g of this.host.querySelectorAll("g.node")) {
      const id = g.dataset.node;
      g.classList.toggle("visited", onPath.has(id) || (id === "call_start" && onPath.size > 0));
      g.classList.toggle("current", id === current);
      g.classList.toggle("cursor", id === cursor);
    }
    for (const e of this.host.querySelectorAll("path.edge, g.edge-label")) {
      const hot = pairs.has(`${e.dataset.from}→${e.dataset.to}`);
      e.classList.toggle("taken", hot);
      if (e.tagName === "path") e.setAttribute("marker-end", hot ? "url(#arrow-hot)" : "url(#arrow)");
    }
  }
}

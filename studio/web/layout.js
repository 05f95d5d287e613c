// A layered layout for the flow diagram (the Sugiyama scheme, kept small):
// break cycles, give every node a layer, order each layer to cross few
// edges, then place boxes. Pure: sizes in, coordinates out, so it can be
// read and changed without a browser.
//
// Why our own and not Mermaid or dagre: the studio ships no Node toolchain
// and a flow has a few dozen steps; this fits in one screen of code.

const GAP_X = 28; // between boxes of one layer
const GAP_Y = 72; // between layers: room for an edge label
const SWEEPS = 6; // barycentre passes; more stop paying off on our flows
const DUMMY_W = 14; // the room a passing edge takes in a layer

/**
 * @param {{id: string, width: number, height: number}[]} nodes
 * @param {{from: string, to: string}[]} edges
 * @param {string | undefined} root where the call starts: layer 0
 * @returns {{nodes: Map<string, {x: number, y: number, width: number, height: number, layer: number}>,
 *            back: Set<number>, routes: Map<number, {x: number, y: number}[]>, width: number, height: number}}
 *   x, y are the box's top-left; `back` holds the indices of edges that
 *   point up (a loop in the flow); `routes` the points a long edge passes
 *   through, from its source to its target.
 */
export function layout(nodes, edges, root) {
  const ids = nodes.map((n) => n.id);
  const known = new Set(ids);
  const out = new Map(ids.map((id) => [id, []]));
  edges.forEach((e, i) => {
    if (known.has(e.from) && known.has(e.to) && e.from !== e.to) {
      out.get(e.from).push({ to: e.to, index: i });
    }
  });

  const back = backEdges(ids, out, root);
  const layerOf = layers(ids, out, back);

  // An edge down more than one layer passes through a point in each layer
  // between (a "dummy" node), so the ordering keeps it clear of boxes.
  const sizes = new Map(nodes.map((n) => [n.id, n]));
  const all = [...ids];
  const pairs = [];
  const via = new Map(); // edge index → its dummies, top to bottom
  edges.forEach((e, i) => {
    if (!known.has(e.from) || !known.has(e.to) || e.from === e.to) return;
    const [a, b] = back.has(i) ? [e.to, e.from] : [e.from, e.to];
    let prev = a;
    const chain = [];
    for (let l = layerOf.get(a) + 1; l < layerOf.get(b); l++) {
      const d = `\u0000${i}:${l}`;
      layerOf.set(d, l);
      sizes.set(d, { id: d, width: DUMMY_W, height: 0 });
      all.push(d);
      chain.push(d);
      pairs.push([prev, d]);
      prev = d;
    }
    pairs.push([prev, b]);
    if (chain.length) via.set(i, chain);
  });

  const rows = orderLayers(all, pairs, layerOf);
  const placed = place(sizes, rows, layerOf);
  const routes = new Map();
  for (const [i, chain] of via) {
    const points = chain.map((d) => {
      const p = placed.nodes.get(d);
      return { x: p.x + DUMMY_W / 2, y: p.y + placed.rowHeight[p.layer] / 2 };
    });
    routes.set(i, back.has(i) ? points.reverse() : points);
  }
  for (const d of all.slice(ids.length)) placed.nodes.delete(d);
  return { nodes: placed.nodes, back, routes, width: placed.width, height: placed.height };
}

// Breadth-first distances from the root (then from whatever is left, in
// file order): an edge that leads further from the start is forward, so a
// step sits near its shortest way in and a menu's options stay side by
// side however the caller can come back to them.
function backEdges(ids, out, root) {
  const dist = new Map();
  const from = (start) => {
    dist.set(start, 0);
    const queue = [start];
    for (let k = 0; k < queue.length; k++) {
      const id = queue[k];
      for (const { to } of out.get(id)) {
        if (!dist.has(to)) {
          dist.set(to, dist.get(id) + 1);
          queue.push(to);
        }
      }
    }
  };
  if (root !== undefined && out.has(root)) from(root);
  for (const id of ids) if (!dist.has(id)) from(id);
  // The rest stay forward when they close no cycle (a step that leads to
  // its sibling), checked against the forward edges kept so far.
  const back = new Set();
  const forward = new Map(ids.map((id) => [id, []]));
  const rest = [];
  for (const id of ids) {
    for (const { to, index } of out.get(id)) {
      if (dist.get(to) > dist.get(id)) forward.get(id).push(to);
      else rest.push({ from: id, to, index });
    }
  }
  const reaches = (start, goal) => {
    const seen = new Set([start]);
    const stack = [start];
    while (stack.length) {
      const id = stack.pop();
      if (id === goal) return true;
      for (const to of forward.get(id)) if (!seen.has(to)) seen.add(to), stack.push(to);
    }
    return false;
  };
  rest.sort((p, q) => dist.get(p.from) - dist.get(p.to) - (dist.get(q.from) - dist.get(q.to)));
  for (const e of rest) {
    if (reaches(e.to, e.from)) back.add(e.index);
    else forward.get(e.from).push(e.to);
  }
  return back;
}

// Longest path from the sources: a step sits below everything leading to it.
function layers(ids, out, back) {
  const indegree = new Map(ids.map((id) => [id, 0]));
  for (const id of ids) {
    for (const e of out.get(id)) if (!back.has(e.index)) indegree.set(e.to, indegree.get(e.to) + 1);
  }
  const layer = new Map(ids.map((id) => [id, 0]));
  const ready = ids.filter((id) => indegree.get(id) === 0);
  while (ready.length) {
    const id = ready.shift();
    for (const e of out.get(id)) {
      if (back.has(e.index)) continue;
      layer.set(e.to, Math.max(layer.get(e.to), layer.get(id) + 1));
      indegree.set(e.to, indegree.get(e.to) - 1);
      if (indegree.get(e.to) === 0) ready.push(e.to);
    }
  }
  return layer;
}

// Barycentre ordering, sweeping down then up: each node moves to the mean
// position of its neighbours in the layer before.
function orderLayers(ids, pairs, layerOf) {
  const depth = Math.max(0, ...layerOf.values());
  const rows = Array.from({ length: depth + 1 }, () => []);
  for (const id of ids) rows[layerOf.get(id)].push(id);

  const up = new Map(ids.map((id) => [id, []]));
  const down = new Map(ids.map((id) => [id, []]));
  for (const [a, b] of pairs) {
    down.get(a).push(b);
    up.get(b).push(a);
  }

  const position = new Map();
  const index = (row) => row.forEach((id, i) => position.set(id, i));
  rows.forEach(index);
  const sortBy = (row, neighbours) => {
    const key = new Map(
      row.map((id, i) => {
        const ns = neighbours.get(id);
        const mean = ns.length ? ns.reduce((s, n) => s + position.get(n), 0) / ns.length : i;
        return [id, mean];
      }),
    );
    row.sort((a, b) => key.get(a) - key.get(b));
    index(row);
  };
  for (let sweep = 0; sweep < SWEEPS; sweep++) {
    if (sweep % 2 === 0) for (let l = 1; l < rows.length; l++) sortBy(rows[l], up);
    else for (let l = rows.length - 2; l >= 0; l--) sortBy(rows[l], down);
  }
  return rows;
}

// Rows top to bottom, each centred on the widest.
function place(size, rows, layerOf) {
  const rowWidth = (row) =>
    row.reduce((w, id) => w + size.get(id).width, 0) + GAP_X * Math.max(0, row.length - 1);
  const width = Math.max(0, ...rows.map(rowWidth));
  const placed = new Map();
  const rowHeight = [];
  let y = 0;
  for (const row of rows) {
    const h = Math.max(0, ...row.map((id) => size.get(id).height));
    rowHeight.push(h);
    let x = (width - rowWidth(row)) / 2;
    for (const id of row) {
      const n = size.get(id);
      placed.set(id, { x, y, width: n.width, height: n.height, layer: layerOf.get(id) });
      x += n.width + GAP_X;
    }
    y += h + GAP_Y;
  }
  return { nodes: placed, rowHeight, width, height: Math.max(0, y - GAP_Y) };
}

// A pure layered ("Sugiyama-lite") layout for a selection or a whole flow: layers by longest
// path from the roots (back edges of cycles ignored), order in a layer by the mean position of
// parents, then evenly spaced rows top to bottom. No DOM, so node --test covers it.

/**
 * nodes: [{id, x, y, w, h}], edges: [{source, target}] (edges leaving the set are ignored),
 * opts: {start, gapX = 48, gapY = 72}. Returns Map(id -> {x, y}); the layout keeps the
 * selection's top-left corner where it was.
 */
export function layeredLayout(nodes, edges, opts = {}) {
  const gapX = opts.gapX ?? 48;
  const gapY = opts.gapY ?? 72;
  const out = new Map();
  if (!nodes.length) return out;
  const ids = new Set(nodes.map((n) => n.id));
  const succ = new Map(nodes.map((n) => [n.id, []]));
  const indeg = new Map(nodes.map((n) => [n.id, 0]));
  for (const e of edges) {
    if (!ids.has(e.source) || !ids.has(e.target) || e.source === e.target) continue;
    succ.get(e.source).push(e.target);
  }
  // Drop back edges with an iterative DFS so cycles (menus that loop back) cannot loop forever.
  const order = [];
  const colour = new Map();
  const roots = [];
  if (opts.start && ids.has(opts.start)) roots.push(opts.start);
  for (const n of nodes) roots.push(n.id);
  const forward = new Map(nodes.map((n) => [n.id, []]));
  for (const r of roots) {
    if (colour.has(r)) continue;
    const stack = [[r, 0]];
    colour.set(r, 1);
    while (stack.length) {
      const top = stack[stack.length - 1];
      const [id, i] = top;
      const next = succ.get(id);
      if (i < next.length) {
        top[1] += 1;
        const t = next[i];
        const c = colour.get(t);
        if (c === 1) continue; // back edge
        forward.get(id).push(t);
        if (!c) { colour.set(t, 1); stack.push([t, 0]); }
      } else {
        colour.set(id, 2);
        order.push(id);
        stack.pop();
      }
    }
  }
  for (const [, ts] of forward) for (const t of ts) indeg.set(t, indeg.get(t) + 1);
  // Longest path layering over the DAG, in reverse post-order (a topological order).
  const layer = new Map();
  const topo = order.reverse();
  for (const id of topo) if (!layer.has(id)) layer.set(id, 0);
  for (const id of topo) for (const t of forward.get(id)) layer.set(t, Math.max(layer.get(t), layer.get(id) + 1));
  const layers = [];
  for (const id of topo) {
    const l = layer.get(id);
    (layers[l] ||= []).push(id);
  }
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const preds = new Map(nodes.map((n) => [n.id, []]));
  for (const [s, ts] of forward) for (const t of ts) preds.get(t).push(s);
  const pos = new Map();
  for (const row of layers) {
    if (!row) continue;
    // mean position of the parents; an outlet's rank nudges siblings into outlet order
    const key = (id) => {
      const ps = preds.get(id).filter((p) => pos.has(p));
      if (!ps.length) return Infinity;
      return ps.reduce((a, p) => {
        const kids = forward.get(p);
        return a + pos.get(p) + (kids.indexOf(id) + 1) / (kids.length + 1) - 0.5;
      }, 0) / ps.length;
    };
    const keyed = row.map((id, i) => [key(id), i, id]);
    keyed.sort((a, b) => (a[0] === b[0] ? a[1] - b[1] : a[0] - b[0]));
    keyed.forEach(([, , id], i) => pos.set(id, i));
    row.splice(0, row.length, ...keyed.map((k) => k[2]));
  }
  const minX = Math.min(...nodes.map((n) => n.x ?? 0));
  const minY = Math.min(...nodes.map((n) => n.y ?? 0));
  const width = (id) => byId.get(id).w || 200;
  const height = (id) => byId.get(id).h || 72;
  const rowWidth = (row) => row.reduce((a, id) => a + width(id), 0) + gapX * Math.max(0, row.length - 1);
  const widest = Math.max(...layers.filter(Boolean).map(rowWidth));
  let y = minY;
  for (const row of layers) {
    if (!row) continue;
    let x = minX + (widest - rowWidth(row)) / 2;
    for (const id of row) {
      out.set(id, { x: Math.round(x), y: Math.round(y) });
      x += width(id) + gapX;
    }
    y += Math.max(...row.map(height)) + gapY;
  }
  return out;
}

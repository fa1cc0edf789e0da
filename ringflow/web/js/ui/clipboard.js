// Copy and paste as pure functions: a copy keeps the chosen nodes and the edges between them;
// a paste gives every node a fresh id (so it never collides), offsets it, and rewires its edges.

const ID_OK = /^[A-Za-z0-9_.:\-]{1,64}$/;

/** nodes: [{id, type, x, y, w, h, label, config}], edges: [{source, outlet, target}]. */
export function copySelection(nodes, edges) {
  const ids = new Set(nodes.map((n) => n.id));
  return {
    kind: "ringflow/clip",
    nodes: nodes.map((n) => ({ id: n.id, type: n.type, x: n.x, y: n.y, w: n.w, h: n.h, label: n.label ?? "",
      config: structuredClone(n.config ?? {}) })),
    edges: edges.filter((e) => ids.has(e.source) && ids.has(e.target)).map((e) => ({ ...e })),
  };
}

/** A new id for a copy of `base`, not in `taken` (a Set, updated in place). */
export function freshId(base, taken, rand = Math.random) {
  const stem = String(base || "node").replace(/[^A-Za-z0-9_.:\-]/g, "_").replace(/_copy_[a-z0-9]+$/, "").slice(0, 48) || "node";
  for (;;) {
    const id = `${stem}_copy_${Math.floor(rand() * 36 ** 5).toString(36).padStart(5, "0")}`;
    if (ID_OK.test(id) && !taken.has(id)) {
      taken.add(id);
      return id;
    }
  }
}

/** The change set that pastes `clip` shifted by (dx, dy); `taken` holds ids already in the flow. */
export function pasteChanges(clip, taken, dx = 40, dy = 40, rand = Math.random) {
  const rename = new Map();
  const added = [];
  for (const n of clip?.nodes || []) {
    const id = freshId(n.id, taken, rand);
    rename.set(n.id, id);
    const node = { id, type: n.type, x: n.x + dx, y: n.y + dy, label: n.label, config: structuredClone(n.config) };
    if (n.w) node.w = n.w;
    if (n.h) node.h = n.h;
    added.push(node);
  }
  const edges = (clip?.edges || []).filter((e) => rename.has(e.source) && rename.has(e.target))
    .map((e) => ({ source: rename.get(e.source), outlet: e.outlet, target: rename.get(e.target) }));
  return { nodes: { added }, edges: { added: edges }, ids: added.map((n) => n.id) };
}

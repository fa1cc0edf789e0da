// Editing actions that need the engine: copy, paste, auto-layout and moving keyboard focus along
// edges. They read the engine's FlowState and write only through change sets (so undo works).
import { api } from "./api.js";
import { copySelection, pasteChanges } from "./clipboard.js";

const MAX_LAYOUT = 5000; // the server's MAX_LAYOUT_NODES (ringflow/api/layout.py); a test keeps them equal

function live(engine, i) {
  const t = engine.state.type[i];
  return i >= 0 && i < engine.state.count && t !== 254;
}

/** Edges among a set of node indices, as {source, outlet, target} ids (details must be loaded). */
function edgesAmong(engine, indexSet) {
  const s = engine.state;
  const out = [];
  for (let j = 0; j < s.ecount; j++) {
    const a = s.esrc[j];
    const b = s.edst[j];
    if (!indexSet.has(a) || !indexSet.has(b)) continue;
    const src = engine.nodeInfo(a);
    const dst = engine.nodeInfo(b);
    const outlet = (src.outlets || [])[s.eout[j]];
    if (src.id && dst.id && outlet) out.push({ source: src.id, outlet, target: dst.id });
  }
  return out;
}

export async function copyNodes(engine) {
  const sel = engine.selection().filter((i) => live(engine, i));
  if (!sel.length) return null;
  await engine.details(sel);
  const nodes = sel.map((i) => engine.nodeInfo(i)).filter((n) => n.id)
    .map((n) => ({ id: n.id, type: n.typeName, x: n.x, y: n.y, w: n.w, h: n.h, label: n.label, config: n.config }));
  return copySelection(nodes, edgesAmong(engine, new Set(sel)));
}

/** Paste a clip shifted by `offset`; selects the new nodes; returns how many were added. */
export function pasteNodes(engine, clip, offset) {
  if (!clip || !clip.nodes.length) return 0;
  const cs = pasteChanges(clip, new Set(), offset, offset);
  const ids = cs.ids;
  delete cs.ids;
  engine.applyChanges(cs, { origin: "local" });
  const indices = ids.map((id) => engine.indexOfId(id)).filter((i) => i >= 0);
  if (indices.length) engine.select(indices);
  return ids.length;
}

/** Arrange the selection (2+ nodes) or the whole flow in layers; returns {moved: count, indices: the nodes arranged}.
 * The server lays them out (POST /api/v1/layout: ringflow/model/layout.py, the demo flows' layout);
 * the selection's top-left corner stays where it was, and one change set makes it one undo step.
 * A refused or failed request throws the API's error (its message says what went wrong). */
export async function autoLayout(engine, startId) {
  const s = engine.state;
  let indices = engine.selection().filter((i) => live(engine, i));
  if (indices.length < 2) {
    indices = [];
    for (let i = 0; i < s.count; i++) if (live(engine, i)) indices.push(i);
  }
  if (indices.length > MAX_LAYOUT) throw new Error(`Layout works on up to ${MAX_LAYOUT} nodes at a time: select a part of the flow first.`);
  await engine.details(indices);
  const infos = indices.map((i) => engine.nodeInfo(i)).filter((n) => n.id);
  if (!infos.length) return { moved: 0, indices: [] };
  const origin = { x: Math.min(...infos.map((n) => n.x)), y: Math.min(...infos.map((n) => n.y)) };
  const nodes = infos.map((n) => ({ id: n.id, type: n.typeName, config: n.config || {}, h: n.h > 0 ? n.h : undefined }));
  const { positions } = await api("/layout", { method: "POST", body: { nodes, edges: edgesAmong(engine, new Set(indices)), start: startId ?? null, origin } });
  const updated = [];
  for (const n of infos) {
    const now = engine.nodeInfo(n.index); // it may have moved (or gone) while the server worked
    const p = positions[n.id];
    if (!p || !now || now.id !== n.id) continue;
    if (p.x !== now.x || p.y !== now.y) updated.push({ id: n.id, key: now.key, set: { x: p.x, y: p.y }, prev: { x: now.x, y: now.y } });
  }
  if (updated.length) engine.applyChanges({ nodes: { updated } }, { origin: "local" });
  return { moved: updated.length, indices: infos.map((n) => n.index) };
}

/** The next (dir 1) or previous (dir -1) sibling of `index`: another target of the first node
 * that leads to it, in edge order; -1 when it has none. */
export function sibling(engine, index, dir) {
  const s = engine.state;
  let parent = -1;
  for (let j = 0; j < s.ecount && parent < 0; j++) if (s.edst[j] === index && live(engine, s.esrc[j])) parent = s.esrc[j];
  if (parent < 0) return -1;
  const kids = [];
  for (let j = 0; j < s.ecount; j++) {
    const t = s.edst[j];
    if (s.esrc[j] === parent && live(engine, t) && t !== parent && !kids.includes(t)) kids.push(t);
  }
  const at = kids.indexOf(index);
  if (kids.length < 2 || at < 0) return -1;
  return kids[(at + dir + kids.length) % kids.length];
}

/** Defaults for a new node of a type, from the catalogue's field defaults. */
export function defaultConfig(type) {
  const out = {};
  for (const f of type.fields || []) {
    if (f.default !== null && f.default !== undefined && f.default !== "") out[f.name] = structuredClone(f.default);
  }
  return out;
}

/** Applying a change set ({nodes: {added, updated, removed}, edges: {added, removed}}, see
 * changes.js) to a FlowState: the one place the arrays change for local edits, undo and other
 * editors' events. Pure apart from the state it is given; the engine keeps the grid, the detail
 * cache and the selection in step from what it returns. Cost is O(size of the change + E): a
 * removal of k nodes and their edges is one pass over the edges, not k. */

import { UNKNOWN } from "./flowstate.js";

const FEW = 8; // up to this many edge lookups, scanning per edge beats building a lookup

/**
 * `r` resolves names to the arrays:
 *   index({id, key}) → node index or -1 (nodes added by this change set are resolved here first),
 *   typeCode(name) → type code (UNKNOWN when the catalogue does not know it),
 *   outletPos(index, name) → outlet position on that node, or UNKNOWN,
 *   keyOf(node) → the key to give an added node (0: keyless until the server names it).
 * Returns {added: [{node, index}], removed: [{node, index}], updated: [{change, index}],
 * moved: [index], unresolved}: `unresolved` is true when something named a node the state
 * does not have (a remote event about a node never seen: the caller reloads).
 */
export function applyToState(state, cs, r) {
  const c = cs;
  const out = { added: [], removed: [], updated: [], moved: [], unresolved: false };
  const fresh = new Map(); // id -> index of nodes this change set adds
  const index = (n) => { const i = n && n.id !== undefined ? fresh.get(n.id) : undefined; return i !== undefined ? i : r.index(n); };
  const nodeOf = (id) => index({ id });

  // 1. edges removed (named by their ends' ids, resolved before any node goes)
  const gone = [];
  for (const e of c.edges.removed) {
    const s = nodeOf(e.source), d = nodeOf(e.target);
    if (s < 0 || d < 0) { out.unresolved = true; continue; }
    gone.push([s, r.outletPos(s, e.outlet), d]);
  }
  removeEdges(state, gone);

  // 2. nodes removed: one pass over the edges for all of them
  const dead = [];
  for (const n of c.nodes.removed) {
    const i = index(n);
    if (i < 0) { out.unresolved = true; continue; }
    dead.push(i); out.removed.push({ node: n, index: i });
  }
  if (dead.length) state.removeNodes(dead);

  // 3. nodes added
  for (const n of c.nodes.added) {
    const i = state.addNode({ key: r.keyOf(n), x: n.x, y: n.y, w: n.w || 200, h: n.h || 72, type: r.typeCode(n.type) });
    if (n.id !== undefined) fresh.set(n.id, i);
    out.added.push({ node: n, index: i });
  }

  // 4. nodes updated (moves, type)
  for (const u of c.nodes.updated) {
    const i = index(u);
    if (i < 0) { out.unresolved = true; continue; }
    const s = u.set;
    if ("x" in s || "y" in s) { state.moveNode(i, s.x ?? state.x[i], s.y ?? state.y[i]); out.moved.push(i); }
    if ("type" in s) state.type[i] = r.typeCode(s.type);
    out.updated.push({ change: u, index: i });
  }

  // 5. edges added (an edge already there is not doubled)
  const want = [];
  for (const e of c.edges.added) {
    const s = nodeOf(e.source), d = nodeOf(e.target);
    if (s < 0 || d < 0) { out.unresolved = true; continue; }
    want.push([s, r.outletPos(s, e.outlet), d]);
  }
  if (want.length) {
    const have = want.length <= FEW ? null : existing(state, want);
    for (const [s, o, d] of want) {
      const k = `${s}:${o}:${d}`;
      if (have ? have.has(k) : state.findEdge(s, o, d) >= 0) continue;
      state.addEdge(s, o, d);
      if (have) have.add(k);
    }
  }
  return out;
}

/** Remove edges given as [s, o, d]; o UNKNOWN, or an outlet the arrays hold as unknown (a menu
 * edge before its details loaded), matches any edge s → d. */
function removeEdges(state, gone) {
  if (!gone.length) return;
  if (gone.length <= FEW) {
    for (const [s, o, d] of gone) { const j = findLoose(state, s, o, d); if (j >= 0) state.removeEdge(j); }
    return;
  }
  const wanted = new Map(); // "s:d" -> [outlet positions still to remove]
  for (const [s, o, d] of gone) { const k = `${s}:${d}`; if (!wanted.has(k)) wanted.set(k, []); wanted.get(k).push(o); }
  const src = new Uint8Array(state.count);
  for (const [s] of gone) src[s] = 1;
  for (let j = state.ecount - 1; j >= 0; j--) {
    if (!src[state.esrc[j]]) continue;
    const list = wanted.get(`${state.esrc[j]}:${state.edst[j]}`);
    if (!list || !list.length) continue;
    const eo = state.eout[j];
    let at = list.indexOf(eo);
    if (at < 0) at = list.indexOf(UNKNOWN);
    if (at < 0 && eo === UNKNOWN) at = 0;
    if (at < 0) continue;
    list.splice(at, 1);
    state.removeEdge(j); // swap-remove from the end: slots above j were already seen
  }
}

function findLoose(state, s, o, d) {
  let j = state.findEdge(s, o, d);
  if (j < 0) for (let q = 0; q < state.ecount; q++) if (state.esrc[q] === s && state.edst[q] === d && (o === UNKNOWN || state.eout[q] === UNKNOWN)) { j = q; break; }
  if (j < 0 && o === UNKNOWN) return -1;
  if (j < 0) for (let q = 0; q < state.ecount; q++) if (state.esrc[q] === s && state.edst[q] === d) { j = q; break; }
  return j;
}

/** "s:o:d" of the edges leaving the sources in `want`, in one pass. */
function existing(state, want) {
  const src = new Uint8Array(state.count), have = new Set();
  for (const [s] of want) src[s] = 1;
  for (let j = 0; j < state.ecount; j++) if (src[state.esrc[j]]) have.add(`${state.esrc[j]}:${state.eout[j]}:${state.edst[j]}`);
  return have;
}

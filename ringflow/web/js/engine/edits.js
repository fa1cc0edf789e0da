/** Editing: the single path that mutates the flow (applyChanges) and the builders that turn
 * gestures into change sets. Local change sets also go to undo and to the PATCH queue; remote
 * ones (other editors) only update the arrays, the grid and the details. */

import { normalize } from "../core/changes.js";
import { applyToState } from "../core/apply.js";
import { UNKNOWN } from "../core/flowstate.js";

let seq = 0;
const newId = () => `n${Date.now().toString(36)}${(seq++).toString(36)}${Math.random().toString(36).slice(2, 6)}`;

export function createEdits(ctx) {
  const { details, localInfo, localIds, typeByName } = ctx;

  function outletPos(s, name) {
    const k = ctx.outletsOf(s).indexOf(name);
    return k < 0 ? UNKNOWN : k;
  }

  function setInfo(st, i, patch) {
    const key = st.keys[i];
    const cur = (key && details.get(key)) || localInfo.get(i);
    const next = { ...(cur || {}), ...patch };
    if (key) details.putChanged({ ...next, key }); else localInfo.set(i, next);
  }

  /** Apply a change set. origin: "local" (undo + save), "undo" (save only), "remote" (neither).
   * `applied`: geometry is already in the arrays (a live drag); record and save only. The arrays
   * change in core/apply.js; here the grid, the details and the selection follow. */
  function applyChanges(cs, { origin = "local", applied = false, group = false } = {}) {
    const st = ctx.state, g = ctx.grid, c = normalize(cs);
    let unresolved = false;
    if (!applied) {
      const out = applyToState(st, c, {
        index: (n) => (n.key ? st.indexOfKey(n.key) : ctx.indexOfId(n.id)),
        typeCode: (name) => { const t = typeByName.get(name); return t ? t.code : UNKNOWN; },
        outletPos,
        // a re-added node (undo of a delete) gets a new key from the server: keyless until saved
        keyOf: (n) => (origin === "remote" && n.key && st.indexOfKey(n.key) < 0 ? n.key : 0),
      });
      unresolved = out.unresolved;
      if (out.removed.length) {
        const sel = ctx.selected(), gone = new Set();
        for (const { node, index } of out.removed) { sel[index] = 0; gone.add(index); localIds.delete(node.id); localInfo.delete(index); }
        const keep = ctx.selection().filter((x) => !gone.has(x));
        if (keep.length !== ctx.selection().length) ctx.select(keep); // one selection change for k nodes, not k
        ctx.forgetEdges && ctx.forgetEdges();
      }
      for (const { node: n, index: i } of out.added) {
        g.update(i);
        const info = { id: n.id, label: n.label ?? "", config: n.config ?? {}, type: n.type };
        if (st.keys[i]) details.putChanged({ ...info, key: st.keys[i] }); else { localInfo.set(i, info); localIds.set(n.id, i); }
      }
      for (const i of out.moved) g.update(i);
      for (const { change: u, index: i } of out.updated) {
        const info = {};
        for (const f of ["label", "config", "type"]) if (f in u.set) info[f] = u.set[f];
        if (Object.keys(info).length) setInfo(st, i, { id: u.id, ...info });
      }
      if (c.edges.removed.length && ctx.forgetEdges) ctx.forgetEdges();
    }
    if (unresolved && origin === "remote") ctx.scheduleReload(); // a node we never saw: take the server's truth
    ctx.remapProblems();
    ctx.invalidate();
    if (origin === "local") ctx.undo.push(cs, { group });
    if (origin !== "remote") ctx.queue.push(cs);
    ctx.emit("change", { changes: cs, origin });
  }

  const idOf = (i) => { const d = ctx.infoOf(i); return d ? d.id : null; };
  const nameByCode = new Map([...typeByName.values()].map((t) => [t.code, t]));
  const record = (i) => {
    const st = ctx.state, d = ctx.infoOf(i) || {};
    const t = nameByCode.get(st.type[i]);
    return { id: d.id, key: st.keys[i] || undefined, type: t ? t.name : d.type, x: st.x[i], y: st.y[i], w: st.w[i], h: st.h[i], label: d.label ?? "", config: d.config ?? {} };
  };

  const refEdge = (r) => ({ source: idOf(r.s), outlet: r.outlet ?? ctx.outletsOf(r.s)[r.o], target: idOf(r.d) });

  /** Edges touching these nodes, as {source, outlet, target} ids (ids must be known). */
  function edgesOf(indices) {
    const st = ctx.state, set = new Set(indices), out = [];
    for (let j = 0; j < st.ecount; j++) {
      const s = st.esrc[j], d = st.edst[j];
      if (!set.has(s) && !set.has(d)) continue;
      out.push({ index: j, source: idOf(s), outlet: ctx.outletsOf(s)[st.eout[j]], target: idOf(d), s, d });
    }
    return out;
  }

  return {
    applyChanges,
    edgesOf,

    /** During a drag: move the arrays and the grid only (no change set per pointer move). */
    moveLive(indices, origin, dx, dy) {
      const st = ctx.state, g = ctx.grid;
      indices.forEach((i, k) => { st.moveNode(i, origin[k][0] + dx, origin[k][1] + dy); g.update(i); });
      ctx.invalidate();
    },

    /** Drag end: one change set (one undo entry, one PATCH) for the whole drag. */
    async commitMove(indices, origin) {
      await ctx.ensureIds(indices);
      const st = ctx.state, updated = [];
      indices.forEach((i, k) => {
        const id = idOf(i);
        if (id && (st.x[i] !== origin[k][0] || st.y[i] !== origin[k][1]))
          updated.push({ id, key: st.keys[i] || undefined, set: { x: Math.round(st.x[i]), y: Math.round(st.y[i]) }, prev: { x: origin[k][0], y: origin[k][1] } });
      });
      if (updated.length) applyChanges({ nodes: { updated } }, { origin: "local", applied: true });
    },

    async moveNodes(indices, dx, dy) {
      await ctx.ensureIds(indices);
      const st = ctx.state;
      const updated = indices.filter((i) => idOf(i)).map((i) => ({ id: idOf(i), key: st.keys[i] || undefined, set: { x: st.x[i] + dx, y: st.y[i] + dy }, prev: { x: st.x[i], y: st.y[i] } }));
      applyChanges({ nodes: { updated } });
    },

    /** Connect outlet `outlet` (name) of node s to node d; an outlet has one edge, so an old one is replaced. */
    async connect(s, outlet, d) {
      await ctx.ensureIds([s, d]);
      const src = idOf(s), dst = idOf(d);
      if (!src || !dst) return;
      const old = edgesOf([s]).filter((e) => e.s === s && e.outlet === outlet).map(({ source, outlet: o, target }) => ({ source, outlet: o, target }));
      applyChanges({ edges: { added: [{ source: src, outlet, target: dst }], removed: old } });
      ctx.emit("connect", { source: s, outlet, target: d });
    },

    async deleteEdge(j) {
      const st = ctx.state, s = st.esrc[j], d = st.edst[j];
      await ctx.ensureIds([s, d]);
      applyChanges({ edges: { removed: [{ source: idOf(s), outlet: ctx.outletsOf(s)[st.eout[j]], target: idOf(d) }] } });
    },

    /** Delete the selected nodes (with their edges) and the selected edges: one change set. */
    async deleteSelection() {
      const sel = ctx.selection(), refs = ctx.selectedEdges ? ctx.selectedEdges() : [];
      if (!sel.length && !refs.length) return;
      const st = ctx.state;
      const touching = new Set(sel);
      for (const r of refs) { touching.add(r.s); touching.add(r.d); }
      for (let j = 0; j < st.ecount; j++) if (touching.has(st.esrc[j]) || touching.has(st.edst[j])) { touching.add(st.esrc[j]); touching.add(st.edst[j]); }
      await ctx.ensureIds([...touching]);
      const edges = sel.length ? edgesOf(sel).map(({ source, outlet, target }) => ({ source, outlet, target })) : [];
      const dead = new Set(sel);
      for (const r of refs) if (!dead.has(r.s) && !dead.has(r.d)) edges.push(refEdge(r));
      const removed = sel.filter((i) => idOf(i)).map(record);
      applyChanges({ nodes: { removed }, edges: { removed: edges.filter((e) => e.source && e.target && e.outlet) } });
      ctx.select([]);
    },

    /** Remove edges given as refs {s, o, d} (one change set, one undo step). */
    async deleteEdges(refs) {
      if (!refs.length) return;
      await ctx.ensureIds(refs.flatMap((r) => [r.s, r.d]));
      applyChanges({ edges: { removed: refs.map(refEdge).filter((e) => e.source && e.target && e.outlet) } });
    },

    /** Disconnect outlet `outlet` (name) of node s; returns whether there was an edge. */
    async disconnect(s, outlet) {
      await ctx.ensureIds([s]);
      const st = ctx.state, k = ctx.outletsOf(s).indexOf(outlet), ds = [];
      for (let j = 0; j < st.ecount; j++) if (st.esrc[j] === s && st.eout[j] === k) ds.push(st.edst[j]);
      if (!ds.length) return false;
      await ctx.ensureIds(ds);
      applyChanges({ edges: { removed: ds.map((d) => ({ source: idOf(s), outlet, target: idOf(d) })) } });
      return true;
    },

    /** Add a node of `type` at world (x, y); returns its index. */
    addNode({ type, x, y, label = "", config = {}, id = newId() }) {
      applyChanges({ nodes: { added: [{ id, type, x: Math.round(x), y: Math.round(y), w: 200, h: 72, label, config }] } });
      return ctx.indexOfId(id);
    },

    async updateNode(i, fields) {
      await ctx.ensureIds([i]);
      const d = ctx.infoOf(i);
      if (!d) return;
      const set = {}, prev = {};
      for (const f of ["label", "config", "type"]) if (f in fields) { set[f] = fields[f]; prev[f] = d[f]; }
      applyChanges({ nodes: { updated: [{ id: d.id, key: ctx.state.keys[i] || undefined, set, prev }] } });
    },
  };
}

/** Edges as things you can point at: hit-testing under the pointer (core/edgehit.js against the
 * frame's cull list), the hovered and selected edges, the connections a card's ports announce,
 * and free space for a new node (core/placement.js). Edges are named by refs {s, o, d, outlet}
 * (node indices and outlet position) because edge slots move when another edge is removed. */

import { screenToWorld } from "../core/viewport.js";
import { EdgeHitter, edgeCurve, flatten, findRef } from "../core/edgehit.js";
import { pointAlong } from "../core/routing.js";
import { placeNode } from "../core/placement.js";
import { cull } from "../core/cull.js";

const same = (a, b) => a && b && a.s === b.s && a.o === b.o && a.d === b.d;

/** env: live getters {state, grid, cam, lod, vis, drawn, size} and {outletCount, outletsOf, infoOf, typeOf, invalidate}. */
export function createEdgeSelection(env) {
  const hitter = new EdgeHitter();
  let sel = [], hovered = null;
  const refOf = (j) => {
    const st = env.state, s = st.esrc[j], o = st.eout[j];
    return { s, o, d: st.edst[j], outlet: env.outletsOf(s)[o] ?? null };
  };
  const nameOf = (i) => { const d = env.infoOf(i); return (d && d.label) || (env.typeOf(i) || {}).title || "a node"; };

  /** The adjacency when it is current, or cheap to make current (as the renderer decides). */
  function adjacency() {
    const st = env.state;
    return st.adjacencyReady() || st.ecount <= 100000 ? st.adjacency() : null;
  }

  return {
    /** The edge drawn within tolPx screen px of (sx, sy), or null (none drawn at far zoom). */
    at(sx, sy, tolPx = 6) {
      const st = env.state, cam = env.cam;
      if (!st || env.lod === "far" || !env.drawn) return null;
      const w = screenToWorld(cam, sx, sy);
      const r = hitter.at(st, env.vis, Math.min(env.drawn, env.vis.length), w.x, w.y, tolPx / cam.zoom, env.outletCount, cam.zoom >= 0.25, env.route);
      return r.edge < 0 ? null : refOf(r.edge);
    },
    hover(ref) { if (!same(ref, hovered) && (ref || hovered)) { hovered = ref || null; env.invalidate(); } return hovered; },
    set(refs, add) {
      const next = add ? sel.slice() : [];
      for (const r of refs || []) if (!next.some((x) => same(x, r))) next.push({ s: r.s, o: r.o, d: r.d, outlet: r.outlet ?? env.outletsOf(r.s)[r.o] ?? null });
      sel = next; env.invalidate();
    },
    toggle(ref) { sel = sel.some((x) => same(x, ref)) ? sel.filter((x) => !same(x, ref)) : [...sel, ref]; env.invalidate(); },
    list: () => sel.slice(),
    /** Drop refs whose edge is gone (deleted here, by undo, or by another editor). */
    prune() {
      const st = env.state;
      const keep = sel.filter((r) => st.alive(r.s) && st.alive(r.d) && findRef(st, r) >= 0);
      if (keep.length !== sel.length) { sel = keep; env.invalidate(); }
      if (hovered && findRef(st, hovered) < 0) hovered = null;
    },
    marks: () => (sel.length || hovered ? { selected: sel, hover: hovered } : null),
    /** Edges with both ends among these nodes (a box selection takes them too). */
    between(indices) {
      const st = env.state, set = new Set(indices), out = [];
      if (!set.size) return out;
      const adj = adjacency();
      if (adj) { for (const i of set) for (let p = adj.start[i]; p < adj.start[i + 1]; p++) { const j = adj.list[p]; if (set.has(st.edst[j])) out.push(refOf(j)); } }
      else for (let j = 0; j < st.ecount; j++) if (set.has(st.esrc[j]) && set.has(st.edst[j])) out.push(refOf(j));
      return out;
    },
    /** Node i's outgoing connections: [{outlet, o, target}] (indices). */
    connections(i) {
      const st = env.state, out = [], adj = adjacency();
      const push = (j) => out.push({ outlet: env.outletsOf(i)[st.eout[j]] ?? null, o: st.eout[j], target: st.edst[j] });
      if (adj) for (let p = adj.start[i]; p < adj.start[i + 1]; p++) push(adj.list[p]);
      else for (let j = 0; j < st.ecount; j++) if (st.esrc[j] === i) push(j);
      return out;
    },
    /** For a card's ports: the target's name per outlet position, or null when unknown (adjacency
     * of a huge flow still stale after an edit: the ports then just say their outlet). */
    links(i) {
      const st = env.state, adj = st.adjacencyReady() ? st._adj : null;
      if (!adj) return null;
      const names = [];
      for (let p = adj.start[i]; p < adj.start[i + 1]; p++) { const j = adj.list[p]; names[st.eout[j]] = nameOf(st.edst[j]); }
      return names;
    },
    /** Edge ref {s, o, d} as drawn: its route around the cards, or its curve as a polyline; null when there is no such edge. */
    shape(ref) {
      const st = env.state, adj = adjacency();
      let j = -1;
      if (adj && st.alive(ref.s)) for (let p = adj.start[ref.s]; p < adj.start[ref.s + 1] && j < 0; p++) { const e = adj.list[p]; if (st.eout[e] === ref.o && st.edst[e] === ref.d) j = e; }
      if (j < 0) return null;
      return (env.route && env.route(j)) || flatten(edgeCurve(st, j, env.outletCount, env.cam.zoom >= 0.25), 32);
    },
    /** The world point at fraction t of edge ref {s, o, d} as drawn, or null. */
    pointAt(ref, t = 0.5) {
      const pts = this.shape(ref);
      return pts ? pointAlong(pts, t) : null;
    },
    /** A free top-left for a w × h node: below the nodes `near` (the selection) when given, else
     * at the view's centre; clear of every node and edge around it. */
    freeSpot({ w = 200, h = 72, near = [] } = {}) {
      const st = env.state, cam = env.cam, { W, H } = env.size;
      let anchor, prefer = null;
      const live = near.filter((i) => st.alive(i));
      if (live.length) {
        let x0 = Infinity, x1 = -Infinity, y1 = -Infinity;
        for (const i of live) { x0 = Math.min(x0, st.x[i]); x1 = Math.max(x1, st.x[i] + st.w[i]); y1 = Math.max(y1, st.y[i] + st.h[i]); }
        anchor = { x: (x0 + x1) / 2 - w / 2, y: y1 + 64 }; prefer = "below";
      } else {
        const c = screenToWorld(cam, W / 2, H / 2);
        anchor = { x: c.x - w / 2, y: c.y - h / 2 };
      }
      const rx = 16 * (w + 24), ry = 16 * (h + 24);
      const rect = [anchor.x - rx, anchor.y - ry, anchor.x + rx + w, anchor.y + ry + h];
      const buf = new Uint32Array(4096);
      const k = env.grid && env.grid.built ? env.grid.query(rect[0], rect[1], rect[2], rect[3], buf) : cull(st, null, rect, buf);
      const rects = [], lines = [], q = new Float64Array(8), seen = new Set();
      for (let t = 0; t < k; t++) { const i = buf[t]; rects.push(st.x[i], st.y[i], st.w[i], st.h[i]); }
      const edge = (j) => { if (seen.has(j)) return; seen.add(j); const r = env.route && env.route(j); lines.push(r || flatten(edgeCurve(st, j, env.outletCount, true, q), 8)); };
      const adj = adjacency();
      if (adj) for (let t = 0; t < k; t++) { const i = buf[t]; for (let p = adj.start[i]; p < adj.start[i + 1]; p++) edge(adj.list[p]); for (let p = adj.istart[i]; p < adj.istart[i + 1]; p++) edge(adj.ilist[p]); }
      else { const m = new Uint8Array(st.count); for (let t = 0; t < k; t++) m[buf[t]] = 1; for (let j = 0; j < st.ecount; j++) if (m[st.esrc[j]] || m[st.edst[j]]) edge(j); }
      return placeNode({ w, h, anchor, rects, lines, gap: 24, rings: 14, prefer });
    },
  };
}


/** Edge hit-testing: which edge is under the pointer. The candidates are the edges the renderer
 * draws, those touching a node the spatial index returns for the view (the frame's cull list, or
 * a grid query); each is rejected by the bounding box of its control points before the exact
 * distance to its curve is measured. Geometry is the renderer's (core/edges.js), so what is hit
 * is what is seen. No DOM: node --test and benchmarks/edgehit.mjs run it. */

import { portPosition, edgePath } from "./edges.js";
import { polylineDistance } from "./routing.js";

const SEGMENTS = 16; // a card-to-card bezier flattened into this many chords is within ~1 px at zoom 1

/** The drawn shape of edge j as a cubic [x0,y0, c1x,c1y, c2x,c2y, x3,y3]; `curve` false (zoomed
 * far out) draws a straight line from the port to the target's top centre. */
export function edgeCurve(state, j, outletCount, curve = true, out = new Float64Array(8)) {
  const a = state.esrc[j], b = state.edst[j];
  const p = portPosition(state.x[a], state.y[a], state.w[a], state.h[a], state.eout[j], outletCount(a));
  const ex = state.x[b] + state.w[b] / 2, ey = state.y[b];
  if (curve) { const q = edgePath(p.x, p.y, state.x[b], state.y[b], state.w[b]); for (let t = 0; t < 8; t++) out[t] = q[t]; }
  else { out[0] = p.x; out[1] = p.y; out[2] = p.x; out[3] = p.y; out[4] = ex; out[5] = ey; out[6] = ex; out[7] = ey; }
  return out;
}

/** Squared distance from (px, py) to the segment (ax, ay)-(bx, by). */
function segDist2(px, py, ax, ay, bx, by) {
  const dx = bx - ax, dy = by - ay, l2 = dx * dx + dy * dy;
  let t = l2 > 0 ? ((px - ax) * dx + (py - ay) * dy) / l2 : 0;
  t = t < 0 ? 0 : t > 1 ? 1 : t;
  const x = ax + t * dx - px, y = ay + t * dy - py;
  return x * x + y * y;
}

/** Distance from (px, py) to the cubic q, flattened into `segments` chords. */
export function curveDistance(q, px, py, segments = SEGMENTS) {
  let best = Infinity, ax = q[0], ay = q[1];
  for (let s = 1; s <= segments; s++) {
    const t = s / segments, u = 1 - t, a = u * u * u, b = 3 * u * u * t, c = 3 * u * t * t, d = t * t * t;
    const bx = a * q[0] + b * q[2] + c * q[4] + d * q[6], by = a * q[1] + b * q[3] + c * q[5] + d * q[7];
    const d2 = segDist2(px, py, ax, ay, bx, by);
    if (d2 < best) best = d2;
    ax = bx; ay = by;
  }
  return Math.sqrt(best);
}

/** The cubic q as a flat polyline [x0,y0, x1,y1, ...] of `segments` chords (placement avoids these). */
export function flatten(q, segments = 8) {
  const pts = [q[0], q[1]];
  for (let s = 1; s <= segments; s++) {
    const t = s / segments, u = 1 - t, a = u * u * u, b = 3 * u * u * t, c = 3 * u * t * t, d = t * t * t;
    pts.push(a * q[0] + b * q[2] + c * q[4] + d * q[6], a * q[1] + b * q[3] + c * q[5] + d * q[7]);
  }
  return pts;
}

/** Finds the edge nearest a world point among the edges touching a list of nodes. Keeps its
 * scratch (a stamp per node, one curve) between calls so a pointer move allocates nothing. */
export class EdgeHitter {
  constructor() { this.mark = new Uint32Array(0); this.stamp = 0; this.q = new Float64Array(8); this.buf = new Uint32Array(0); }

  /** Nodes from the grid for world rect [x0,y0,x1,y1] (what a frame culls), then `at`. */
  query(state, grid, rect, wx, wy, tol, outletCount, curve = true, limit = 8000) {
    if (this.buf.length < limit + 1) this.buf = new Uint32Array(limit + 1);
    const k = grid.query(rect[0], rect[1], rect[2], rect[3], this.buf);
    return this.at(state, this.buf, k, wx, wy, tol, outletCount, curve);
  }

  /** {edge, dist}: the edge j (index into state.esrc/edst/eout) whose drawn curve passes within
   * `tol` world units of (wx, wy) and nearest it, among edges touching nodes[0..k); edge -1 when none.
   * `route(j)`: the polyline edge j is drawn as when it is routed around cards (else null: the curve). */
  at(state, nodes, k, wx, wy, tol, outletCount, curve = true, route = null) {
    if (this.mark.length < state.count) this.mark = new Uint32Array(Math.max(state.count, this.mark.length * 2));
    const s = ++this.stamp, mark = this.mark, src = state.esrc, dst = state.edst;
    for (let t = 0; t < k; t++) mark[nodes[t]] = s;
    let best = -1, bestD = tol;
    const test = (j) => {
      const r = route ? route(j) : null; // drawn around the cards: measure that path
      if (r) {
        const d = polylineDistance(r, wx, wy);
        if (d <= bestD) { best = j; bestD = d; }
        return;
      }
      const q = edgeCurve(state, j, outletCount, curve, this.q);
      // the curve lies inside the hull of its control points: a cheap box rejects almost every edge
      const x0 = Math.min(q[0], q[2], q[4], q[6]) - bestD, x1 = Math.max(q[0], q[2], q[4], q[6]) + bestD;
      if (wx < x0 || wx > x1) return;
      const y0 = Math.min(q[1], q[3], q[5], q[7]) - bestD, y1 = Math.max(q[1], q[3], q[5], q[7]) + bestD;
      if (wy < y0 || wy > y1) return;
      const d = curveDistance(q, wx, wy);
      if (d <= bestD) { best = j; bestD = d; }
    };
    if (state.adjacencyReady() || state.ecount <= 100000) { // as the renderer: rebuilding a small adjacency is cheap
      const adj = state.adjacency();
      for (let t = 0; t < k; t++) {
        const i = nodes[t];
        for (let p = adj.start[i], e = adj.start[i + 1]; p < e; p++) test(adj.list[p]);
        for (let p = adj.istart[i], e = adj.istart[i + 1]; p < e; p++) { const j = adj.ilist[p]; if (mark[src[j]] !== s) test(j); }
      }
    } else { // adjacency still being built in slices (or stale after an edit): one pass over the edges
      for (let j = 0; j < state.ecount; j++) if (mark[src[j]] === s || mark[dst[j]] === s) test(j);
    }
    return { edge: best, dist: best < 0 ? Infinity : bestD };
  }
}

/** The identity of edge j that survives other edges' removal (slots are swap-removed): its ends
 * and outlet position. */
export function edgeRef(state, j) { return { s: state.esrc[j], o: state.eout[j], d: state.edst[j] }; }

/** The slot of an edge ref now, or -1 (one pass; refs are few). */
export function findRef(state, r) {
  for (let j = 0; j < state.ecount; j++) if (state.esrc[j] === r.s && state.edst[j] === r.d && state.eout[j] === r.o) return j;
  return -1;
}

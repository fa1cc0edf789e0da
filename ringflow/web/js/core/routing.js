/** Edge routing around cards: an orthogonal path from an outlet's port (bottom of its card) to
 * the top centre of the target that enters no other card. A shortest path with few bends on the
 * sparse grid of the card edges near the edge (each offset by a margin), so only the cards in the
 * edge's neighbourhood count and a route costs microseconds. `RouteCache` keeps one route per
 * edge while its ends stay put; the renderer, edge hit-testing and placement all read it, so what
 * is hit is what is drawn. Pure: no DOM, node --test covers it. */

import { portPosition } from "./edges.js";

export const MARGIN = 14; // a route keeps this far from cards
const BEND = 40; // a bend costs as much as this many units of length
const PADS = [60, 260, 900]; // the neighbourhood grows until a route is found
export const MAX_CARDS = 24; // cards around one edge beyond which it is not routed (the search grows with their cube)
export const CAPTIONS = 28; // outlet names sit under the ports (engine/cards.js): routes keep off them too

/** Does the segment (ax,ay)-(bx,by) (horizontal or vertical) enter the open box [x0,y0,x1,y1]? */
function enters(ax, ay, bx, by, x0, y0, x1, y1) {
  if (ay === by) return ay > y0 && ay < y1 && Math.max(ax, bx) > x0 && Math.min(ax, bx) < x1;
  return ax > x0 && ax < x1 && Math.max(ay, by) > y0 && Math.min(ay, by) < y1;
}

/** Sorted distinct values. */
function axis(values) {
  const a = Float64Array.from(values).sort();
  let n = 0;
  for (let i = 0; i < a.length; i++) if (i === 0 || a[i] !== a[n - 1]) a[n++] = a[i];
  return a.subarray(0, n);
}

/** A binary min-heap of (cost, id) pairs, enough for a few hundred states. */
class Heap {
  constructor() { this.c = []; this.v = []; }
  get size() { return this.c.length; }
  push(cost, id) {
    const c = this.c, v = this.v;
    let i = c.length;
    c.push(cost); v.push(id);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (c[p] <= cost) break;
      c[i] = c[p]; v[i] = v[p]; i = p;
    }
    c[i] = cost; v[i] = id;
  }
  pop() {
    const c = this.c, v = this.v, top = v[0], lastC = c.pop(), lastV = v.pop();
    if (c.length) {
      let i = 0;
      for (;;) {
        let m = 2 * i + 1;
        if (m >= c.length) break;
        if (m + 1 < c.length && c[m + 1] < c[m]) m += 1;
        if (c[m] >= lastC) break;
        c[i] = c[m]; v[i] = v[m]; i = m;
      }
      c[i] = lastC; v[i] = lastV;
    }
    return top;
  }
}

/**
 * The route from port (px, py) down into (ex, ey) (a target's top centre) as a flat point list
 * [x0,y0, x1,y1, ...] of horizontal and vertical segments, avoiding `boxes` (flat [x0,y0,x1,y1,
 * ...], the source and target included: the path leaves the source downwards and enters the
 * target from above). With `area`, only cards inside it are known, so the route keeps inside it.
 * `below`: how far under each box its outlet names reach (boxes already include it); the first
 * leg goes down past them, out of box `source`.
 * null when the boxes leave no way through.
 */
export function routeAround(px, py, ex, ey, boxes, margin = MARGIN, area = null, below = 0, source = -1) {
  const nb = boxes.length >> 2;
  const sy = py + below + margin, ty = ey - margin;
  const xsIn = [px, ex], ysIn = [sy, ty];
  // `area` [x0,y0,x1,y1]: the region whose cards `boxes` holds; the route stays inside it
  const inX = (v) => !area || (v >= area[0] && v <= area[2]), inY = (v) => !area || (v >= area[1] && v <= area[3]);
  for (let b = 0; b < nb; b++) {
    for (const v of [boxes[4 * b] - margin, boxes[4 * b + 2] + margin]) if (inX(v)) xsIn.push(v);
    for (const v of [boxes[4 * b + 1] - margin, boxes[4 * b + 3] + margin]) if (inY(v)) ysIn.push(v);
  }
  if (area) xsIn.push(area[0], area[2]), ysIn.push(area[1], area[3]);
  const xs = axis(xsIn), ys = axis(ysIn), nx = xs.length, ny = ys.length;
  const blocked = (ax, ay, bx, by, skip = -1) => {
    for (let b = 0; b < nb; b++) if (b !== skip && enters(ax, ay, bx, by, boxes[4 * b], boxes[4 * b + 1], boxes[4 * b + 2], boxes[4 * b + 3])) return true;
    return false;
  };
  if (blocked(px, py, px, sy, source) || blocked(ex, ty, ex, ey)) return null;
  // most edges of a layered flow need no search: straight down, or down-across-down with the
  // crossing in the middle of the gap (or at either end of it), when nothing is in the way
  if (ty >= sy) {
    if (px === ex && !blocked(px, sy, ex, ty)) return [px, py, ex, ey];
    for (const y of [sy, ty, (sy + ty) / 2]) {
      if (!blocked(px, sy, px, y) && !blocked(px, y, ex, y) && !blocked(ex, y, ex, ty)) return simplify([px, py, px, y, ex, y, ex, ey]);
    }
  }
  const ix = (v) => xs.indexOf(v), iy = (v) => ys.indexOf(v);
  const start = iy(sy) * nx + ix(px), goal = iy(ty) * nx + ix(ex);
  // states: grid point × heading (0 right, 1 down, 2 left, 3 up); Dijkstra with a cost per bend
  const DX = [1, 0, -1, 0], DY = [0, 1, 0, -1];
  const n = nx * ny * 4, cost = new Float64Array(n).fill(Infinity), from = new Int32Array(n).fill(-1);
  const heap = new Heap();
  cost[start * 4 + 1] = 0; heap.push(0, start * 4 + 1);
  let end = -1;
  while (heap.size) {
    const s = heap.pop(), c = cost[s];
    const cell = s >> 2, dir = s & 3, cx = cell % nx, cy = (cell - cx) / nx;
    if (cell === goal) { end = s; break; }
    for (let d = 0; d < 4; d++) {
      if (d === ((dir + 2) & 3)) continue; // no turning back on itself
      const qx = cx + DX[d], qy = cy + DY[d];
      if (qx < 0 || qy < 0 || qx >= nx || qy >= ny) continue;
      const ax = xs[cx], ay = ys[cy], bx = xs[qx], by = ys[qy];
      const step = Math.abs(bx - ax) + Math.abs(by - ay) + (d === dir ? 0 : BEND) + (qy * nx + qx === goal && d !== 1 ? BEND : 0);
      const t = (qy * nx + qx) * 4 + d;
      if (c + step >= cost[t] || blocked(ax, ay, bx, by)) continue;
      cost[t] = c + step; from[t] = s; heap.push(cost[t], t);
    }
  }
  if (end < 0) return null;
  const cells = [];
  for (let s = end; s >= 0; s = from[s]) cells.push(s >> 2);
  const pts = [px, py];
  for (let k = cells.length - 1; k >= 0; k--) { const cx = cells[k] % nx; pts.push(xs[cx], ys[(cells[k] - cx) / nx]); }
  pts.push(ex, ey);
  return simplify(pts);
}

/** Drop repeated and collinear points. */
export function simplify(pts) {
  const out = [pts[0], pts[1]];
  for (let i = 2; i < pts.length; i += 2) {
    const x = pts[i], y = pts[i + 1], n = out.length;
    if (x === out[n - 2] && y === out[n - 1]) continue;
    if (n >= 4) {
      const ax = out[n - 4], ay = out[n - 3], bx = out[n - 2], by = out[n - 1];
      if ((ax === bx && bx === x) || (ay === by && by === y)) { out[n - 2] = x; out[n - 1] = y; continue; }
    }
    out.push(x, y);
  }
  return out;
}

/** Distance from (wx, wy) to the polyline pts. */
export function polylineDistance(pts, wx, wy) {
  let best = Infinity;
  for (let i = 2; i < pts.length; i += 2) {
    const ax = pts[i - 2], ay = pts[i - 1], dx = pts[i] - ax, dy = pts[i + 1] - ay, l2 = dx * dx + dy * dy;
    let t = l2 > 0 ? ((wx - ax) * dx + (wy - ay) * dy) / l2 : 0;
    t = t < 0 ? 0 : t > 1 ? 1 : t;
    const x = ax + t * dx - wx, y = ay + t * dy - wy, d = x * x + y * y;
    if (d < best) best = d;
  }
  return Math.sqrt(best);
}

/** Length of the polyline pts and the point at fraction t of it: {x, y, len}. */
export function pointAlong(pts, t) {
  const out = new Float64Array(3);
  pointAlongInto(pts, t, out);
  return { x: out[0], y: out[1], len: out[2] };
}

/** pointAlong without allocating (an animation frame's particles): out[0], out[1] the point, out[2] the length. */
export function pointAlongInto(pts, t, out) {
  let total = 0;
  for (let i = 2; i < pts.length; i += 2) total += Math.hypot(pts[i] - pts[i - 2], pts[i + 1] - pts[i - 1]);
  let left = total * Math.min(1, Math.max(0, t));
  out[0] = pts[0]; out[1] = pts[1]; out[2] = total;
  for (let i = 2; i < pts.length; i += 2) {
    const len = Math.hypot(pts[i] - pts[i - 2], pts[i + 1] - pts[i - 1]);
    if (len >= left && len > 0) { const f = left / len; out[0] = pts[i - 2] + f * (pts[i] - pts[i - 2]); out[1] = pts[i - 1] + f * (pts[i + 1] - pts[i - 1]); return; }
    left -= len;
  }
}

/** Route edge j of a FlowState around the cards the grid index finds near it; null when none fits. */
export function routeEdge(state, grid, j, outletCount, buf = new Uint32Array(MAX_CARDS + 1)) {
  const a = state.esrc[j], b = state.edst[j], X = state.x, Y = state.y, W = state.w, H = state.h;
  const p = portPosition(X[a], Y[a], W[a], H[a], state.eout[j], outletCount(a));
  const ex = X[b] + W[b] / 2, ey = Y[b];
  for (const pad of PADS) {
    const x0 = Math.min(p.x, X[a], X[b]) - pad, x1 = Math.max(p.x, X[a] + W[a], X[b] + W[b]) + pad;
    const y0 = Math.min(Y[a], Y[b]) - pad, y1 = Math.max(Y[a] + H[a], Y[b] + H[b]) + pad;
    const k = grid.query(x0, y0, x1, y1, buf);
    if (k > MAX_CARDS) return null; // a long edge across many cards: the search would cost milliseconds, it keeps its curve
    const boxes = new Float64Array(4 * k);
    let from = -1;
    for (let t = 0; t < k; t++) { const i = buf[t]; if (i === a) from = t; boxes.set([X[i], Y[i], X[i] + W[i], Y[i] + H[i] + CAPTIONS], 4 * t); }
    const r = routeAround(p.x, p.y, ex, ey, boxes, MARGIN, [x0, y0, x1, y1 + CAPTIONS], CAPTIONS, from);
    if (r) return r;
  }
  return null;
}

/**
 * One route per edge, kept while both of its ends keep their boxes and the port its place, and
 * until `invalidate()` (a committed change: other cards may now be in the way). Routing a frame's
 * new edges stops at `budgetMs`; `pending` then says to draw another frame.
 */
export class RouteCache {
  constructor() { this.map = new Map(); this.epoch = 0; this.pending = false; this.buf = new Uint32Array(MAX_CARDS + 1); }

  invalidate() { this.epoch += 1; }

  clear() { this.map.clear(); this.epoch += 1; }

  /** Start of a frame: `now()` is the clock routing is measured with. */
  begin(now, budgetMs = 3) { this.deadline = now() + budgetMs; this.now = now; this.pending = false; }

  /** Edge j's route, or null (not routable, or out of this frame's budget: draw the curve). */
  get(state, grid, j, outletCount) {
    const hit = this.map.get(j), same = hit !== undefined && sameEnds(hit.sig, state, j, outletCount);
    if (same && (hit.epoch === this.epoch || this.now === undefined)) return hit.pts;
    if (this.now && this.now() >= this.deadline) { this.pending = true; return same ? hit.pts : null; }
    const pts = routeEdge(state, grid, j, outletCount, this.buf);
    if (this.map.size > 20000) this.map.clear();
    const sig = (hit && hit.sig) || new Float64Array(12);
    ends(sig, state, j, outletCount);
    this.map.set(j, { sig, epoch: this.epoch, pts });
    return pts;
  }

  /** The route last given for edge j if its ends are where they were, else null; computes nothing. */
  peek(state, j, outletCount) {
    const hit = this.map.get(j);
    return hit && sameEnds(hit.sig, state, j, outletCount) ? hit.pts : null;
  }
}

/** What a route depends on besides the cards around it: both ends' boxes and the port, as 12 numbers. */
function ends(out, state, j, outletCount) {
  const a = state.esrc[j], b = state.edst[j];
  out[0] = a; out[1] = b; out[2] = state.eout[j]; out[3] = outletCount(a);
  out[4] = state.x[a]; out[5] = state.y[a]; out[6] = state.w[a]; out[7] = state.h[a];
  out[8] = state.x[b]; out[9] = state.y[b]; out[10] = state.w[b]; out[11] = state.h[b];
  return out;
}

const scratch = new Float64Array(12);
function sameEnds(sig, state, j, outletCount) {
  ends(scratch, state, j, outletCount);
  for (let k = 0; k < 12; k++) if (sig[k] !== scratch[k]) return false;
  return true;
}

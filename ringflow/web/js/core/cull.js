/** Culling: which nodes to draw for a visible rectangle. Uses the grid when the view is a small
 * part of the flow, one linear pass over the typed arrays when the view covers most of it
 * (cheaper than walking cells at fit-to-view). */

import { DELETED } from "./flowstate.js";

export function cull(state, grid, rect, out) {
  const [x0, y0, x1, y1] = rect, b = state.bounds;
  const viewArea = Math.max(0, Math.min(x1, b[2]) - Math.max(x0, b[0])) * Math.max(0, Math.min(y1, b[3]) - Math.max(y0, b[1]));
  const flowArea = Math.max(1, (b[2] - b[0]) * (b[3] - b[1]));
  if (grid && grid.built > 0 && viewArea < flowArea * 0.5) return grid.query(x0, y0, x1, y1, out);
  const X = state.x, Y = state.y, W = state.w, H = state.h, T = state.type, n = state.count, cap = out.length;
  let k = 0;
  for (let i = 0; i < n; i++) {
    if (T[i] === DELETED) continue;
    const x = X[i], y = Y[i];
    if (x > x1 || y > y1 || x + W[i] < x0 || y + H[i] < y0) continue;
    if (k < cap) out[k++] = i; else break;
  }
  return k;
}

/** Count visible nodes, stopping at limit + 1 (enough to choose a level of detail). */
export function countVisible(state, grid, rect, limit, scratch) {
  const buf = scratch && scratch.length > limit ? scratch.subarray(0, limit + 1) : new Uint32Array(limit + 1);
  return cull(state, grid, rect, buf);
}

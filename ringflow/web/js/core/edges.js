/** Edge routing: where an outlet's port sits on its node and the path from it to the target.
 * Ports sit along the bottom edge in outlet order; edges enter the target at its top centre.
 * Returns plain numbers so the renderer can batch thousands of paths into one Path2D. */

/** Screen-independent port position of outlet `k` of `count` on box (x, y, w, h). */
export function portPosition(x, y, w, h, k, count) {
  const n = Math.max(1, count);
  const kk = Math.min(Math.max(0, k), n - 1);
  return { x: x + (w * (kk + 1)) / (n + 1), y: y + h };
}

/** Cubic bezier [x0,y0, c1x,c1y, c2x,c2y, x3,y3] from a port down into a target's top centre.
 * When the target is above the source the curve loops out sideways so it stays readable. */
export function edgePath(px, py, tx, ty, tw) {
  const ex = tx + tw / 2, ey = ty;
  const dy = ey - py;
  const bend = Math.max(40, Math.abs(dy) / 2);
  if (dy >= 0) return [px, py, px, py + bend, ex, ey - bend, ex, ey];
  const side = ex >= px ? 1 : -1;
  const out = Math.max(60, Math.abs(ex - px) / 3);
  return [px, py, px + side * out, py + bend, ex - side * out, ey - bend, ex, ey];
}

/** Orthogonal route (down, across, down) as a flat point list, for the cheap middle zoom. */
export function orthogonalPath(px, py, tx, ty, tw) {
  const ex = tx + tw / 2, ey = ty;
  const midY = ey >= py ? (py + ey) / 2 : py + 20;
  if (ey >= py) return [px, py, px, midY, ex, midY, ex, ey];
  return [px, py, px, midY, ex, midY, ex, ey - 20, ex, ey];
}

/** Index of the port under world point (wx, wy) on box (x,y,w,h) with `count` ports, or -1. */
export function portAt(x, y, w, h, count, wx, wy, radius = 8) {
  for (let k = 0; k < count; k++) {
    const p = portPosition(x, y, w, h, k, count);
    if (Math.abs(wx - p.x) <= radius && Math.abs(wy - p.y) <= radius) return k;
  }
  return -1;
}

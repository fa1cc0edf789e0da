/** Where a new node goes: the free spot nearest an anchor (below the selection, or the view's
 * centre) where its card overlaps no node and hides no edge. Candidates sit on a half-card grid
 * in rings around the anchor, tried nearest first; the first one clear of every node rectangle
 * (with a gap) and every edge polyline wins. Pure: the engine passes what is near. */

/** Does segment (ax,ay)-(bx,by) cross or touch the rectangle [x0,y0,x1,y1]? (Liang–Barsky) */
export function segmentHitsRect(ax, ay, bx, by, x0, y0, x1, y1) {
  let t0 = 0, t1 = 1;
  const dx = bx - ax, dy = by - ay;
  const clip = (p, q) => {
    if (p === 0) return q >= 0;
    const r = q / p;
    if (p < 0) { if (r > t1) return false; if (r > t0) t0 = r; } else { if (r < t0) return false; if (r < t1) t1 = r; }
    return true;
  };
  return clip(-dx, ax - x0) && clip(dx, x1 - ax) && clip(-dy, ay - y0) && clip(dy, y1 - ay) && t0 <= t1;
}

/** Is the box [x0,y0,x1,y1] clear of every rect (flat [x,y,w,h,...]) and every polyline? */
export function isFree(x0, y0, x1, y1, rects, lines) {
  for (let r = 0; r < rects.length; r += 4) {
    if (rects[r] < x1 && rects[r] + rects[r + 2] > x0 && rects[r + 1] < y1 && rects[r + 1] + rects[r + 3] > y0) return false;
  }
  for (const pts of lines) {
    for (let p = 2; p < pts.length; p += 2) if (segmentHitsRect(pts[p - 2], pts[p - 1], pts[p], pts[p + 1], x0, y0, x1, y1)) return false;
  }
  return true;
}

/**
 * The top-left {x, y} for a w × h node near `anchor` (the top-left it would like), clear of
 * `rects` (flat [x,y,w,h,...]) by `gap` and of `lines` (flat polylines [x0,y0,x1,y1,...]).
 * `prefer: "below"` makes spots above the anchor cost more (a flow reads top to bottom).
 * Falls back to just below everything it was given when no ring within `rings` is free.
 */
export function placeNode({ w, h, anchor, rects = [], lines = [], gap = 24, rings = 14, prefer = null }) {
  const sx = Math.round((w + gap) / 2), sy = Math.round((h + gap) / 2);
  const cands = [];
  for (let dy = -rings; dy <= rings; dy++) {
    for (let dx = -rings; dx <= rings; dx++) {
      let cost = Math.hypot(dx * sx, dy * sy);
      if (prefer === "below" && dy < 0) cost *= 2.5;
      cands.push([cost, dx, dy]);
    }
  }
  cands.sort((a, b) => a[0] - b[0] || a[2] - b[2] || a[1] - b[1]);
  for (const [, dx, dy] of cands) {
    const x = anchor.x + dx * sx, y = anchor.y + dy * sy;
    if (isFree(x - gap, y - gap, x + w + gap, y + h + gap, rects, lines)) return { x: Math.round(x), y: Math.round(y) };
  }
  let bottom = anchor.y;
  for (let r = 0; r < rects.length; r += 4) bottom = Math.max(bottom, rects[r + 1] + rects[r + 3]);
  for (const pts of lines) for (let p = 1; p < pts.length; p += 2) bottom = Math.max(bottom, pts[p]);
  return { x: Math.round(anchor.x), y: Math.round(bottom + gap * 2) };
}

/** Motion kernels (pure): easing curves, the camera between two views, what each mode animates,
 * and live traffic's arithmetic (edge heat from counter deltas, particles per edge, bezier points).
 * The engine's camera.js and traffic.js drive these from the one animation clock. */

/** A CSS-style cubic-bezier(x1, y1, x2, y2) as a function of progress 0..1 (Newton, then bisection). */
export function cubicBezier(x1, y1, x2, y2) {
  const cx = 3 * x1, bx = 3 * (x2 - x1) - cx, ax = 1 - cx - bx;
  const cy = 3 * y1, by = 3 * (y2 - y1) - cy, ay = 1 - cy - by;
  const X = (s) => ((ax * s + bx) * s + cx) * s, Y = (s) => ((ay * s + by) * s + cy) * s, dX = (s) => (3 * ax * s + 2 * bx) * s + cx;
  return (p) => {
    if (p <= 0) return 0;
    if (p >= 1) return 1;
    let s = p;
    for (let i = 0; i < 6; i++) { const e = X(s) - p, d = dX(s); if (Math.abs(e) < 1e-6) return Y(s); if (Math.abs(d) < 1e-6) break; s -= e / d; }
    let lo = 0, hi = 1; s = p;
    for (let i = 0; i < 30; i++) { const v = X(s); if (Math.abs(v - p) < 1e-6) break; if (v < p) lo = s; else hi = s; s = (lo + hi) / 2; }
    return Y(s);
  };
}

/** The tokens' --ease-out (css/tokens.css): fast start, long soft landing. */
export const easeOut = cubicBezier(0.22, 1, 0.36, 1);
export const CAMERA_MS = 420; // --dur-camera

/** The camera at progress p (0..1, already eased) between two views of a W x H canvas: the zoom
 * moves geometrically (each step looks the same size) and the centre of the view linearly. */
export function cameraBetween(a, b, p, W, H) {
  if (p <= 0) return { ...a };
  if (p >= 1) return { ...b };
  const zoom = a.zoom * Math.pow(b.zoom / a.zoom, p);
  const acx = a.x + W / 2 / a.zoom, acy = a.y + H / 2 / a.zoom, bcx = b.x + W / 2 / b.zoom, bcy = b.y + H / 2 / b.zoom;
  const cx = acx + (bcx - acx) * p, cy = acy + (bcy - acy) * p;
  return { x: cx - W / 2 / zoom, y: cy - H / 2 / zoom, zoom };
}

/** What moves in each mode. `reduced`: the user asked for reduced motion, so nothing moves.
 * The answers are shared, frozen objects: asked every animation frame, they allocate nothing. */
const STILL = Object.freeze({ glide: false, pulse: false, glow: false, particles: false, enter: false, badge: true });
const BEAUTY = Object.freeze({ glide: true, pulse: true, glow: true, particles: true, enter: true, badge: true });
const BALANCED = Object.freeze({ glide: true, pulse: true, glow: false, particles: false, enter: true, badge: true });
export function motionFor(mode, reduced = false) {
  if (reduced) return STILL;
  if (mode === "beauty") return BEAUTY;
  if (mode === "balanced") return BALANCED;
  return STILL; // high-performance, enterprise: a flat count badge, nothing animates
}

export const HEAT_HALF_LIFE_MS = 6000;

/** Heat left after `dt` ms: traversals fade with a half-life, so "recent" needs no window buffer. */
export function decay(heat, dt, halfLife = HEAT_HALF_LIFE_MS) {
  return dt <= 0 ? heat : heat * Math.pow(0.5, dt / halfLife);
}

/** Particles on an edge for its recent traversals: one per traversal, at least one while warm, at most `max`. */
export function particlesFor(heat, max = 6) {
  if (!(heat >= 0.2)) return 0;
  return Math.max(1, Math.min(max, Math.round(heat)));
}

/** Per-outlet increments between two snapshots of the runtime's cumulative outlet totals
 * ({"node.outlet": n}). The first snapshot only sets the baseline (totals since the server
 * started are not "recent"); an outlet first seen later counts in full. */
export function outletDeltas(prev, next) {
  const out = [];
  if (!prev) return out;
  for (const [key, n] of Object.entries(next || {})) {
    const d = n - (prev[key] || 0);
    if (d > 0) {
      const dot = key.lastIndexOf(".");
      if (dot > 0) out.push({ node: key.slice(0, dot), outlet: key.slice(dot + 1), n: d });
    }
  }
  return out;
}

/** New steps of a test call's path (a list of node ids that only grows during one call). */
export function pathSteps(prevPath, path) {
  const steps = [];
  const from = prevPath && prevPath.length && path.length >= prevPath.length && prevPath.every((id, k) => path[k] === id) ? prevPath.length : 0;
  for (let k = Math.max(1, from); k < path.length; k++) if (path[k - 1] !== path[k]) steps.push([path[k - 1], path[k]]);
  return steps;
}

/** Point at s (0..1) on the cubic bezier q = [x0,y0, c1x,c1y, c2x,c2y, x3,y3]. */
export function bezierPoint(q, s) {
  const out = [0, 0];
  bezierInto(q, 0, s, out);
  return out;
}

/** The same point written into out[0], out[1], for the bezier at q[o..o+8]: the traffic's
 * particles use it every frame, so it allocates nothing. */
export function bezierInto(q, o, s, out) {
  const u = 1 - s, a = u * u * u, b = 3 * u * u * s, c = 3 * u * s * s, d = s * s * s;
  out[0] = a * q[o] + b * q[o + 2] + c * q[o + 4] + d * q[o + 6];
  out[1] = a * q[o + 1] + b * q[o + 3] + c * q[o + 5] + d * q[o + 7];
}

/** Live traffic on the canvas: a ring of the node's own shape pulsing around every node with
 * calls on it, the number of calls in a badge, and particles running along edges in proportion
 * to their recent traversals; plus the short trace a new edge draws when it appears.
 *
 * Fed by the runtime's counts stream and by the editor's test calls (each a separate source,
 * summed). Drawn by the engine's one clock: rings and particles are a function of the frame time,
 * so there is no timer per node, and nothing at all once no call and no heat is left. What moves
 * depends on the mode and on reduced motion (core/motion.js `motionFor`). */

import { portPosition, edgePath } from "../core/edges.js";
import { decay, particlesFor, bezierPoint } from "../core/motion.js";
import { pointAlong } from "../core/routing.js";

const PULSE_MS = 1600, PARTICLE_MS = 1500, TRACE_MS = 650, CARD_RADIUS = 12;

export class Traffic {
  constructor(layerParent, before = null) {
    const doc = layerParent.ownerDocument;
    this.layer = doc.createElement("div");
    this.layer.className = "rf-traffic-layer";
    this.layer.setAttribute("aria-hidden", "true"); // changes every second: not read out (metrics().calls has the total)
    if (before && before.parentNode === layerParent) before.after(this.layer); else layerParent.appendChild(this.layer);
    this.sources = new Map(); // source name -> Map(index -> calls)
    this.calls = new Map(); // index -> calls, all sources summed
    this.heat = new Map(); // edge index -> {h, t}
    this.traces = []; // {a, k, b, t0}
    this.badges = []; this.shown = 0;
    this.sprites = new Map(); // badge text -> canvas (mid zoom draws images, not text, every frame)
    this.spriteKey = "";
    this.animMs = 0; this.samples = new Float64Array(120); this.ns = 0; this.si = 0;
  }

  /** Calls now on each node, by index, for one source ("stream", "test"). */
  setCalls(source, byIndex) {
    if (byIndex && byIndex.size) this.sources.set(source, byIndex); else this.sources.delete(source);
    this.calls = new Map();
    for (const m of this.sources.values()) for (const [i, n] of m) if (n > 0) this.calls.set(i, (this.calls.get(i) || 0) + n);
  }

  /** n more traversals of edge j at time t. */
  addHeat(j, n, t) {
    const e = this.heat.get(j);
    if (e) { e.h = decay(e.h, t - e.t) + n; e.t = t; } else this.heat.set(j, { h: n, t });
  }

  /** A new edge (source index, outlet position, target index) draws itself in. */
  trace(a, k, b, t) { this.traces.push({ a, k, b, t0: t }); if (this.traces.length > 64) this.traces.shift(); }

  callsOn(i) { return this.calls.get(i) || 0; }

  /** Whether the clock should keep producing animation frames. */
  wantsFrames(motion, now) {
    if (this.traces.length) return true;
    if (motion.pulse && this.calls.size) return true;
    if (motion.particles) for (const e of this.heat.values()) if (decay(e.h, now - e.t) >= 0.2) return true;
    return false;
  }

  /** Canvas part: rings, particles, traces, mid-zoom badges; on the flow's canvas just drawn, or
   * (`layer`) on the traffic's own canvas, cleared first (and left alone once clear with nothing live). */
  draw(ctx, f, layer = false) {
    const t0 = performance.now();
    const { state, cam, dpr, now, rect, lod, motion, theme, outletCount, ringStatic, route = null } = f;
    this._prune(now, state);
    const any = lod !== "far" && (this.calls.size || this.heat.size || this.traces.length);
    if (layer && (this.painted || any)) this.clearLayer(ctx);
    if (any) {
      if (layer) this.painted = true;
      const z = cam.zoom;
      ctx.save();
      ctx.setTransform(dpr * z, 0, 0, dpr * z, -cam.x * dpr * z, -cam.y * dpr * z);
      const vis = [];
      for (const i of this.calls.keys()) if (inside(state, i, rect)) vis.push(i);
      if (vis.length && (motion.pulse || ringStatic)) this._rings(ctx, state, vis, z, now, motion, theme, ringStatic);
      if (motion.particles && this.heat.size) this._particles(ctx, state, z, now, rect, theme, outletCount, motion.glow, route);
      if (this.traces.length) this._traces(ctx, state, z, now, theme, outletCount);
      ctx.restore();
      if (lod === "mid" && motion.badge && vis.length && state.h[vis[0]] * z >= 14) this._canvasBadges(ctx, state, vis, cam, dpr, theme);
    }
    this._sample(performance.now() - t0);
  }

  clearLayer(ctx) {
    if (!this.painted) return;
    ctx.setTransform(1, 0, 0, 1, 0, 0); ctx.clearRect(0, 0, ctx.canvas.width, ctx.canvas.height);
    this.painted = false;
  }

  /** DOM badges over the near-zoom cards (the canvas is under the cards, so a drawn badge would hide). */
  placeBadges(f) {
    const t0 = performance.now();
    const { state, cam, lod, motion, rect } = f;
    let used = 0;
    if (lod === "near" && motion.badge) {
      const z = cam.zoom;
      for (const [i, n] of this.calls) {
        if (!inside(state, i, rect)) continue;
        const b = this.badges[used] || this._badge();
        used++;
        const text = String(n);
        if (b.text !== text) { b.el.textContent = text; b.text = text; }
        if (b.index !== i) { b.el.dataset.index = String(i); b.index = i; }
        // on the card's right edge, half way down: clear of the problem marker (top right) and the ports (bottom)
        const x = Math.round((state.x[i] + state.w[i] - cam.x) * z - 11), y = Math.round((state.y[i] + state.h[i] / 2 - cam.y) * z - 11);
        const tx = `translate(${x}px,${y}px)`;
        if (b.tx !== tx) { b.el.style.transform = tx; b.tx = tx; }
        if (b.el.hidden) b.el.hidden = false;
      }
    }
    for (let k = used; k < this.shown; k++) { const b = this.badges[k]; b.el.hidden = true; b.index = -1; b.tx = ""; }
    this.shown = used;
    this._sample(performance.now() - t0, true);
  }

  _badge() {
    const el = this.layer.ownerDocument.createElement("span");
    el.className = "rf-calls"; el.hidden = true;
    this.layer.appendChild(el);
    const b = { el, text: "", tx: "", index: -1 };
    this.badges.push(b);
    return b;
  }

  _prune(now, state) {
    if (this.traces.length && now - this.traces[0].t0 > TRACE_MS) this.traces = this.traces.filter((x) => now - x.t0 <= TRACE_MS);
    for (const [j, e] of this.heat) if (j >= state.ecount || decay(e.h, now - e.t) < 0.2) this.heat.delete(j);
  }

  _rings(ctx, state, vis, z, now, motion, theme, ringStatic) {
    const still = ringStatic || !motion.pulse;
    // a steady ring hugging the card says "calls here"; a second one swells out of it and fades (the pulse)
    const rings = still ? [[0, 0.9]] : [[0, 0.85], [(now % PULSE_MS) / PULSE_MS, -1]];
    ctx.strokeStyle = theme.live;
    for (const [ph, a] of rings) {
      const grow = (4 + 16 * ph) / z, p = new Path2D();
      for (const i of vis) roundRect(p, state.x[i] - grow, state.y[i] - grow, state.w[i] + 2 * grow, state.h[i] + 2 * grow, CARD_RADIUS + grow);
      const alpha = a >= 0 ? a : Math.pow(1 - ph, 1.8) * 0.8;
      if (motion.glow) { ctx.globalAlpha = alpha * 0.25; ctx.lineWidth = 8 / z; ctx.stroke(p); }
      ctx.globalAlpha = alpha; ctx.lineWidth = (a >= 0 ? 2 : 1.5) / z; ctx.stroke(p);
    }
    ctx.globalAlpha = 1;
  }

  _particles(ctx, state, z, now, rect, theme, outletCount, glow, route = null) {
    const dots = new Path2D(), halo = new Path2D(), r = 3.2 / z * Math.min(1, 0.45 + z * 0.8);
    const X = state.x, Y = state.y, NW = state.w, NH = state.h;
    for (const [j, e] of this.heat) {
      const a = state.esrc[j], b = state.edst[j];
      if (!inside(state, a, rect) && !inside(state, b, rect)) continue;
      const routed = route ? route(j) : null; // the edge is drawn around the cards: its particles go that way too
      const p = portPosition(X[a], Y[a], NW[a], NH[a], state.eout[j], outletCount(a));
      const q = edgePath(p.x, p.y, X[b], Y[b], NW[b]);
      // one particle per recent traversal, but never closer than ~48 screen px: a short edge carries fewer
      const room = Math.max(1, Math.floor(((routed ? pointAlong(routed, 0).len : Math.hypot(q[6] - q[0], q[7] - q[1]) * 1.15) * z) / 48));
      const n = Math.min(room, particlesFor(decay(e.h, now - e.t)));
      if (!n) continue;
      const base = (now / PARTICLE_MS + j * 0.618034) % 1; // each edge its own phase: the flow reads as traffic, not a beat
      for (let k = 0; k < n; k++) {
        const s = (base + k / n) % 1, [x, y] = routed ? (({ x, y }) => [x, y])(pointAlong(routed, s)) : bezierPoint(q, s);
        dots.moveTo(x + r, y); dots.arc(x, y, r, 0, 6.2832);
        if (glow) { halo.moveTo(x + r * 2.2, y); halo.arc(x, y, r * 2.2, 0, 6.2832); }
      }
    }
    ctx.fillStyle = theme.live;
    if (glow) { ctx.globalAlpha = 0.2; ctx.fill(halo); }
    ctx.globalAlpha = 1; ctx.fill(dots);
  }

  _traces(ctx, state, z, now, theme, outletCount) {
    for (const tr of this.traces) {
      const { a, k, b } = tr;
      if (!state.alive(a) || !state.alive(b)) continue;
      const p = portPosition(state.x[a], state.y[a], state.w[a], state.h[a], k, outletCount(a));
      const q = edgePath(p.x, p.y, state.x[b], state.y[b], state.w[b]);
      let len = 0, [px, py] = [q[0], q[1]];
      for (let s = 1; s <= 16; s++) { const [x, y] = bezierPoint(q, s / 16); len += Math.hypot(x - px, y - py); px = x; py = y; }
      const prog = Math.min(1, (now - tr.t0) / (TRACE_MS * 0.6)), fade = 1 - Math.max(0, (now - tr.t0 - TRACE_MS * 0.6) / (TRACE_MS * 0.4));
      ctx.globalAlpha = Math.max(0, fade); ctx.strokeStyle = theme.accent; ctx.lineWidth = 3 / z;
      ctx.setLineDash([len * prog, len + 1]);
      ctx.beginPath(); ctx.moveTo(q[0], q[1]); ctx.bezierCurveTo(q[2], q[3], q[4], q[5], q[6], q[7]); ctx.stroke();
    }
    ctx.setLineDash([]); ctx.globalAlpha = 1;
  }

  /** Mid zoom: badges are images of their text, made once per count and theme. */
  _canvasBadges(ctx, state, vis, cam, dpr, theme) {
    const key = `${dpr}|${theme.live}|${theme.liveInk}|${theme.card}`;
    if (key !== this.spriteKey) { this.sprites.clear(); this.spriteKey = key; }
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    const z = cam.zoom;
    for (const i of vis) {
      const text = String(this.calls.get(i)), img = this.sprites.get(text) || this._sprite(text, dpr, theme);
      const x = ((state.x[i] + state.w[i] - cam.x) * z - 11) * dpr, y = ((state.y[i] + state.h[i] / 2 - cam.y) * z - 11) * dpr;
      ctx.drawImage(img, Math.round(x), Math.round(y));
    }
  }

  _sprite(text, dpr, theme) {
    const h = 18, w = Math.max(18, 8 + 7 * text.length);
    const c = typeof OffscreenCanvas !== "undefined" ? new OffscreenCanvas(Math.ceil((w + 4) * dpr), Math.ceil((h + 4) * dpr))
      : Object.assign(this.layer.ownerDocument.createElement("canvas"), { width: Math.ceil((w + 4) * dpr), height: Math.ceil((h + 4) * dpr) });
    const g = c.getContext("2d");
    g.scale(dpr, dpr);
    const p = new Path2D(); roundRect(p, 1, 1, w + 2, h + 2, (h + 2) / 2);
    g.fillStyle = theme.card; g.fill(p);
    const q = new Path2D(); roundRect(q, 2, 2, w, h, h / 2);
    g.fillStyle = theme.live; g.fill(q);
    g.fillStyle = theme.liveInk; g.font = "700 11px system-ui, sans-serif"; g.textAlign = "center"; g.textBaseline = "middle";
    g.fillText(text, 2 + w / 2, 2 + h / 2 + 0.5);
    if (this.sprites.size > 200) this.sprites.clear();
    this.sprites.set(text, c);
    return c;
  }

  /** Animation work per frame: the canvas part and the badge part of one frame add up. */
  _sample(ms, close = false) {
    this.pending = (this.pending || 0) + ms;
    if (!close) return;
    const v = this.pending; this.pending = 0;
    this.animMs = this.animMs * 0.9 + v * 0.1;
    this.samples[this.si] = v; this.si = (this.si + 1) % this.samples.length; this.ns = Math.min(this.ns + 1, this.samples.length);
  }

  /** {animMs: average, animP95, animMax} over the last 120 frames, in ms. */
  metrics() {
    if (!this.ns) return { animMs: 0, animP95: 0, animMax: 0 };
    const a = Array.from(this.samples.subarray(0, this.ns)).sort((x, y) => x - y);
    const r = (v) => Math.round(v * 100) / 100;
    return { animMs: r(this.animMs), animP95: r(a[Math.max(0, Math.ceil(this.ns * 0.95) - 1)]), animMax: r(a[a.length - 1]) };
  }

  destroy() { this.layer.remove(); this.sprites.clear(); }
}

function inside(state, i, r) {
  return state.alive(i) && state.x[i] < r[2] && state.y[i] < r[3] && state.x[i] + state.w[i] > r[0] && state.y[i] + state.h[i] > r[1];
}

function roundRect(p, x, y, w, h, r) {
  const rr = Math.min(r, w / 2, h / 2);
  p.moveTo(x + rr, y);
  p.arcTo(x + w, y, x + w, y + h, rr); p.arcTo(x + w, y + h, x, y + h, rr);
  p.arcTo(x, y + h, x, y, rr); p.arcTo(x, y, x + w, y, rr); p.closePath();
}

/** Live traffic on the canvas: a ring of the node's own shape pulsing around every node with
 * calls on it, the number of calls in a badge, and particles running along edges in proportion
 * to their recent traversals; plus the short trace a new edge draws when it appears.
 *
 * Fed by the runtime's counts stream and by the editor's test calls (each a separate source,
 * summed). Drawn by the engine's one clock: rings and particles are a function of the frame time,
 * so there is no timer per node, and nothing at all once no call and no heat is left. What moves
 * depends on the mode and on reduced motion (core/motion.js `motionFor`).
 *
 * A frame allocates nothing: calls and heat live in typed-array pools (grown by doubling when a
 * counts event brings more), each heated edge keeps its curve (recomputed only in frames that
 * redrew the flow, where geometry may have moved), paths go straight onto the context, and a
 * badge's text and position strings are made only when they change. benchmarks/editor.py's
 * traffic rows hold the heap to this. */

import { portPosition, edgePath } from "../core/edges.js";
import { decay, particlesFor, bezierInto } from "../core/motion.js";
import { pointAlongInto } from "../core/routing.js";

const PULSE_MS = 1600, PARTICLE_MS = 1500, TRACE_MS = 650, CARD_RADIUS = 12, MAX_DOTS = 6;
const Q = 8, TAU = 2 * Math.PI; // rings and particles are drawn in 1/8 world units (see draw)
const SPARE_BADGES = 8, ATLAS_COLS = 16, ATLAS_ROWS = 8, BADGE_MAX_W = 64; // mid-zoom badge images: 128 counts at most, 7 digits wide

export class Traffic {
  constructor(layerParent, before = null) {
    const doc = layerParent.ownerDocument;
    this.layer = doc.createElement("div");
    this.layer.className = "rf-traffic-layer";
    this.layer.setAttribute("aria-hidden", "true"); // changes every second: not read out (metrics().calls has the total)
    if (before && before.parentNode === layerParent) before.after(this.layer); else layerParent.appendChild(this.layer);
    this.sources = new Map(); // source name -> Map(index -> calls)
    this.calls = new Map(); // index -> calls, all sources summed (rebuilt per event, read by callsOn)
    this._growCalls(256); this.nCalls = 0; // cIdx/cN: the same, as arrays a frame walks
    this.heatSlot = new Map(); // edge index -> slot in the heat pool
    this._growHeat(256); this.nHeat = 0; // hEdge, hH, hT (heat and when), hQ (curve, 8 a slot), hOk (curve known)
    this.pt = new Float64Array(3); this.dots = new Float64Array(256 * MAX_DOTS * 2); this.nDots = 0;
    this.traces = []; // {a, k, b, t0}: a new edge's draw-in (edits only, not per frame)
    this.badges = []; this.shown = 0;
    this.sprites = new Map(); this.spriteDpr = 0; this.spriteTheme = null; this.atlas = null; // calls -> atlas cell (mid zoom draws images, not text)
    this.animMs = 0; this.pending = 0; this.samples = new Float64Array(120); this.ns = 0; this.si = 0; this.sorted = new Float64Array(120);
    this.painted = false;
  }

  _growCalls(cap) {
    const i = new Int32Array(cap), n = new Int32Array(cap);
    if (this.cIdx) { i.set(this.cIdx); n.set(this.cN); }
    this.cIdx = i; this.cN = n;
  }

  _growHeat(cap) {
    const grow = (Ctor, old, k = 1) => { const a = new Ctor(cap * k); if (old) a.set(old); return a; };
    this.hEdge = grow(Int32Array, this.hEdge); this.hH = grow(Float64Array, this.hH); this.hT = grow(Float64Array, this.hT);
    this.hQ = grow(Float64Array, this.hQ, 8); this.hOk = grow(Uint8Array, this.hOk);
    if (this.dots && this.dots.length < cap * MAX_DOTS * 2) this.dots = new Float64Array(cap * MAX_DOTS * 2);
  }

  /** Calls now on each node, by index, for one source ("stream", "test"). */
  setCalls(source, byIndex) {
    if (byIndex && byIndex.size) this.sources.set(source, byIndex); else this.sources.delete(source);
    this.calls = new Map();
    for (const m of this.sources.values()) for (const [i, n] of m) if (n > 0) this.calls.set(i, (this.calls.get(i) || 0) + n);
    if (this.calls.size > this.cIdx.length) this._growCalls(Math.max(this.calls.size, this.cIdx.length * 2));
    let k = 0;
    for (const [i, n] of this.calls) { this.cIdx[k] = i; this.cN[k] = n; k++; }
    this.nCalls = k;
  }

  /** n more traversals of edge j at time t. */
  addHeat(j, n, t) {
    const s = this.heatSlot.get(j);
    if (s !== undefined) { this.hH[s] = decay(this.hH[s], t - this.hT[s]) + n; this.hT[s] = t; return; }
    if (this.nHeat === this.hEdge.length) this._growHeat(this.hEdge.length * 2);
    const k = this.nHeat++;
    this.hEdge[k] = j; this.hH[k] = n; this.hT[k] = t; this.hOk[k] = 0;
    this.heatSlot.set(j, k);
  }

  /** A new edge (source index, outlet position, target index) draws itself in. */
  trace(a, k, b, t) { this.traces.push({ a, k, b, t0: t }); if (this.traces.length > 64) this.traces.shift(); }

  callsOn(i) { return this.calls.get(i) || 0; }

  /** All calls now, over every node. */
  total() { let s = 0; for (let k = 0; k < this.nCalls; k++) s += this.cN[k]; return s; }

  /** Whether the clock should keep producing animation frames. */
  wantsFrames(motion, now) {
    if (this.traces.length) return true;
    if (motion.pulse && this.nCalls) return true;
    if (motion.particles) for (let s = 0; s < this.nHeat; s++) if (decay(this.hH[s], now - this.hT[s]) >= 0.2) return true;
    return false;
  }

  /** Canvas part: rings, particles, traces, mid-zoom badges; on the flow's canvas just drawn, or
   * (`layer`) on the traffic's own canvas, cleared first (and left alone once clear with nothing live).
   * `f.fresh`: the flow was redrawn this frame (nodes or outlets may have moved): edge curves are remade. */
  draw(ctx, f, layer = false) {
    const t0 = performance.now();
    const { state, cam, dpr, now, rect, lod, motion, theme, outletCount, ringStatic, fresh, route = null } = f;
    this._prune(now, state, fresh !== false);
    const any = lod !== "far" && (this.nCalls || this.nHeat || this.traces.length);
    if (layer && (this.painted || any)) this.clearLayer(ctx);
    if (any) {
      if (layer) this.painted = true;
      const z = cam.zoom;
      ctx.save();
      // rings and particles in 1/Q world units, rounded: whole numbers pass to the canvas calls as
      // small integers, where fractional ones would each be boxed (allocated) by V8 on every call
      ctx.setTransform(dpr * z / Q, 0, 0, dpr * z / Q, -cam.x * dpr * z, -cam.y * dpr * z);
      const vis = this._visible(state, rect);
      if (vis && (motion.pulse || ringStatic)) this._rings(ctx, state, z, now, motion, theme, ringStatic);
      if (motion.particles && this.nHeat) this._particles(ctx, state, z, now, rect, theme, outletCount, motion.glow, route);
      ctx.setTransform(dpr * z, 0, 0, dpr * z, -cam.x * dpr * z, -cam.y * dpr * z);
      if (this.traces.length) this._traces(ctx, state, z, now, theme, outletCount);
      ctx.restore();
      if (lod === "mid" && motion.badge && vis && state.h[this.cIdx[0]] * z >= 14) this._canvasBadges(ctx, state, cam, dpr, theme);
    }
    this._sample(performance.now() - t0);
  }

  /** Moves the calls on nodes in `rect` to the front of the pool; how many there are. */
  _visible(state, rect) {
    let v = 0;
    for (let k = 0; k < this.nCalls; k++) {
      const i = this.cIdx[k];
      if (!inside(state, i, rect)) continue;
      if (k !== v) { const n = this.cN[k]; this.cIdx[k] = this.cIdx[v]; this.cN[k] = this.cN[v]; this.cIdx[v] = i; this.cN[v] = n; }
      v++;
    }
    this.nVis = v;
    return v;
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
      for (let k = 0; k < this.nCalls; k++) {
        const i = this.cIdx[k], n = this.cN[k];
        if (!inside(state, i, rect)) continue;
        const b = this.badges[used] || this._badge();
        used++;
        if (b.n !== n) { b.el.textContent = String(n); b.n = n; }
        if (b.index !== i) { b.el.dataset.index = String(i); b.index = i; }
        // on the card's right edge, half way down: clear of the problem marker (top right) and the ports (bottom)
        const x = Math.round((state.x[i] + state.w[i] - cam.x) * z - 11), y = Math.round((state.y[i] + state.h[i] / 2 - cam.y) * z - 11);
        if (b.x !== x || b.y !== y) { b.el.style.transform = `translate(${x}px,${y}px)`; b.x = x; b.y = y; }
        if (b.el.hidden) b.el.hidden = false;
      }
    }
    for (let k = used; k < this.shown; k++) { const b = this.badges[k]; b.el.hidden = true; b.index = -1; b.x = NaN; }
    this.shown = used;
    // a zoom out at near detail may have needed many badges: once the view rests, keep a few spare, not all
    if (f.fresh === false && this.badges.length > used + SPARE_BADGES) while (this.badges.length > used + SPARE_BADGES) this.badges.pop().el.remove();
    this._sample(performance.now() - t0, true);
  }

  _badge() {
    const el = this.layer.ownerDocument.createElement("span");
    el.className = "rf-calls"; el.hidden = true;
    this.layer.appendChild(el);
    const b = { el, n: -1, x: NaN, y: NaN, index: -1 };
    this.badges.push(b);
    return b;
  }

  _prune(now, state, fresh) {
    if (this.traces.length && now - this.traces[0].t0 > TRACE_MS) this.traces = this.traces.filter((x) => now - x.t0 <= TRACE_MS);
    for (let s = this.nHeat - 1; s >= 0; s--) {
      if (fresh) this.hOk[s] = 0; // the flow was redrawn: nodes may have moved, outlets may have changed
      if (this.hEdge[s] < state.ecount && decay(this.hH[s], now - this.hT[s]) >= 0.2) continue;
      this.heatSlot.delete(this.hEdge[s]);
      const last = --this.nHeat;
      if (s === last) continue;
      this.hEdge[s] = this.hEdge[last]; this.hH[s] = this.hH[last]; this.hT[s] = this.hT[last]; this.hOk[s] = this.hOk[last];
      this.hQ.copyWithin(s * 8, last * 8, last * 8 + 8);
      this.heatSlot.set(this.hEdge[s], s);
    }
  }

  _rings(ctx, state, z, now, motion, theme, ringStatic) {
    // a steady ring hugging the card says "calls here"; a second one swells out of it and fades (the pulse)
    const still = ringStatic || !motion.pulse, ph = (now % PULSE_MS) / PULSE_MS;
    ctx.strokeStyle = theme.live;
    for (let r = 0; r < (still ? 1 : 2); r++) {
      const p = r ? ph : 0, grow = (4 + 16 * p) / z;
      ctx.beginPath();
      for (let k = 0; k < this.nVis; k++) {
        const i = this.cIdx[k];
        roundRectQ(ctx, units(state.x[i] - grow), units(state.y[i] - grow), units(state.w[i] + 2 * grow), units(state.h[i] + 2 * grow), units(CARD_RADIUS + grow));
      }
      const alpha = r ? Math.pow(1 - ph, 1.8) * 0.8 : still ? 0.9 : 0.85;
      if (motion.glow) { ctx.globalAlpha = alpha * 0.25; ctx.lineWidth = 8 * Q / z; ctx.stroke(); }
      ctx.globalAlpha = alpha; ctx.lineWidth = (r ? 1.5 : 2) * Q / z; ctx.stroke();
    }
    ctx.globalAlpha = 1;
  }

  /** The heated edge in slot s: its curve, from the pool, made again after the flow moved. */
  _curve(state, s, outletCount) {
    const o = s * 8, q = this.hQ;
    if (this.hOk[s]) return o;
    const j = this.hEdge[s], a = state.esrc[j], b = state.edst[j];
    const p = portPosition(state.x[a], state.y[a], state.w[a], state.h[a], state.eout[j], outletCount(a));
    const c = edgePath(p.x, p.y, state.x[b], state.y[b], state.w[b]);
    for (let k = 0; k < 8; k++) q[o + k] = c[k];
    this.hOk[s] = 1;
    return o;
  }

  _particles(ctx, state, z, now, rect, theme, outletCount, glow, route = null) {
    const r = 3.2 / z * Math.min(1, 0.45 + z * 0.8), q = this.hQ, pt = this.pt, dots = this.dots;
    let nd = 0;
    for (let s = 0; s < this.nHeat; s++) {
      const j = this.hEdge[s], a = state.esrc[j], b = state.edst[j];
      if (!inside(state, a, rect) && !inside(state, b, rect)) continue;
      const routed = route ? route(j) : null; // the edge is drawn around the cards: its particles go that way too
      const o = routed ? 0 : this._curve(state, s, outletCount);
      if (routed) pointAlongInto(routed, 0, pt); // pt[2]: the route's length
      const len = routed ? pt[2] : Math.hypot(q[o + 6] - q[o], q[o + 7] - q[o + 1]) * 1.15;
      // one particle per recent traversal, but never closer than ~48 screen px: a short edge carries fewer
      const room = Math.max(1, Math.floor((len * z) / 48));
      const n = Math.min(room, particlesFor(decay(this.hH[s], now - this.hT[s]), MAX_DOTS));
      const base = (now / PARTICLE_MS + j * 0.618034) % 1; // each edge its own phase: the flow reads as traffic, not a beat
      for (let k = 0; k < n; k++) {
        if (routed) pointAlongInto(routed, (base + k / n) % 1, pt); else bezierInto(q, o, (base + k / n) % 1, pt);
        dots[nd++] = pt[0]; dots[nd++] = pt[1];
      }
    }
    ctx.fillStyle = theme.live;
    if (glow) { ctx.globalAlpha = 0.2; dotPath(ctx, dots, nd, Math.max(1, units(r * 2.2))); ctx.fill(); }
    ctx.globalAlpha = 1; dotPath(ctx, dots, nd, Math.max(1, units(r))); ctx.fill();
  }

  _traces(ctx, state, z, now, theme, outletCount) {
    const pt = this.pt;
    for (const tr of this.traces) {
      const { a, k, b } = tr;
      if (!state.alive(a) || !state.alive(b)) continue;
      const p = portPosition(state.x[a], state.y[a], state.w[a], state.h[a], k, outletCount(a));
      const q = edgePath(p.x, p.y, state.x[b], state.y[b], state.w[b]);
      let len = 0, px = q[0], py = q[1];
      for (let s = 1; s <= 16; s++) { bezierInto(q, 0, s / 16, pt); len += Math.hypot(pt[0] - px, pt[1] - py); px = pt[0]; py = pt[1]; }
      const prog = Math.min(1, (now - tr.t0) / (TRACE_MS * 0.6)), fade = 1 - Math.max(0, (now - tr.t0 - TRACE_MS * 0.6) / (TRACE_MS * 0.4));
      ctx.globalAlpha = Math.max(0, fade); ctx.strokeStyle = theme.accent; ctx.lineWidth = 3 / z;
      ctx.setLineDash([len * prog, len + 1]);
      ctx.beginPath(); ctx.moveTo(q[0], q[1]); ctx.bezierCurveTo(q[2], q[3], q[4], q[5], q[6], q[7]); ctx.stroke();
    }
    ctx.setLineDash([]); ctx.globalAlpha = 1;
  }

  /** Mid zoom: badges are images of their count, drawn once per count, theme and pixel ratio into
   * one atlas canvas (one context, so one font and text-shaping cache however many counts show). */
  _canvasBadges(ctx, state, cam, dpr, theme) {
    if (dpr !== this.spriteDpr || theme !== this.spriteTheme || !this.atlas) this._atlas(dpr, theme);
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    const z = cam.zoom, cw = this.cellW, ch = this.cellH;
    for (let k = 0; k < this.nVis; k++) {
      const i = this.cIdx[k], n = this.cN[k];
      let cell = this.sprites.get(n);
      if (cell === undefined) cell = this._sprite(n, dpr, theme);
      const x = ((state.x[i] + state.w[i] - cam.x) * z - 11) * dpr, y = ((state.y[i] + state.h[i] / 2 - cam.y) * z - 11) * dpr;
      ctx.drawImage(this.atlas, (cell % ATLAS_COLS) * cw, Math.floor(cell / ATLAS_COLS) * ch, cw, ch, Math.round(x), Math.round(y), cw, ch);
    }
  }

  _atlas(dpr, theme) {
    this.sprites.clear(); this.spriteDpr = dpr; this.spriteTheme = theme;
    this.cellW = Math.ceil(BADGE_MAX_W * dpr); this.cellH = Math.ceil(22 * dpr);
    const w = this.cellW * ATLAS_COLS, h = this.cellH * ATLAS_ROWS;
    if (!this.atlas) {
      this.atlas = typeof OffscreenCanvas !== "undefined" ? new OffscreenCanvas(w, h) : this.layer.ownerDocument.createElement("canvas");
      this.atlasCtx = this.atlas.getContext("2d");
    }
    this.atlas.width = w; this.atlas.height = h; // also clears it
  }

  /** Draws the badge for count n into the atlas' next free cell (all cells taken: start again). */
  _sprite(n, dpr, theme) {
    if (this.sprites.size >= ATLAS_COLS * ATLAS_ROWS) { this.sprites.clear(); this.atlasCtx.setTransform(1, 0, 0, 1, 0, 0); this.atlasCtx.clearRect(0, 0, this.atlas.width, this.atlas.height); }
    const cell = this.sprites.size, g = this.atlasCtx;
    const text = String(n), h = 18, w = Math.min(BADGE_MAX_W - 4, Math.max(18, 8 + 7 * text.length));
    g.setTransform(dpr, 0, 0, dpr, (cell % ATLAS_COLS) * this.cellW, Math.floor(cell / ATLAS_COLS) * this.cellH);
    g.beginPath(); roundRect(g, 1, 1, w + 2, h + 2, (h + 2) / 2);
    g.fillStyle = theme.card; g.fill();
    g.beginPath(); roundRect(g, 2, 2, w, h, h / 2);
    g.fillStyle = theme.live; g.fill();
    g.fillStyle = theme.liveInk; g.font = "700 11px system-ui, sans-serif"; g.textAlign = "center"; g.textBaseline = "middle";
    g.fillText(text, 2 + w / 2, 2 + h / 2 + 0.5);
    this.sprites.set(n, cell);
    return cell;
  }

  /** Animation work per frame: the canvas part and the badge part of one frame add up. */
  _sample(ms, close = false) {
    this.pending += ms;
    if (!close) return;
    const v = this.pending; this.pending = 0;
    this.animMs = this.animMs * 0.9 + v * 0.1;
    this.samples[this.si] = v; this.si = (this.si + 1) % this.samples.length; this.ns = Math.min(this.ns + 1, this.samples.length);
  }

  /** {animMs: average, animP95, animMax} over the last 120 frames, in ms. */
  metrics() {
    if (!this.ns) return { animMs: 0, animP95: 0, animMax: 0 };
    const a = this.sorted.subarray(0, this.ns);
    a.set(this.samples.subarray(0, this.ns)); a.sort();
    const r = (v) => Math.round(v * 100) / 100;
    return { animMs: r(this.animMs), animP95: r(a[Math.max(0, Math.ceil(this.ns * 0.95) - 1)]), animMax: r(a[a.length - 1]) };
  }

  destroy() { this.layer.remove(); this.sprites.clear(); this.atlas = null; }
}

function inside(state, i, r) {
  return state.alive(i) && state.x[i] < r[2] && state.y[i] < r[3] && state.x[i] + state.w[i] > r[0] && state.y[i] + state.h[i] > r[1];
}

/** A rounded rectangle added to the current path of `p` (a context or a Path2D). */
function roundRect(p, x, y, w, h, r) {
  const rr = Math.min(r, w / 2, h / 2);
  p.moveTo(x + rr, y);
  p.arcTo(x + w, y, x + w, y + h, rr); p.arcTo(x + w, y + h, x, y + h, rr);
  p.arcTo(x, y + h, x, y, rr); p.arcTo(x, y, x + w, y, rr); p.closePath();
}

/** World length v in the 1/Q units rings and particles are drawn in, as an integer. */
function units(v) { return Math.round(v * Q) | 0; }

/** roundRect in whole 1/Q units: every argument of every canvas call stays an integer. */
function roundRectQ(p, x, y, w, h, r) {
  const rr = Math.min(r, w >> 1, h >> 1);
  p.moveTo(x + rr, y);
  p.arcTo(x + w, y, x + w, y + h, rr); p.arcTo(x + w, y + h, x, y + h, rr);
  p.arcTo(x, y + h, x, y, rr); p.arcTo(x, y, x + w, y, rr); p.closePath();
}

/** Circles of radius r (1/Q units) at the first n/2 world points of xy, as the context's one current path. */
function dotPath(ctx, xy, n, r) {
  ctx.beginPath();
  for (let k = 0; k < n; k += 2) { const x = units(xy[k]), y = units(xy[k + 1]); ctx.moveTo(x + r, y); ctx.arc(x, y, r, 0, TAU); }
}

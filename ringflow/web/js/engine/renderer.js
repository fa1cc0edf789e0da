/** Canvas rendering by level of detail. Only draws; never decides what is visible.
 * far: one pass writing pixels into an ImageData (edges as DDA lines, nodes as rects/points);
 * mid: rectangles batched by colour (one fill per style), edges in one Path2D per style;
 * near: edges only (bezier with arrows); the DOM card layer draws the nodes. */

import { portPosition, edgePath } from "../core/edges.js";
import { DELETED } from "../core/flowstate.js";
import { toneFor } from "./theme.js";

// colours from the design tokens (engine/theme.js -> setTheme); these are the light defaults
let BG = "#eef1f6", EDGE = "#98a2b3", SELECT = "#2f5fe0", CARD = "#ffffff", CARD_LINE = "#d5dbe5", LABEL = "#172031";
const HL = { current: "#f29900", path: "#34a853", match: "#a142f4", error: "#d93025" };

/** "#rrggbb" -> 0xAABBGGRR (little-endian canvas pixel). */
export function rgbaU32(hex, alpha = 255) {
  const v = parseInt(hex.slice(1, 7), 16);
  return ((alpha << 24) | ((v & 0xff) << 16) | (v & 0xff00) | ((v >> 16) & 0xff)) >>> 0;
}

export class Renderer {
  constructor(canvas) {
    this.canvas = canvas;
    this.ctx = canvas.getContext("2d", { alpha: false });
    this.ctx.fillStyle = BG; this.ctx.fillRect(0, 0, canvas.width, canvas.height); // not black while the flow loads
    this.img = null; this.u32 = null;
    this.indexing = false; // the engine is still building the adjacency in slices: edges from one linear pass
    this.mark = new Uint32Array(0); this.stamp = 0;
    this.bucket = new Uint32Array(0);
    this.palette = new Uint32Array(256).fill(rgbaU32("#888888"));
    this.colors = new Array(256).fill("#888888");
    this.raw = new Map(); this.dark = false; // each type's own colour; colors/palette hold them toned for the theme
    this.lastFarZoom = -1; this.zoomAt = -1e9; this.needSettle = false; this.farCache = null;
    this.bgU32 = rgbaU32(BG); this.edgeU32 = rgbaU32("#c3c9d3"); this.selU32 = rgbaU32(SELECT);
  }

  /** Colours of the current theme (engine/theme.js readTheme); the far raster is redrawn with them. */
  setTheme(t) {
    BG = t.bg; EDGE = t.edge; SELECT = t.selection; CARD = t.card; CARD_LINE = t.cardBorder; LABEL = t.text;
    this.bgU32 = rgbaU32(BG); this.edgeU32 = rgbaU32(t.edgeFar); this.selU32 = rgbaU32(SELECT); this.farCache = null;
    this.dark = !!t.dark; this._tone();
  }

  setTypes(types) {
    types.forEach((t, k) => this.raw.set(t.code ?? k, t.color || "#888888"));
    this._tone();
  }

  _tone() {
    for (const [c, hex] of this.raw) { this.colors[c] = toneFor(hex, this.dark); this.palette[c] = rgbaU32(this.colors[c]); }
  }

  resize(pw, ph) {
    const changed = this.canvas.width !== pw || this.canvas.height !== ph;
    if (this.canvas.width !== pw) this.canvas.width = pw;
    if (this.canvas.height !== ph) this.canvas.height = ph;
    // an opaque canvas is black until drawn, and resizing clears it: paint the background now, so
    // a big flow still loading shows the empty canvas, not half a second of black
    if (changed) { this.ctx.setTransform(1, 0, 0, 1, 0, 0); this.ctx.fillStyle = BG; this.ctx.fillRect(0, 0, pw, ph); }
    if (!this.img || this.img.width !== pw || this.img.height !== ph) { this.img = null; this.u32 = null; }
  }

  /** Mark visible nodes with a fresh stamp (no clearing): edges ask "is the other end drawn?". */
  _markVisible(state, vis, k) {
    if (this.mark.length < state.count) this.mark = new Uint32Array(Math.max(state.count, this.mark.length * 2));
    const s = ++this.stamp;
    for (let t = 0; t < k; t++) this.mark[vis[t]] = s;
    return s;
  }

  /** Call fn(j) once per edge touching a visible node. */
  _eachEdge(state, vis, k, fn) {
    const s = this._markVisible(state, vis, k), mark = this.mark, src = state.esrc;
    if (!state.adjacencyReady() && (this.indexing || state.ecount > 100000)) { // still being built in slices: one linear pass
      const dst = state.edst;
      for (let j = 0; j < state.ecount; j++) if (mark[src[j]] === s || mark[dst[j]] === s) fn(j);
      return;
    }
    const adj = state.adjacency();
    for (let t = 0; t < k; t++) {
      const i = vis[t];
      for (let p = adj.start[i], e = adj.start[i + 1]; p < e; p++) fn(adj.list[p]);
      for (let p = adj.istart[i], e = adj.istart[i + 1]; p < e; p++) { const j = adj.ilist[p]; if (mark[src[j]] !== s) fn(j); }
    }
  }

  draw(f) {
    const { lod } = f;
    if (lod === "far") this._far(f); else this._vector(f);
  }

  _far(f) {
    const { state, cam, dpr, pw, ph, selStamp } = f, ctx = this.ctx, b = state.bounds;
    const z = cam.zoom * dpr;
    const cw = Math.ceil((b[2] - b[0]) * z) + 2, ch = Math.ceil((b[3] - b[1]) * z) + 2;
    // Panning at a fixed far zoom: rasterize the whole flow once at this zoom, then each frame is
    // one blit. While the zoom changes (wheel) a big flow shows the cached picture scaled, and the
    // exact raster comes 120 ms after the zoom settles (the engine re-invalidates: needSettle).
    if (cam.zoom !== this.lastFarZoom) { this.lastFarZoom = cam.zoom; this.zoomAt = f.now; }
    const settled = f.now - this.zoomAt >= 120, fits = cw * ch <= 4096 * 4096, c = this.farCache;
    const cacheOk = c && c.version === state.version && c.shape === state.shape && c.sel === selStamp && c.edges === f.showEdges;
    const blit = (cache, scale) => {
      ctx.setTransform(1, 0, 0, 1, 0, 0);
      ctx.fillStyle = BG; ctx.fillRect(0, 0, pw, ph);
      ctx.imageSmoothingEnabled = scale === 1 ? true : false;
      ctx.drawImage(cache.canvas, Math.round((b[0] - cam.x) * z), Math.round((b[1] - cam.y) * z), cache.canvas.width * scale, cache.canvas.height * scale);
      this._gestures(f);
    };
    if (fits && (settled || (cacheOk && c.zoom === cam.zoom))) {
      if (!cacheOk || c.zoom !== cam.zoom) this._buildFarCache(f, cw, ch);
      blit(this.farCache, 1);
      return;
    }
    const ratio = c ? cam.zoom / c.zoom : 0;
    if (!settled) this.needSettle = true;
    if (!settled && cacheOk && state.live > 60000 && ratio > 0.25 && ratio < 4) { blit(c, ratio); return; }
    if (!this.img) { this.img = ctx.createImageData(pw, ph); this.u32 = new Uint32Array(this.img.data.buffer); }
    this._raster(f, this.u32, pw, ph, cam.x, cam.y, z, f.all);
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.putImageData(this.img, 0, 0);
    this._gestures(f);
  }

  _buildFarCache(f, cw, ch) {
    const { state, cam, dpr, selStamp } = f, b = state.bounds;
    let c = this.farCache;
    if (!c || c.canvas.width !== cw || c.canvas.height !== ch) {
      const canvas = typeof OffscreenCanvas !== "undefined" ? new OffscreenCanvas(cw, ch) : Object.assign(this.canvas.ownerDocument.createElement("canvas"), { width: cw, height: ch });
      c = this.farCache = { canvas, ctx: canvas.getContext("2d"), img: null };
      c.img = c.ctx.createImageData(cw, ch);
    }
    this._raster(f, new Uint32Array(c.img.data.buffer), cw, ch, b[0], b[1], cam.zoom * dpr, true);
    c.ctx.putImageData(c.img, 0, 0);
    Object.assign(c, { zoom: cam.zoom, version: state.version, shape: state.shape, sel: selStamp, edges: f.showEdges });
  }

  /** One pass writing pixels: edges as DDA lines, then nodes as points or small rects.
   * `all`: walk every node (whole flow in view, or the cache); otherwise the culled list. */
  _raster({ state, vis, k, showEdges, selected }, u32, W, H, ox, oy, z, all) {
    u32.fill(this.bgU32);
    const X = state.x, Y = state.y, NW = state.w, NH = state.h, T = state.type, pal = this.palette;
    if (showEdges) {
      const ec = this.edgeU32, ES = state.esrc, ED = state.edst;
      const line = (j) => {
        const a = ES[j], b = ED[j];
        let x0 = (X[a] + NW[a] / 2 - ox) * z, y0 = (Y[a] + NH[a] - oy) * z;
        const x1 = (X[b] + NW[b] / 2 - ox) * z, y1 = (Y[b] - oy) * z;
        const dx = x1 - x0, dy = y1 - y0, steps = Math.min(4096, Math.ceil(Math.max(Math.abs(dx), Math.abs(dy))));
        if (!steps) return;
        const sx = dx / steps, sy = dy / steps;
        for (let s = 0; s <= steps; s++, x0 += sx, y0 += sy) {
          const px = x0 | 0, py = y0 | 0;
          if (px >= 0 && py >= 0 && px < W && py < H) u32[py * W + px] = ec;
        }
      };
      if (all) for (let j = 0; j < state.ecount; j++) line(j); else this._eachEdge(state, vis, k, line);
    }
    const sel = selected, selC = this.selU32, n = all ? state.count : k;
    for (let t = 0; t < n; t++) {
      const i = all ? t : vis[t], ty = T[i];
      if (ty === DELETED) continue;
      const fx = (X[i] - ox) * z, fy = (Y[i] - oy) * z;
      if (fx >= W || fy >= H) continue;
      const fw = NW[i] * z, fh = NH[i] * z;
      if (fx + fw < 0 || fy + fh < 0) continue;
      const c = sel[i] ? selC : pal[ty];
      if (fw < 1.5 && fh < 1.5) { // a point: the common case when far out
        if (fx >= 0 && fy >= 0) u32[(fy | 0) * W + (fx | 0)] = c;
        continue;
      }
      let x0 = fx | 0, y0 = fy | 0, x1 = (fx + (fw < 1 ? 1 : fw)) | 0, y1 = (fy + (fh < 1 ? 1 : fh)) | 0;
      if (x1 === x0) x1++; if (y1 === y0) y1++;
      if (x0 < 0) x0 = 0; if (y0 < 0) y0 = 0; if (x1 > W) x1 = W; if (y1 > H) y1 = H;
      for (let y = y0; y < y1; y++) { const row = y * W; for (let x = x0; x < x1; x++) u32[row + x] = c; }
    }
  }

  _vector(f) {
    const { state, cam, vis, k, dpr, lod, pw, ph, features, selected, showEdges } = f;
    const ctx = this.ctx, z = cam.zoom;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.fillStyle = BG; ctx.fillRect(0, 0, pw, ph);
    if (this.backdrop) this.backdrop(ctx, f); // the dot grid of the beauty modes (engine)
    ctx.setTransform(dpr * z, 0, 0, dpr * z, -cam.x * dpr * z, -cam.y * dpr * z);
    const X = state.x, Y = state.y, NW = state.w, NH = state.h, T = state.type;
    if (showEdges) this._edges(f);
    if (showEdges && f.edgeMarks) this._edgeMarks(f);
    if (lod === "mid") {
      // bucket visible nodes by type: one fill per colour
      if (this.bucket.length < k) this.bucket = new Uint32Array(Math.max(k, this.bucket.length * 2));
      const counts = new Uint32Array(257);
      for (let t = 0; t < k; t++) counts[T[vis[t]] + 1]++;
      for (let c = 0; c < 256; c++) counts[c + 1] += counts[c];
      const fill = counts.slice(0, 256), b = this.bucket;
      for (let t = 0; t < k; t++) b[fill[T[vis[t]]]++] = vis[t];
      if (z * 72 < 22) { // small shapes: solid type colours read better than white cards (and match far)
        for (let c = 0; c < 256; c++) {
          const s0 = counts[c], s1 = counts[c + 1];
          if (s0 === s1) continue;
          const p = new Path2D();
          for (let t = s0; t < s1; t++) { const i = b[t]; p.rect(X[i], Y[i], NW[i], NH[i]); }
          ctx.fillStyle = this.colors[c]; ctx.fill(p);
        }
        let any = false; const sel = new Path2D();
        for (let t = 0; t < k; t++) { const i = vis[t]; if (selected[i]) { any = true; sel.rect(X[i] - 3 / z, Y[i] - 3 / z, NW[i] + 6 / z, NH[i] + 6 / z); } }
        if (any) { ctx.lineWidth = 2.5 / z; ctx.strokeStyle = SELECT; ctx.stroke(sel); }
        this._marks(f); this._gestures(f);
        return;
      }
      const body = new Path2D();
      for (let t = 0; t < k; t++) { const i = vis[t]; body.rect(X[i], Y[i], NW[i], NH[i]); }
      if (features.shadows) { ctx.shadowColor = "rgba(20,30,60,.18)"; ctx.shadowBlur = 10 * z * dpr; ctx.shadowOffsetY = 3 * z * dpr; }
      ctx.fillStyle = CARD; ctx.fill(body);
      ctx.shadowColor = "transparent"; ctx.shadowBlur = 0; ctx.shadowOffsetY = 0;
      if (features.gradients) {
        const sheen = new Path2D();
        for (let t = 0; t < k; t++) { const i = vis[t]; sheen.rect(X[i], Y[i] + NH[i] / 2, NW[i], NH[i] / 2); }
        ctx.fillStyle = "rgba(40,60,100,0.05)"; ctx.fill(sheen);
      }
      for (let c = 0; c < 256; c++) {
        const s0 = counts[c], s1 = counts[c + 1];
        if (s0 === s1) continue;
        const p = new Path2D();
        for (let t = s0; t < s1; t++) { const i = b[t]; p.rect(X[i], Y[i], NW[i], Math.min(NH[i], 8)); }
        ctx.fillStyle = this.colors[c]; ctx.fill(p);
      }
      ctx.lineWidth = Math.max(1 / z, 1); ctx.strokeStyle = CARD_LINE; ctx.stroke(body);
      let any = false; const sel = new Path2D();
      for (let t = 0; t < k; t++) { const i = vis[t]; if (selected[i]) { any = true; sel.rect(X[i] - 3 / z, Y[i] - 3 / z, NW[i] + 6 / z, NH[i] + 6 / z); } }
      if (any) { ctx.lineWidth = 2.5 / z; ctx.strokeStyle = SELECT; ctx.stroke(sel); }
    }
    this._marks(f);
    if (lod === "mid" && f.showLabels) this._labels(f);
    this._gestures(f);
  }

  _edges({ state, cam, vis, k, lod, outletCount, hlEdges, route }) {
    const ctx = this.ctx, z = cam.zoom, X = state.x, Y = state.y, NW = state.w, NH = state.h;
    const ES = state.esrc, ED = state.edst, EO = state.eout;
    const curve = z >= 0.25, path = new Path2D(), arrows = new Path2D();
    this._eachEdge(state, vis, k, (j) => {
      const a = ES[j], b = ED[j];
      const r = route ? route(j) : null; // around the cards (core/routing.js), when this frame routes
      if (r) {
        routedPath(path, r);
        if (lod === "near") { const ax = r[r.length - 2], ay = r[r.length - 1], s = 7; arrows.moveTo(ax, ay); arrows.lineTo(ax - s * 0.6, ay - s); arrows.lineTo(ax + s * 0.6, ay - s); arrows.closePath(); }
        return;
      }
      const p = portPosition(X[a], Y[a], NW[a], NH[a], EO[j], outletCount(a));
      if (curve) {
        const q = edgePath(p.x, p.y, X[b], Y[b], NW[b]);
        path.moveTo(q[0], q[1]); path.bezierCurveTo(q[2], q[3], q[4], q[5], q[6], q[7]);
        if (lod === "near") { const ax = q[6], ay = q[7], s = 7; arrows.moveTo(ax, ay); arrows.lineTo(ax - s * 0.6, ay - s); arrows.lineTo(ax + s * 0.6, ay - s); arrows.closePath(); }
      } else { path.moveTo(p.x, p.y); path.lineTo(X[b] + NW[b] / 2, Y[b]); }
    });
    ctx.lineWidth = Math.max(1.5, 1 / z) ; ctx.strokeStyle = EDGE;
    if (z < 1) ctx.lineWidth = 1.5 / Math.max(z, 0.25) * Math.min(1, z * 2);
    ctx.stroke(path);
    if (lod === "near") { ctx.fillStyle = EDGE; ctx.fill(arrows); }
  }

  /** The hovered and the selected edges (refs {s, o, d}), over the others: wider, in colour. */
  _edgeMarks({ state, cam, outletCount, edgeMarks, shownRoute }) {
    const ctx = this.ctx, z = cam.zoom, X = state.x, Y = state.y, NW = state.w, NH = state.h, curve = z >= 0.25;
    const path = (r) => {
      const p = new Path2D(), a = r.s, b = r.d;
      if (state.type[a] === DELETED || state.type[b] === DELETED) return p;
      const j = shownRoute ? slotOf(state, r) : -1, routed = j >= 0 ? shownRoute(j) : null;
      if (routed) { routedPath(p, routed); return p; }
      const q0 = portPosition(X[a], Y[a], NW[a], NH[a], r.o, outletCount(a));
      if (curve) { const q = edgePath(q0.x, q0.y, X[b], Y[b], NW[b]); p.moveTo(q[0], q[1]); p.bezierCurveTo(q[2], q[3], q[4], q[5], q[6], q[7]); }
      else { p.moveTo(q0.x, q0.y); p.lineTo(X[b] + NW[b] / 2, Y[b]); }
      return p;
    };
    if (edgeMarks.hover) { ctx.lineWidth = 4 / Math.max(z, 0.25); ctx.strokeStyle = "rgba(26,115,232,.45)"; ctx.stroke(path(edgeMarks.hover)); }
    if (edgeMarks.selected.length) {
      ctx.lineWidth = 3.5 / Math.max(z, 0.25); ctx.strokeStyle = SELECT; ctx.fillStyle = SELECT; ctx.setLineDash([]);
      for (const r of edgeMarks.selected) {
        ctx.stroke(path(r));
        if (curve && state.type[r.d] !== DELETED) { // its arrowhead too, so the direction reads in the selection colour
          const ax = X[r.d] + NW[r.d] / 2, ay = Y[r.d], sz = 8;
          ctx.beginPath(); ctx.moveTo(ax, ay); ctx.lineTo(ax - sz * 0.6, ay - sz); ctx.lineTo(ax + sz * 0.6, ay - sz); ctx.closePath(); ctx.fill();
        }
      }
    }
  }

  /** Highlights and validation markers, drawn at mid and near (cards carry classes too). */
  _marks({ state, cam, vis, k, highlight, problems, lod }) {
    if (!highlight.size && !problems.size) return;
    const ctx = this.ctx, z = cam.zoom, X = state.x, Y = state.y, NW = state.w, NH = state.h;
    if (lod !== "near") for (const [kind, set] of highlight) { // near: the cards carry the highlight themselves
      const p = new Path2D();
      for (const i of set) if (state.type[i] !== DELETED) p.rect(X[i] - 5 / z, Y[i] - 5 / z, NW[i] + 10 / z, NH[i] + 10 / z);
      ctx.lineWidth = 3 / z; ctx.strokeStyle = HL[kind] || SELECT; ctx.stroke(p);
    }
    if (problems.size && lod === "mid") {
      // errors are round, warnings square: shape as well as colour tells them apart
      const err = new Path2D(), warn = new Path2D(), r = Math.max(6, 4 / z);
      for (let t = 0; t < k; t++) {
        const i = vis[t], sev = problems.get(i);
        if (sev === "error") { err.moveTo(X[i] + NW[i] + r, Y[i]); err.arc(X[i] + NW[i], Y[i], r, 0, 6.2832); }
        else if (sev === "warning") warn.rect(X[i] + NW[i] - r, Y[i] - r, 2 * r, 2 * r);
      }
      ctx.fillStyle = HL.error; ctx.fill(err); ctx.fillStyle = "#f29900"; ctx.fill(warn);
    }
  }

  _labels({ state, cam, vis, k, dpr, label }) {
    const ctx = this.ctx, z = cam.zoom, X = state.x, Y = state.y;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    const size = Math.max(9, Math.min(14, 14 * z * 1.4));
    ctx.font = `600 ${size}px system-ui, sans-serif`; ctx.fillStyle = LABEL; ctx.textBaseline = "top";
    for (let t = 0; t < k; t++) {
      const i = vis[t], text = label(i);
      if (!text) continue;
      const sx = (X[i] - cam.x) * z + 8 * z, sy = (Y[i] - cam.y) * z + 16 * z;
      ctx.fillText(text.length > 28 ? text.slice(0, 27) + "…" : text, sx, sy, Math.max(10, state.w[i] * z - 12 * z));
    }
  }

  _gestures({ cam, dpr, box, link }) {
    const ctx = this.ctx, z = cam.zoom;
    if (link) {
      ctx.setTransform(dpr * z, 0, 0, dpr * z, -cam.x * dpr * z, -cam.y * dpr * z);
      ctx.setLineDash([6 / z, 4 / z]); ctx.lineWidth = 2 / z; ctx.strokeStyle = SELECT;
      ctx.beginPath(); ctx.moveTo(link.x0, link.y0); ctx.lineTo(link.x1, link.y1); ctx.stroke(); ctx.setLineDash([]);
    }
    if (box) {
      ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
      ctx.fillStyle = "rgba(26,115,232,.08)"; ctx.strokeStyle = SELECT; ctx.lineWidth = 1;
      ctx.fillRect(box.x, box.y, box.w, box.h); ctx.strokeRect(box.x + 0.5, box.y + 0.5, box.w, box.h);
    }
  }
}

const CORNER = 10;

/** The edge slot of ref {s, o, d} through the adjacency (no scan of every edge), or -1. */
function slotOf(state, r) {
  if (!state.adjacencyReady()) return -1;
  const adj = state.adjacency();
  for (let p = adj.start[r.s]; p < adj.start[r.s + 1]; p++) { const j = adj.list[p]; if (state.eout[j] === r.o && state.edst[j] === r.d) return j; }
  return -1;
}

/** A routed edge into `path`: its straight runs joined by rounded corners. */
export function routedPath(path, r) {
  path.moveTo(r[0], r[1]);
  for (let i = 2; i < r.length - 2; i += 2) {
    const ax = r[i - 2], ay = r[i - 1], bx = r[i], by = r[i + 1], cx = r[i + 2], cy = r[i + 3];
    const rad = Math.min(CORNER, Math.hypot(bx - ax, by - ay) / 2, Math.hypot(cx - bx, cy - by) / 2);
    path.arcTo(bx, by, cx, cy, rad);
  }
  path.lineTo(r[r.length - 2], r[r.length - 1]);
}

/** Uniform grid spatial index over a FlowState: "what is in this rectangle" and hit tests
 * without a linear scan. Built by counting sort in O(n) (optionally in slices); edits are
 * incremental: a moved or added node goes to a small overflow list (scanned linearly) and is
 * skipped in its old cell, until the overflow is big enough to rebuild. */

import { DELETED } from "./flowstate.js";

export class GridIndex {
  constructor(state, cellSize = 1024) {
    this.state = state; this.cell = cellSize;
    this.cols = 1; this.rows = 1; this.ox = 0; this.oy = 0;
    this.starts = new Uint32Array(2); this.order = new Uint32Array(0);
    this.stale = new Uint8Array(0); this.overflow = [];
    this.built = 0; // nodes [0, built) are in the cells
    this.maxW = 0; this.maxH = 0;
  }

  /** Build in one go. */
  build() { for (const _ of this.buildSteps(Infinity)); return this; }

  /** Build in slices of `chunk` nodes: iterate the generator, one step per frame. */
  *buildSteps(chunk = 100000) {
    const s = this.state, n = s.count, cs = this.cell;
    const b = s.bounds;
    this.ox = Math.floor(b[0] / cs) * cs; this.oy = Math.floor(b[1] / cs) * cs;
    this.cols = Math.max(1, Math.ceil((b[2] - this.ox) / cs) + 1);
    this.rows = Math.max(1, Math.ceil((b[3] - this.oy) / cs) + 1);
    const cells = this.cols * this.rows;
    const cellOf = new Uint32Array(n), counts = new Uint32Array(cells + 1);
    let maxW = 0, maxH = 0;
    for (let i0 = 0; i0 < n; i0 += chunk) {
      const i1 = Math.min(n, i0 + chunk);
      for (let i = i0; i < i1; i++) {
        const c = this._cellAt(s.x[i], s.y[i]);
        cellOf[i] = c; counts[c + 1]++;
        if (s.w[i] > maxW) maxW = s.w[i];
        if (s.h[i] > maxH) maxH = s.h[i];
      }
      if (i1 < n) yield;
    }
    for (let c = 0; c < cells; c++) counts[c + 1] += counts[c];
    const order = new Uint32Array(n), fill = counts.slice(0, cells);
    for (let i0 = 0; i0 < n; i0 += chunk) {
      const i1 = Math.min(n, i0 + chunk);
      for (let i = i0; i < i1; i++) order[fill[cellOf[i]]++] = i;
      if (i1 < n) yield;
    }
    this.starts = counts; this.order = order; this.stale = new Uint8Array(Math.max(n, 16));
    this.overflow = []; this.built = n; this.maxW = maxW; this.maxH = maxH;
  }

  _cellAt(x, y) {
    let cx = Math.floor((x - this.ox) / this.cell), cy = Math.floor((y - this.oy) / this.cell);
    cx = cx < 0 ? 0 : cx >= this.cols ? this.cols - 1 : cx;
    cy = cy < 0 ? 0 : cy >= this.rows ? this.rows - 1 : cy;
    return cy * this.cols + cx;
  }

  /** A node moved or was added: index it in the overflow list; rebuild when that grows large. */
  update(i) {
    const s = this.state;
    if (i >= this.stale.length) { const a = new Uint8Array(Math.max(i + 1, this.stale.length * 2)); a.set(this.stale); this.stale = a; }
    if (!this.stale[i]) { this.stale[i] = 1; this.overflow.push(i); }
    this.maxW = Math.max(this.maxW, s.w[i]); this.maxH = Math.max(this.maxH, s.h[i]);
    if (this.overflow.length > 4096 && this.overflow.length > this.built / 8) this.build();
  }

  /** Node i changed size where it stands: it stays in its cell (cells hold top-left corners), only
   * the largest size a query looks back by may grow. O(1), no overflow: cards growing to fit as a
   * pan brings them in must not make every later query scan a long list. */
  resized(i) {
    const s = this.state;
    this.maxW = Math.max(this.maxW, s.w[i]); this.maxH = Math.max(this.maxH, s.h[i]);
  }

  /** Write the indices of live nodes intersecting [x0,y0,x1,y1] into `out` (Uint32Array);
   * returns how many (at most out.length; the rest are dropped). */
  query(x0, y0, x1, y1, out) {
    const s = this.state, X = s.x, Y = s.y, W = s.w, H = s.h, T = s.type, st = this.stale;
    let k = 0; const cap = out.length;
    const c0 = this._cellAt(x0 - this.maxW, y0 - this.maxH), c1 = this._cellAt(x1, y1);
    const cx0 = c0 % this.cols, cy0 = (c0 / this.cols) | 0, cx1 = c1 % this.cols, cy1 = (c1 / this.cols) | 0;
    for (let cy = cy0; cy <= cy1; cy++) {
      for (let cx = cx0; cx <= cx1; cx++) {
        const c = cy * this.cols + cx;
        for (let p = this.starts[c], e = this.starts[c + 1]; p < e; p++) {
          const i = this.order[p];
          if (st[i] || T[i] === DELETED) continue;
          const x = X[i], y = Y[i];
          if (x > x1 || y > y1 || x + W[i] < x0 || y + H[i] < y0) continue;
          if (k < cap) out[k++] = i; else return k;
        }
      }
    }
    for (const i of this.overflow) {
      if (T[i] === DELETED) continue;
      const x = X[i], y = Y[i];
      if (x > x1 || y > y1 || x + W[i] < x0 || y + H[i] < y0) continue;
      if (k < cap) out[k++] = i; else return k;
    }
    for (let i = this.built; i < s.count; i++) { // added since the build and not yet updated
      if (st[i] || T[i] === DELETED) continue;
      const x = X[i], y = Y[i];
      if (x > x1 || y > y1 || x + W[i] < x0 || y + H[i] < y0) continue;
      if (k < cap) out[k++] = i; else return k;
    }
    return k;
  }

  /** The top-most (highest index, drawn last) node containing the world point, or -1. */
  hit(wx, wy) {
    const buf = this._hitBuf || (this._hitBuf = new Uint32Array(256));
    const k = this.query(wx, wy, wx, wy, buf);
    let best = -1;
    for (let t = 0; t < k; t++) if (buf[t] > best) best = buf[t];
    return best;
  }
}

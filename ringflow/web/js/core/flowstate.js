/** FlowState: the whole flow's geometry in growable typed arrays (~17 bytes a node, 9 an edge).
 * No JS object per node: 500,000 nodes must fit in a few MB and scan in one pass.
 * Deleted nodes keep their slot (type DELETED) so edge indices and selections stay valid;
 * edges are swap-removed (they have no identity beyond their ends). */

export const DELETED = 254;
export const UNKNOWN = 255;

function grow(arr, min) {
  if (arr.length >= min) return arr;
  const next = new arr.constructor(Math.max(min, arr.length * 2, 16));
  next.set(arr);
  return next;
}

export class FlowState {
  constructor() {
    this.count = 0; this.ecount = 0; this.live = 0;
    this.keys = new Uint32Array(16); this.x = new Float32Array(16); this.y = new Float32Array(16);
    this.w = new Uint16Array(16); this.h = new Uint16Array(16); this.type = new Uint8Array(16);
    this.esrc = new Uint32Array(16); this.edst = new Uint32Array(16); this.eout = new Uint8Array(16);
    this.sorted = 0; // slots [0, sorted) have strictly ascending keys: binary search
    this.extra = new Map(); // key -> index for slots added out of order
    this.revision = 0; this.start = -1; this.bounds = [0, 0, 0, 0];
    this.version = 0; // bumped on every mutation: caches (raster, minimap) compare it
    this.shape = 0; // bumped when a card's size follows its content (resizeNode)
    this.topo = 0; // bumped when nodes or edges come or go (not on moves): the adjacency compares it
    this._adj = null; this._adjVersion = -1;
  }

  /** Adopt a decoded skeleton's arrays (no copy). */
  static fromSkeleton(sk) {
    const s = new FlowState();
    Object.assign(s, { keys: sk.keys, x: sk.x, y: sk.y, w: sk.w, h: sk.h, type: sk.type,
      esrc: sk.esrc, edst: sk.edst, eout: sk.eout, count: sk.n, ecount: sk.e, live: sk.n, sorted: sk.n,
      revision: sk.revision, start: sk.start, bounds: sk.bounds.slice() });
    return s;
  }

  indexOfKey(key) {
    let lo = 0, hi = this.sorted - 1;
    const k = this.keys;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1, v = k[mid];
      if (v === key) { if (this.type[mid] !== DELETED) return mid; break; }
      if (v < key) lo = mid + 1; else hi = mid - 1;
    }
    const i = this.extra.get(key);
    return i === undefined || this.type[i] === DELETED ? -1 : i;
  }

  alive(i) { return i >= 0 && i < this.count && this.type[i] !== DELETED; }

  /** Append a node; returns its index. Key 0 means "not yet known" (a local add before save). */
  addNode({ key = 0, x, y, w = 200, h = 72, type = UNKNOWN }) {
    const i = this.count, n = i + 1;
    for (const f of ["keys", "x", "y", "w", "h", "type"]) this[f] = grow(this[f], n);
    this.keys[i] = key; this.x[i] = x; this.y[i] = y; this.w[i] = w; this.h[i] = h; this.type[i] = type;
    this.count = n; this.live++;
    if (key && this.sorted === i && (i === 0 || this.keys[i - 1] < key)) this.sorted = n;
    else if (key) this.extra.set(key, i);
    this._extend(i);
    this.version++; this.topo++;
    return i;
  }

  setKey(i, key) { this.keys[i] = key; if (i >= this.sorted) this.extra.set(key, i); }

  removeNode(i) {
    if (!this.alive(i)) return;
    this.type[i] = DELETED; this.live--;
    for (let j = this.ecount - 1; j >= 0; j--) if (this.esrc[j] === i || this.edst[j] === i) this.removeEdge(j);
    this.version++; this.topo++;
  }

  /** Remove many nodes and every edge touching them in one pass over the edges: O(k + E), where
   * k calls of removeNode would be O(k × E). */
  removeNodes(indices) {
    let gone = 0;
    const dead = new Uint8Array(this.count);
    for (const i of indices) if (this.alive(i)) { this.type[i] = DELETED; this.live--; dead[i] = 1; gone++; }
    if (!gone) return 0;
    for (let j = this.ecount - 1; j >= 0; j--) if (dead[this.esrc[j]] || dead[this.edst[j]]) this.removeEdge(j);
    this.version++; this.topo++;
    return gone;
  }

  /** A card grew or shrank to fit its content (core/cardsize.js): the geometry every level uses.
   * Counted in `shape`, not `version`: cards grow as they first come into view, and a pan must
   * not re-rasterize a 500,000-node minimap or re-route every edge for it. */
  resizeNode(i, w, h) { this.w[i] = w; this.h[i] = h; this._extend(i); this.shape++; }

  moveNode(i, x, y) { this.x[i] = x; this.y[i] = y; this._extend(i); this.version++; }

  addEdge(src, outlet, dst) {
    const j = this.ecount, n = j + 1;
    this.esrc = grow(this.esrc, n); this.edst = grow(this.edst, n); this.eout = grow(this.eout, n);
    this.esrc[j] = src; this.edst[j] = dst; this.eout[j] = outlet; this.ecount = n; this.version++; this.topo++;
    return j;
  }

  findEdge(src, outlet, dst) {
    for (let j = 0; j < this.ecount; j++) if (this.esrc[j] === src && this.edst[j] === dst && this.eout[j] === outlet) return j;
    return -1;
  }

  removeEdge(j) {
    const last = --this.ecount;
    if (j !== last) { this.esrc[j] = this.esrc[last]; this.edst[j] = this.edst[last]; this.eout[j] = this.eout[last]; }
    this.version++; this.topo++;
  }

  _extend(i) {
    const b = this.bounds;
    if (this.live === 1) { b[0] = this.x[i]; b[1] = this.y[i]; b[2] = this.x[i] + this.w[i]; b[3] = this.y[i] + this.h[i]; return; }
    b[0] = Math.min(b[0], this.x[i]); b[1] = Math.min(b[1], this.y[i]);
    b[2] = Math.max(b[2], this.x[i] + this.w[i]); b[3] = Math.max(b[3], this.y[i] + this.h[i]);
  }

  /** Out- and in-edges per node, CSR (start[i]..start[i+1] in list), rebuilt lazily after edits. */
  adjacency() {
    if (this.adjacencyReady()) return this._adj;
    for (const _ of this.adjacencySteps(Infinity));
    return this._adj;
  }

  /** Is the adjacency current (moves do not stale it; adds and removals do)? */
  adjacencyReady() { return !!this._adj && this._adjVersion === this.topo; }

  /** The same build in slices of `chunk` edges or nodes (a 500,000-node flow must not block a frame). */
  *adjacencySteps(chunk = 200000) {
    const n = this.count, e = this.ecount, version = this.topo;
    const parts = [];
    for (const ends of [this.esrc, this.edst]) {
      const start = new Uint32Array(n + 1), list = new Uint32Array(e);
      for (let j0 = 0; j0 < e; j0 += chunk) { const j1 = Math.min(e, j0 + chunk); for (let j = j0; j < j1; j++) start[ends[j] + 1]++; if (j1 < e) yield; }
      for (let i = 0; i < n; i++) start[i + 1] += start[i];
      yield;
      const fill = start.slice(0, n);
      for (let j0 = 0; j0 < e; j0 += chunk) { const j1 = Math.min(e, j0 + chunk); for (let j = j0; j < j1; j++) list[fill[ends[j]]++] = j; if (j1 < e) yield; }
      parts.push(start, list);
    }
    if (this.topo !== version) return; // edited meanwhile: the next adjacency() call rebuilds
    this._adj = { start: parts[0], list: parts[1], istart: parts[2], ilist: parts[3] }; this._adjVersion = version;
  }

  /** Bytes held by the arrays (the overlay and the heap budget check use it). */
  bytes() {
    return ["keys", "x", "y", "w", "h", "type", "esrc", "edst", "eout"].reduce((s, f) => s + this[f].byteLength, 0);
  }
}

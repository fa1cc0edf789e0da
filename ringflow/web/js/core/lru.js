/** A bounded least-recently-used cache (node details keyed by node key): memory stays flat
 * however far the user browses. Map iteration order is insertion order: re-insert on use. */

export class LRU {
  constructor(limit = 2000) { this.limit = limit; this.map = new Map(); }
  get size() { return this.map.size; }
  has(k) { return this.map.has(k); }
  get(k) {
    const v = this.map.get(k);
    if (v === undefined) return undefined;
    this.map.delete(k); this.map.set(k, v);
    return v;
  }
  peek(k) { return this.map.get(k); }
  set(k, v) {
    if (this.map.has(k)) this.map.delete(k);
    this.map.set(k, v);
    while (this.map.size > this.limit) this.map.delete(this.map.keys().next().value);
    return this;
  }
  delete(k) { return this.map.delete(k); }
  clear() { this.map.clear(); }
}

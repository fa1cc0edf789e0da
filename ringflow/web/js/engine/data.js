/** Talking to the API: JSON and binary requests with latency tracking and the error envelope,
 * and node details (label, config, id) for what is on screen in a bounded LRU keyed by node key. */

import { LRU } from "../core/lru.js";

export class ApiFailure extends Error {
  constructor(status, message, body) { super(message); this.status = status; this.body = body; }
}

/** `early(path)`: a Promise<Response> the page already started for this GET (js/boot.js), or null. */
export function createApi({ base = "/api/v1", fetchFn = globalThis.fetch.bind(globalThis), early = null } = {}) {
  const send = early ? (url, init) => (init.method === "GET" && !init.signal && early(url.slice(base.length))) || fetchFn(url, init) : fetchFn;
  const api = {
    base, lastMs: 0,
    async request(method, path, { body, headers = {}, signal, as = "json" } = {}) {
      const t0 = performance.now();
      const init = { method, headers: { ...headers }, signal, credentials: "same-origin" };
      if (body !== undefined) { init.body = JSON.stringify(body); init.headers["Content-Type"] = "application/json"; }
      const res = await send(base + path, init);
      api.lastMs = Math.round(performance.now() - t0);
      if (!res.ok) {
        let err = null;
        try { err = (await res.json()).error; } catch { /* not JSON */ }
        throw new ApiFailure(res.status, (err && err.message) || `${method} ${path}: HTTP ${res.status}`, err);
      }
      if (as === "buffer") return res.arrayBuffer();
      if (res.status === 204) return null;
      return res.json();
    },
    get(path, opts) { return api.request("GET", path, opts); },
  };
  return api;
}

/** Details of nodes (id, label, config) by key. Viewport requests are debounced by the caller,
 * and a newer request aborts the older one. An answer never undoes a change made here after its
 * request left (an edit, or another editor's change as it streams in): those details are newer
 * than the server's answer, which would put the old label or config back on the card. */
export class DetailStore {
  constructor(api, flowId, limit = 4000, fake = null) {
    this.api = api; this.flowId = flowId; this.fake = fake; // fake(key): details without a server (dev page)
    this.cache = new LRU(limit);
    this.idKey = new Map(); // id -> key, for every node we have seen (ids are short strings)
    this.ctrl = null; this.inflight = 0;
    this.changes = 0; // counts the changes put here (putChanged): an answer is older than those after its request left
  }

  put(node, changedAt = 0) {
    if (node.key === undefined || node.key === null) return;
    this.cache.set(node.key, { id: node.id, label: node.label ?? "", config: node.config ?? {}, type: node.type, changedAt });
    if (node.id !== undefined) this.idKey.set(node.id, node.key);
  }

  /** Details changed in this editor (or streamed in from another): kept over older answers. */
  putChanged(node) { this.put(node, ++this.changes); }

  /** The server's details, asked for when `this.changes` was `asked`: each lands unless the
   * node has changed here since. */
  putAnswer(nodes, asked) {
    for (const n of nodes) {
      const cur = n.key === undefined || n.key === null ? null : this.cache.peek(n.key);
      if (!cur || cur.changedAt <= asked) this.put(n);
    }
  }

  get(key) {
    const d = this.cache.peek(key);
    if (d || !this.fake) return d;
    const f = this.fake(key);
    if (f) this.idKey.set(f.id, key);
    return f;
  }
  touch(key) { return this.cache.get(key); }

  /** Fetch details for a world rectangle; resolves to the nodes, or null when superseded. */
  async fetchRect(x0, y0, x1, y1, limit) {
    if (!this.api) return null;
    if (this.ctrl) this.ctrl.abort();
    const ctrl = (this.ctrl = new AbortController());
    const q = `x0=${Math.floor(x0)}&y0=${Math.floor(y0)}&x1=${Math.ceil(x1)}&y1=${Math.ceil(y1)}&limit=${limit}`;
    this.inflight++;
    const asked = this.changes;
    try {
      const r = await this.api.get(`/flows/${this.flowId}/viewport?${q}`, { signal: ctrl.signal });
      this.putAnswer(r.nodes, asked);
      this.lastEdges = r.edges || [];
      return r.nodes;
    } catch (e) {
      if (e.name === "AbortError") return null;
      throw e;
    } finally {
      this.inflight--;
      if (this.ctrl === ctrl) this.ctrl = null;
    }
  }

  /** Details for specific nodes, not aborted by viewport traffic (drag end, selection); resolves
   * to {nodes, edges} (the edges touching them, outlets named). */
  async fetchBox(x0, y0, x1, y1, limit = 5000) {
    if (!this.api) return { nodes: [], edges: [] };
    const q = `x0=${Math.floor(x0) - 1}&y0=${Math.floor(y0) - 1}&x1=${Math.ceil(x1) + 1}&y1=${Math.ceil(y1) + 1}&limit=${limit}`;
    const asked = this.changes;
    const r = await this.api.get(`/flows/${this.flowId}/viewport?${q}`);
    this.putAnswer(r.nodes, asked);
    return { nodes: r.nodes, edges: r.edges || [] };
  }
}

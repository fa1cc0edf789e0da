/** Saving and live sync. Local change sets queue up, merge (a drag is one move), and go out as
 * one PATCH after a short debounce with If-Match: <revision>. A 412 means someone else saved
 * first: we say so ("conflict") and reload instead of overwriting. The event stream applies
 * other editors' changes through the same change format. */

import { merge, toOps, isEmpty, fromEvent } from "../core/changes.js";

export class PatchQueue {
  constructor({ api, flowId, clientId, getRevision, setRevision, emit, onConflict, onSaved, delay = 300 }) {
    Object.assign(this, { api, flowId, clientId, getRevision, setRevision, emit, onConflict, onSaved, delay });
    this.pending = null; this.timer = 0; this.sending = null;
    this.extra = []; this.waiters = []; // rename ops ride in the next PATCH; their promises resolve with its revision
  }

  /** Rename the flow in the same queue (so If-Match stays right); resolves to the new revision. */
  rename(name) { return this.flowOp({ op: "rename", name }); }

  /** Make node `id` the flow's start, in the same queue; resolves to the new revision. */
  setStart(id) { return this.flowOp({ op: "set_start", id }); }

  /** A flow-level op (rename, set_start) in the next PATCH; a newer op of the same kind replaces it. */
  flowOp(op) {
    return new Promise((resolve, reject) => {
      this.extra = this.extra.filter((o) => o.op !== op.op);
      this.extra.push(op);
      this.waiters.push({ resolve, reject });
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.flush(), 0);
    });
  }

  push(cs) {
    if (isEmpty(cs)) return;
    this.pending = this.pending ? merge(this.pending, cs) : cs;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.flush(), this.delay);
  }

  /** Send what is pending now (one request at a time; later edits wait for the answer). */
  async flush() {
    clearTimeout(this.timer);
    if (this.sending) { await this.sending; if (!this.pending) return; }
    if ((!this.pending && !this.extra.length) || !this.api) return;
    const cs = this.pending; this.pending = null;
    const ops = [...(cs ? toOps(cs) : []), ...this.extra];
    const waiters = this.waiters;
    this.extra = []; this.waiters = [];
    if (!ops.length) return;
    this.sending = (async () => {
      try {
        const r = await this.api.request("PATCH", `/flows/${this.flowId}`, {
          body: { ops }, headers: { "If-Match": String(this.getRevision()), "X-Ringflow-Client": this.clientId } });
        this.setRevision(r.revision);
        this.onSaved && this.onSaved(r);
        this.emit("saved", { revision: r.revision });
        for (const w of waiters) w.resolve(r.revision);
      } catch (e) {
        for (const w of waiters) w.reject(e);
        if (e.status === 412) {
          const current = e.body && e.body.details ? e.body.details.current_revision : undefined;
          this.pending = null;
          this.emit("conflict", { current, message: "Someone else saved this flow first; it was reloaded with their changes. Please apply your last change again." });
          this.onConflict && this.onConflict();
        } else {
          this.emit("error", { status: e.status || 0, message: e.message, details: e.body && e.body.details });
          this.onConflict && this.onConflict(); // the server refused: show its truth, never a half-saved view
        }
      } finally { this.sending = null; }
    })();
    await this.sending;
    if (this.pending) return this.flush();
  }

  destroy() { clearTimeout(this.timer); }
}

/** Subscribe to /events with EventSource (resumes by itself); calls onChanges(cs, rev) for
 * other clients' patches, onMeta({start, name}, rev) when they also moved the start or renamed the
 * flow, onCounts(counts, outlets) for live call counts and outlet traversals, onReload() when events were missed. */
export function subscribe({ url, clientId, onChanges, onMeta, onCounts, onReload, onStatus }) {
  if (typeof EventSource === "undefined") return { close() {}, status: () => "unsupported" };
  let status = "connecting";
  const set = (s) => { status = s; onStatus && onStatus(s); };
  const es = new EventSource(url, { withCredentials: true });
  es.onopen = () => set("open");
  es.onerror = () => set(es.readyState === 2 ? "closed" : "reconnecting");
  es.addEventListener("reload", () => onReload && onReload());
  es.addEventListener("changes", (m) => {
    let data;
    try { data = JSON.parse(m.data); } catch { return; }
    for (const ev of data.events || []) {
      if (ev.type === "patch") {
        if (ev.client && ev.client === clientId) continue;
        const ch = ev.changes || ev;
        onChanges && onChanges(fromEvent(ch), ev.revision);
        if (onMeta && (ch.start != null || ch.name != null)) onMeta({ start: ch.start ?? undefined, name: ch.name ?? undefined }, ev.revision);
      } else if (ev.type === "counts" || ev.type === "live") {
        onCounts && onCounts(ev.counts || ev.nodes || {}, ev.outlets || null); // outlets: cumulative traversals, for edge particles
      }
    }
  });
  return { close() { es.close(); set("closed"); }, status: () => status };
}

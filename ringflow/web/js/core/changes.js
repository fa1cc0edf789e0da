/** The one change format: {nodes: {added, updated, removed}, edges: {added, removed}}.
 * Local edits, undo (the inverse), the PATCH batch and other editors' live events all speak it,
 * so there is exactly one code path that mutates the flow. Nodes are named by `id` (the API's
 * name) and, when known, `key` (the skeleton's). */

export function emptyChanges() {
  return { nodes: { added: [], updated: [], removed: [] }, edges: { added: [], removed: [] } };
}

/** Fill missing parts so callers can iterate without checks. */
export function normalize(cs) {
  const n = (cs && cs.nodes) || {}, e = (cs && cs.edges) || {};
  return { nodes: { added: n.added || [], updated: n.updated || [], removed: n.removed || [] },
    edges: { added: e.added || [], removed: e.removed || [] } };
}

export function isEmpty(cs) {
  const c = normalize(cs);
  return !(c.nodes.added.length || c.nodes.updated.length || c.nodes.removed.length || c.edges.added.length || c.edges.removed.length);
}

const edgeKey = (e) => `${e.source}\u0000${e.outlet}\u0000${e.target}`;

/** The change set that undoes `cs` (applied after it, restores the state before it). */
export function invert(cs) {
  const c = normalize(cs);
  return {
    nodes: {
      added: c.nodes.removed.map((n) => ({ ...n })),
      updated: c.nodes.updated.map((u) => ({ id: u.id, key: u.key, set: { ...u.prev }, prev: { ...u.set } })).reverse(),
      removed: c.nodes.added.map((n) => ({ ...n })),
    },
    edges: { added: c.edges.removed.map((e) => ({ ...e })), removed: c.edges.added.map((e) => ({ ...e })) },
  };
}

/** `a` then `b` as one change set: updates of one node coalesce (first prev, last set), an add
 * followed by a remove cancels, an update of a node added in `a` folds into the add. */
export function merge(a, b) {
  const A = normalize(a), B = normalize(b);
  const added = new Map(A.nodes.added.map((n) => [n.id, { ...n }]));
  const removed = new Map(A.nodes.removed.map((n) => [n.id, { ...n }]));
  const updated = new Map(A.nodes.updated.map((u) => [u.id, { id: u.id, key: u.key, set: { ...u.set }, prev: { ...u.prev } }]));
  for (const n of B.nodes.added) {
    const gone = removed.get(n.id);
    if (gone) { // removed then re-added (undo inside a batch): an update at most
      removed.delete(n.id);
      const set = {}, prev = {};
      for (const f of ["x", "y", "label", "config", "type"]) if (f in n && JSON.stringify(n[f]) !== JSON.stringify(gone[f])) { set[f] = n[f]; prev[f] = gone[f]; }
      if (Object.keys(set).length) updated.set(n.id, { id: n.id, key: n.key ?? gone.key, set, prev });
    } else added.set(n.id, { ...n });
  }
  for (const u of B.nodes.updated) {
    const a0 = added.get(u.id);
    if (a0) { Object.assign(a0, u.set); continue; }
    const cur = updated.get(u.id);
    if (cur) {
      Object.assign(cur.set, u.set);
      for (const [f, v] of Object.entries(u.prev)) if (!(f in cur.prev)) cur.prev[f] = v;
      if (cur.key === undefined) cur.key = u.key;
    } else updated.set(u.id, { id: u.id, key: u.key, set: { ...u.set }, prev: { ...u.prev } });
  }
  for (const n of B.nodes.removed) {
    if (added.has(n.id)) { added.delete(n.id); continue; }
    const cur = updated.get(n.id);
    updated.delete(n.id);
    removed.set(n.id, cur ? { ...n, ...cur.prev } : { ...n });
  }
  const eAdded = new Map(A.edges.added.map((e) => [edgeKey(e), e]));
  const eRemoved = new Map(A.edges.removed.map((e) => [edgeKey(e), e]));
  for (const e of B.edges.added) { const k = edgeKey(e); if (eRemoved.has(k)) eRemoved.delete(k); else eAdded.set(k, e); }
  for (const e of B.edges.removed) { const k = edgeKey(e); if (eAdded.has(k)) eAdded.delete(k); else eRemoved.set(k, e); }
  return { nodes: { added: [...added.values()], updated: [...updated.values()], removed: [...removed.values()] },
    edges: { added: [...eAdded.values()], removed: [...eRemoved.values()] } };
}

const NODE_FIELDS = ["id", "type", "x", "y", "label", "config"];

/** PATCH ops (issue 3) for a change set, in an order the server can apply atomically:
 * edge removals, node removals, node adds, updates, edge adds. */
export function toOps(cs) {
  const c = normalize(cs), ops = [];
  for (const e of c.edges.removed) ops.push({ op: "delete_edge", source: e.source, outlet: e.outlet, target: e.target });
  for (const n of c.nodes.removed) ops.push({ op: "delete_node", id: n.id });
  for (const n of c.nodes.added) {
    const node = {};
    for (const f of NODE_FIELDS) if (n[f] !== undefined) node[f] = n[f];
    ops.push({ op: "add_node", node });
  }
  for (const u of c.nodes.updated) {
    const { x, y, ...rest } = u.set;
    if (x !== undefined || y !== undefined) ops.push({ op: "move_node", id: u.id, x: x ?? u.prev.x, y: y ?? u.prev.y });
    if (Object.keys(rest).length) ops.push({ op: "update_node", id: u.id, ...rest });
  }
  for (const e of c.edges.added) ops.push({ op: "add_edge", edge: { source: e.source, outlet: e.outlet, target: e.target } });
  return ops;
}

/** A server event or PATCH answer (PatchResult shape) as a change set. `prev` values are
 * unknown for remote updates; remote changes are never undone locally, so that is fine. */
export function fromEvent(ev) {
  const cs = emptyChanges();
  for (const n of ev.added_nodes || []) cs.nodes.added.push({ ...n });
  for (const n of ev.updated_nodes || []) {
    const { id, key, ...set } = n;
    cs.nodes.updated.push({ id, key, set, prev: {} });
  }
  for (const r of ev.removed_nodes || []) cs.nodes.removed.push(typeof r === "string" ? { id: r } : { ...r });
  for (const e of ev.added_edges || []) cs.edges.added.push({ source: e.source, outlet: e.outlet, target: e.target });
  for (const e of ev.removed_edges || []) cs.edges.removed.push({ source: e.source, outlet: e.outlet, target: e.target });
  return cs;
}

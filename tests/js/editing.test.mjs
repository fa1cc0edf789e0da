import { test } from "node:test";
import assert from "node:assert/strict";
import { FlowState, DELETED, UNKNOWN } from "../../ringflow/web/js/core/flowstate.js";
import { GridIndex } from "../../ringflow/web/js/core/grid.js";
import { applyToState } from "../../ringflow/web/js/core/apply.js";
import { invert, normalize } from "../../ringflow/web/js/core/changes.js";
import { EdgeHitter, edgeCurve, curveDistance, flatten, edgeRef, findRef } from "../../ringflow/web/js/core/edgehit.js";
import { placeNode, isFree, segmentHitsRect } from "../../ringflow/web/js/core/placement.js";
import { describeChanges } from "../../ringflow/web/js/core/describe.js";

const OUTLETS = { say: ["next"], menu: ["1", "2", "invalid", "timeout"], hangup: [] };
const CODES = { say: 0, menu: 1, hangup: 2 };

/** A FlowState plus the resolver the engine would give applyToState (ids kept beside it). */
function world(nodes, edges) {
  const st = new FlowState(), ids = new Map(), types = [];
  nodes.forEach((n, k) => { const i = st.addNode({ key: k + 1, x: n.x, y: n.y, type: CODES[n.type] }); ids.set(n.id, i); types[i] = n.type; });
  for (const [s, o, d] of edges) st.addEdge(ids.get(s), OUTLETS[types[ids.get(s)]].indexOf(o), ids.get(d));
  const r = {
    index: (n) => { const i = ids.get(n.id); return i !== undefined && st.alive(i) ? i : -1; },
    typeCode: (name) => CODES[name] ?? UNKNOWN,
    outletPos: (i, name) => { const t = Object.keys(CODES).find((k) => CODES[k] === st.type[i]); const k = (OUTLETS[t] || []).indexOf(name); return k < 0 ? UNKNOWN : k; },
    keyOf: () => 0,
  };
  const apply = (cs) => { const out = applyToState(st, normalize(cs), r); for (const a of out.added) ids.set(a.node.id, a.index); return out; };
  const edges_ = () => { const l = []; const name = new Map([...ids].map(([id, i]) => [i, id])); for (let j = 0; j < st.ecount; j++) { const s = st.esrc[j]; const t = Object.keys(CODES).find((k) => CODES[k] === st.type[s]); l.push(`${name.get(s)}.${OUTLETS[t][st.eout[j]]}>${name.get(st.edst[j])}`); } return l.sort(); };
  return { st, ids, apply, edges: edges_ };
}

const flow = () => world(
  [{ id: "hi", type: "say", x: 0, y: 0 }, { id: "m", type: "menu", x: 0, y: 200 }, { id: "a", type: "say", x: -300, y: 400 }, { id: "b", type: "say", x: 300, y: 400 }, { id: "bye", type: "hangup", x: 0, y: 600 }],
  [["hi", "next", "m"], ["m", "1", "a"], ["m", "2", "b"], ["a", "next", "bye"], ["b", "next", "bye"]]);

test("applyToState: one change set removes nodes with their edges, and its inverse brings them back", () => {
  const w = flow();
  const before = w.edges();
  const cs = { nodes: { removed: [{ id: "a", type: "say", x: -300, y: 400 }, { id: "b", type: "say", x: 300, y: 400 }] },
    edges: { removed: [{ source: "m", outlet: "1", target: "a" }, { source: "m", outlet: "2", target: "b" }, { source: "a", outlet: "next", target: "bye" }, { source: "b", outlet: "next", target: "bye" }] } };
  const out = w.apply(cs);
  assert.deepEqual(out.removed.map((x) => x.index).sort(), [w.ids.get("a"), w.ids.get("b")].sort());
  assert.equal(w.st.live, 3);
  assert.deepEqual(w.edges(), ["hi.next>m"]);
  assert.equal(out.unresolved, false);
  w.apply(invert(cs)); // undo: the nodes come back (new slots) and their edges with them
  assert.equal(w.st.live, 5);
  assert.deepEqual(w.edges(), before);
});

test("applyToState: a removed node takes edges the change set did not list (a remote event)", () => {
  const w = flow();
  w.apply({ nodes: { removed: [{ id: "bye" }] } });
  assert.deepEqual(w.edges(), ["hi.next>m", "m.1>a", "m.2>b"]);
  assert.equal(w.st.type[w.ids.get("bye")], DELETED);
});

test("applyToState: edges by outlet, no doubles, moves reported, unknown nodes flagged", () => {
  const w = flow();
  const out = w.apply({ nodes: { added: [{ id: "t", type: "say", x: 5, y: 900 }], updated: [{ id: "hi", set: { x: 40 }, prev: { x: 0 } }] },
    edges: { added: [{ source: "m", outlet: "invalid", target: "t" }, { source: "hi", outlet: "next", target: "m" }] } });
  assert.deepEqual(out.moved, [w.ids.get("hi")]);
  assert.equal(w.st.x[w.ids.get("hi")], 40);
  assert.deepEqual(w.edges(), ["a.next>bye", "b.next>bye", "hi.next>m", "m.1>a", "m.2>b", "m.invalid>t"]);
  assert.equal(w.apply({ edges: { removed: [{ source: "ghost", outlet: "next", target: "m" }] } }).unresolved, true);
});

test("applyToState: many edges removed by one pass keep the others (swap-removal order)", () => {
  const nodes = [], edges = [];
  for (let k = 0; k < 40; k++) nodes.push({ id: `n${k}`, type: "say", x: k * 300, y: 0 });
  for (let k = 0; k < 39; k++) edges.push([`n${k}`, "next", `n${k + 1}`]);
  const w = world(nodes, edges);
  const removed = edges.filter((_, k) => k % 3 === 0).map(([s, o, d]) => ({ source: s, outlet: o, target: d }));
  w.apply({ edges: { removed } });
  assert.deepEqual(w.edges(), edges.filter((_, k) => k % 3 !== 0).map(([s, o, d]) => `${s}.${o}>${d}`).sort());
});

test("removeNodes of k nodes costs one pass over the edges, not k", () => {
  const st = new FlowState();
  const n = 20000;
  for (let i = 0; i < n; i++) st.addNode({ key: i + 1, x: i, y: 0, type: 0 });
  for (let i = 0; i + 1 < n; i++) st.addEdge(i, 0, i + 1);
  const dead = []; for (let i = 0; i < n; i += 2) dead.push(i);
  let reads = 0;
  const esrc = st.esrc;
  st.esrc = new Proxy(esrc, { get: (t, p) => { if (typeof p === "string" && /^\d+$/.test(p)) reads++; const v = Reflect.get(t, p); return typeof v === "function" ? v.bind(t) : v; },
    set: (t, p, v) => Reflect.set(t, p, v) });
  st.removeNodes(dead);
  st.esrc = esrc;
  assert.equal(st.live, n / 2);
  assert.equal(st.ecount, 0);
  assert.ok(reads < 3 * n, `${reads} reads of esrc for ${dead.length} nodes and ${n - 1} edges`);
});

test("edge hit-testing finds the edge under the point, the nearest of two, and nothing off the curve", () => {
  const w = flow(), st = w.st;
  const grid = new GridIndex(st, 1024).build();
  const outletCount = (i) => [1, 4, 0][st.type[i]] || 1;
  const hitter = new EdgeHitter();
  const j = findRef(st, { s: w.ids.get("hi"), o: 0, d: w.ids.get("m") });
  const q = edgeCurve(st, j, outletCount);
  const mid = flatten(q, 2); // the point at t = 0.5
  const hit = hitter.query(st, grid, [-1000, -1000, 1000, 1000], mid[2] + 3, mid[3], 6, outletCount);
  assert.equal(hit.edge, j);
  assert.ok(hit.dist <= 3.5);
  assert.equal(hitter.query(st, grid, [-1000, -1000, 1000, 1000], mid[2] + 40, mid[3], 6, outletCount).edge, -1);
  // m.1 -> a and m.2 -> b leave the menu side by side: the point picks the nearer
  const a = findRef(st, { s: w.ids.get("m"), o: 0, d: w.ids.get("a") }), b = findRef(st, { s: w.ids.get("m"), o: 1, d: w.ids.get("b") });
  const qa = flatten(edgeCurve(st, a, outletCount), 4), qb = flatten(edgeCurve(st, b, outletCount), 4);
  assert.equal(hitter.query(st, grid, [-1000, -1000, 1000, 1000], qa[4], qa[5], 30, outletCount).edge, a);
  assert.equal(hitter.query(st, grid, [-1000, -1000, 1000, 1000], qb[4], qb[5], 30, outletCount).edge, b);
  // a view that holds neither end of an edge does not offer it (it is not drawn)
  assert.equal(hitter.query(st, grid, [2000, 2000, 3000, 3000], mid[2], mid[3], 6, outletCount).edge, -1);
  // zoomed far out the edge is drawn straight, and hit-tested straight
  const qs = edgeCurve(st, a, outletCount, false);
  assert.ok(curveDistance(qs, (qs[0] + qs[6]) / 2, (qs[1] + qs[7]) / 2) < 1e-6);
  assert.deepEqual(edgeRef(st, a), { s: w.ids.get("m"), o: 0, d: w.ids.get("a") });
});

test("edge hit-testing works while the adjacency is stale (right after an edit)", () => {
  const w = flow(), st = w.st;
  const grid = new GridIndex(st, 1024).build();
  const outletCount = (i) => [1, 4, 0][st.type[i]] || 1;
  st.adjacency();
  w.apply({ edges: { added: [{ source: "bye", outlet: "x", target: "hi" }] }, nodes: { removed: [] } });
  const j = findRef(st, { s: w.ids.get("a"), o: 0, d: w.ids.get("bye") });
  const p = flatten(edgeCurve(st, j, outletCount), 2);
  assert.equal(new EdgeHitter().at(st, Uint32Array.from([w.ids.get("a")]), 1, p[2], p[3], 5, outletCount).edge, j);
});

test("placement: the anchor when it is free, else the nearest free spot clear of nodes and edges", () => {
  assert.deepEqual(placeNode({ w: 200, h: 72, anchor: { x: 0, y: 0 } }), { x: 0, y: 0 });
  const rects = [0, 0, 200, 72, 240, 0, 200, 72];
  const p = placeNode({ w: 200, h: 72, anchor: { x: 0, y: 0 }, rects, gap: 24 });
  assert.ok(isFree(p.x - 24, p.y - 24, p.x + 224, p.y + 96, rects, []), JSON.stringify(p));
  assert.ok(Math.hypot(p.x, p.y) < 200, `near the anchor: ${JSON.stringify(p)}`);
  // an edge running down through the anchor's column pushes the node off it
  const line = [100, -500, 100, 500];
  const q = placeNode({ w: 200, h: 72, anchor: { x: 0, y: 0 }, lines: [line] });
  assert.ok(q.x > 100 || q.x + 200 < 100, `the card leaves the edge visible: ${JSON.stringify(q)}`);
  // below is preferred when asked (a flow reads top to bottom)
  const r = placeNode({ w: 200, h: 72, anchor: { x: 0, y: 100 }, rects: [0, 80, 200, 72], prefer: "below" });
  assert.ok(r.y > 100, JSON.stringify(r));
  assert.ok(segmentHitsRect(0, 0, 10, 10, 4, 4, 6, 6));
  assert.ok(!segmentHitsRect(0, 0, 10, 0, 4, 4, 6, 6));
});

test("placement: a crowded area falls back below everything it was shown", () => {
  const rects = [];
  for (let y = -2000; y < 2000; y += 80) for (let x = -3000; x < 3000; x += 210) rects.push(x, y, 200, 72);
  const p = placeNode({ w: 200, h: 72, anchor: { x: 0, y: 0 }, rects, rings: 3 });
  assert.ok(p.y >= 2000 - 80 + 72, JSON.stringify(p));
});

test("describeChanges says what changed, naming nodes by label", () => {
  const name = (id) => ({ hi: "Welcome", m: "Main menu", a: "Sales" })[id] || null;
  assert.equal(describeChanges({ edges: { added: [{ source: "hi", outlet: "next", target: "m" }] } }, name), "Connected Welcome, outlet next, to Main menu.");
  assert.equal(describeChanges({ edges: { added: [{ source: "hi", outlet: "next", target: "a" }], removed: [{ source: "hi", outlet: "next", target: "m" }] } }, name),
    "Connected Welcome, outlet next, to Sales instead of Main menu.");
  assert.equal(describeChanges({ edges: { removed: [{ source: "m", outlet: "1", target: "a" }] } }, name), "Disconnected Main menu, outlet 1, from Sales.");
  assert.equal(describeChanges({ nodes: { added: [{ id: "x", type: "say", label: "Say" }] } }, name), "Added Say.");
  assert.equal(describeChanges({ nodes: { removed: [{ id: "a", label: "Sales" }, { id: "m", label: "Main menu" }] }, edges: { removed: [{}, {}, {}] } }, name),
    "Deleted 2 nodes, with 3 connections.");
  assert.equal(describeChanges({ nodes: { updated: [{ id: "hi", set: { x: 20 }, prev: { x: 0 } }] } }, name), "Moved Welcome.");
  assert.equal(describeChanges({ nodes: { updated: [{ id: "hi", set: { label: "Hi" }, prev: { label: "Welcome" } }] } }, name), "");
});

import { test } from "node:test";
import assert from "node:assert/strict";
import { FlowState, DELETED } from "../../ringflow/web/js/core/flowstate.js";
import { GridIndex } from "../../ringflow/web/js/core/grid.js";
import { cull, countVisible } from "../../ringflow/web/js/core/cull.js";
import { decodeSkeleton, encodeSkeleton } from "../../ringflow/web/js/core/skeleton.js";

function gridFlow(side, step = 300) {
  const keys = [], x = [], y = [], w = [], h = [], type = [];
  for (let r = 0; r < side; r++) for (let c = 0; c < side; c++) { keys.push(keys.length * 2 + 1); x.push(c * step); y.push(r * step); w.push(200); h.push(72); type.push((r + c) % 13); }
  return FlowState.fromSkeleton(decodeSkeleton(encodeSkeleton({ keys, x, y, w, h, type })));
}

function brute(s, x0, y0, x1, y1) {
  const r = [];
  for (let i = 0; i < s.count; i++) if (s.type[i] !== DELETED && !(s.x[i] > x1 || s.y[i] > y1 || s.x[i] + s.w[i] < x0 || s.y[i] + s.h[i] < y0)) r.push(i);
  return r;
}

const sorted = (out, k) => [...out.subarray(0, k)].sort((a, b) => a - b);

test("keys resolve to indices by binary search, added keys too", () => {
  const s = gridFlow(10);
  assert.equal(s.indexOfKey(1), 0); assert.equal(s.indexOfKey(199), 99); assert.equal(s.indexOfKey(2), -1);
  const i = s.addNode({ key: 5000, x: 0, y: 0 });
  const j = s.addNode({ key: 4000, x: 0, y: 0 });
  assert.equal(s.indexOfKey(5000), i); assert.equal(s.indexOfKey(4000), j);
  s.removeNode(i);
  assert.equal(s.indexOfKey(5000), -1);
});

test("grid query equals a brute-force scan for many rectangles", () => {
  const s = gridFlow(60); const g = new GridIndex(s, 1000).build();
  const out = new Uint32Array(5000);
  for (const [x0, y0, x1, y1] of [[0, 0, 1000, 1000], [-500, -500, 10, 10], [4999, 3000, 9000, 5000], [17900, 17900, 30000, 30000], [250, 250, 260, 260]]) {
    const k = g.query(x0, y0, x1, y1, out);
    assert.deepEqual(sorted(out, k), brute(s, x0, y0, x1, y1), `rect ${x0},${y0},${x1},${y1}`);
  }
});

test("sliced build gives the same index as a one-shot build", () => {
  const s = gridFlow(50); const g = new GridIndex(s, 700);
  let steps = 0; for (const _ of g.buildSteps(300)) steps++;
  assert.ok(steps > 3, "the build yields between slices");
  const out = new Uint32Array(3000), k = g.query(0, 0, 5000, 5000, out);
  assert.deepEqual(sorted(out, k), brute(s, 0, 0, 5000, 5000));
});

test("incremental move, add and remove keep queries exact", () => {
  const s = gridFlow(30); const g = new GridIndex(s, 1000).build();
  const out = new Uint32Array(2000);
  s.moveNode(0, 5000, 5000); g.update(0);
  const a = s.addNode({ key: 99999, x: 5100, y: 5050, type: 2 }); g.update(a);
  const b = s.addNode({ key: 100001, x: 5200, y: 5020, type: 2 }); // not yet updated: still found
  s.removeNode(31 * 1);
  for (const r of [[0, 0, 400, 400], [4900, 4900, 5400, 5400], [9000, 9000, 9300, 9300]]) {
    const k = g.query(...r, out);
    assert.deepEqual(sorted(out, k), brute(s, ...r));
  }
  assert.equal(g.hit(5010, 5010), 0);
  assert.equal(g.hit(5250, 5030), b);
  assert.equal(g.hit(150, 20), -1, "the moved node is gone from its old place");
});

test("hit test returns the top-most node and -1 on empty canvas", () => {
  const s = gridFlow(5); const g = new GridIndex(s).build();
  assert.equal(g.hit(310, 310), 6);
  assert.equal(g.hit(250, 250), -1);
  const top = s.addNode({ key: 777, x: 300, y: 300, w: 50, h: 50 }); g.update(top);
  assert.equal(g.hit(310, 310), top);
});

test("cull uses a linear pass at fit-to-view and the grid when zoomed in, same answer", () => {
  const s = gridFlow(40); const g = new GridIndex(s).build();
  const out = new Uint32Array(s.count);
  const all = cull(s, g, [-1e6, -1e6, 1e6, 1e6], out);
  assert.equal(all, 1600);
  const k = cull(s, g, [0, 0, 900, 900], out);
  assert.deepEqual(sorted(out, k), brute(s, 0, 0, 900, 900));
  assert.equal(countVisible(s, g, [-1e6, -1e6, 1e6, 1e6], 100), 101, "counting stops past the limit");
});

test("edges: add, find, swap-remove, removed with their node, adjacency", () => {
  const s = gridFlow(3);
  s.addEdge(0, 0, 1); s.addEdge(1, 2, 2); s.addEdge(0, 1, 3);
  assert.equal(s.findEdge(1, 2, 2), 1);
  const adj = s.adjacency();
  assert.deepEqual([...adj.list.subarray(adj.start[0], adj.start[1])].sort(), [0, 2]);
  s.removeNode(1);
  assert.equal(s.ecount, 1);
  assert.equal(s.esrc[0], 0); assert.equal(s.edst[0], 3);
  assert.ok(s.bytes() < 9 * 40 + 3 * 40, "typed arrays only");
});

test("memory per node stays far below 64 bytes at 100,000 nodes", () => {
  const s = gridFlow(316); const g = new GridIndex(s, 2048).build();
  const bytes = s.bytes() + g.order.byteLength + g.starts.byteLength + g.stale.byteLength;
  assert.ok(bytes / s.count < 40, `${bytes / s.count} bytes a node`);
});

test("in-adjacency lists the edges entering each node", () => {
  const s = gridFlow(3);
  s.addEdge(0, 0, 4); s.addEdge(1, 0, 4); s.addEdge(4, 0, 8);
  const a = s.adjacency();
  assert.deepEqual([...a.ilist.subarray(a.istart[4], a.istart[5])].sort(), [0, 1]);
  assert.equal(a.istart[1] - a.istart[0], 0);
});

test("a key re-used after its node was deleted resolves to the new slot", () => {
  const s = gridFlow(2);
  s.removeNode(1);
  const i = s.addNode({ key: 3, x: 0, y: 0 });
  assert.equal(s.indexOfKey(3), i);
});

test("sliced adjacency build equals the one-shot build and yields between slices", () => {
  const s = gridFlow(20);
  for (let i = 0; i + 1 < s.count; i++) s.addEdge(i, 0, (i * 7 + 3) % s.count);
  const whole = s.adjacency();
  const t = gridFlow(20);
  for (let i = 0; i + 1 < t.count; i++) t.addEdge(i, 0, (i * 7 + 3) % t.count);
  let steps = 0; for (const _ of t.adjacencySteps(50)) steps++;
  assert.ok(steps > 4);
  assert.deepEqual([...t.adjacency().start], [...whole.start]);
  assert.deepEqual([...t.adjacency().ilist], [...whole.ilist]);
});

test("moves keep the adjacency; adding or removing an edge stales it", () => {
  const s = gridFlow(3);
  s.addEdge(0, 0, 1);
  const a = s.adjacency();
  s.moveNode(0, 50, 50);
  assert.ok(s.adjacencyReady());
  assert.equal(s.adjacency(), a, "no rebuild for a move");
  s.addEdge(1, 0, 2);
  assert.ok(!s.adjacencyReady());
  assert.equal(s.adjacency().start[2] - s.adjacency().start[1], 1);
});

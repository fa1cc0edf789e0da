import { test } from "node:test";
import assert from "node:assert/strict";
import { emptyChanges, invert, merge, isEmpty, toOps, fromEvent } from "../../ringflow/web/js/core/changes.js";
import { UndoStack } from "../../ringflow/web/js/core/undo.js";

const move = (id, x0, y0, x1, y1) => ({ nodes: { updated: [{ id, set: { x: x1, y: y1 }, prev: { x: x0, y: y0 } }] } });

test("invert swaps adds and removes and set/prev", () => {
  const cs = { nodes: { added: [{ id: "a", type: "say", x: 1, y: 2 }], updated: [{ id: "b", set: { x: 5 }, prev: { x: 1 } }], removed: [{ id: "c", type: "hangup", x: 0, y: 0 }] },
    edges: { added: [{ source: "a", outlet: "next", target: "b" }], removed: [] } };
  const inv = invert(cs);
  assert.deepEqual(inv.nodes.removed.map((n) => n.id), ["a"]);
  assert.deepEqual(inv.nodes.added.map((n) => n.id), ["c"]);
  assert.deepEqual(inv.nodes.updated[0].set, { x: 1 });
  assert.deepEqual(inv.edges.removed, [{ source: "a", outlet: "next", target: "b" }]);
  assert.deepEqual(invert(inv).nodes.updated[0].set, { x: 5 });
});

test("merge coalesces a drag into one move with the first prev and the last set", () => {
  const m = merge(merge(move("n1", 0, 0, 10, 10), move("n1", 10, 10, 20, 25)), move("n1", 20, 25, 30, 40));
  assert.deepEqual(m.nodes.updated, [{ id: "n1", key: undefined, set: { x: 30, y: 40 }, prev: { x: 0, y: 0 } }]);
  assert.deepEqual(toOps(m), [{ op: "move_node", id: "n1", x: 30, y: 40 }]);
});

test("merge folds updates into adds and cancels add-then-remove", () => {
  const add = { nodes: { added: [{ id: "n", type: "say", x: 0, y: 0 }] }, edges: { added: [{ source: "n", outlet: "next", target: "m" }] } };
  const m = merge(add, move("n", 0, 0, 50, 60));
  assert.deepEqual(m.nodes.added[0], { id: "n", type: "say", x: 50, y: 60 });
  const gone = merge(m, { nodes: { removed: [{ id: "n", type: "say", x: 50, y: 60 }] }, edges: { removed: [{ source: "n", outlet: "next", target: "m" }] } });
  assert.ok(isEmpty(gone));
});

test("ops come out in an order the server can apply", () => {
  const cs = { nodes: { added: [{ id: "n", type: "say", x: 1, y: 2, label: "Hi", config: { text: "x" }, w: 200 }], removed: [{ id: "old" }],
    updated: [{ id: "k", set: { label: "L", x: 3 }, prev: { label: "K", x: 1, y: 9 } }] },
    edges: { added: [{ source: "n", outlet: "next", target: "k" }], removed: [{ source: "old", outlet: "next", target: "k" }] } };
  assert.deepEqual(toOps(cs).map((o) => o.op), ["delete_edge", "delete_node", "add_node", "move_node", "update_node", "add_edge"]);
  const ops = toOps(cs);
  assert.deepEqual(ops[2].node, { id: "n", type: "say", x: 1, y: 2, label: "Hi", config: { text: "x" } });
  assert.deepEqual(ops[3], { op: "move_node", id: "k", x: 3, y: 9 });
  assert.deepEqual(ops[4], { op: "update_node", id: "k", label: "L" });
});

test("server events become change sets", () => {
  const cs = fromEvent({ revision: 4, added_nodes: [{ id: "a", key: 9, type: "say", x: 1, y: 1 }], updated_nodes: [{ id: "b", key: 3, x: 7, y: 8 }],
    removed_nodes: ["c"], added_edges: [{ source: "a", outlet: "next", target: "b" }], removed_edges: [] });
  assert.equal(cs.nodes.added[0].key, 9);
  assert.deepEqual(cs.nodes.updated[0], { id: "b", key: 3, set: { x: 7, y: 8 }, prev: {} });
  assert.deepEqual(cs.nodes.removed, [{ id: "c" }]);
  assert.ok(isEmpty(emptyChanges()));
});

test("undo stack: undo gives the inverse, redo the original, a gesture is one entry", () => {
  const u = new UndoStack(2);
  u.push(move("a", 0, 0, 1, 1), { group: true });
  u.push(move("a", 1, 1, 2, 2), { group: true });
  u.seal();
  u.push(move("b", 0, 0, 5, 5));
  assert.ok(u.canUndo());
  assert.deepEqual(u.undo().nodes.updated[0], { id: "b", key: undefined, set: { x: 0, y: 0 }, prev: { x: 5, y: 5 } });
  assert.deepEqual(u.undo().nodes.updated[0].set, { x: 0, y: 0 }, "the two moves of one drag undo together");
  assert.equal(u.undo(), null);
  assert.deepEqual(u.redo().nodes.updated[0].set, { x: 2, y: 2 });
  u.push(move("c", 0, 0, 1, 1));
  assert.ok(!u.canRedo(), "a new edit clears redo");
  u.push(move("d", 0, 0, 1, 1)); u.push(move("e", 0, 0, 1, 1));
  assert.equal(u.done.length, 2, "bounded");
});

// Unit tests of the UI's pure kernels (layered layout, copy/paste): node --test.
import test from "node:test";
import assert from "node:assert/strict";
import { layeredLayout } from "../../../ringflow/web/js/ui/layered.js";
import { copySelection, pasteChanges, freshId } from "../../../ringflow/web/js/ui/clipboard.js";

const n = (id, x = 0, y = 0) => ({ id, x, y, w: 200, h: 72 });

test("layout puts children below parents and siblings side by side", () => {
  const pos = layeredLayout([n("a", 100, 50), n("b"), n("c"), n("d")],
    [{ source: "a", target: "b" }, { source: "a", target: "c" }, { source: "b", target: "d" }, { source: "c", target: "d" }],
    { start: "a" });
  assert.equal(pos.get("a").y, 0);
  assert.ok(pos.get("b").y > pos.get("a").y);
  assert.equal(pos.get("b").y, pos.get("c").y);
  assert.notEqual(pos.get("b").x, pos.get("c").x);
  assert.ok(pos.get("d").y > pos.get("b").y);
  assert.ok(Math.abs(pos.get("b").x - pos.get("c").x) >= 200, "no overlap in a layer");
});

test("layout keeps siblings in outlet order", () => {
  const pos = layeredLayout([n("m"), n("z"), n("a"), n("q")],
    [{ source: "m", target: "z" }, { source: "m", target: "a" }, { source: "m", target: "q" }], { start: "m" });
  assert.ok(pos.get("z").x < pos.get("a").x && pos.get("a").x < pos.get("q").x);
});

test("layout survives cycles and keeps the selection's corner", () => {
  const pos = layeredLayout([n("m", 500, 300), n("x", 600, 400)],
    [{ source: "m", target: "x" }, { source: "x", target: "m" }], { start: "m" });
  assert.equal(pos.size, 2);
  assert.equal(pos.get("m").y, 300);
  assert.ok(pos.get("x").y > 300);
  assert.equal(Math.min(pos.get("m").x, pos.get("x").x), 500);
});

test("layout ignores edges leaving the set and handles no nodes", () => {
  assert.equal(layeredLayout([], []).size, 0);
  const pos = layeredLayout([n("a")], [{ source: "a", target: "zzz" }]);
  assert.deepEqual(pos.get("a"), { x: 0, y: 0 });
});

test("copy keeps only internal edges; paste gives fresh ids, offsets and rewires", () => {
  const clip = copySelection(
    [{ ...n("a", 10, 20), type: "say", label: "Hi", config: { text: "x" } }, { ...n("b"), type: "hangup", label: "", config: {} }],
    [{ source: "a", outlet: "next", target: "b" }, { source: "b", outlet: "x", target: "outside" }]);
  assert.equal(clip.edges.length, 1);
  const taken = new Set(["a", "b"]);
  const cs = pasteChanges(clip, taken, 40, 40);
  const [a2, b2] = cs.nodes.added;
  assert.notEqual(a2.id, "a");
  assert.notEqual(b2.id, "b");
  assert.equal(a2.x, 50);
  assert.equal(a2.y, 60);
  assert.equal(a2.label, "Hi");
  assert.deepEqual(cs.edges.added, [{ source: a2.id, outlet: "next", target: b2.id }]);
  a2.config.text = "changed";
  assert.equal(clip.nodes[0].config.text, "x", "paste deep-copies config");
});

test("freshId never collides and stays a valid id", () => {
  let i = 0;
  const seq = [0.1, 0.1, 0.2];
  const taken = new Set();
  const first = freshId("a b<script>", taken, () => seq[i++]);
  const second = freshId("a b<script>", taken, () => seq[i++]);
  assert.notEqual(first, second);
  assert.match(first, /^[A-Za-z0-9_.:\-]{1,64}$/);
  assert.match(freshId("x".repeat(64), new Set()), /^[A-Za-z0-9_.:\-]{1,64}$/);
});

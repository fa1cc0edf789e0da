// Unit tests of the UI's pure kernels (copy/paste): node --test. The layout is the server's
// (tests/api/test_layout.py, tests/browser/test_editor_layout.py).
import test from "node:test";
import assert from "node:assert/strict";
import { copySelection, pasteChanges, freshId } from "../../../ringflow/web/js/ui/clipboard.js";

const n = (id, x = 0, y = 0) => ({ id, x, y, w: 200, h: 72 });

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

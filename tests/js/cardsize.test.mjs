import { test } from "node:test";
import assert from "node:assert/strict";
import { summaryLines, cardHeight, MIN_HEIGHT, LINE_PX, MAX_LINES } from "../../ringflow/web/js/core/cardsize.js";
import { FlowState } from "../../ringflow/web/js/core/flowstate.js";
import { GridIndex } from "../../ringflow/web/js/core/grid.js";

test("a card grows a line for each summary entry, two for a long one, up to four", () => {
  assert.equal(cardHeight(summaryLines(["+15550100"], 200)), MIN_HEIGHT, "one short line: as before");
  assert.equal(cardHeight([]), MIN_HEIGHT, "nothing to say (Hang up): not smaller");
  const menu = summaryLines(["For Sales agents press 1, account lookup 2, voicemail 3, next department 9.", "Choices: 1 · 2 · 3 · 9"], 200);
  assert.deepEqual(menu, [2, 1]);
  assert.equal(cardHeight(menu), MIN_HEIGHT + 2 * LINE_PX);
  assert.deepEqual(summaryLines(["x".repeat(20)], 400), [1], "a wider card keeps it on one line");
  const many = summaryLines(["x".repeat(100), "x".repeat(100), "x".repeat(100)], 200);
  assert.equal(many.reduce((a, n) => a + n, 0), MAX_LINES);
});

test("a resized node: bounds, shape and the grid index follow (not version: caches of big flows keep)", () => {
  const s = new FlowState();
  s.addNode({ key: 1, x: 0, y: 0 }); s.addNode({ key: 2, x: 0, y: 300 });
  const g = new GridIndex(s, 256).build(), v = s.version, shape = s.shape, buf = new Uint32Array(8);
  assert.equal(g.query(10, 90, 20, 100, buf), 0);
  s.resizeNode(0, 200, 102); g.resized(0);
  assert.equal(g.overflow.length, 0, "a resize in place is no move: nothing for queries to scan");
  assert.equal(s.version, v);
  assert.equal(s.shape, shape + 1);
  assert.equal(s.bounds[3], 372);
  assert.equal(g.query(10, 90, 20, 100, buf), 1, "the grown part is found");
  assert.equal(g.hit(100, 95), 0);
});

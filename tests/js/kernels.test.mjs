import { test } from "node:test";
import assert from "node:assert/strict";
import { portPosition, edgePath, orthogonalPath, portAt } from "../../ringflow/web/js/core/edges.js";
import { chooseLod, showLabels, showEdges } from "../../ringflow/web/js/core/lod.js";
import { LRU } from "../../ringflow/web/js/core/lru.js";
import { chooseMode, stepDown, features } from "../../ringflow/web/js/core/modes.js";
import { FrameStats, StepDownRule } from "../../ringflow/web/js/core/framestats.js";

test("ports spread along the bottom edge in outlet order", () => {
  assert.deepEqual(portPosition(0, 0, 200, 72, 0, 1), { x: 100, y: 72 });
  assert.deepEqual(portPosition(0, 0, 300, 72, 1, 2), { x: 200, y: 72 });
  assert.equal(portAt(0, 0, 300, 72, 2, 201, 70), 1);
  assert.equal(portAt(0, 0, 300, 72, 2, 150, 70), -1);
});

test("edge paths start at the port and end at the target's top centre", () => {
  const p = edgePath(100, 72, 0, 300, 200);
  assert.deepEqual([p[0], p[1], p[6], p[7]], [100, 72, 100, 300]);
  assert.ok(p[3] > 72 && p[5] < 300, "control points bend downwards");
  const up = edgePath(100, 500, 400, 0, 200);
  assert.ok(up[2] > 100, "an edge going up loops out sideways");
  const o = orthogonalPath(0, 0, 100, 200, 100);
  assert.deepEqual(o, [0, 0, 0, 100, 150, 100, 150, 200]);
});

test("level of detail: cards near, shapes mid, pixels far", () => {
  assert.equal(chooseLod(1, 30, 100), "near");
  assert.equal(chooseLod(1, 150, 100), "mid");
  assert.equal(chooseLod(0.2, 500, 100), "mid");
  assert.equal(chooseLod(0.05, 500, 100), "far");
  assert.equal(chooseLod(0.5, 100000, 100), "far");
  assert.ok(showLabels(0.5, 200)); assert.ok(!showLabels(0.2, 200)); assert.ok(!showLabels(1, 5000));
  assert.ok(showEdges("mid", 0.2, 1000)); assert.ok(!showEdges("far", 0.005, 500000));
});

test("LRU keeps the most recently used within its bound", () => {
  const c = new LRU(3);
  c.set(1, "a").set(2, "b").set(3, "c");
  c.get(1); c.set(4, "d");
  assert.equal(c.size, 3); assert.ok(!c.has(2)); assert.equal(c.get(1), "a"); assert.equal(c.peek(4), "d");
});

test("modes follow the thresholds; a forced mode wins; unknown is refused", () => {
  const cfg = { RINGFLOW_MAX_ANIMATED_NODES: 1000, RINGFLOW_VIRTUALIZATION_THRESHOLD: 5000, RINGFLOW_ENTERPRISE_THRESHOLD: 10000 };
  assert.equal(chooseMode(999, cfg), "beauty");
  assert.equal(chooseMode(1000, cfg), "balanced");
  assert.equal(chooseMode(5000, cfg), "high-performance");
  assert.equal(chooseMode(10000, cfg), "enterprise");
  assert.equal(chooseMode(500000, cfg, "beauty"), "beauty");
  assert.equal(chooseMode(10, { ...cfg, RINGFLOW_MAX_ANIMATED_NODES: 5 }), "balanced");
  assert.throws(() => chooseMode(1, cfg, "turbo"), /unknown mode/);
  assert.equal(stepDown("beauty"), "balanced"); assert.equal(stepDown("enterprise"), "enterprise");
  assert.ok(features("beauty").shadows && !features("high-performance").gradients);
});

test("frame stats give fps and p95 of rAF intervals, ignoring idle gaps", () => {
  const f = new FrameStats(100);
  let t = 0; f.tick(t);
  for (let i = 0; i < 95; i++) f.tick(t += 16);
  for (let i = 0; i < 5; i++) f.tick(t += 50);
  f.tick(t += 5000); // idle, not a frame
  assert.equal(f.p95(), 16);
  assert.ok(Math.abs(f.fps() - 1000 * 100 / (95 * 16 + 250)) < 0.1);
});

test("step-down fires after ~1.5 s over budget, once, and resets on a good frame", () => {
  const r = new StepDownRule(20, 1500, 30);
  assert.equal(r.observe(0, 40, 60), false);
  assert.equal(r.observe(1000, 40, 60), false);
  assert.equal(r.observe(1600, 40, 60), true);
  assert.equal(r.observe(1700, 40, 60), false, "fires once, then waits again");
  r.observe(2000, 10, 60);
  assert.equal(r.observe(3000, 40, 60), false);
  assert.equal(r.observe(3400, 40, 10), false, "too few frames to judge");
});

import { outletsFor, captionLayout } from "../../ringflow/web/js/core/outlets.js";

test("outlets: menus and splits add theirs before the fixed ones, like the catalogue", () => {
  const menu = { name: "menu", outlets: ["invalid", "timeout"] };
  assert.deepEqual(outletsFor(menu, { digits: ["1", "2", "1", 9] }), ["1", "2", "invalid", "timeout"]);
  assert.deepEqual(outletsFor({ name: "split", outlets: ["no_match"] }, { cases: [{ name: "gold" }, { name: "" }, null] }), ["gold", "no_match"]);
  assert.deepEqual(outletsFor({ name: "say", outlets: ["next"] }, null), ["next"]);
  assert.deepEqual(outletsFor(undefined, {}), []);
});

test("outlet captions: one row while they fit, every other one below the card when crowded", () => {
  assert.deepEqual(captionLayout(["next"], 200), { rows: [0], maxWidth: null });
  assert.deepEqual(captionLayout(["keypress", "speech", "timeout"], 200), { rows: [0, 0, 0], maxWidth: null });
  // a two-digit menu: "invalid" and "timeout" sit 40 px apart, too close to read apart in every font
  assert.deepEqual(captionLayout(["1", "2", "invalid", "timeout"], 200), { rows: [0, 1, 0, 1], maxWidth: 74 });
  assert.deepEqual(captionLayout(["1", "2", "invalid", "timeout"], 320).rows, [0, 0, 0, 0]); // a wide card has room
  const crowded = captionLayout(["1", "2", "3", "4", "5", "invalid", "timeout"], 200); // 25 px between ports
  assert.deepEqual(crowded.rows, [0, 1, 0, 1, 0, 1, 0]);
  assert.equal(crowded.maxWidth, 44); // two gaps less a margin: neighbours in a row never meet
  assert.deepEqual(captionLayout(["1", "2", "3", "invalid", "timeout"], 200).rows, [0, 1, 0, 1, 0]); // 33 px: "invalid"/"timeout" would touch
  assert.ok(captionLayout(Array.from({ length: 40 }, (_, k) => `case${k}`), 200).maxWidth >= 12);
});

test("an idle editor is idle, not 0 fps nor the last busy second's figure", () => {
  const s = new FrameStats();
  for (let t = 0; t <= 1000; t += 16) s.tick(t);
  assert.equal(s.idleAt(1100), false);
  assert.ok(s.fps() > 55);
  assert.equal(s.idleAt(2500), true);
  assert.equal(new FrameStats().idleAt(10), true);
});

test("the drawn-frames rate counts frames even when the clock sleeps between them", () => {
  const s = new FrameStats();
  for (let t = 0; t < 1000; t += 33) { s.tick(t); s.idle(); } // one frame per input event, the loop asleep in between
  assert.equal(s.fps(), 0); // no steady interval...
  assert.equal(s.rate(1000), 31); // ...but 31 frames were drawn in that second
  assert.equal(s.rate(5000), 0);
});

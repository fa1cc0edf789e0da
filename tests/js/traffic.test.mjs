import { test } from "node:test";
import assert from "node:assert/strict";
import { Traffic } from "../../ringflow/web/js/engine/traffic.js";
import { motionFor } from "../../ringflow/web/js/core/motion.js";

globalThis.performance ??= { now: () => Date.now() };

/** Just enough DOM for the badge layer, and a 2D context that counts what is drawn. */
function fakeParent() {
  const el = () => ({ style: {}, dataset: {}, hidden: false, className: "", setAttribute() {}, appendChild() {}, after() {}, remove() {} });
  return { ownerDocument: { createElement: el }, appendChild() {} };
}
function fakeCtx() {
  const calls = { arc: 0, arcTo: 0, stroke: 0, fill: 0 };
  const ctx = { calls, canvas: { width: 100, height: 100 }, globalAlpha: 1 };
  for (const m of ["save", "restore", "setTransform", "clearRect", "beginPath", "moveTo", "closePath", "setLineDash", "bezierCurveTo", "drawImage"]) ctx[m] = () => {};
  for (const m of Object.keys(calls)) ctx[m] = () => { calls[m]++; };
  return ctx;
}
/** n nodes in a column, 100 apart; edge j runs from node j to node j+1. */
function column(n) {
  const st = { count: n, ecount: n - 1, x: new Float32Array(n), y: new Float32Array(n), w: new Float32Array(n).fill(160), h: new Float32Array(n).fill(60),
    esrc: new Int32Array(n), edst: new Int32Array(n), eout: new Int32Array(n), alive: (i) => i >= 0 && i < n };
  for (let i = 0; i < n; i++) { st.y[i] = i * 200; st.esrc[i] = i; st.edst[i] = i + 1; }
  return st;
}
const frame = (st, now, fresh = true) => ({ state: st, cam: { x: 0, y: 0, zoom: 1 }, dpr: 1, now, rect: [-1e6, -1e6, 1e6, 1e6], lod: "near",
  motion: motionFor("beauty"), theme: { live: "#0a0", accent: "#00f", card: "#fff", liveInk: "#fff" }, outletCount: () => 1, ringStatic: false, fresh });

test("heat lives in a pool: cold edges leave it and the slots of the others stay right", () => {
  const st = column(12), t = new Traffic(fakeParent());
  for (let j = 0; j < 10; j++) t.addHeat(j, j % 2 ? 5 : 0.3, 0); // odd edges hot, even ones nearly cold
  t.addHeat(3, 2, 0); // more on a warm edge: the same slot
  assert.equal(t.nHeat, 10);
  t.draw(fakeCtx(), frame(st, 6000)); // one half-life later the even edges (0.15) are gone
  assert.equal(t.nHeat, 5);
  for (let s = 0; s < t.nHeat; s++) { assert.equal(t.hEdge[s] % 2, 1); assert.equal(t.heatSlot.get(t.hEdge[s]), s); }
  assert.equal(t.heatSlot.size, 5);
  assert.ok(t.wantsFrames(motionFor("beauty"), 6000));
  assert.ok(!t.wantsFrames(motionFor("enterprise"), 6000), "no particles, no calls: nothing to animate");
});

test("a pool outgrows its first size without losing entries", () => {
  const st = column(700), t = new Traffic(fakeParent());
  for (let j = 0; j < 600; j++) t.addHeat(j, 3, 0);
  const calls = new Map(); for (let i = 0; i < 400; i++) calls.set(i, 1 + (i % 3));
  t.setCalls("stream", calls); t.setCalls("test", new Map([[5, 1]]));
  assert.equal(t.nHeat, 600); assert.equal(t.nCalls, 400);
  assert.equal(t.callsOn(5), 4, "the stream's 3 and the test call's 1"); assert.equal(t.total(), [...calls.values()].reduce((a, b) => a + b, 0) + 1);
  const ctx = fakeCtx();
  t.draw(ctx, frame(st, 10));
  assert.ok(ctx.calls.arc >= 600 * 2, "every hot edge in view carries particles (dots and halos)");
  assert.ok(ctx.calls.stroke >= 2, "the rings");
});

test("an animation frame reuses the curves; a fresh frame makes them again", () => {
  const st = column(3), t = new Traffic(fakeParent());
  t.addHeat(0, 3, 0);
  t.draw(fakeCtx(), frame(st, 10));
  const before = t.hQ[7]; // the curve's end: the top of node 1
  st.y[1] += 50; // node 1 moves
  t.draw(fakeCtx(), frame(st, 20, false));
  assert.equal(t.hQ[7], before, "animation-only frames keep the curve");
  t.draw(fakeCtx(), frame(st, 30, true));
  assert.equal(t.hQ[7], before + 50, "a frame that redrew the flow follows the node");
});

import { test } from "node:test";
import assert from "node:assert/strict";
import { cubicBezier, easeOut, cameraBetween, motionFor, decay, particlesFor, outletDeltas, pathSteps, bezierPoint } from "../../ringflow/web/js/core/motion.js";
import { explainMode } from "../../ringflow/web/js/core/modewhy.js";
import { createCameraMotion } from "../../ringflow/web/js/engine/camera.js";

test("cubicBezier matches the curve's ends, is monotone, and ease-out front-loads the motion", () => {
  const linear = cubicBezier(0, 0, 1, 1);
  for (const p of [0, 0.25, 0.5, 0.9, 1]) assert.ok(Math.abs(linear(p) - p) < 1e-4);
  let last = -1;
  for (let k = 0; k <= 100; k++) { const v = easeOut(k / 100); assert.ok(v >= last - 1e-9, "monotone"); last = v; }
  assert.equal(easeOut(0), 0); assert.equal(easeOut(1), 1);
  assert.ok(easeOut(0.25) > 0.6, `a quarter of the time covers most of the way (${easeOut(0.25)})`);
});

test("cameraBetween keeps the ends exact, moves the zoom geometrically and the centre linearly", () => {
  const a = { x: 0, y: 0, zoom: 1 }, b = { x: 500, y: 300, zoom: 4 }, W = 800, H = 600;
  assert.deepEqual(cameraBetween(a, b, 0, W, H), a);
  assert.deepEqual(cameraBetween(a, b, 1, W, H), b);
  const mid = cameraBetween(a, b, 0.5, W, H);
  assert.ok(Math.abs(mid.zoom - 2) < 1e-9, "half way in zoom is the geometric mean");
  const centre = (c) => [c.x + W / 2 / c.zoom, c.y + H / 2 / c.zoom];
  const [ax, ay] = centre(a), [bx, by] = centre(b), [mx, my] = centre(mid);
  assert.ok(Math.abs(mx - (ax + bx) / 2) < 1e-9 && Math.abs(my - (ay + by) / 2) < 1e-9);
});

test("the camera motion glides over several frames on its clock and lands exactly; cancel stops it", () => {
  let cam = { x: 0, y: 0, zoom: 1 }, wakes = 0;
  const m = createCameraMotion({ get: () => cam, set: (c) => { cam = c; }, size: () => [800, 600], invalidate: () => wakes++, ms: 400 });
  m.glide({ x: 100, y: 50, zoom: 2 });
  assert.equal(wakes, 1);
  let t = 1000, frames = 0;
  while (m.step(t)) { frames++; t += 1000 / 60; }
  assert.ok(frames >= 20 && frames <= 26, `about 0.4 s of 60 Hz frames (${frames})`);
  assert.deepEqual(cam, { x: 100, y: 50, zoom: 2 });
  m.glide({ x: 0, y: 0, zoom: 1 }); m.step(5000); m.cancel();
  assert.equal(m.step(5100), false); assert.equal(m.moving(), false);
});

test("what moves in each mode; reduced motion stops everything but the badge", () => {
  assert.deepEqual(motionFor("beauty"), { glide: true, pulse: true, glow: true, particles: true, enter: true, badge: true });
  const bal = motionFor("balanced");
  assert.equal(bal.particles, false); assert.equal(bal.glow, false); assert.equal(bal.pulse, true);
  for (const m of ["high-performance", "enterprise"]) assert.deepEqual(motionFor(m), { glide: false, pulse: false, glow: false, particles: false, enter: false, badge: true });
  const still = motionFor("beauty", true);
  assert.ok(Object.entries(still).every(([k, v]) => (k === "badge" ? v : !v)));
});

test("edge heat halves per half-life; particles follow it, one at least while warm, capped", () => {
  assert.equal(decay(8, 6000), 4);
  assert.equal(decay(8, 0), 8);
  assert.equal(particlesFor(0.1), 0);
  assert.equal(particlesFor(0.3), 1);
  assert.equal(particlesFor(3.4), 3);
  assert.equal(particlesFor(40), 6);
});

test("outlet deltas: the first snapshot is a baseline, later increases count per outlet, node ids may hold dots", () => {
  assert.deepEqual(outletDeltas(null, { "a.next": 5 }), []);
  assert.deepEqual(outletDeltas({ "a.next": 5, "menu.1": 2 }, { "a.next": 7, "menu.1": 2, "svc.v2.success": 1 }),
    [{ node: "a", outlet: "next", n: 2 }, { node: "svc.v2", outlet: "success", n: 1 }]);
});

test("test-call path steps: only the new ones while a call grows its path, all of a new call's", () => {
  assert.deepEqual(pathSteps([], ["w", "m"]), [["w", "m"]]);
  assert.deepEqual(pathSteps(["w", "m"], ["w", "m", "s", "b"]), [["m", "s"], ["s", "b"]]);
  assert.deepEqual(pathSteps(["w", "m", "s"], ["w", "m2"]), [["w", "m2"]]);
  assert.deepEqual(pathSteps(["w", "m"], ["w", "m"]), []);
});

test("bezierPoint hits the ends", () => {
  const q = [0, 0, 0, 50, 100, 50, 100, 100];
  assert.deepEqual(bezierPoint(q, 0), [0, 0]);
  assert.deepEqual(bezierPoint(q, 1), [100, 100]);
});

test("the overlay's reason names the threshold crossed, or who forced the mode", () => {
  const config = { RINGFLOW_MAX_ANIMATED_NODES: 1000, RINGFLOW_VIRTUALIZATION_THRESHOLD: 5000, RINGFLOW_ENTERPRISE_THRESHOLD: 10000 };
  assert.equal(explainMode({ mode: "beauty", reason: "auto", nodes: 640, config }), "auto: 640 nodes < 1,000 (RINGFLOW_MAX_ANIMATED_NODES)");
  assert.match(explainMode({ mode: "enterprise", reason: "auto", nodes: 50000, config }), /50,000 nodes ≥ 10,000 \(RINGFLOW_ENTERPRISE_THRESHOLD\)/);
  assert.match(explainMode({ mode: "balanced", reason: "auto", nodes: 1200, config }), /≥ 1,000.*< 5,000/);
  assert.equal(explainMode({ mode: "beauty", reason: "forced", forced: "beauty", nodes: 1000, config }), "forced by the mode switch");
  assert.equal(explainMode({ mode: "beauty", reason: "forced", forced: "beauty", fromEnv: true }), "forced by RINGFLOW_PERFORMANCE_MODE");
  assert.match(explainMode({ mode: "balanced", reason: "step-down", p95: 31.2 }), /p95 frame 31.2 ms/);
});

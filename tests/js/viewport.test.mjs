import { test } from "node:test";
import assert from "node:assert/strict";
import { screenToWorld, worldToScreen, zoomAt, panBy, visibleRect, fitBounds, clampZoom, minZoomFor } from "../../ringflow/web/js/core/viewport.js";

test("screen and world conversions are inverses", () => {
  const cam = { x: 100, y: -50, zoom: 2 };
  const w = screenToWorld(cam, 40, 80);
  assert.deepEqual(w, { x: 120, y: -10 });
  assert.deepEqual(worldToScreen(cam, w.x, w.y), { x: 40, y: 80 });
});

test("zoom at cursor keeps the world point under the cursor", () => {
  const cam = { x: 10, y: 20, zoom: 1 };
  const before = screenToWorld(cam, 300, 200);
  const z = zoomAt(cam, 300, 200, 1.5);
  assert.equal(z.zoom, 1.5);
  const after = screenToWorld(z, 300, 200);
  assert.ok(Math.abs(after.x - before.x) < 1e-9 && Math.abs(after.y - before.y) < 1e-9);
});

test("zoom is clamped and NaN is refused", () => {
  assert.equal(zoomAt({ x: 0, y: 0, zoom: 1 }, 0, 0, 1e9, 0.1, 4).zoom, 4);
  assert.equal(clampZoom(NaN), 1);
});

test("pan moves content with the pointer", () => {
  const c = panBy({ x: 0, y: 0, zoom: 2 }, 100, -40);
  assert.deepEqual(c, { x: -50, y: 20, zoom: 2 });
});

test("visible rect and fit bounds", () => {
  assert.deepEqual(visibleRect({ x: 5, y: 5, zoom: 0.5 }, 100, 50), [5, 5, 205, 105]);
  const cam = fitBounds([0, 0, 1000, 500], 500, 500, 0);
  assert.equal(cam.zoom, 0.5);
  const r = visibleRect(cam, 500, 500);
  assert.ok(r[0] <= 0 && r[2] >= 1000 && r[1] <= 0 && r[3] >= 500);
  assert.equal(fitBounds([0, 0, 10, 10], 500, 500, 0).zoom, 1, "never zooms in past 1 to fit a tiny flow");
  assert.ok(minZoomFor([0, 0, 1e6, 1e6], 1000, 1000) < 0.001);
});

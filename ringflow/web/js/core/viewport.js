/** Viewport math: the one place that converts between screen pixels and world units.
 * A camera is {x, y, zoom}: the world point at the canvas' top-left and css px per world unit.
 * Pure functions returning new cameras, so controllers and tests share the same rules. */

export const MIN_ZOOM = 0.0005;
export const MAX_ZOOM = 4;

/** @returns {{x:number,y:number}} the world point under a screen point */
export function screenToWorld(cam, sx, sy) {
  return { x: cam.x + sx / cam.zoom, y: cam.y + sy / cam.zoom };
}

/** @returns {{x:number,y:number}} the screen point of a world point */
export function worldToScreen(cam, wx, wy) {
  return { x: (wx - cam.x) * cam.zoom, y: (wy - cam.y) * cam.zoom };
}

export function clampZoom(z, min = MIN_ZOOM, max = MAX_ZOOM) {
  if (!Number.isFinite(z)) return 1;
  return Math.min(max, Math.max(min, z));
}

/** Zoom by `factor` keeping the world point under (sx, sy) fixed: zoom at the cursor. */
export function zoomAt(cam, sx, sy, factor, min = MIN_ZOOM, max = MAX_ZOOM) {
  const zoom = clampZoom(cam.zoom * factor, min, max);
  const w = screenToWorld(cam, sx, sy);
  return { x: w.x - sx / zoom, y: w.y - sy / zoom, zoom };
}

/** Move the camera by a screen-space drag (content follows the pointer). */
export function panBy(cam, dx, dy) {
  return { x: cam.x - dx / cam.zoom, y: cam.y - dy / cam.zoom, zoom: cam.zoom };
}

/** The world rectangle [x0, y0, x1, y1] visible in a width x height canvas. */
export function visibleRect(cam, width, height) {
  return [cam.x, cam.y, cam.x + width / cam.zoom, cam.y + height / cam.zoom];
}

/** A camera showing bounds [x0, y0, x1, y1] centred with `pad` css px around it. */
export function fitBounds(bounds, width, height, pad = 40, min = MIN_ZOOM, max = 1) {
  const [x0, y0, x1, y1] = bounds;
  const bw = Math.max(1, x1 - x0), bh = Math.max(1, y1 - y0);
  const zoom = clampZoom(Math.min((width - 2 * pad) / bw, (height - 2 * pad) / bh), min, max);
  return { x: (x0 + x1) / 2 - width / 2 / zoom, y: (y0 + y1) / 2 - height / 2 / zoom, zoom };
}

/** Centre the camera on a world point at the given zoom. */
export function centerOn(wx, wy, width, height, zoom) {
  return { x: wx - width / 2 / zoom, y: wy - height / 2 / zoom, zoom };
}

/** Smallest zoom worth allowing: the whole flow a quarter of the screen. */
export function minZoomFor(bounds, width, height) {
  const bw = Math.max(1, bounds[2] - bounds[0]), bh = Math.max(1, bounds[3] - bounds[1]);
  return clampZoom(Math.min(width / bw, height / bh) / 4, MIN_ZOOM, 0.5);
}

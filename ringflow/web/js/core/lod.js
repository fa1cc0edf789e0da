/** Level of detail: what to draw for a zoom and a count of visible nodes.
 * near: DOM cards (few nodes, interactive, accessible); mid: batched canvas shapes;
 * far: one pass of pixels into an ImageData. Thresholds are in screen pixels so they hold
 * for any node size. */

export const FAR_NODE_PX = 10; // a node shorter than this on screen is a dot: rasterize
export const LABEL_NODE_PX = 26; // labels only when a node is at least this tall on screen
export const MAX_LABELS = 1500;
export const MAX_MID_NODES = 8000; // beyond this many on screen, raster even at mid zoom (paths get slow)

export function chooseLod(zoom, visible, maxViewportNodes, nodeH = 72) {
  const px = zoom * nodeH;
  if (visible <= maxViewportNodes && px >= 24) return "near";
  if (px < FAR_NODE_PX || visible > MAX_MID_NODES) return "far";
  return "mid";
}

export function showLabels(zoom, visible, nodeH = 72) {
  return zoom * nodeH >= LABEL_NODE_PX && visible <= MAX_LABELS;
}

/** Edges: skipped in far mode once they would be shorter than a pixel or two on average. */
export function showEdges(lod, zoom, visible) {
  if (lod !== "far") return true;
  return zoom >= 0.02 && visible <= 60000;
}

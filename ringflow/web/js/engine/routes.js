/** Which edges are drawn routed around the cards (core/routing.js) this frame, and the route of
 * each: near zoom, or mid zoom with few nodes in view, once the grid index is built. Far out and
 * with thousands of nodes in view the curves stay (routing would cost more than it shows). The
 * routes of the frame's new edges are found within a time budget; the rest follow next frame. */

import { RouteCache } from "../core/routing.js";

export const ROUTE_MAX_VISIBLE = 600; // mid zoom: route while at most this many nodes are drawn
const BUDGET_MS = 1; // routes of edges new in view fill in over a few frames once the camera rests

export function createRouting(env) {
  const cache = new RouteCache();
  let on = false, seen = -1, lx = NaN, ly = NaN, lz = NaN;
  return {
    /** Start of a frame: decide, and forget the routes once a change is committed (not mid-drag).
     * While the camera moves (a pan, a zoom) no new route is searched: edges new in view keep
     * their curve until it rests, so a pan costs what it did before routing. */
    frame(lod, k, cam, dragging) {
      const st = env.state, grid = env.grid, zoom = cam.zoom;
      const moving = cam.x !== lx || cam.y !== ly || zoom !== lz;
      lx = cam.x; ly = cam.y; lz = zoom;
      on = !!grid && grid.built > 0 && zoom >= 0.25 && (lod === "near" || (lod === "mid" && k <= ROUTE_MAX_VISIBLE));
      if (st.version !== seen && !dragging) { cache.invalidate(); seen = st.version; }
      if (on) cache.begin(() => performance.now(), moving ? 0 : BUDGET_MS);
      return on;
    },
    /** The route to draw for edge j, or null (draw the curve). */
    route(j) { return on ? cache.get(env.state, env.grid, j, env.outletCount) : null; },
    /** The route edge j was drawn with, for hit tests and placement (never computes one). */
    shown(j) { return on ? cache.peek(env.state, j, env.outletCount) : null; },
    /** Routes are still missing from the last frame: draw another. */
    pending() { return on && cache.pending; },
    clear() { cache.clear(); },
  };
}

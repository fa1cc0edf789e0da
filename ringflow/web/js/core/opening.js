/** How a flow is opened, shared by the page's first requests (js/boot.js) and the engine's
 * loader, so the page can ask for exactly what the engine will read. */

/** Flows at least this big open on /critical first (smaller skeletons arrive sooner). */
export const CRITICAL_FROM = 100000;

/** The API path (under /api/v1) of the first geometry request for a flow of this size. */
export function firstGeometryPath(flowId, nodeCount) {
  return (nodeCount || 0) >= CRITICAL_FROM ? `/flows/${flowId}/critical` : `/flows/${flowId}/skeleton`;
}

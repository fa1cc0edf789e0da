// The editor page's first requests, sent before the rest of the page's modules have loaded:
// the flow's metadata, the catalogue, the settings and then the flow's geometry travel while
// the browser is still fetching the ~45 small modules (time to ready). app.js and the engine
// read these answers instead of asking again. Only one tiny import, so this runs at once.
import { firstGeometryPath } from "./core/opening.js";
import { applyTheme, savedTheme } from "./ui/theme.js";

applyTheme(savedTheme()); // the saved light/dark choice, before the first frame

const BASE = "/api/v1";
const get = (path) => fetch(BASE + path, { headers: { Accept: "application/json" }, credentials: "same-origin" });

/** The flow id from /flows/{id}, or null when the address does not name one. */
export const flowId = (() => {
  const n = Number(decodeURIComponent(location.pathname.split("/").filter(Boolean).pop() || ""));
  return Number.isInteger(n) && n > 0 ? n : null;
})();

/** Responses already asked for, by API path; each is read once (a Response body reads once). */
const early = new Map();
if (flowId !== null) {
  for (const path of [`/flows/${flowId}`, "/node-types", "/config"]) early.set(path, get(path));
  // the geometry as soon as the size is known; a failed metadata request leaves it to the engine
  early.get(`/flows/${flowId}`).then((res) => (res.ok ? res.clone().json() : Promise.reject(res))).then((meta) => {
    const path = firstGeometryPath(flowId, meta.node_count);
    if (!early.has(path)) early.set(path, fetch(BASE + path, { credentials: "same-origin" }));
    geometryKnown(path);
  }, () => geometryKnown(null));
}

let geometryKnown;
const geometry = new Promise((res) => { geometryKnown = res; });

/** Take the early response for an API path (once), or null when there is none. */
export function takeEarly(path) {
  const r = early.get(path) || null;
  if (r) early.delete(path);
  return r;
}

/** Wait until the geometry request (if any) is on its way; the engine is created after this. */
export function geometryRequested() { return geometry; }

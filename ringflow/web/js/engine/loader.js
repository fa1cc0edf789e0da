/** Opening a flow: the critical region first for big flows (drawn at once), then the skeleton
 * into typed arrays; indexing runs in slices driven by the clock, never in one long block. */

import { decodeSkeleton } from "../core/skeleton.js";
import { FlowState, UNKNOWN } from "../core/flowstate.js";
import { outletsFor } from "../core/outlets.js";

export async function fetchSkeleton(api, flowId) {
  const buf = await api.get(`/flows/${flowId}/skeleton`, { as: "buffer" });
  return FlowState.fromSkeleton(decodeSkeleton(buf));
}

/** A small FlowState from node/edge objects (the /critical answer), keys ascending. */
export function stateFromNodes(nodes, edges, typeByName, startId = null) {
  const st = new FlowState();
  const sorted = [...nodes].sort((a, b) => a.key - b.key);
  const byId = new Map();
  for (const n of sorted) {
    const t = typeByName.get(n.type);
    const i = st.addNode({ key: n.key, x: n.x, y: n.y, w: n.w || 200, h: n.h || 72, type: t ? t.code : UNKNOWN });
    byId.set(n.id, { i, n, t });
  }
  for (const e of edges || []) {
    const s = byId.get(e.source), d = byId.get(e.target);
    if (!s || !d) continue;
    const k = outletsFor(s.t, s.n.config).indexOf(e.outlet);
    st.addEdge(s.i, k < 0 ? 255 : k, d.i);
  }
  st.start = startId !== null && byId.has(startId) ? byId.get(startId).i : -1;
  return st;
}

/** A synthetic flow (dev page, tests, offline demos): 20-node blocks on a grid, like `ringflow demo`. */
export function syntheticState(n, typeCount = 13) {
  const st = new FlowState();
  const per = 20, cols = Math.max(1, Math.ceil(Math.sqrt(n / per) * 0.8));
  const local = [];
  for (let k = 0; k < per; k++) local.push([(k % 5) * 260, Math.floor(k / 5) * 160]);
  for (let i = 0; i < n; i++) {
    const b = Math.floor(i / per), r = Math.floor(b / cols), c = b % cols, [lx, ly] = local[i % per];
    st.addNode({ key: i + 1, x: c * 1420 + lx, y: r * 760 + ly, type: (i * 7 + b) % typeCount });
  }
  for (let i = 0; i < n; i++) {
    if (i % per < per - 5 && i + 5 < n) st.addEdge(i, 0, i + 5);
    if (i % 5 < 4 && i % 3 === 0 && i + 1 < n) st.addEdge(i, 1, i + 1);
  }
  st.start = 0;
  return st;
}

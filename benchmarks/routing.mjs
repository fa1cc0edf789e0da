// Edge routing benchmark: what routing edges around cards (core/routing.js) adds to a frame. On a
// demo flow (tests/js/fixtures/demo_flows.json, 200 nodes, as `ringflow demo` lays it out) and on
// a 500,000-node synthetic flow (the dev page's), views of 1400×880 at zoom 1 (near) and 0.5 (mid):
// the cost of routing every edge in view from a cold cache (the first frame of a view, or after a
// committed change, spread over frames at 3 ms each), and of a frame that only reads the cache (a pan).
//
// usage: node benchmarks/routing.mjs [--reps 5]

import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { FlowState } from "../ringflow/web/js/core/flowstate.js";
import { GridIndex } from "../ringflow/web/js/core/grid.js";
import { cull } from "../ringflow/web/js/core/cull.js";
import { RouteCache } from "../ringflow/web/js/core/routing.js";
import { syntheticState } from "../ringflow/web/js/engine/loader.js";

const arg = (name, dflt) => { const k = process.argv.indexOf(`--${name}`); return k > 0 ? process.argv[k + 1] : dflt; };
const REPS = Number(arg("reps", 5));
const median = (a) => { const s = [...a].sort((x, y) => x - y); return s[s.length >> 1]; };

function demo() {
  const d = JSON.parse(readFileSync(new URL("../tests/js/fixtures/demo_flows.json", import.meta.url)))["200"];
  const s = new FlowState();
  d.nodes.forEach(([x, y, w, h], k) => s.addNode({ key: k + 1, x, y, w, h, type: 1 }));
  for (const [a, o, b] of d.edges) s.addEdge(a, o, b);
  return { name: "demo, 200 nodes", st: s, outlets: (i) => d.nodes[i][4] };
}

function synthetic() {
  const st = syntheticState(500000, 13);
  return { name: "synthetic, 500,000 nodes", st, outlets: () => 3 };
}

function edgesInView(st, grid, rect) {
  const vis = new Uint32Array(20000), k = cull(st, grid, rect, vis), adj = st.adjacency(), out = new Set();
  for (let t = 0; t < k; t++) { const i = vis[t]; for (let p = adj.start[i]; p < adj.start[i + 1]; p++) out.add(adj.list[p]); }
  return { nodes: k, edges: [...out] };
}

console.log("| flow | zoom | nodes in view | edges in view | cold: all routed, ms median / best (µs an edge, best) | warm frame (cache reads), ms median |");
console.log("|---|---|---|---|---|---|");
for (const make of [demo, synthetic]) {
  const f = make();
  const grid = new GridIndex(f.st, 1024).build();
  f.st.adjacency();
  const b = f.st.bounds, cx = (b[0] + b[2]) / 2, cy = (b[1] + b[3]) / 2;
  for (const zoom of [1, 0.5]) {
    const w = 1400 / zoom, h = 880 / zoom, rect = [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2];
    const { nodes, edges } = edgesInView(f.st, grid, rect);
    const cold = [], warm = [];
    for (let r = -1; r < REPS; r++) { // run -1 warms the JIT up and is not counted
      const c = new RouteCache();
      let t = performance.now();
      for (const j of edges) c.get(f.st, grid, j, f.outlets);
      if (r >= 0) cold.push(performance.now() - t);
      t = performance.now();
      for (const j of edges) c.get(f.st, grid, j, f.outlets);
      if (r >= 0) warm.push(performance.now() - t);
    }
    const ms = median(cold), best = Math.min(...cold);
    console.log(`| ${f.name} | ${zoom} | ${nodes} | ${edges.length} | ${ms.toFixed(2)} / ${best.toFixed(2)} (${(1000 * best / Math.max(1, edges.length)).toFixed(1)}) | ${median(warm).toFixed(3)} |`);
  }
}

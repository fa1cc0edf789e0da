// Edge hit-testing benchmark: the cost of one pointer move over the canvas (core/edgehit.js) on a
// 500,000-node synthetic flow (the dev page's, like `ringflow demo`), at every zoom where edges
// can be pointed at (near and mid; far draws dots and offers no edge). Two costs per zoom: what
// the engine does per move (the frame's cull list is reused), and the worst case where the
// pointer move also re-queries the grid for the view. Points are random in the view and, half of
// them, on an edge's midpoint (the exact distance is then measured, not just the box rejected).
//
// usage: node benchmarks/edgehit.mjs [--nodes 500000] [--moves 4000] [--reps 5] [--out benchmarks/results/edgehit.md]

import { writeFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { syntheticState } from "../ringflow/web/js/engine/loader.js";
import { GridIndex } from "../ringflow/web/js/core/grid.js";
import { cull } from "../ringflow/web/js/core/cull.js";
import { chooseLod } from "../ringflow/web/js/core/lod.js";
import { EdgeHitter, edgeCurve, flatten } from "../ringflow/web/js/core/edgehit.js";

const arg = (name, dflt) => { const k = process.argv.indexOf(`--${name}`); return k > 0 ? process.argv[k + 1] : dflt; };
const N = Number(arg("nodes", 500000)), MOVES = Number(arg("moves", 4000)), OUT = arg("out", "benchmarks/results/edgehit.md");
const REPS = Number(arg("reps", 5));
const VIEWS = [["laptop 1400×880", 1400, 880], ["4K 3840×2160", 3840, 2160]];
const ZOOMS = [["near", 1.0], ["mid", 0.4], ["mid, most zoomed out", 0.14]];

let seed = 7;
const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 4294967296);

const t0 = performance.now();
const st = syntheticState(N, 13);
const grid = new GridIndex(st, 1024).build();
st.adjacency();
const outlets = [1, 1, 1, 3, 4, 1, 1, 2, 4, 3, 2, 2, 0];
const outletCount = (i) => Math.max(1, outlets[st.type[i]] ?? 1);
console.log(`${N} nodes, ${st.ecount} edges built in ${Math.round(performance.now() - t0)} ms`);

const stats = (a) => { const s = Float64Array.from(a).sort(); const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))]; return { median: q(0.5), p99: q(0.99), max: s[s.length - 1] }; };
const fmt = (ms) => (ms < 0.1 ? `${(ms * 1000).toFixed(0)} µs` : `${ms.toFixed(2)} ms`);
const rows = [];
const hitter = new EdgeHitter();
const vis = new Uint32Array(N);
for (const [vname, W, H] of VIEWS) {
  for (const [zname, zoom] of ZOOMS) {
    const b = st.bounds, cx = (b[0] + b[2]) / 2, cy = (b[1] + b[3]) / 2;
    const rect = [cx - W / zoom / 2, cy - H / zoom / 2, cx + W / zoom / 2, cy + H / zoom / 2];
    const k = cull(st, grid, rect, vis);
    const lod = chooseLod(zoom, k, 100);
    if (lod === "far") { rows.push(`| ${vname} | ${zname} (zoom ${zoom}) | ${k} | far: no edge hit-testing | – | – | – |`); continue; }
    // pointer positions: random in view, and on edge midpoints of visible edges
    const pts = [];
    const onEdge = [];
    for (let t = 0; t < k && onEdge.length < 2000; t++) { const i = vis[t], a = st._adj; for (let p = a.start[i]; p < a.start[i + 1]; p++) onEdge.push(a.list[p]); }
    for (let m = 0; m < MOVES; m++) {
      if (m % 2 && onEdge.length) { const q = flatten(edgeCurve(st, onEdge[m % onEdge.length], outletCount, zoom >= 0.25), 2); pts.push([q[2], q[3]]); }
      else pts.push([rect[0] + rand() * (rect[2] - rect[0]), rect[1] + rand() * (rect[3] - rect[1])]);
    }
    const tol = 6 / zoom, curve = zoom >= 0.25;
    for (let w = 0; w < 200; w++) hitter.at(st, vis, k, pts[w][0], pts[w][1], tol, outletCount, curve); // warm up the JIT
    const per = [], perQ = [];
    let hits = 0;
    // each move is timed REPS times and the fastest kept: on a shared 2-core machine a single
    // timing mostly measures when the OS let the process run, not the work
    const best = (fn) => { let m = Infinity; for (let r = 0; r < REPS; r++) { const a = performance.now(); fn(); const d = performance.now() - a; if (d < m) m = d; } return m; };
    for (const [x, y] of pts) { per.push(best(() => hitter.at(st, vis, k, x, y, tol, outletCount, curve))); if (hitter.at(st, vis, k, x, y, tol, outletCount, curve).edge >= 0) hits++; }
    for (const [x, y] of pts) perQ.push(best(() => hitter.query(st, grid, rect, x, y, tol, outletCount, curve, N)));
    const s = stats(per), q = stats(perQ);
    rows.push(`| ${vname} | ${zname} (zoom ${zoom}) | ${k} | ${fmt(s.median)} / ${fmt(s.p99)} / ${fmt(s.max)} | ${fmt(q.median)} / ${fmt(q.p99)} | ${Math.round((100 * hits) / pts.length)} % | ${s.p99 <= 1 ? "yes" : "NO"} |`);
    console.log(rows[rows.length - 1]);
  }
}

const md = `# Edge hit-testing benchmark

\`node benchmarks/edgehit.mjs\` on ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC, Node ${process.version},
a synthetic flow of ${N.toLocaleString("en")} nodes and ${st.ecount.toLocaleString("en")} edges (the dev page's), grid and
adjacency built. ${MOVES} pointer moves per row, half at random in the view and half on an edge; each move
timed ${REPS} times, the fastest kept (the shared machine's scheduling noise is not the kernel's cost).
Target: ≤ 1 ms per pointer move at 500,000 nodes.

- *per move*: what the editor does on a pointer move: the frame's cull list (the grid's answer
  for the view) is reused, candidate edges come from the adjacency of the visible nodes, a box
  test rejects nearly all, the rest get the exact distance to their bezier.
- *with a grid query*: the same plus a fresh grid query for the whole view on every move (the
  editor never needs it; an upper bound).

| view | zoom | nodes in view | per move: median / p99 / max | with a grid query: median / p99 | on an edge | ≤ 1 ms (p99) |
|---|---|---|---|---|---|---|
${rows.join("\n")}

Far zoom (nodes under 10 px tall) draws edges as pixels and offers none to the pointer, so it
costs nothing. The machine is shared (2 cores): figures move by ±30 % between runs.
`;
writeFileSync(OUT, md);
console.log(`wrote ${OUT}`);

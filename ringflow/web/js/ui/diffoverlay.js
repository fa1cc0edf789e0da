// Marks drawn over the canvas without touching the engine's renderer: history's diff, and the
// edges a test call took (blue). History's diff: added nodes and edges green, changed amber, removed ones as
// red dashed ghosts where they used to be. Positions come from the diff itself (both documents
// carry x, y, w, h), so removed nodes need no place in the engine's arrays; the layer is its own
// canvas over the stage and redraws only while a diff is shown and the view or the flow changes.

const COLORS = { added: "#1e8e3e", changed: "#b06000", removed: "#c5221f", taken: "#1a73e8" };

/** Shapes to draw for a diff answer (GET /flows/{id}/diff): pure, tested with node --test. */
export function diffShapes(diff) {
  const nodes = [];
  const where = new Map();
  const put = (n, kind) => { nodes.push({ kind, id: n.id, label: n.label || n.id, x: n.x, y: n.y, w: n.w || 200, h: n.h || 72 }); where.set(n.id, n); };
  for (const n of diff?.nodes?.removed || []) put(n, "removed");
  for (const n of diff?.nodes?.added || []) put(n, "added");
  for (const u of diff?.nodes?.updated || []) put(u.after, "changed");
  const edges = [];
  const edge = (source, outlet, target, kind) => edges.push({ kind, source, outlet, target });
  for (const e of diff?.edges?.removed || []) edge(e.source, e.outlet, e.target, "removed");
  for (const e of diff?.edges?.added || []) edge(e.source, e.outlet, e.target, "added");
  for (const u of diff?.edges?.updated || []) { edge(u.source, u.outlet, u.before, "removed"); edge(u.source, u.outlet, u.after, "changed"); }
  return { nodes, edges, where };
}

/**
 * stage: the element over which to draw; engine: for its camera and node boxes (nodes still in
 * the flow are found there when the diff does not carry them).
 */
export function createDiffOverlay(stage, engine) {
  const canvas = document.createElement("canvas");
  canvas.className = "diff-overlay";
  canvas.setAttribute("aria-hidden", "true");
  canvas.style.cssText = "position:absolute;inset:0;pointer-events:none;z-index:3";
  let shapes = null;

  const boxOf = (id) => {
    const n = shapes.where.get(id);
    if (n) return { x: n.x, y: n.y, w: n.w || 200, h: n.h || 72 };
    const i = engine.indexOfId(id);
    if (i < 0) return null;
    const s = engine.state;
    return { x: s.x[i], y: s.y[i], w: s.w[i], h: s.h[i] };
  };

  /** The engine's drawn line of a diff edge that is in the flow (routed around cards), or null. */
  function shownAs(e) {
    const s = engine.indexOfId(e.source), d = engine.indexOfId(e.target);
    if (s < 0 || d < 0 || !engine.edgeShape) return null;
    const o = (engine.nodeInfo(s)?.outlets || []).indexOf(e.outlet);
    return o < 0 ? null : engine.edgeShape({ s, o, d });
  }

  /** Where along the card's bottom the outlet's port sits (cards.js spreads them evenly), else the middle. */
  function portShare(id, outlet) {
    const i = outlet ? engine.indexOfId(id) : -1;
    const names = i >= 0 ? engine.nodeInfo(i)?.outlets || [] : [];
    const k = names.indexOf(outlet);
    return k < 0 ? 0.5 : (k + 1) / (names.length + 1);
  }

  function draw() {
    const cam = engine.camera;
    const r = stage.getBoundingClientRect(), dpr = window.devicePixelRatio || 1;
    if (canvas.width !== Math.round(r.width * dpr) || canvas.height !== Math.round(r.height * dpr)) {
      canvas.width = Math.round(r.width * dpr); canvas.height = Math.round(r.height * dpr);
      canvas.style.width = `${r.width}px`; canvas.style.height = `${r.height}px`;
    }
    const ctx = canvas.getContext("2d"), z = cam.zoom;
    ctx.setTransform(1, 0, 0, 1, 0, 0); ctx.clearRect(0, 0, canvas.width, canvas.height);
    ctx.setTransform(dpr * z, 0, 0, dpr * z, -cam.x * dpr * z, -cam.y * dpr * z);
    for (const e of shapes.edges) {
      const a = boxOf(e.source), b = boxOf(e.target);
      if (!a || !b) continue;
      ctx.setLineDash(e.kind === "removed" ? [8 / z, 6 / z] : []);
      ctx.strokeStyle = COLORS[e.kind]; ctx.lineWidth = 4 / z;
      const drawn = e.kind === "removed" ? null : shownAs(e); // an edge of the flow now: over the line the canvas drew
      ctx.beginPath();
      if (drawn) { ctx.moveTo(drawn[0], drawn[1]); for (let k = 2; k < drawn.length; k += 2) ctx.lineTo(drawn[k], drawn[k + 1]); }
      else {
        const x0 = a.x + portShare(e.source, e.outlet) * a.w, y0 = a.y + a.h, x1 = b.x + b.w / 2, y1 = b.y, dy = Math.max(40, Math.abs(y1 - y0) / 2);
        ctx.moveTo(x0, y0); ctx.bezierCurveTo(x0, y0 + dy, x1, y1 - dy, x1, y1);
      }
      ctx.stroke();
    }
    for (const n of shapes.nodes) {
      ctx.setLineDash(n.kind === "removed" ? [8 / z, 6 / z] : []);
      ctx.lineWidth = 4 / z; ctx.strokeStyle = COLORS[n.kind];
      if (n.kind === "removed") {
        ctx.fillStyle = "rgba(197,34,31,.10)"; ctx.fillRect(n.x, n.y, n.w, n.h);
        ctx.fillStyle = COLORS.removed; ctx.font = `600 ${Math.max(12, 13)}px system-ui, sans-serif`;
        ctx.fillText(`Removed: ${n.label}`.slice(0, 40), n.x + 8, n.y + n.h / 2 + 4, n.w - 16);
      }
      ctx.strokeRect(n.x - 6 / z, n.y - 6 / z, n.w + 12 / z, n.h + 12 / z);
    }
    ctx.setLineDash([]);
  }

  // redrawn when the engine's camera moves (it says so in the frame it draws) or the flow changes;
  // nothing runs while the view is still
  let offs = [];
  const redraw = () => { if (shapes) draw(); };
  function listen() {
    offs.forEach((off) => off());
    offs = [engine.on("viewportchange", redraw), engine.on("change", redraw)];
    window.addEventListener("resize", redraw);
    offs.push(() => window.removeEventListener("resize", redraw));
  }

  return {
    show(diff) { this.showShapes(diffShapes(diff)); },
    /** Any {nodes, edges, where} (a test call's path: edges of kind "taken"). */
    showShapes(given) {
      shapes = { nodes: given.nodes || [], edges: given.edges || [], where: given.where || new Map() };
      if (!canvas.isConnected) stage.appendChild(canvas);
      listen();
      draw();
    },
    hide() { shapes = null; offs.forEach((off) => off()); offs = []; canvas.remove(); },
    shown: () => shapes !== null,
  };
}

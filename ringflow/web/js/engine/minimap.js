/** Minimap: the whole flow as pixels (re-rasterized only when the flow changes), the visible
 * rectangle on top, click or drag to jump there. */

import { DELETED } from "../core/flowstate.js";

const SMALL_FLOW = 20000; // nodes: below this the minimap draws boxes, above it one pixel a node

export function createMinimap(canvas, eng) {
  const ctx = canvas.getContext("2d");
  let cache = null, version = -1, dragging = false, frame = "#2f5fe0";
  const bg = 0; // transparent: the frosted glass of the minimap's own box shows through (css)

  function layout() {
    const b = eng.state().bounds, W = canvas.width, H = canvas.height;
    const mx = Math.max(1, b[2] - b[0]) * 0.04, my = Math.max(1, b[3] - b[1]) * 0.04; // a margin: boxes at the edge stay whole
    const x0 = b[0] - mx, y0 = b[1] - my, bw = Math.max(1, b[2] - b[0]) + 2 * mx, bh = Math.max(1, b[3] - b[1]) + 2 * my;
    const s = Math.min(W / bw, H / bh);
    return { s, ox: x0 - (W / s - bw) / 2, oy: y0 - (H / s - bh) / 2 };
  }

  function raster() {
    const st = eng.state(), W = canvas.width, H = canvas.height, { s, ox, oy } = layout();
    const img = ctx.createImageData(W, H), u32 = new Uint32Array(img.data.buffer), pal = eng.palette();
    u32.fill(bg);
    // each node as its box at this scale, at least 2 px on small flows (a 5-node flow is not 5
    // dots); big flows stay one pixel a node, the single write their raster always cost
    const min = st.live > SMALL_FLOW ? 1 : 2;
    for (let i = 0; i < st.count; i++) {
      const t = st.type[i];
      if (t === DELETED) continue;
      const px = ((st.x[i] - ox) * s) | 0, py = ((st.y[i] - oy) * s) | 0;
      const rw = min === 1 ? 1 : Math.max(min, Math.round(st.w[i] * s)), rh = min === 1 ? 1 : Math.max(min, Math.round(st.h[i] * s));
      for (let y = Math.max(0, py); y < Math.min(H, py + rh); y++) {
        const row = y * W;
        for (let x = Math.max(0, px); x < Math.min(W, px + rw); x++) u32[row + x] = pal[t];
      }
    }
    cache = img; version = stamp(st);
  }
  // a card that grew changes a small flow's boxes; a big flow is one pixel a node (no height)
  const stamp = (st) => (st.live > SMALL_FLOW ? st.version : `${st.version}.${st.shape}`);

  function draw() {
    const st = eng.state();
    if (!st || !canvas.width) return;
    if (!cache || version !== stamp(st)) raster();
    ctx.putImageData(cache, 0, 0);
    const { s, ox, oy } = layout(), r = eng.visibleRect();
    ctx.strokeStyle = frame; ctx.lineWidth = 2;
    ctx.strokeRect((r[0] - ox) * s, (r[1] - oy) * s, Math.max(3, (r[2] - r[0]) * s), Math.max(3, (r[3] - r[1]) * s));
  }

  function jump(e) {
    const rect = canvas.getBoundingClientRect(), { s, ox, oy } = layout();
    const wx = ox + ((e.clientX - rect.left) * canvas.width / rect.width) / s;
    const wy = oy + ((e.clientY - rect.top) * canvas.height / rect.height) / s;
    eng.centerWorld(wx, wy);
  }
  const down = (e) => { dragging = true; canvas.setPointerCapture(e.pointerId); jump(e); };
  const move = (e) => { if (dragging) jump(e); };
  const up = () => { dragging = false; };
  canvas.addEventListener("pointerdown", down); canvas.addEventListener("pointermove", move); canvas.addEventListener("pointerup", up);
  canvas.setAttribute("role", "img"); canvas.setAttribute("aria-label", "Minimap of the whole flow; click to move there");
  return {
    update: draw,
    /** The view rectangle takes the theme's selection colour. */
    restyle(t) { frame = t.selection; cache = null; draw(); }, // the type colours may have been toned for the theme
    destroy() { canvas.removeEventListener("pointerdown", down); canvas.removeEventListener("pointermove", move); canvas.removeEventListener("pointerup", up); },
  };
}

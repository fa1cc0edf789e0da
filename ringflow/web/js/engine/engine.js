/** createEditorEngine: wires the kernels, the renderer, the card layer, loading, saving, live
 * events and the controllers around one clock. The contract is js/README.md. */

import { visibleRect, screenToWorld as s2w, worldToScreen as w2s, fitBounds, centerOn as camCenter, minZoomFor, MAX_ZOOM } from "../core/viewport.js";
import { GridIndex } from "../core/grid.js";
import { createRouting } from "./routes.js";
import { cull } from "../core/cull.js";
import { DELETED, UNKNOWN } from "../core/flowstate.js";
import { chooseLod, showLabels, showEdges } from "../core/lod.js";
import { chooseMode, stepDown, features } from "../core/modes.js";
import { FrameStats, StepDownRule } from "../core/framestats.js";
import { UndoStack } from "../core/undo.js";
import { outletsFor } from "../core/outlets.js";
import { createClock } from "./clock.js";
import { Renderer } from "./renderer.js";
import { CardLayer } from "./cards.js";
import { createApi, DetailStore } from "./data.js";
import { fetchSkeleton, stateFromNodes } from "./loader.js";
import { PatchQueue, subscribe } from "./persist.js";
import { createPointerController, createWheelController, createKeyController } from "./controllers.js";
import { createOverlay, toast } from "./overlay.js";
import { createMinimap } from "./minimap.js";
import { injectStyles } from "./style.js";
import { createEdits } from "./edits.js";
import { createEdgeSelection } from "./edgesel.js";
import { createCameraMotion } from "./camera.js";
import { Traffic } from "./traffic.js";
import { readTheme, watchTheme, watchReducedMotion } from "./theme.js";
import { motionFor, outletDeltas, pathSteps } from "../core/motion.js";
import { explainMode } from "../core/modewhy.js";
import { CRITICAL_FROM } from "../core/opening.js";
// imported here only so the browser fetches them in the same round as the rest (no deeper waterfall)
import "../core/changes.js";
import "../core/edges.js";
import "../core/lru.js";
import "../core/skeleton.js";

const CELL = 1024;
const BUILD_SLICE = 60000; // nodes indexed per frame while a big flow loads
const SYNC_INDEX = 2000; // bigger flows are indexed after the first frame (it culls with one linear pass meanwhile)

export async function createEditorEngine(opts) {
  const { canvas, domLayer, overlayRoot = null, flowId } = opts;
  const root = opts.root || canvas.parentElement;
  const doc = canvas.ownerDocument, win = doc.defaultView;
  injectStyles(doc);
  domLayer.classList.add("rf-layer");
  const api = opts.api === null ? null : opts.api && opts.api.request ? opts.api : createApi({ ...(opts.api || {}), early: opts.early || null });
  const config = opts.config || (api ? await api.get("/config") : {});
  const types = opts.nodeTypes || (api ? (await api.get("/node-types")).types : []);
  const typeByCode = [], typeByName = new Map();
  types.forEach((t, k) => { const c = t.code ?? k; typeByCode[c] = { ...t, code: c }; typeByName.set(t.name, typeByCode[c]); });
  const maxVp = config.RINGFLOW_MAX_VIEWPORT_NODES ?? 100;
  const clientId = opts.clientId || `c${Math.random().toString(36).slice(2, 10)}`;

  const listeners = new Map();
  const emit = (ev, payload) => { for (const fn of listeners.get(ev) || []) { try { fn(payload); } catch (e) { console.error(e); } } };

  const renderer = new Renderer(canvas);
  renderer.setTypes(typeByCode.map((t, c) => t || { code: c, color: "#888888" }).filter(Boolean));
  const details = new DetailStore(api, flowId, 4000, opts.fakeDetails || null);
  const localInfo = new Map(); // index -> {id, label, config} for nodes added here and not yet saved
  const localIds = new Map(); // id -> index for those
  const cards = new CardLayer(domLayer, { max: Math.ceil(maxVp * 1.5), summarize: opts.cardSummary || null,
    onHeight: (i, h) => { state.resizeNode(i, state.w[i], h); if (grid) grid.resized(i); clock.invalidate(); } });
  const stats = new FrameStats(120), stepRule = new StepDownRule(20, 1500, 40);
  const undo = new UndoStack(200);

  let state = null, grid = null, building = null, scratch = new Uint32Array(1024);
  let cam = { x: 0, y: 0, zoom: 1 }, W = 0, H = 0, dpr = 1;
  let selected = new Uint8Array(16), selection = new Set();
  const highlight = new Map(), problems = new Map(); // problems: index -> "error" | "warning"
  let problemList = [], live = new Map(), liveKeys = {};
  let forced = opts.mode || config.RINGFLOW_PERFORMANCE_MODE || "auto", mode = "beauty", modeReason = "auto";
  let lastDrawn = 0, lastLod = "near", box = null, link = null, ready = false, destroyed = false;
  let detailTimer = 0, lastVpEmit = null, minimapAt = 0, remoteBatch = [], revision = 0, sub = null, reloadTimer = 0;
  let overlay = null, minimap = null, sizeDirty = true, drawMs = 0, selStamp = 0, settleTimer = 0, pendingOutlets = [];
  let startId = opts.meta ? opts.meta.start ?? null : null; // the start node's id (state.start is its index, -1 when unknown)
  // motion and live traffic (camera.js, traffic.js): one more thing each frame of the same clock
  // Live traffic: drawn on the flow's canvas in frames that redraw it anyway (pan, zoom, edits), and
  // on its own transparent canvas over it (under the cards) while only the animation runs, so those
  // frames redraw that layer alone; the layer is hidden otherwise (one less layer to composite).
  const trafficCanvas = doc.createElement("canvas");
  trafficCanvas.className = "rf-traffic-canvas"; trafficCanvas.setAttribute("aria-hidden", "true");
  Object.assign(trafficCanvas.style, { position: "absolute", inset: "0", width: "100%", height: "100%", pointerEvents: "none", display: "none" });
  canvas.after(trafficCanvas);
  const trafficCtx = trafficCanvas.getContext("2d");
  const traffic = new Traffic(root, domLayer);
  let layered = false; // the traffic is on its own canvas (only the animation has been running)
  let theme = readTheme(doc), reduced = watchReducedMotion(win, (r) => { reduced = r; applyModeClass(); clock.invalidate(); });
  let outletTotals = null, testPath = [], dragging = new Set(), born = new Map(), dotPattern = null, stepDownAt = 0, moving = false, movingTimer = 0;
  renderer.setTheme(theme);
  renderer.backdrop = drawDots;
  const motionNow = () => motionFor(mode, reduced);

  // ---- geometry helpers -------------------------------------------------------------------
  const typeOf = (i) => typeByCode[state.type[i]];
  function infoOf(i) {
    const key = state.keys[i];
    return (key && details.get(key)) || localInfo.get(i) || null;
  }
  function outletsOf(i) {
    const t = typeOf(i), d = infoOf(i);
    return outletsFor(t, d ? d.config : null);
  }
  const staticCount = (i) => { const t = typeOf(i); return t && t.outlets ? t.outlets.length : 1; };
  function outletCount(i) {
    const t = typeOf(i);
    if (t && (t.name === "menu" || t.name === "split")) { const d = infoOf(i); if (d) return outletsOf(i).length; return staticCount(i) + (t.name === "menu" ? 4 : 2); }
    return staticCount(i);
  }
  function nodeInfo(i) {
    if (!state || !state.alive(i)) return null;
    const t = typeOf(i), d = infoOf(i);
    return { index: i, key: state.keys[i], id: d ? d.id : null, type: state.type[i], typeName: t ? t.name : "unknown",
      typeTitle: t ? t.title : "Unknown", color: t ? t.color : "#888888", x: state.x[i], y: state.y[i], w: state.w[i], h: state.h[i],
      label: d ? d.label : null, config: d ? d.config : null, outlets: outletsFor(t, d ? d.config : null), problem: problems.get(i) || null,
      start: isStart(i) };
  }
  /** The skeleton names the start by index; an id from an event or setStart is resolved once its details are known. */
  function isStart(i) {
    if (state.start >= 0) return i === state.start;
    if (startId === null) return false;
    const d = infoOf(i);
    if (!d || d.id !== startId) return false;
    state.start = i;
    return true;
  }
  /** The flow's start moved (another editor, or setStart here): the cards and the UI show it at once. */
  function applyMeta({ start, name }, origin) {
    if (start !== undefined) { startId = start; state.start = start === null ? -1 : indexOfId(start); }
    clock.invalidate();
    emit("meta", { start, name, origin });
  }
  function indexOfId(id) {
    const i = localIds.get(id);
    if (i !== undefined && state.alive(i)) return i;
    const k = details.idKey.get(id);
    return k === undefined ? -1 : state.indexOfKey(k);
  }

  // ---- state swap (load, reload) ----------------------------------------------------------
  function adopt(st) {
    state = st; revision = st.revision || revision;
    grid = new GridIndex(st, CELL);
    const slice = st.count > BUILD_SLICE ? BUILD_SLICE : 10000; // mid-size flows: short steps right after ready
    building = st.count > SYNC_INDEX ? (function* () { yield* grid.buildSteps(slice); yield* st.adjacencySteps(slice * 2); })()
      : (grid.build(), st.adjacency(), null);
    selected = new Uint8Array(Math.max(16, st.count)); selection.clear();
    edgeSel.set([], false); edgeSel.hover(null); // edge refs name node indices, which a new state renumbers
    localInfo.clear(); localIds.clear(); cards.clear();
    remapProblems();
    const m = chooseMode(st.live, config, forced);
    if (m !== mode) { mode = m; modeReason = forced === "auto" ? "auto" : "forced"; emit("modechange", { mode, reason: modeReason }); }
    applyModeClass();
    clock.invalidate();
  }

  function applyModeClass() {
    for (const m of ["beauty", "balanced", "high-performance", "enterprise"]) domLayer.classList.toggle(`rf-mode-${m}`, m === mode);
    if (root.dataset.rfMode !== mode) root.dataset.rfMode = mode; // the page's glass follows the mode (css/editor.css); unchanged: no style recalc
    clock.setAnimating(traffic.wantsFrames(motionNow(), performance.now()));
  }

  /** The canvas dot grid (beauty and balanced, near and mid zoom): one pattern fill per frame. */
  function drawDots(ctx, f) {
    if (!features(mode).gradients || f.cam.zoom < 0.35) return;
    const step = 24 * f.cam.zoom * f.dpr;
    if (!dotPattern || dotPattern.color !== theme.dot) {
      const c = typeof OffscreenCanvas !== "undefined" ? new OffscreenCanvas(64, 64) : Object.assign(doc.createElement("canvas"), { width: 64, height: 64 });
      const g = c.getContext("2d"); g.fillStyle = theme.dot; g.beginPath(); g.arc(32, 32, 4, 0, 6.2832); g.fill();
      dotPattern = { pattern: ctx.createPattern(c, "repeat"), color: theme.dot };
    }
    const s = step / 64, ox = (-f.cam.x * f.cam.zoom * f.dpr) % step, oy = (-f.cam.y * f.cam.zoom * f.dpr) % step;
    dotPattern.pattern.setTransform(new DOMMatrix([s, 0, 0, s, ox - step / 2, oy - step / 2]));
    ctx.fillStyle = dotPattern.pattern; ctx.fillRect(0, 0, f.pw, f.ph);
  }

  function initialCamera() {
    measure();
    const s = state.start;
    if (s >= 0 && state.alive(s) && state.live > 40) cam = { x: state.x[s] + state.w[s] / 2 - W / 2, y: state.y[s] - 60, zoom: 1 };
    else cam = fitBounds(state.bounds, W, H, 40, minZoom(), 1);
  }

  // ---- frame ------------------------------------------------------------------------------
  function measure() {
    const r = canvas.getBoundingClientRect();
    dpr = win.devicePixelRatio || 1; W = Math.max(1, Math.round(r.width)); H = Math.max(1, Math.round(r.height));
    renderer.resize(Math.round(W * dpr), Math.round(H * dpr));
    if (trafficCanvas.width !== Math.round(W * dpr)) trafficCanvas.width = Math.round(W * dpr);
    if (trafficCanvas.height !== Math.round(H * dpr)) trafficCanvas.height = Math.round(H * dpr);
    sizeDirty = false;
  }

  function before(t) {
    stats.tick(t);
    if (building && ready) { // never before the first frame: time to ready
      const t0 = performance.now();
      while (building && performance.now() - t0 < 6) {
        if (building.next().done) { building = null; clock.invalidate(); if (pendingOutlets.length) { const p = pendingOutlets; pendingOutlets = []; fixOutlets(p); } }
      }
    }
    if (remoteBatch.length) { const batch = remoteBatch; remoteBatch = []; for (const cs of batch) applyChanges(cs, { origin: "remote" }); }
    return !!building;
  }

  let framesDrawn = 0; // every frame drawn, animation-only ones too (the traffic benchmark divides by it)
  function frame(t, { animFrame, dirty = true }) {
    if (!state || destroyed) return;
    framesDrawn++;
    const animOnly = animFrame && !dirty && !sizeDirty && ready && !glide.moving();
    if (animOnly && layered) { animationFrame(t); return; }
    if (sizeDirty) measure();
    if (glide.step(t)) clock.invalidate();
    if (scratch.length < state.count) scratch = new Uint32Array(Math.max(state.count, scratch.length * 2));
    if (selected.length < state.count) { const s = new Uint8Array(state.count * 2); s.set(selected); selected = s; }
    const rect = visibleRect(cam, W, H), b = state.bounds;
    // the whole flow in view and far out: no culling at all, the raster walks the arrays
    const all = rect[0] <= b[0] && rect[1] <= b[1] && rect[2] >= b[2] && rect[3] >= b[3] && cam.zoom * 72 < 10;
    const k = all ? state.live : cull(state, grid.built ? grid : null, rect, scratch);
    const lod = all ? "far" : chooseLod(cam.zoom, k, maxVp);
    const t0 = performance.now();
    const feats = features(mode);
    renderer.indexing = !!building;
    routing.frame(lod, k, cam, dragging.size > 0);
    renderer.draw({ state, cam, vis: scratch, k, all, dpr, lod, selStamp, now: t, pw: Math.round(W * dpr), ph: Math.round(H * dpr), features: feats, selected,
      showEdges: showEdges(lod, cam.zoom, k), showLabels: showLabels(cam.zoom, k), outletCount, highlight, problems,
      label: (i) => { const d = infoOf(i); return d ? d.label : (typeOf(i) || {}).title; },
      box, link, edgeMarks: lod === "far" ? null : edgeSel.marks(), route: routing.route, shownRoute: routing.shown }); // live traffic is drawn on top by traffic.js
    if (routing.pending()) clock.invalidate(); // routes of edges new in view follow in the next frames
    trafficFrame(t, rect, lod);
    if (animOnly !== layered) { // switch where the traffic goes; the flow was just drawn without it
      layered = animOnly;
      trafficCanvas.style.display = layered ? "" : "none";
      if (!layered) traffic.clearLayer(trafficCtx);
    }
    traffic.draw(layered ? trafficCtx : renderer.ctx, tf, layered);
    if (lod === "near") cards.update(scratch, k, { state, cam, info: nodeInfo, classes: cardClasses, links: edgeSel.links });
    else if (lastLod === "near" || cards.byIndex.size) cards.clear();
    traffic.placeBadges(tf);
    clock.setAnimating(traffic.wantsFrames(tf.motion, t));
    if (born.size) for (const [i, at] of born) if (t - at > 700) born.delete(i);
    lastDrawn = k; lastLod = lod;
    drawMs = drawMs * 0.8 + (performance.now() - t0) * 0.2;
    if (renderer.needSettle) { renderer.needSettle = false; clearTimeout(settleTimer); settleTimer = setTimeout(() => clock.invalidate(), 130); }
    if (!ready) markReady();
    const vp = `${cam.x}|${cam.y}|${cam.zoom}`;
    if (vp !== lastVpEmit) { lastVpEmit = vp; emit("viewportchange", { x: cam.x, y: cam.y, zoom: cam.zoom }); scheduleDetails(); }
    if (minimap && t - minimapAt > 200) { minimapAt = t; minimap.update(); }
    if (forced === "auto" && !animFrame && stepRule.observe(t, stats.p95(), stats.n) && mode !== "enterprise") {
      mode = stepDown(mode); modeReason = "step-down"; stepDownAt = stats.p95(); applyModeClass();
      emit("modechange", { mode, reason: "step-down" });
      toast(root, `Frames were slow: switched to ${mode} mode`);
    }
  }

  // one frame description for the traffic, filled in place: an animation frame allocates nothing
  const tf = { state: null, cam, dpr, now: 0, rect: null, lod: "near", motion: null, theme, outletCount, ringStatic: false, fresh: true, route: null };
  function trafficFrame(t, rect, lod, fresh = true) {
    const mot = motionNow();
    tf.state = state; tf.cam = cam; tf.dpr = dpr; tf.now = t; tf.rect = rect; tf.lod = lod; tf.theme = theme; tf.fresh = fresh;
    tf.route = routing.shown; // edges drawn around cards: their particles go that way too
    tf.motion = moving && mot.glow ? { ...mot, glow: false } : mot;
    tf.ringStatic = reduced && features(mode).pulses;
    return tf;
  }
  /** A frame where nothing but the animation is due: the flow's canvas, the camera and the cards
   * stay as they are (so does the visible rectangle of the last full frame). */
  function animationFrame(t) {
    trafficFrame(t, tf.rect || visibleRect(cam, W, H), lastLod, false);
    traffic.draw(trafficCtx, tf, true);
    traffic.placeBadges(tf);
    if (born.size) for (const [i, at] of born) if (t - at > 700) born.delete(i);
    clock.setAnimating(traffic.wantsFrames(tf.motion, t));
  }

  function cardClasses(i) {
    let c = selected[i] ? " rf-selected" : "";
    if (isStart(i)) c += " rf-start";
    if (problems.has(i)) c += ` rf-problem rf-problem-${problems.get(i)}`;
    for (const [kind, set] of highlight) if (set.has(i)) c += ` rf-hl-${kind}`;
    if (dragging.has(i)) c += " rf-dragging";
    if (born.has(i)) c += " rf-new";
    return c;
  }

  function markReady() {
    ready = true;
    performance.mark("ringflow-ready");
    doc.documentElement.dataset.ready = "1";
    emit("ready", { load_ms: Math.round(performance.now()) });
  }

  // ---- details for what is on screen ----------------------------------------------------
  function scheduleDetails() {
    if (!api) return;
    clearTimeout(detailTimer);
    detailTimer = setTimeout(loadDetails, 90);
  }
  async function loadDetails() {
    if (!state || (lastLod === "far") || !(lastLod === "near" || showLabels(cam.zoom, lastDrawn))) return;
    let missing = 0;
    for (let t = 0; t < lastDrawn && t < scratch.length; t++) { const key = state.keys[scratch[t]]; if (key && !details.get(key)) { missing++; break; } }
    if (!missing && !building) { // edges whose outlet the skeleton could not name (menus, splits)
      const adj = state.adjacency();
      for (let t = 0; t < lastDrawn && !missing; t++) { const i = scratch[t]; for (let p = adj.start[i]; p < adj.start[i + 1]; p++) if (state.eout[adj.list[p]] === 255) { missing++; break; } }
    }
    if (!missing) return;
    const r = visibleRect(cam, W, H), padX = (r[2] - r[0]) * 0.15, padY = (r[3] - r[1]) * 0.15;
    try {
      const got = await details.fetchRect(r[0] - padX, r[1] - padY, r[2] + padX, r[3] + padY, Math.min(5000, Math.max(maxVp * 10, lastDrawn * 2)));
      if (got) { fixOutlets(details.lastEdges); if (Object.keys(liveKeys).length) remapLive(); clock.invalidate(); }
    } catch (e) { emit("error", { status: e.status || 0, message: e.message }); }
  }

  /** The skeleton cannot name menu/split outlets (255); /viewport edges can: fill them in. */
  function fixOutlets(edges) {
    if (!edges || !edges.length) return;
    if (building) { pendingOutlets.push(...edges); return; } // adjacency is still being built in slices
    let changed = false;
    const adj = state.adjacency();
    for (const e of edges) {
      const s = indexOfId(e.source), d = indexOfId(e.target);
      if (s < 0 || d < 0) continue;
      const k = outletsOf(s).indexOf(e.outlet);
      if (k < 0) continue;
      for (let p = adj.start[s]; p < adj.start[s + 1]; p++) {
        const j = adj.list[p];
        if (state.edst[j] === d && state.eout[j] === 255) { state.eout[j] = k; changed = true; break; }
      }
    }
    if (changed) clock.invalidate(); // eout is not part of the version: adjacency stays valid
  }

  /** Make sure ids (and labels) are known for these nodes: edits name nodes by id. So are the
   * outlets of their edges that the skeleton could not name (menus, splits: 255 until a /viewport
   * answer names them), or copy and Layout would leave those edges out. */
  async function ensureIds(indices) {
    const miss = indices.filter((i) => state.alive(i) && !infoOf(i));
    const wanted = new Set(indices);
    const seen = new Set(miss);
    for (let j = 0; j < state.ecount; j++) {
      const s = state.esrc[j];
      if (state.eout[j] === 255 && wanted.has(s) && !seen.has(s) && state.alive(s)) { seen.add(s); miss.push(s); }
    }
    if (!miss.length || !api) return;
    const groups = miss.length <= 16 ? miss.map((i) => [i]) : [miss];
    const got = await Promise.all(groups.map((g) => {
      let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
      for (const i of g) { x0 = Math.min(x0, state.x[i]); y0 = Math.min(y0, state.y[i]); x1 = Math.max(x1, state.x[i] + state.w[i]); y1 = Math.max(y1, state.y[i] + state.h[i]); }
      return details.fetchBox(x0, y0, x1, y1, 5000);
    }));
    fixOutlets(got.flatMap((r) => r.edges));
  }

  // ---- selection ------------------------------------------------------------------------
  function select(indices, { add = false, edges = null } = {}) {
    selStamp++;
    if (!add) { for (const i of selection) selected[i] = 0; selection.clear(); }
    for (const i of indices) if (state.alive(i)) { selected[i] = 1; selection.add(i); }
    edgeSel.set(edges || [], add);
    clock.invalidate();
    emit("selectionchange", { indices: [...selection], edges: edgeSel.list() });
  }
  function toggleSelect(i) {
    selStamp++;
    if (selection.has(i)) { selection.delete(i); selected[i] = 0; } else { selection.add(i); selected[i] = 1; }
    clock.invalidate(); emit("selectionchange", { indices: [...selection], edges: edgeSel.list() });
  }
  function selectRect(x0, y0, x1, y1, add) {
    const buf = new Uint32Array(Math.max(16, state.count));
    const k = grid.built ? grid.query(x0, y0, x1, y1, buf) : cull(state, null, [x0, y0, x1, y1], buf);
    const inside = [];
    for (let t = 0; t < k; t++) { const i = buf[t]; if (state.x[i] >= x0 && state.y[i] >= y0 && state.x[i] + state.w[i] <= x1 && state.y[i] + state.h[i] <= y1) inside.push(i); }
    select(inside, { add, edges: edgeSel.between(inside) }); // the edges among the boxed nodes come with them
  }

  // ---- camera ----------------------------------------------------------------------------
  function minZoom() { return state ? minZoomFor(state.bounds, W || 1000, H || 800) : 0.01; }
  function setCamera(c) {
    if (!Number.isFinite(c.x) || !Number.isFinite(c.y) || !Number.isFinite(c.zoom)) return;
    cam = { x: c.x, y: c.y, zoom: Math.min(MAX_ZOOM, Math.max(minZoom(), c.zoom)) };
    clock.invalidate();
    markMoving();
  }
  /** While the view moves, frosted glass would re-blur the canvas under it every frame (costly
   * with software rendering, and nobody reads a blur in motion): the page's css turns the glass
   * opaque while root has data-rf-moving, and traffic drops its glow; both come back 160 ms after. */
  function markMoving() {
    if (!moving) { moving = true; root.dataset.rfMoving = "1"; }
    clearTimeout(movingTimer);
    movingTimer = setTimeout(() => { moving = false; delete root.dataset.rfMoving; clock.invalidate(); }, 160);
  }
  /** Camera moves the user asked for by a button or a jump: a glide where the mode allows it. */
  function moveCamera(c) {
    if (!Number.isFinite(c.x) || !Number.isFinite(c.y) || !Number.isFinite(c.zoom)) return;
    const target = { x: c.x, y: c.y, zoom: Math.min(MAX_ZOOM, Math.max(minZoom(), c.zoom)) };
    if (ready && motionNow().glide) glide.glide(target); else { glide.cancel(); setCamera(target); }
  }
  function fitView(indices) {
    if (!indices || !indices.length) { moveCamera(fitBounds(state.bounds, W, H, 64, minZoom(), 1)); return; } // clear of the floating toolbar
    let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
    for (const i of indices) { x0 = Math.min(x0, state.x[i]); y0 = Math.min(y0, state.y[i]); x1 = Math.max(x1, state.x[i] + state.w[i]); y1 = Math.max(y1, state.y[i] + state.h[i]); }
    moveCamera(fitBounds([x0, y0, x1, y1], W, H, 60, minZoom(), 1));
  }
  function centerOn(i, zoom = Math.max(cam.zoom, 0.8)) {
    if (!state.alive(i)) return;
    moveCamera(camCenter(state.x[i] + state.w[i] / 2, state.y[i] + state.h[i] / 2, W, H, zoom));
  }
  /** The zoom buttons: by `factor` around the centre of the view (from where a running glide is heading). */
  function zoomBy(factor) {
    const from = glide.target() || cam, z = Math.min(MAX_ZOOM, Math.max(minZoom(), from.zoom * factor));
    const cx = from.x + W / 2 / from.zoom, cy = from.y + H / 2 / from.zoom;
    moveCamera(camCenter(cx, cy, W, H, z));
  }

  function hitTest(sx, sy) {
    const w = s2w(cam, sx, sy);
    let index = grid && grid.built ? grid.hit(w.x, w.y) : linearHit(w.x, w.y);
    let outlet = null;
    if (index < 0) { // the lower half of a port hangs below its node
      const above = grid && grid.built ? grid.hit(w.x, w.y - 8 / cam.zoom) : linearHit(w.x, w.y - 8 / cam.zoom);
      if (above >= 0 && w.y - (state.y[above] + state.h[above]) < 8 / cam.zoom) index = above; else return { index: -1, outlet: null };
    }
    if (cam.zoom * state.h[index] >= 24) {
      const outs = outletsOf(index), r = Math.max(8, 8 / cam.zoom);
      for (let k = 0; k < outs.length; k++) {
        const px = state.x[index] + (state.w[index] * (k + 1)) / (outs.length + 1), py = state.y[index] + state.h[index];
        if (Math.abs(w.x - px) <= r && Math.abs(w.y - py) <= r) { outlet = outs[k]; break; }
      }
    }
    return { index, outlet };
  }
  function linearHit(x, y) {
    for (let i = state.count - 1; i >= 0; i--) if (state.type[i] !== DELETED && x >= state.x[i] && y >= state.y[i] && x <= state.x[i] + state.w[i] && y <= state.y[i] + state.h[i]) return i;
    return -1;
  }

  // ---- live counts, highlights, problems -------------------------------------------------
  /** Live call counts by node id (the runtime's "counts" events); numeric keys also accepted.
   * Ids of nodes never shown are unknown: remapped whenever details arrive. */
  function setLive(counts, outlets) {
    liveKeys = counts || {};
    if (outlets) { // cumulative traversals per "node.outlet": the increase since the last event heats edges
      const now = performance.now();
      for (const d of outletDeltas(outletTotals, outlets)) { const j = edgeFrom(indexOfId(d.node), d.outlet, -1); if (j >= 0) traffic.addHeat(j, d.n, now); }
      outletTotals = { ...outlets };
    }
    remapLive();
  }
  function remapLive() {
    live = new Map();
    for (const [k, n] of Object.entries(liveKeys)) {
      let i = indexOfId(k);
      if (i < 0 && /^[0-9]+$/.test(k)) i = state.indexOfKey(Number(k));
      if (i >= 0 && n > 0) live.set(i, n);
    }
    traffic.setCalls("stream", live);
    applyModeClass(); clock.invalidate();
  }
  /** A test call from this editor: the node it waits on counts one call; its new steps heat their edges. */
  function setTestCall(call) {
    const now = performance.now();
    if (!call) { testPath = []; traffic.setCalls("test", null); applyModeClass(); clock.invalidate(); return; }
    const path = call.path || [];
    for (const [a, b] of pathSteps(testPath, path)) { const j = edgeFrom(indexOfId(a), null, indexOfId(b)); if (j >= 0) traffic.addHeat(j, 1, now); }
    testPath = path.slice();
    const i = call.current ? indexOfId(call.current) : -1;
    traffic.setCalls("test", i >= 0 ? new Map([[i, 1]]) : null);
    applyModeClass(); clock.invalidate();
  }
  /** The edge leaving node s by outlet name (or, with outlet null, the first one to node d); -1 if none. */
  function edgeFrom(s, outlet, d) {
    if (s < 0 || !state.adjacencyReady()) return -1;
    const adj = state.adjacency(), k = outlet === null ? -1 : outletsOf(s).indexOf(outlet);
    if (outlet !== null && k < 0) return -1;
    for (let p = adj.start[s]; p < adj.start[s + 1]; p++) {
      const j = adj.list[p];
      if (k >= 0 ? state.eout[j] === k : state.edst[j] === d) return j;
    }
    return -1;
  }
  function setHighlight(indices, kind) { if (!indices || !indices.length) highlight.delete(kind); else highlight.set(kind, new Set(indices)); clock.invalidate(); }
  function setProblems(list) { problemList = list || []; remapProblems(); clock.invalidate(); }
  function remapProblems() {
    problems.clear();
    for (const p of problemList) {
      const i = indexOfId(p.node ?? p.node_id);
      if (i >= 0 && problems.get(i) !== "error") problems.set(i, p.severity === "warning" ? "warning" : "error");
    }
  }

  // ---- loading ---------------------------------------------------------------------------
  async function load() {
    if (opts.state) { adopt(opts.state); initialCamera(); return; }
    const meta = opts.meta || await api.get(`/flows/${flowId}`);
    revision = meta.revision; startId = meta.start ?? null;
    const big = (meta.node_count || 0) >= CRITICAL_FROM;
    // a big flow asks /critical first: its skeleton would compete with it for the server
    const skeleton = big ? null : fetchSkeleton(api, flowId);
    if (big) {
      const crit = await api.get(`/flows/${flowId}/critical`);
      for (const n of crit.nodes) details.put(n);
      const st = stateFromNodes(crit.nodes, crit.edges, typeByName, meta.start);
      st.revision = meta.revision;
      adopt(st); initialCamera();
      const at = { ...cam };
      fetchSkeleton(api, flowId).then((full) => {
        if (destroyed) return;
        const keepCam = cam.x !== at.x || cam.y !== at.y || cam.zoom !== at.zoom;
        const c = cam; adopt(full);
        fixOutlets(crit.edges);
        if (keepCam) cam = c; else initialCamera();
        if (problemList.length) remapProblems();
        emit("loaded", { nodes: full.live });
      }).catch((e) => emit("error", { status: e.status || 0, message: `could not load the flow: ${e.message}` }));
      return;
    }
    adopt(await skeleton);
    initialCamera();
    emit("loaded", { nodes: state.live });
  }

  async function reload() {
    if (!api) return;
    const c = cam;
    try {
      const st = await fetchSkeleton(api, flowId);
      details.cache.clear(); details.idKey.clear(); // labels and ids come again from the server's truth
      adopt(st); cam = c; undo.clear(); emit("reloaded", { revision }); clock.invalidate(); scheduleDetails();
    }
    catch (e) { emit("error", { status: e.status || 0, message: `reload failed: ${e.message}` }); }
  }
  function scheduleReload() { clearTimeout(reloadTimer); reloadTimer = setTimeout(reload, 150); }

  // ---- wiring ----------------------------------------------------------------------------
  const onFrame = frame; onFrame.before = before; onFrame.idle = () => stats.idle();
  const clock = createClock({ onFrame, fps: config.RINGFLOW_ANIMATION_FRAME_RATE ?? 30 });
  const glide = createCameraMotion({ get: () => cam, set: (c) => setCamera(c), size: () => [W, H], invalidate: () => clock.invalidate() });
  const queue = new PatchQueue({ api, flowId, clientId, emit, getRevision: () => revision,
    setRevision: (r) => { revision = Math.max(revision, r); },
    // an added node is named by the server: its details move from localInfo to the cache, keeping
    // label and config from localInfo (edits made while the add was in flight are newer than the answer)
    onSaved: (r) => { for (const n of (r.changes && r.changes.added_nodes) || []) { const i = localIds.get(n.id); if (i !== undefined && state.alive(i)) { if (!state.keys[i]) state.setKey(i, n.key); const cur = localInfo.get(i); details.putChanged(cur ? { ...n, label: cur.label, config: cur.config } : n); localInfo.delete(i); localIds.delete(n.id); } } },
    onConflict: () => scheduleReload() });

  const ctx = { get state() { return state; }, get grid() { return grid; }, details, localInfo, localIds, typeByName, indexOfId, infoOf,
    outletsOf, ensureIds, emit, invalidate: () => clock.invalidate(), undo, queue, selection: () => [...selection], select,
    scheduleReload, remapProblems, selected: () => selected };
  const edits = createEdits(ctx);
  const routing = createRouting({ get state() { return state; }, get grid() { return grid; }, outletCount });
  const edgeSel = createEdgeSelection({ get state() { return state; }, get grid() { return grid; }, get cam() { return cam; },
    get lod() { return lastLod; }, get vis() { return scratch; }, get drawn() { return lastDrawn; }, get size() { return { W, H }; },
    outletCount, outletsOf, infoOf, typeOf, invalidate: () => clock.invalidate(), route: routing.shown });
  ctx.selectedEdges = () => edgeSel.list();
  ctx.forgetEdges = () => edgeSel.prune();
  const applyChanges = edits.applyChanges;

  const eng = {
    camera: () => cam, setCamera: (c) => { glide.cancel(); setCamera(c); }, screenToWorld: (x, y) => s2w(cam, x, y), hitTest, minZoom, maxZoom: () => MAX_ZOOM,
    select, toggleSelect, isSelected: (i) => selection.has(i), selection: () => [...selection], selectRect,
    edgeAt: (sx, sy, tolPx) => edgeSel.at(sx, sy, tolPx), hoverEdge: (ref) => edgeSel.hover(ref),
    selectEdges: (refs, o = {}) => select([], { add: !!o.add, edges: refs }), toggleEdge: (ref) => { edgeSel.toggle(ref); select([], { add: true }); },
    disconnect: edits.disconnect, connections: (i) => edgeSel.connections(i), nudge: edits.moveNodes,
    positions: (ids) => ids.map((i) => [state.x[i], state.y[i]]),
    moveLive: (ids, origin, dx, dy) => { if (dragging.size !== ids.length) dragging = new Set(ids); edits.moveLive(ids, origin, dx, dy); },
    commitMove: (ids, origin) => { dragging = new Set(); clock.invalidate(); return edits.commitMove(ids, origin); }, connect: edits.connect, deleteSelection: edits.deleteSelection,
    setBox: (b) => { box = b; clock.invalidate(); }, setLink: (l) => { link = l; clock.invalidate(); }, emit,
    toggleOverlay: () => toggleOverlay(), neighbour, focusNode,
    state: () => state, palette: () => renderer.palette, visibleRect: () => visibleRect(cam, W, H),
    centerWorld: (x, y) => { glide.cancel(); setCamera(camCenter(x, y, W, H, cam.zoom)); },
  };

  /** Following the flow from node i: dir 1 = the next node (the target of its first connected
   * outlet, in outlet order), -1 = the node that leads here (the source of its first incoming edge). */
  function neighbour(i, dir) {
    const adj = state.adjacency();
    let best = -1, bestOut = Infinity;
    if (dir > 0) {
      for (let p = adj.start[i]; p < adj.start[i + 1]; p++) {
        const j = adj.list[p], d = state.edst[j];
        if (d !== i && state.alive(d) && state.eout[j] < bestOut) { best = d; bestOut = state.eout[j]; }
      }
    } else {
      for (let p = adj.istart[i]; p < adj.istart[i + 1] && best < 0; p++) {
        const s = state.esrc[adj.ilist[p]];
        if (s !== i && state.alive(s)) best = s;
      }
    }
    return best;
  }
  /** Keyboard focus on node i's card: brought into view (at card zoom) first when it has none. */
  function focusNode(i) {
    if (!state.alive(i)) return;
    const r = visibleRect(cam, W, H);
    const away = lastLod !== "near" || state.x[i] < r[0] || state.y[i] < r[1] || state.x[i] + state.w[i] > r[2] || state.y[i] + state.h[i] > r[3];
    const now = !away && cards.cardOf(i);
    if (now) { now.el.focus({ preventScroll: true }); return; } // on screen already: at once, no race with the next key
    if (away) centerOn(i);
    clock.invalidate();
    // a glide brings the card into view over several frames: focus it once it exists, and give up
    // if focus went somewhere else meanwhile
    const was = doc.activeElement;
    let tries = 60;
    const go = () => {
      if (doc.activeElement !== was && doc.activeElement !== doc.body) return;
      const c = cards.cardOf(i); if (c) c.el.focus({ preventScroll: true }); else if (--tries > 0) requestAnimationFrame(go);
    };
    requestAnimationFrame(() => requestAnimationFrame(go));
  }

  const controllers = [createPointerController(root, eng), createWheelController(root, eng), createKeyController(root, eng)];
  if (overlayRoot) overlay = createOverlay(overlayRoot, metrics);
  if (opts.minimap) minimap = createMinimap(opts.minimap, eng);
  const ro = typeof ResizeObserver !== "undefined" ? new ResizeObserver(() => { sizeDirty = true; clock.invalidate(); }) : null;
  if (ro) ro.observe(canvas);
  const unwatchTheme = watchTheme(doc, () => { theme = readTheme(doc); renderer.setTheme(theme); dotPattern = null; if (minimap) minimap.restyle?.(theme); clock.invalidate(); });
  // nodes and edges that appear (added here, by undo or by another editor) come in with a short transition
  on("change", ({ changes }) => {
    if (!motionNow().enter || !changes) return;
    const now = performance.now();
    for (const n of (changes.nodes && changes.nodes.added) || []) { const i = indexOfId(n.id); if (i >= 0) born.set(i, now); }
    for (const e of (changes.edges && changes.edges.added) || []) {
      const a = indexOfId(e.source), b = indexOfId(e.target);
      if (a >= 0 && b >= 0) { const k = outletsOf(a).indexOf(e.outlet); if (k >= 0) traffic.trace(a, k, b, now); }
    }
    clock.setAnimating(traffic.wantsFrames(motionNow(), now));
  });

  function toggleOverlay(force) {
    if (!overlay) return false;
    const shown = overlay.toggle(force);
    emit("overlaychange", { shown });
    return shown;
  }

  function metrics() {
    const mem = performance.memory;
    const now = performance.now();
    return { fps: stats.rate(now), p95: stats.p95(), idle: stats.idleAt(now), heapMB: mem ? Math.round(mem.usedJSHeapSize / 1048576 * 10) / 10 : null,
      nodes: state ? state.live : 0, drawn: lastDrawn, inDom: doc.getElementsByTagName("*").length, mode, lod: lastLod,
      apiMs: api ? api.lastMs : null, stream: sub ? sub.status() : "off", zoom: Math.round(cam.zoom * 10000) / 10000,
      arraysMB: state ? Math.round(state.bytes() / 1048576 * 10) / 10 : 0, drawMs: Math.round(drawMs * 10) / 10,
      bytesPerNode: state && state.live ? Math.round(engineBytes() / state.live) : 0,
      ...traffic.metrics(), calls: traffic.total(), glideFrames: glide.frames(), reducedMotion: reduced,
      why: explainMode({ mode, reason: modeReason, forced, nodes: state ? state.live : 0, config, fromEnv: !!config.RINGFLOW_PERFORMANCE_MODE && forced === config.RINGFLOW_PERFORMANCE_MODE, p95: stepDownAt }) };
  }

  /** Everything the engine keeps per node: flow arrays, grid, adjacency, per-frame scratch. */
  function engineBytes() {
    const adj = state._adj, a = adj ? adj.start.byteLength + adj.list.byteLength + adj.istart.byteLength + adj.ilist.byteLength : 0;
    const g = grid ? grid.order.byteLength + grid.starts.byteLength + grid.stale.byteLength : 0;
    return state.bytes() + a + g + scratch.byteLength + selected.byteLength + renderer.mark.byteLength;
  }

  performance.mark("ringflow-engine-start");
  await load();
  performance.mark("ringflow-loaded");
  if (api && opts.live !== false) {
    sub = subscribe({ url: `${api.base}/flows/${flowId}/events`, clientId,
      onChanges: (cs, rev) => { if (rev) revision = Math.max(revision, rev); if (features(mode).batchEvents) { remoteBatch.push(cs); clock.kick(); } else applyChanges(cs, { origin: "remote" }); },
      onMeta: (m) => applyMeta(m, "remote"),
      onCounts: (counts, outlets) => setLive(counts, outlets), onReload: () => scheduleReload(), onStatus: () => overlay && overlay.refresh() });
  }
  await new Promise((res) => { if (ready) res(); else { const off = on("ready", () => { off(); res(); }); } });

  function on(ev, fn) {
    if (!listeners.has(ev)) listeners.set(ev, new Set());
    listeners.get(ev).add(fn);
    return () => listeners.get(ev).delete(fn);
  }

  const engine = {
    get state() { return state; }, get camera() { return { ...cam }; }, on, emit,
    select: (indices, o) => select(indices, o), selection: () => [...selection],
    applyChanges: (cs, o = {}) => applyChanges(cs, { origin: o.origin || "local" }),
    undo: () => { const cs = undo.undo(); if (cs) applyChanges(cs, { origin: "undo" }); return !!cs; },
    redo: () => { const cs = undo.redo(); if (cs) applyChanges(cs, { origin: "undo" }); return !!cs; },
    canUndo: () => undo.canUndo(), canRedo: () => undo.canRedo(),
    fitView, centerOn, setCamera: (c) => { glide.cancel(); setCamera(c); }, screenToWorld: (x, y) => s2w(cam, x, y), worldToScreen: (x, y) => w2s(cam, x, y), hitTest,
    nodeInfo, details: async (indices) => { await ensureIds(indices); clock.invalidate(); return indices.map(nodeInfo); },
    indexOfKey: (k) => state.indexOfKey(k), indexOfId,
    setMode: (m) => { forced = m || "auto"; const next = chooseMode(state.live, config, forced); stepRule.reset();
      if (next !== mode) { mode = next; modeReason = forced === "auto" ? "auto" : "forced"; applyModeClass(); emit("modechange", { mode, reason: modeReason }); }
      clock.invalidate(); return mode; },
    mode: () => mode, forcedMode: () => forced,
    setLive, setTestCall, setHighlight, setProblems, metrics, toggleOverlay, reload, flush: () => queue.flush(),
    zoomBy, theme: () => ({ ...theme }), gliding: () => glide.moving(), framesDrawn: () => framesDrawn,
    rename: (name) => queue.rename(name),
    setStart: async (index) => {
      await ensureIds([index]);
      const id = nodeInfo(index)?.id;
      if (!id) throw new Error("this node is not saved yet; try again in a moment");
      const rev = await queue.setStart(id);
      applyMeta({ start: id }, "local");
      return rev;
    },
    addNode: edits.addNode, updateNode: edits.updateNode, addEdge: (s, o, d) => edits.connect(s, o, d), deleteEdge: edits.deleteEdge,
    edgeAt: (sx, sy, tolPx) => edgeSel.at(sx, sy, tolPx), edgePoint: (ref, t) => edgeSel.pointAt(ref, t), edgeShape: (ref) => edgeSel.shape(ref), selectedEdges: () => edgeSel.list(),
    selectEdges: (refs, o = {}) => select([], { add: !!o.add, edges: refs }), disconnect: edits.disconnect, deleteEdges: edits.deleteEdges,
    connections: (i) => edgeSel.connections(i), freeSpot: (o) => edgeSel.freeSpot(o), focusNode,
    moveNodes: edits.moveNodes, deleteSelection: edits.deleteSelection, edgesOf: edits.edgesOf, outletsOf,
    revision: () => revision, clientId, lod: () => lastLod,
    update(o = {}) { sizeDirty = true; if (o.mode) engine.setMode(o.mode); clock.invalidate(); },
    destroy() {
      destroyed = true; clock.stop(); queue.destroy(); for (const c of controllers) c.destroy();
      if (overlay) overlay.destroy(); if (minimap) minimap.destroy(); if (sub) sub.close(); if (ro) ro.disconnect();
      unwatchTheme(); traffic.destroy(); trafficCanvas.remove();
      clearTimeout(detailTimer); clearTimeout(reloadTimer); clearTimeout(settleTimer); clearTimeout(movingTimer); cards.clear(); domLayer.replaceChildren(); listeners.clear();
    },
  };
  win.ringflow = { viewport: () => ({ x: cam.x, y: cam.y, zoom: cam.zoom }), metrics, engine };
  return engine;
}

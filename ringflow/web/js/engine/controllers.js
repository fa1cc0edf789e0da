/** Input controllers, each {update, destroy}. They translate pointer, wheel, touch and keys into
 * engine calls; the engine owns state and drawing. Gestures: drag empty canvas = pan; Space+drag
 * = pan from anywhere; drag a node = move (one change set at the end); shift+drag empty = box
 * select; drag from an outlet port = connect; two pointers = pinch zoom + pan. */

import { zoomAt, panBy } from "../core/viewport.js";

const CLICK_SLOP = 4;

/** How close (screen px) a pointer must come to an edge: a finger is less precise than a mouse. */
const tolerance = (e) => (e.pointerType === "touch" ? 14 : e.pointerType === "pen" ? 9 : 6);

function local(root, e) {
  const r = root.getBoundingClientRect();
  return { x: e.clientX - r.left, y: e.clientY - r.top };
}

export function createPointerController(root, eng) {
  const pointers = new Map(); // id -> {x, y}
  let g = null; // the current gesture
  let space = false;

  function onKey(e) {
    if (e.code !== "Space" || isTyping(e.target)) return;
    space = e.type === "keydown";
    if (space) e.preventDefault();
    root.style.cursor = space ? "grab" : "";
  }

  function down(e) {
    if (e.button !== 0 && e.button !== 1) return;
    const p = local(root, e);
    pointers.set(e.pointerId, p);
    try { root.setPointerCapture(e.pointerId); } catch { /* synthetic pointer */ }
    if (pointers.size === 2) { // second finger: switch to pinch
      const [a, b] = [...pointers.values()];
      g = { kind: "pinch", dist: Math.hypot(a.x - b.x, a.y - b.y), mid: { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 } };
      eng.setBox(null); eng.setLink(null);
      return;
    }
    if (pointers.size > 2) return;
    const port = e.target.closest && e.target.closest(".rf-port");
    if (space || e.button === 1) { g = { kind: "pan", last: p, moved: 0 }; e.preventDefault(); return; }
    if (port) {
      const card = port.closest(".rf-card");
      const index = Number(card.dataset.index), w = eng.screenToWorld(p.x, p.y);
      g = { kind: "link", source: index, outlet: port.dataset.outlet, x0: w.x, y0: w.y, start: p };
      e.preventDefault();
      return;
    }
    const hit = eng.hitTest(p.x, p.y);
    if (hit.index >= 0 && hit.outlet) {
      const w = eng.screenToWorld(p.x, p.y);
      g = { kind: "link", source: hit.index, outlet: hit.outlet, x0: w.x, y0: w.y, start: p };
      return;
    }
    const edge = hit.index < 0 ? eng.edgeAt(p.x, p.y, tolerance(e)) : null;
    if (edge) { // click an edge: select it (shift: add or remove it); a drag from it still pans
      if (e.shiftKey) eng.toggleEdge(edge); else eng.selectEdges([edge]);
      root.focus && root.focus({ preventScroll: true }); // Delete works at once
      g = { kind: "pan", last: p, moved: 0 };
      return;
    }
    if (hit.index >= 0) {
      if (e.shiftKey) { eng.toggleSelect(hit.index); g = { kind: "none" }; return; }
      if (!eng.isSelected(hit.index)) eng.select([hit.index]);
      const w = eng.screenToWorld(p.x, p.y);
      g = { kind: "drag", start: w, moved: 0, indices: eng.selection(), origin: null };
      return;
    }
    if (e.shiftKey) { g = { kind: "box", start: p }; return; }
    g = { kind: "pan", last: p, moved: 0, clearOnClick: true };
  }

  function move(e) {
    if (!pointers.has(e.pointerId)) { hover(e); return; }
    const p = local(root, e);
    pointers.set(e.pointerId, p);
    if (!g) return;
    if (g.kind === "pinch" && pointers.size >= 2) {
      const [a, b] = [...pointers.values()];
      const dist = Math.hypot(a.x - b.x, a.y - b.y), mid = { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 };
      let cam = panBy(eng.camera(), mid.x - g.mid.x, mid.y - g.mid.y);
      if (g.dist > 0 && dist > 0) cam = zoomAt(cam, mid.x, mid.y, dist / g.dist, eng.minZoom(), eng.maxZoom());
      eng.setCamera(cam);
      g.dist = dist; g.mid = mid;
    } else if (g.kind === "pan") {
      g.moved += Math.abs(p.x - g.last.x) + Math.abs(p.y - g.last.y);
      eng.setCamera(panBy(eng.camera(), p.x - g.last.x, p.y - g.last.y));
      g.last = p;
    } else if (g.kind === "drag") {
      const w = eng.screenToWorld(p.x, p.y);
      const dx = w.x - g.start.x, dy = w.y - g.start.y;
      g.moved = Math.max(g.moved, Math.abs(dx) + Math.abs(dy));
      if (g.moved * eng.camera().zoom < CLICK_SLOP && !g.origin) return;
      if (!g.origin) g.origin = eng.positions(g.indices);
      eng.moveLive(g.indices, g.origin, dx, dy);
    } else if (g.kind === "box") {
      const x = Math.min(g.start.x, p.x), y = Math.min(g.start.y, p.y);
      eng.setBox({ x, y, w: Math.abs(p.x - g.start.x), h: Math.abs(p.y - g.start.y) });
    } else if (g.kind === "link") {
      g.moved = Math.max(g.moved || 0, Math.abs(p.x - g.start.x) + Math.abs(p.y - g.start.y));
      const w = eng.screenToWorld(p.x, p.y);
      eng.setLink({ x0: g.x0, y0: g.y0, x1: w.x, y1: w.y });
    }
  }

  function up(e) {
    if (!pointers.has(e.pointerId)) return;
    const p = local(root, e);
    pointers.delete(e.pointerId);
    if (!g) return;
    if (g.kind === "pinch") { if (pointers.size === 0) g = null; return; }
    if (g.kind === "pan" && g.clearOnClick && g.moved < CLICK_SLOP) eng.select([]);
    else if (g.kind === "drag" && g.origin) eng.commitMove(g.indices, g.origin);
    else if (g.kind === "box") {
      const a = eng.screenToWorld(Math.min(g.start.x, p.x), Math.min(g.start.y, p.y));
      const b = eng.screenToWorld(Math.max(g.start.x, p.x), Math.max(g.start.y, p.y));
      eng.setBox(null);
      eng.selectRect(a.x, a.y, b.x, b.y, e.shiftKey);
    } else if (g.kind === "link") {
      eng.setLink(null);
      const hit = eng.hitTest(p.x, p.y);
      if (hit.index >= 0 && hit.index !== g.source) eng.connect(g.source, g.outlet, hit.index);
      else if (hit.index < 0 && g.moved >= CLICK_SLOP * 2) eng.disconnect(g.source, g.outlet); // dropped on empty canvas
    }
    g = null;
  }

  function dbl(e) {
    const p = local(root, e), hit = eng.hitTest(p.x, p.y);
    if (hit.index >= 0) eng.emit("nodeactivate", { index: hit.index });
  }

  function ctx(e) {
    const p = local(root, e), hit = eng.hitTest(p.x, p.y);
    const edge = hit.index < 0 ? eng.edgeAt(p.x, p.y, tolerance(e)) : null;
    eng.emit("contextmenu", { index: hit.index, edge, sx: p.x, sy: p.y, event: e });
  }

  /** A mouse over an edge highlights it: at most one hit test a frame (against the frame's cull
   * list), always for the pointer's latest position. */
  let hoverP = null, hoverQueued = false;
  function hover(e) {
    if (e.pointerType !== "mouse" || space) return;
    const onCard = e.target.closest && e.target.closest(".rf-card");
    hoverP = onCard ? null : local(root, e);
    if (hoverQueued) return;
    hoverQueued = true;
    requestAnimationFrame(() => {
      hoverQueued = false;
      const edge = hoverP && pointers.size === 0 ? eng.edgeAt(hoverP.x, hoverP.y, 6) : null;
      eng.hoverEdge(edge);
      root.classList.toggle("rf-edge-hover", !!edge);
    });
  }

  function leave() { hoverP = null; eng.hoverEdge(null); root.classList.remove("rf-edge-hover"); }

  root.style.touchAction = "none";
  root.addEventListener("pointerleave", leave);
  root.addEventListener("pointerdown", down);
  root.addEventListener("pointermove", move);
  root.addEventListener("pointerup", up);
  root.addEventListener("pointercancel", up);
  root.addEventListener("dblclick", dbl);
  root.addEventListener("contextmenu", ctx);
  window.addEventListener("keydown", onKey);
  window.addEventListener("keyup", onKey);
  return {
    update() {},
    destroy() {
      root.removeEventListener("pointerdown", down); root.removeEventListener("pointermove", move);
      root.removeEventListener("pointerup", up); root.removeEventListener("pointercancel", up);
      root.removeEventListener("dblclick", dbl); root.removeEventListener("contextmenu", ctx); root.removeEventListener("pointerleave", leave);
      window.removeEventListener("keydown", onKey); window.removeEventListener("keyup", onKey);
    },
  };
}

/** Wheel zooms at the cursor; ctrl+wheel (trackpad pinch) zooms faster per notch. */
export function createWheelController(root, eng) {
  function wheel(e) {
    e.preventDefault();
    const p = local(root, e);
    const unit = e.deltaMode === 1 ? 16 : e.deltaMode === 2 ? 400 : 1;
    const dy = Math.max(-600, Math.min(600, e.deltaY * unit));
    const factor = Math.exp(-dy * (e.ctrlKey ? 0.01 : 0.0015));
    eng.setCamera(zoomAt(eng.camera(), p.x, p.y, factor, eng.minZoom(), eng.maxZoom()));
  }
  root.addEventListener("wheel", wheel, { passive: false });
  return { update() {}, destroy() { root.removeEventListener("wheel", wheel); } };
}

export function isTyping(el) {
  return !!el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName || ""));
}

/** Keys the engine owns: P (overlay), Enter on a card (activate), Delete (remove selection),
 * arrows on a focused card move it (a grid step; Shift: a big step), Alt+Down / Alt+Up follow
 * its connections (the next node, the node that leads here). Alt+Left/Right are the UI's (siblings). */
export const NUDGE = 20, NUDGE_BIG = 100;
export function createKeyController(root, eng) {
  function key(e) {
    if (isTyping(e.target) || e.ctrlKey || e.metaKey) return;
    if (e.altKey) {
      const card = e.target.closest && e.target.closest(".rf-card");
      if (card && !e.target.closest(".rf-port") && (e.key === "ArrowDown" || e.key === "ArrowUp")) {
        const next = eng.neighbour(Number(card.dataset.index), e.key === "ArrowDown" ? 1 : -1);
        if (next >= 0) { eng.select([next]); eng.focusNode(next); }
        e.preventDefault();
      }
      return;
    }
    if (e.key === "p" || e.key === "P") { eng.toggleOverlay(); return; }
    const card = e.target.closest && e.target.closest(".rf-card");
    const port = card && e.target.closest(".rf-port");
    if (port) { // a port stands for its outlet and its edge: Enter connects, Delete disconnects
      const index = Number(card.dataset.index), outlet = port.dataset.outlet;
      if (e.key === "Enter" || e.key === " ") { eng.emit("portactivate", { index, outlet }); e.preventDefault(); return; }
      if (e.key === "Delete" || e.key === "Backspace") { eng.disconnect(index, outlet); e.preventDefault(); return; }
      if (e.key === "ArrowRight" || e.key === "ArrowLeft") { // roving between a card's ports
        const ports = [...card.querySelectorAll(".rf-port")], at = ports.indexOf(port);
        ports[(at + (e.key === "ArrowRight" ? 1 : ports.length - 1)) % ports.length].focus();
        e.preventDefault(); return;
      }
      if (e.key === "Escape") { card.focus(); e.preventDefault(); return; }
      return;
    }
    if (card && (e.key === "ContextMenu" || (e.shiftKey && e.key === "F10"))) { // the card's menu, from the keyboard
      const r = card.getBoundingClientRect(), o = root.getBoundingClientRect();
      eng.emit("contextmenu", { index: Number(card.dataset.index), sx: r.left - o.left + 16, sy: r.bottom - o.top - 8, event: e, keyboard: true });
      e.preventDefault(); return;
    }
    if (e.key === "Enter" && card) { eng.emit("nodeactivate", { index: Number(card.dataset.index) }); e.preventDefault(); return; }
    if ((e.key === "Delete" || e.key === "Backspace") && root.contains(e.target)) { eng.deleteSelection(); e.preventDefault(); return; }
    const dir = card && { ArrowDown: [0, 1], ArrowUp: [0, -1], ArrowLeft: [-1, 0], ArrowRight: [1, 0] }[e.key];
    if (dir) { // arrows move the node (and the rest of the selection): a grid step, Shift a big one
      const i = Number(card.dataset.index), sel = eng.isSelected(i) ? eng.selection() : [i];
      if (!eng.isSelected(i)) eng.select([i]);
      const step = e.shiftKey ? NUDGE_BIG : NUDGE;
      eng.nudge(sel, dir[0] * step, dir[1] * step);
      e.preventDefault();
    }
  }
  /** Tabbing onto a connected port selects its edge (highlighted; Delete removes it). */
  function focusin(e) {
    const port = e.target.closest && e.target.closest(".rf-port"), card = port && port.closest(".rf-card");
    if (!card) return;
    const i = Number(card.dataset.index), c = eng.connections(i).find((x) => x.outlet === port.dataset.outlet);
    if (c) eng.selectEdges([{ s: i, o: c.o, d: c.target, outlet: c.outlet }]);
  }
  window.addEventListener("keydown", key);
  root.addEventListener("focusin", focusin);
  return { update() {}, destroy() { window.removeEventListener("keydown", key); root.removeEventListener("focusin", focusin); } };
}

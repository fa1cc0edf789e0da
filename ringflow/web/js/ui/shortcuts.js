// The editor's keyboard shortcuts that the engine leaves to the UI (it owns P, Enter, Delete on
// the canvas and arrows and Alt+Up/Down on cards): search, undo/redo, copy/paste, select all, Alt+Left/Right.
import { copyNodes, pasteNodes, sibling } from "./actions.js";
import { toast } from "./toast.js";

function typing(el) {
  return Boolean(el) && (el.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(el.tagName));
}

const plural = (n) => `${n} node${n === 1 ? "" : "s"}`;

/** deps: {engine, focusSearch, openHelp, modalOpen, jumpToIndex, closePanels, focusPalette} */
export function wireShortcuts(deps) {
  const e = deps.engine;
  let clip = null; // kept in memory only: configs may hold secrets (HTTP headers)
  let pastes = 0;
  async function copy() {
    const copied = await copyNodes(e);
    if (copied) { clip = copied; pastes = 0; toast(`Copied ${plural(copied.nodes.length)}.`, "info", { timeout: 1500 }); }
    return Boolean(copied);
  }
  function paste() {
    if (!clip) return 0;
    pastes += 1; // each paste lands a step further, so copies never stack exactly
    const n = pasteNodes(e, clip, 40 * pastes);
    toast(`Pasted ${plural(n)}.`, "ok", { timeout: 1500 });
    return n;
  }
  document.addEventListener("keydown", async (ev) => {
    const mod = ev.ctrlKey || ev.metaKey;
    const k = ev.key.toLowerCase();
    if ((mod && k === "f") || (!mod && ev.key === "/" && !typing(ev.target))) {
      ev.preventDefault();
      deps.focusSearch();
      return;
    }
    if (typing(ev.target) || deps.modalOpen()) return;
    if (ev.key === "?") { ev.preventDefault(); deps.openHelp(); return; }
    if (!mod && !ev.altKey && k === "n" && deps.focusPalette) { ev.preventDefault(); deps.focusPalette(); return; } // N: add a node
    if (mod && k === "z") { ev.preventDefault(); if (ev.shiftKey) e.redo(); else e.undo(); }
    else if (mod && k === "y") { ev.preventDefault(); e.redo(); }
    else if (mod && k === "c") {
      await copy();
    } else if (mod && k === "v") {
      if (!clip) return;
      ev.preventDefault();
      paste();
    } else if (mod && k === "a" && ev.target.closest?.("#stage")) {
      ev.preventDefault();
      const all = [];
      for (let i = 0; i < e.state.count && all.length < 5000; i++) if (e.state.type[i] !== 254) all.push(i);
      e.select(all);
    } else if (ev.altKey && (ev.key === "ArrowRight" || ev.key === "ArrowLeft") && ev.target.classList?.contains("rf-card")) {
      // arrows move a node and Alt+Up/Down follow edges (the engine's); Alt+Right/Left visit the siblings: the other
      // targets of the node that leads here, in outlet order
      ev.preventDefault();
      const to = sibling(e, Number(ev.target.dataset.index), ev.key === "ArrowRight" ? 1 : -1);
      if (to < 0) { toast("This node has no siblings.", "info", { timeout: 1500 }); return; }
      deps.jumpToIndex(to);
    } else if ((ev.key === "Delete" || ev.key === "Backspace") && !ev.target.closest?.("#stage, dialog, .drawer, .panel")) {
      // the engine deletes when focus is on the canvas; after a click focus may still be on the page
      ev.preventDefault();
      e.deleteSelection();
    } else if (ev.key === "Escape") {
      deps.closePanels();
      e.select([]);
    }
  });
  return { copy, paste, hasClip: () => Boolean(clip) };
}

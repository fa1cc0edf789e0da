// The right-click menu on nodes and on the canvas: the same actions as the keys, for people who
// look for them with the mouse. A real ARIA menu: arrows move, Enter picks, Escape closes.
import { h } from "./dom.js";

/** stage: the canvas element's container; returns open({sx, sy, items: [{label, run, disabled}]}). */
export function createContextMenu(stage) {
  let menu = null;
  const close = () => {
    if (!menu) return;
    menu.remove();
    menu = null;
    document.removeEventListener("pointerdown", outside, true);
  };
  const outside = (ev) => { if (menu && !menu.contains(ev.target)) close(); };

  let back = null; // where focus goes when Escape closes a menu opened from the keyboard
  function open({ sx, sy, items, returnFocus = null }) {
    close();
    back = returnFocus;
    const buttons = items.map((it) => h("button", { class: "menu-item", type: "button", role: "menuitem", tabindex: "-1",
      disabled: it.disabled || false, onclick: () => { close(); it.run(); } }, it.label));
    menu = h("div", { class: "context-menu", role: "menu", "aria-label": "Actions" }, buttons);
    menu.addEventListener("pointerdown", (ev) => ev.stopPropagation());
    menu.addEventListener("keydown", (ev) => {
      const live = buttons.filter((b) => !b.disabled);
      const at = live.indexOf(document.activeElement);
      if (ev.key === "ArrowDown") { ev.preventDefault(); live[(at + 1) % live.length]?.focus(); }
      else if (ev.key === "ArrowUp") { ev.preventDefault(); live[(at - 1 + live.length) % live.length]?.focus(); }
      else if (ev.key === "Escape") { ev.preventDefault(); ev.stopPropagation(); close(); if (back && back.isConnected) back.focus(); }
    });
    stage.appendChild(menu);
    const r = stage.getBoundingClientRect();
    menu.style.left = `${Math.min(sx, r.width - menu.offsetWidth - 4)}px`;
    menu.style.top = `${Math.min(sy, r.height - menu.offsetHeight - 4)}px`;
    document.addEventListener("pointerdown", outside, true);
    buttons.find((b) => !b.disabled)?.focus();
  }
  return { open, close };
}

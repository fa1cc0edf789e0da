// The palette: every node type the server's catalogue lists, grouped by category.
// Click (or Enter) adds at the centre of the view; dragging onto the canvas adds at the drop point.
import { h, icon } from "./dom.js";
import { CATEGORY_ICON } from "./properties.js";

export const DRAG_MIME = "application/x-ringflow-type";
/** Groups in the order a call flow is usually built (Transfer, the commonest end, stays above the
 * fold at 900 px); a category the catalogue adds later comes last, in its own order. */
const GROUP_ORDER = ["voice", "input", "connect", "logic", "integration"];
let dragged = null; // the type being dragged from the palette ({title, color}): dragover cannot read the data

/** root: panel element; types: /node-types list; onAdd(typeName, point|null). */
export function createPalette(root, types, onAdd) {
  const groups = new Map();
  for (const t of types) {
    if (!groups.has(t.category)) groups.set(t.category, []);
    groups.get(t.category).push(t);
  }
  const body = h("div", { class: "panel-body" });
  const rank = (c) => { const i = GROUP_ORDER.indexOf(c); return i < 0 ? GROUP_ORDER.length : i; };
  for (const [category, list] of [...groups].sort((a, b) => rank(a[0]) - rank(b[0]))) {
    const gid = `pal-${category}`;
    body.appendChild(h("h3", { class: "palette-group", id: gid }, category));
    const ul = h("ul", { class: "palette-list", "aria-labelledby": gid });
    for (const t of list) {
      const btn = h("button", {
        class: "palette-item", type: "button", draggable: "true", dataset: { type: t.name },
        title: t.description, "aria-label": `Add ${t.title}`,
      }, h("span", { class: "swatch", dataset: { type: t.name } }, icon(t.icon || CATEGORY_ICON[t.category] || "node")),
      h("span", { class: "palette-text" }, h("span", { class: "palette-title" }, t.title),
        h("span", { class: "palette-desc" }, t.description)));
      btn.querySelector(".swatch").style.setProperty("--rf-color", t.color);
      btn.addEventListener("click", () => onAdd(t.name, null));
      btn.addEventListener("dragstart", (ev) => {
        ev.dataTransfer.setData(DRAG_MIME, t.name);
        ev.dataTransfer.setData("text/plain", t.name);
        ev.dataTransfer.effectAllowed = "copy";
        dragged = { title: t.title, color: t.color };
      });
      btn.addEventListener("dragend", () => { dragged = null; });
      ul.appendChild(h("li", {}, btn));
    }
    body.appendChild(ul);
  }
  const filter = h("input", { type: "search", id: "palette-filter", class: "palette-filter", placeholder: "Filter types", autocomplete: "off" });
  filter.addEventListener("input", () => {
    const q = filter.value.trim().toLowerCase();
    for (const ul of body.querySelectorAll(".palette-list")) {
      let shown = 0;
      for (const li of ul.children) {
        const btn = li.firstElementChild;
        const hit = !q || btn.textContent.toLowerCase().includes(q) || btn.dataset.type.includes(q);
        li.hidden = !hit;
        shown += hit ? 1 : 0;
      }
      ul.hidden = shown === 0;
      ul.previousElementSibling.hidden = shown === 0;
    }
  });
  filter.addEventListener("keydown", (ev) => {
    if (ev.key !== "Enter") return;
    ev.preventDefault(); // Enter adds the first match
    body.querySelector(".palette-list:not([hidden]) li:not([hidden]) button")?.click();
  });
  root.replaceChildren(h("h2", { class: "panel-title" }, "Add a node"),
    h("div", { class: "palette-filter-row" }, h("label", { class: "sr-only", for: "palette-filter" }, "Filter node types"), filter), body);
}

/**
 * Let the stage accept palette drops; onDrop(typeName, clientX, clientY). While a type is dragged
 * over the canvas a dashed outline shows where the card will land: `box()` gives the new card's
 * size in screen px and where the drop point sits in it ({w, h, dx, dy}, from the camera's zoom).
 */
export function acceptPaletteDrops(stage, onDrop, box = () => ({ w: 200, h: 72, dx: 100, dy: 36 })) {
  const preview = h("div", { class: "drop-preview", "aria-hidden": "true", hidden: true });
  stage.appendChild(preview);
  const hide = () => { preview.hidden = true; };
  stage.addEventListener("dragover", (ev) => {
    if (ev.dataTransfer && Array.from(ev.dataTransfer.types).includes(DRAG_MIME)) {
      ev.preventDefault();
      ev.dataTransfer.dropEffect = "copy";
      const r = stage.getBoundingClientRect(), b = box();
      Object.assign(preview.style, { left: `${ev.clientX - r.left - b.dx}px`, top: `${ev.clientY - r.top - b.dy}px`,
        width: `${b.w}px`, height: `${b.h}px` });
      preview.style.setProperty("--rf-color", dragged?.color || "#7a8494");
      preview.textContent = dragged?.title || "";
      preview.hidden = false;
    }
  });
  stage.addEventListener("dragleave", (ev) => { if (!stage.contains(ev.relatedTarget)) hide(); });
  document.addEventListener("dragend", hide);
  stage.addEventListener("drop", (ev) => {
    hide();
    const type = ev.dataTransfer && ev.dataTransfer.getData(DRAG_MIME);
    if (!type) return;
    ev.preventDefault();
    onDrop(type, ev.clientX, ev.clientY);
  });
}

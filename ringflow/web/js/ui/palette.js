// The palette: every node type the server's catalogue lists, grouped by category.
// Click (or Enter) adds at the centre of the view; dragging onto the canvas adds at the drop point.
import { h, icon } from "./dom.js";
import { CATEGORY_ICON } from "./properties.js";

export const DRAG_MIME = "application/x-ringflow-type";

/** root: panel element; types: /node-types list; onAdd(typeName, point|null). */
export function createPalette(root, types, onAdd) {
  const groups = new Map();
  for (const t of types) {
    if (!groups.has(t.category)) groups.set(t.category, []);
    groups.get(t.category).push(t);
  }
  const body = h("div", { class: "panel-body" });
  for (const [category, list] of groups) {
    const gid = `pal-${category}`;
    body.appendChild(h("h3", { class: "palette-group", id: gid }, category));
    const ul = h("ul", { class: "palette-list", "aria-labelledby": gid });
    for (const t of list) {
      const btn = h("button", {
        class: "palette-item", type: "button", draggable: "true", dataset: { type: t.name },
        title: t.description, "aria-label": `Add ${t.title}`,
      }, h("span", { class: "swatch", dataset: { type: t.name } }, icon(CATEGORY_ICON[t.category] || "node")),
      h("span", { class: "palette-text" }, h("span", { class: "palette-title" }, t.title),
        h("span", { class: "palette-desc" }, t.description)));
      btn.querySelector(".swatch").style.setProperty("--rf-color", t.color);
      btn.addEventListener("click", () => onAdd(t.name, null));
      btn.addEventListener("dragstart", (ev) => {
        ev.dataTransfer.setData(DRAG_MIME, t.name);
        ev.dataTransfer.setData("text/plain", t.name);
        ev.dataTransfer.effectAllowed = "copy";
      });
      ul.appendChild(h("li", {}, btn));
    }
    body.appendChild(ul);
  }
  root.replaceChildren(h("h2", { class: "panel-title" }, "Add a node"), body);
}

/** Let the stage accept palette drops; onDrop(typeName, clientX, clientY). */
export function acceptPaletteDrops(stage, onDrop) {
  stage.addEventListener("dragover", (ev) => {
    if (ev.dataTransfer && Array.from(ev.dataTransfer.types).includes(DRAG_MIME)) {
      ev.preventDefault();
      ev.dataTransfer.dropEffect = "copy";
    }
  });
  stage.addEventListener("drop", (ev) => {
    const type = ev.dataTransfer && ev.dataTransfer.getData(DRAG_MIME);
    if (!type) return;
    ev.preventDefault();
    onDrop(type, ev.clientX, ev.clientY);
  });
}

// The properties panel: a form generated from the node type's fields (from /api/v1/node-types),
// never from a hard-coded list, with the server's validation messages shown beside each field.
import { h, icon, clear } from "./dom.js";
import { fieldWidget, limitsHint } from "./fields.js";
import { fieldTitle, fieldPathTitle, messageText } from "../core/problemtext.js";

/** The panel field a problem is about: the server names config fields "config.NAME". */
const fieldOf = (p) => (p.field || "").replace(/^config\./, "").split(/[.[]/)[0];

export const CATEGORY_ICON = { voice: "voice", input: "input", logic: "logic", integration: "integration", connect: "connect" };

/**
 * root: the panel element. types: the node-types list. onChange(index, {label?, config?}) persists.
 * onDelete(): delete the selection.
 */
export function createProperties(root, { types, onChange, onDelete, isStart = () => false, onMakeStart = null }) {
  const byName = new Map(types.map((t) => [t.name, t]));
  const body = h("div", { class: "panel-body" });
  root.replaceChildren(h("h2", { class: "panel-title", id: "props-title" }, "Properties"), body);
  let current = null; // {index, id, config}
  let problems = [];

  function problemLine(p) {
    const kind = p.severity === "warning" ? "warning" : "error";
    const t = current ? byName.get(current.typeName) : null;
    const field = fieldOf(p) ? "" : fieldPathTitle(t, p.field); // under its own field the title is already there
    return h("div", { class: `problem ${kind}`, dataset: { code: p.code || "" } },
      icon(kind, kind === "error" ? "Error" : "Warning"), h("span", {}, `${field ? `${field}: ` : ""}${messageText(t, p)}`));
  }

  function paintProblems() {
    if (!current) return;
    const mine = problems.filter((p) => p.node_id === current.id);
    for (const box of body.querySelectorAll("[data-problems-for]")) {
      const name = box.dataset.problemsFor;
      const form = box.closest("form");
      const list = mine.filter((p) => {
        const f = fieldOf(p);
        return name === "" ? !f || !form.querySelector(`[data-problems-for="${CSS.escape(f)}"]`) : f === name;
      });
      clear(box, list.map(problemLine));
      const input = box.parentElement.querySelector("input, select, textarea");
      if (input && name !== "") {
        if (list.length) input.setAttribute("aria-invalid", "true"); else input.removeAttribute("aria-invalid");
      }
    }
  }

  function empty(text = "Select a node to edit it, or add one from the palette.") {
    current = null;
    clear(body, h("p", { class: "muted empty-hint" }, text));
  }

  function show(info) {
    const typing = current && current.id === info.id ? inProgress() : null;
    const t = byName.get(info.typeName);
    current = { index: info.index, id: info.id, typeName: info.typeName, config: { ...(info.config || {}) } };
    const commit = (patch) => onChange(info.index, patch);
    const form = h("form", { class: "props", "aria-labelledby": "props-title", novalidate: true });
    form.addEventListener("submit", (ev) => ev.preventDefault());
    form.appendChild(h("div", { class: "props-head" },
      h("span", { class: "type-chip", dataset: { type: info.typeName } }, icon(t?.icon || CATEGORY_ICON[t?.category] || "node"),
        h("span", {}, t ? t.title : `Unknown type “${info.typeName}”`)),
      h("span", { class: "mono muted", title: "Node id" }, info.id ?? "")));
    if (t?.description) form.appendChild(h("p", { class: "muted type-desc" }, t.description));
    if (isStart(info.id)) {
      form.appendChild(h("p", { class: "start-flag" }, icon("ok"), h("span", {}, "The call starts here.")));
    } else if (onMakeStart) {
      form.appendChild(h("button", { class: "btn btn-sm make-start", type: "button", onclick: () => onMakeStart(info.index, info.id) },
        "Make this the start node"));
    }
    form.appendChild(h("div", { class: "problems-general", "data-problems-for": "" }));

    const label = h("input", { id: "prop-label", type: "text", name: "label", maxlength: 200, value: info.label ?? "" });
    label.addEventListener("change", () => commit({ label: label.value }));
    form.appendChild(h("div", { class: "field" }, h("label", { for: "prop-label" }, "Label"), label,
      h("div", { "data-problems-for": "label" })));

    const props = t?.config_schema?.properties || {};
    for (const f of t?.fields || []) {
      const id = `prop-${f.name}`;
      const value = f.name in current.config ? current.config[f.name] : f.default;
      const widget = fieldWidget(f, id, value, (v) => {
        if (v === null || v === undefined) delete current.config[f.name]; else current.config[f.name] = v;
        commit({ config: { ...current.config } });
      }, props[f.name]);
      const hint = [f.description, limitsHint(f)].filter(Boolean).join(" · ");
      const isGroup = !["string", "template", "integer", "number", "boolean", "enum"].includes(f.kind);
      const title = h(isGroup ? "span" : "label", isGroup ? { class: "label", id: `${id}-label` } : { for: id },
        fieldTitle(t, f.name), f.required ? h("span", { class: "req", "aria-hidden": "true" }, " *") : null,
        f.required ? h("span", { class: "sr-only" }, " (required)") : null);
      if (isGroup) widget.setAttribute("aria-labelledby", `${id}-label`);
      const wrap = h("div", { class: `field field-${f.kind}`, dataset: { field: f.name } });
      if (f.kind === "boolean") wrap.appendChild(h("div", { class: "check" }, widget, title));
      else wrap.append(title, widget);
      wrap.append(h("div", { class: "hint", id: `${id}-hint` }, hint), h("div", { "data-problems-for": f.name }));
      if (!isGroup) widget.setAttribute("aria-describedby", `${id}-hint`);
      form.appendChild(wrap);
    }
    form.appendChild(h("div", { class: "field field-outlets" }, h("span", { class: "label" }, "Outlets"),
      h("ul", { class: "outlets", "aria-label": "Outlets" })));
    form.appendChild(h("button", { class: "btn btn-danger", type: "button", onclick: onDelete }, "Delete node"));
    clear(body, form);
    if (typing) resume(typing);
    setOutlets(info.index, info.outlets || []);
    paintProblems();
  }

  /** The field being typed in (focused, not yet committed), so a rebuild of the same node's
   * panel (another editor's change, a reload, a second show) keeps what the person typed. */
  function inProgress() {
    const el = document.activeElement;
    if (!el || !body.contains(el) || !el.id || !("value" in el)) return null;
    return { id: el.id, value: el.value, start: el.selectionStart ?? null, end: el.selectionEnd ?? null };
  }
  function resume({ id, value, start, end }) {
    const el = body.querySelector(`#${CSS.escape(id)}`);
    if (!el || !("value" in el)) return;
    el.value = value;
    el.focus();
    if (start !== null && typeof el.setSelectionRange === "function") el.setSelectionRange(start, end);
  }

  /** Outlets follow the config (menu digits, split cases): refreshed without rebuilding the form. */
  function setOutlets(index, outlets) {
    if (!current || current.index !== index) return;
    const ul = body.querySelector("ul.outlets");
    if (!ul) return;
    clear(ul, outlets.length ? outlets.map((o) => h("li", { class: "badge" }, o)) : h("li", { class: "muted" }, "None: the call ends here."));
  }

  function showMany(count) {
    current = null;
    clear(body, h("p", {}, `${count} nodes selected.`),
      h("p", { class: "muted" }, "Copy with Ctrl+C, delete with Delete, or arrange them with Layout."),
      h("button", { class: "btn btn-danger", type: "button", onclick: onDelete }, `Delete ${count} nodes`));
  }

  /** Selected connections (no nodes): what they join, and a button to delete them (touch users
   * have no Delete key). */
  function showEdges(lines, onDeleteEdges) {
    current = null;
    clear(body, h("p", {}, lines.length === 1 ? "Connection" : `${lines.length} connections selected`),
      h("ul", { class: "edge-list" }, lines.map((t) => h("li", {}, t))),
      h("p", { class: "muted" }, "Delete or Backspace removes it; undo brings it back."),
      h("button", { class: "btn btn-danger", type: "button", onclick: onDeleteEdges }, lines.length === 1 ? "Delete connection" : `Delete ${lines.length} connections`));
  }

  function setProblems(list) {
    problems = Array.isArray(list) ? list : [];
    paintProblems();
  }

  empty();
  return { show, showMany, showEdges, empty, setProblems, setOutlets, current: () => current };
}

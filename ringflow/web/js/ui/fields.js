// Form widgets for each config field kind of the catalogue (x-kind / fields[].kind).
// Each widget gets the field description, the current value and commit(newValue); it never
// reads or writes the flow itself, so the properties panel stays the only writer.
import { h, icon } from "./dom.js";

const DAYS = [["mon", "Monday"], ["tue", "Tuesday"], ["wed", "Wednesday"], ["thu", "Thursday"],
  ["fri", "Friday"], ["sat", "Saturday"], ["sun", "Sunday"]];
const DEFAULT_OPS = ["equals", "not_equals", "contains", "starts_with", "regex", "less_than", "greater_than"];

function removeButton(what, onClick) {
  return h("button", { class: "btn btn-sm btn-ghost row-remove", type: "button", "aria-label": `Remove ${what}`, onclick: onClick },
    icon("close"));
}

function addButton(text, onClick) {
  return h("button", { class: "btn btn-sm row-add", type: "button", onclick: onClick }, `+ ${text}`);
}

function textInput(f, id, value, commit) {
  const multiline = f.kind === "template" && (f.max_length || 4096) > 300;
  const attrs = { id, name: f.name, maxlength: f.max_length || null, spellcheck: f.kind === "template" ? "false" : null,
    class: f.kind === "template" ? "template-input" : null, "aria-required": f.required ? "true" : null };
  const el = multiline ? h("textarea", { ...attrs, rows: 3 }) : h("input", { ...attrs, type: "text" });
  el.value = value ?? "";
  liveCommit(el, () => el.value, commit);
  if (multiline || !f.choices?.length) return el;
  // open text with suggestions (voices, languages): any value Twilio takes, the common ones offered;
  // the list goes beside the input once the panel has placed it (the input stays the field's widget)
  el.setAttribute("list", `${id}-choices`);
  const list = h("datalist", { id: `${id}-choices` }, ...f.choices.map((c) => h("option", { value: c })));
  queueMicrotask(() => el.after(list));
  return el;
}

/**
 * Commit on change (blur, Enter) and also after a pause in typing, so the field's validation
 * message follows what is typed, not only what was left; one value is never committed twice.
 */
const TYPING_PAUSE_MS = 450;
function liveCommit(el, read, commit) {
  let last = read();
  let timer = 0;
  const send = () => {
    clearTimeout(timer);
    const v = read();
    if (v === last) return;
    last = v;
    commit(v);
  };
  el.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(send, TYPING_PAUSE_MS); });
  el.addEventListener("change", send);
}

function numberInput(f, id, value, commit) {
  const el = h("input", { id, name: f.name, type: "number", inputmode: "numeric",
    step: f.kind === "integer" ? 1 : "any", min: f.minimum ?? null, max: f.maximum ?? null });
  el.value = value ?? "";
  liveCommit(el, () => el.value, (raw) => {
    if (raw.trim() === "") return commit(null);
    const n = Number(raw);
    commit(Number.isFinite(n) ? (f.kind === "integer" ? Math.trunc(n) : n) : raw);
  });
  return el;
}

function booleanInput(f, id, value, commit) {
  const el = h("input", { id, name: f.name, type: "checkbox", checked: Boolean(value) });
  el.addEventListener("change", () => commit(el.checked));
  return el;
}

function enumInput(f, id, value, commit) {
  const el = h("select", { id, name: f.name });
  const choices = f.choices || [];
  if (value !== undefined && value !== null && !choices.includes(value)) el.appendChild(h("option", { value }, `${value} (unknown)`));
  for (const c of choices) el.appendChild(h("option", { value: c }, c));
  el.value = value ?? f.default ?? choices[0] ?? "";
  el.addEventListener("change", () => commit(el.value));
  return el;
}

function listEditor(f, id, value, commit, { type = "text", what = "item", placeholder = "" } = {}) {
  const items = Array.isArray(value) ? [...value] : [];
  const box = h("div", { class: "rows", id, role: "group" });
  const render = () => {
    box.replaceChildren();
    items.forEach((item, i) => {
      const input = h("input", { type, value: item ?? "", "aria-label": `${f.name} ${what} ${i + 1}`, placeholder });
      input.addEventListener("change", () => { items[i] = input.value; commit([...items]); });
      box.appendChild(h("div", { class: "row" }, input, removeButton(`${what} ${i + 1}`, () => {
        items.splice(i, 1); commit([...items]); render();
      })));
    });
    box.appendChild(addButton(`Add ${what}`, () => {
      items.push(""); render();
      const inputs = box.querySelectorAll("input");
      inputs[inputs.length - 1]?.focus();
    }));
  };
  render();
  return box;
}

function mapEditor(f, id, value, commit) {
  const pairs = Object.entries(value && typeof value === "object" ? value : {});
  const box = h("div", { class: "rows", id, role: "group" });
  const emit = () => {
    const out = {};
    for (const [k, v] of pairs) if (k.trim()) out[k.trim()] = v;
    commit(out);
  };
  const render = () => {
    box.replaceChildren();
    pairs.forEach((pair, i) => {
      const k = h("input", { type: "text", value: pair[0], "aria-label": `${f.name} name ${i + 1}`, placeholder: "name", class: "key" });
      const v = h("input", { type: "text", value: pair[1], "aria-label": `${f.name} value ${i + 1}`, placeholder: "value",
        class: f.kind === "template_map" ? "template-input" : null });
      k.addEventListener("change", () => { pair[0] = k.value; emit(); });
      v.addEventListener("change", () => { pair[1] = v.value; emit(); });
      box.appendChild(h("div", { class: "row" }, k, v, removeButton(`entry ${i + 1}`, () => { pairs.splice(i, 1); emit(); render(); })));
    });
    box.appendChild(addButton("Add entry", () => { pairs.push(["", ""]); render(); box.querySelectorAll("input.key")[pairs.length - 1]?.focus(); }));
  };
  render();
  return box;
}

function casesEditor(f, id, value, commit, schema) {
  const cases = Array.isArray(value) ? value.map((c) => ({ ...c })) : [];
  const ops = schema?.items?.properties?.op?.enum || DEFAULT_OPS;
  const box = h("div", { class: "rows cases", id, role: "group" });
  const render = () => {
    box.replaceChildren();
    cases.forEach((c, i) => {
      const name = h("input", { type: "text", value: c.name ?? "", "aria-label": `Case ${i + 1} name (outlet)`, placeholder: "outlet", maxlength: 64 });
      const op = h("select", { "aria-label": `Case ${i + 1} operator` }, ops.map((o) => h("option", { value: o }, o.replace(/_/g, " "))));
      op.value = c.op ?? "equals";
      const val = h("input", { type: "text", value: c.value ?? "", "aria-label": `Case ${i + 1} value`, placeholder: "value" });
      name.addEventListener("change", () => { c.name = name.value; commit(cases.map((x) => ({ ...x }))); });
      op.addEventListener("change", () => { c.op = op.value; commit(cases.map((x) => ({ ...x }))); });
      val.addEventListener("change", () => { c.value = val.value; commit(cases.map((x) => ({ ...x }))); });
      box.appendChild(h("div", { class: "row case-row" }, name, op, val,
        removeButton(`case ${i + 1}`, () => { cases.splice(i, 1); commit(cases.map((x) => ({ ...x }))); render(); })));
    });
    box.appendChild(addButton("Add case", () => {
      cases.push({ name: `case_${cases.length + 1}`, op: "equals", value: "" });
      commit(cases.map((x) => ({ ...x }))); render();
    }));
  };
  render();
  return box;
}

function scheduleEditor(f, id, value, commit) {
  const sched = {};
  for (const [d] of DAYS) sched[d] = Array.isArray(value?.[d]) ? value[d].map((s) => [...s]) : [];
  const emit = () => {
    const out = {};
    for (const [d] of DAYS) if (sched[d].length) out[d] = sched[d].map((s) => [...s]);
    commit(out);
  };
  const box = h("div", { class: "schedule", id, role: "group" });
  const render = () => {
    box.replaceChildren();
    for (const [d, dayName] of DAYS) {
      const spans = sched[d];
      const open = h("input", { type: "checkbox", id: `${id}-${d}`, checked: spans.length > 0 });
      open.addEventListener("change", () => { sched[d] = open.checked ? [["09:00", "17:00"]] : []; emit(); render(); });
      const row = h("div", { class: `day${spans.length ? "" : " closed"}` }, h("label", { class: "day-name", for: `${id}-${d}` }, open, " ", dayName));
      const list = h("div", { class: "spans" });
      if (!spans.length) list.appendChild(h("span", { class: "muted" }, "Closed"));
      spans.forEach((span, i) => {
        const time = (v, what) => h("input", { type: "text", class: "time-input", value: v ?? "", inputmode: "numeric", maxlength: 5,
          placeholder: "HH:MM", pattern: "([01][0-9]|2[0-3]):[0-5][0-9]", "aria-label": `${dayName} ${what}, interval ${i + 1}` });
        const from = time(span[0], "opens");
        const to = time(span[1], "closes");
        from.addEventListener("change", () => { span[0] = from.value; emit(); });
        to.addEventListener("change", () => { span[1] = to.value; emit(); });
        list.appendChild(h("div", { class: "row" }, from, h("span", { "aria-hidden": "true" }, "–"), to,
          removeButton(`${dayName} interval ${i + 1}`, () => { spans.splice(i, 1); emit(); render(); })));
      });
      if (spans.length) list.appendChild(addButton("Interval", () => { spans.push(["13:00", "17:00"]); emit(); render(); }));
      row.appendChild(list);
      box.appendChild(row);
    }
  };
  render();
  return box;
}

/** Build the widget for one field; schema is the field's JSON Schema (for enums nested in cases). */
export function fieldWidget(f, id, value, commit, schema) {
  switch (f.kind) {
    case "integer": case "number": return numberInput(f, id, value, commit);
    case "boolean": return booleanInput(f, id, value, commit);
    case "enum": return enumInput(f, id, value, commit);
    case "string_list": return listEditor(f, id, value, commit, { what: "item" });
    case "date_list": return listEditor(f, id, value, commit, { type: "date", what: "date" });
    case "template_map": case "string_map": return mapEditor(f, id, value, commit);
    case "cases": return casesEditor(f, id, value, commit, schema);
    case "schedule": return scheduleEditor(f, id, value, commit);
    default: return textInput(f, id, value, commit);
  }
}

/** Human hint for limits: "1–10", "up to 2048 characters". */
export function limitsHint(f) {
  if (f.kind === "integer" || f.kind === "number") {
    if (f.minimum != null && f.maximum != null) return `${f.minimum}–${f.maximum}`;
    if (f.minimum != null) return `at least ${f.minimum}`;
    if (f.maximum != null) return `at most ${f.maximum}`;
  }
  if (f.kind === "template" && !/liquid|template/i.test(f.description || "")) return "Liquid templates allowed, e.g. {{trigger.call.From}}";
  return "";
}

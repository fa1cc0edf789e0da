// Node search in the top bar: GET /flows/{id}/search?q= and a keyboard-friendly result list
// (arrow keys, Enter to jump). The jump itself is the caller's (engine camera + selection).
import { api, qs } from "./api.js";
import { h, clear, debounce } from "./dom.js";

function hits(data) {
  if (Array.isArray(data)) return data;
  return data?.nodes || data?.results || data?.matches || [];
}

/** input, list: elements; flowId; onJump(node) with node = {id, key, type, label, x, y}. */
export function createSearch(input, list, flowId, typeTitle, onJump) {
  let items = [];
  let active = -1;
  let seq = 0;

  const close = () => { list.hidden = true; input.setAttribute("aria-expanded", "false"); input.removeAttribute("aria-activedescendant"); active = -1; };
  const mark = (i) => {
    active = i;
    list.querySelectorAll("[role=option]").forEach((el, j) => el.setAttribute("aria-selected", String(j === i)));
    if (i >= 0) input.setAttribute("aria-activedescendant", `sr-${i}`); else input.removeAttribute("aria-activedescendant");
  };
  const choose = (i) => {
    const node = items[i];
    if (!node) return;
    close();
    onJump(node);
  };
  const render = (q) => {
    if (!items.length) {
      clear(list, h("li", { class: "search-empty", role: "option", "aria-disabled": "true", "aria-selected": "false" }, `No node matches “${q}”.`));
    } else {
      clear(list, items.map((n, i) => h("li", { id: `sr-${i}`, role: "option", "aria-selected": "false", class: "search-hit",
        onmousedown: (ev) => { ev.preventDefault(); choose(i); } },
      h("span", { class: "hit-label" }, n.label || n.id), h("span", { class: "hit-meta" }, `${typeTitle(n.type)} · ${n.id}`))));
    }
    list.hidden = false;
    input.setAttribute("aria-expanded", "true");
    mark(items.length ? 0 : -1);
  };
  const run = debounce(async () => {
    const q = input.value.trim();
    const mine = ++seq;
    if (!q) { items = []; close(); return; }
    try {
      const data = await api(`/flows/${flowId}/search${qs({ q, limit: 20 })}`);
      if (mine !== seq) return;
      items = hits(data).slice(0, 20);
      render(q);
    } catch (err) {
      if (mine !== seq) return;
      items = [];
      clear(list, h("li", { class: "search-empty", role: "option", "aria-disabled": "true", "aria-selected": "false" }, err.message));
      list.hidden = false;
    }
  }, 200);

  input.setAttribute("role", "combobox");
  input.setAttribute("aria-expanded", "false");
  input.addEventListener("input", run);
  input.addEventListener("blur", () => setTimeout(close, 150));
  input.addEventListener("keydown", (ev) => {
    if (ev.key === "ArrowDown" && items.length) { ev.preventDefault(); mark((active + 1) % items.length); }
    else if (ev.key === "ArrowUp" && items.length) { ev.preventDefault(); mark((active - 1 + items.length) % items.length); }
    else if (ev.key === "Enter") { ev.preventDefault(); if (list.hidden) run(); else choose(Math.max(active, 0)); }
    else if (ev.key === "Escape") { close(); }
  });
  input.form?.addEventListener("submit", (ev) => ev.preventDefault());
  return { focus: () => { input.focus(); input.select(); } };
}

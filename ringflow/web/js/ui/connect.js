// Connect without a mouse: pick an outlet of a node and the node it leads to from a searchable
// list (a combobox: type to filter, arrows move, Enter connects, Escape cancels). Candidates are
// the nodes the editor already knows; on a big flow the server's search adds the rest.
import { api, qs } from "./api.js";
import { h, clear, debounce } from "./dom.js";

const LOCAL_MAX = 5000;
const SCAN_MAX = 20000; // slots looked at for known nodes; a bigger flow leans on the server's search

/** Nodes the engine knows (label, type), except `skip`, as [{index, id, label, typeTitle}]. */
function knownNodes(engine, skip) {
  const s = engine.state, out = [];
  for (let i = 0; i < s.count && i < SCAN_MAX && out.length < LOCAL_MAX; i++) {
    if (i === skip || s.type[i] === 254) continue;
    const n = engine.nodeInfo(i);
    if (n && n.id) out.push({ index: i, id: n.id, label: n.label || n.typeTitle, typeTitle: n.typeTitle });
  }
  return out;
}

/** deps: {engine, flowId, dialog (an empty <dialog>), typeTitle(name)}; returns open(index, outlet?). */
export function createConnectDialog({ engine, flowId, dialog, typeTitle }) {
  let from = -1, options = [], active = -1, returnTo = null, seq = 0;
  const title = h("h2", { id: "connect-title" }, "Connect");
  const outletSel = h("select", { id: "connect-outlet" });
  const input = h("input", { id: "connect-search", type: "search", autocomplete: "off", role: "combobox", "aria-expanded": "true",
    "aria-controls": "connect-list", "aria-autocomplete": "list", placeholder: "Type a node's name" });
  const list = h("ul", { id: "connect-list", class: "connect-list", role: "listbox", "aria-label": "Nodes to connect to" });
  const status = h("p", { class: "muted", role: "status" });
  dialog.setAttribute("aria-labelledby", "connect-title");
  dialog.classList.add("connect-dialog");
  dialog.replaceChildren(title,
    h("div", { class: "field" }, h("label", { for: "connect-outlet" }, "Outlet"), outletSel),
    h("div", { class: "field" }, h("label", { for: "connect-search" }, "Leads to"), input),
    list, status,
    h("div", { class: "actions" }, h("button", { class: "btn", type: "button", onclick: () => dialog.close() }, "Cancel")));

  const mark = (k) => {
    active = k;
    list.querySelectorAll("[role=option]").forEach((el, j) => el.setAttribute("aria-selected", String(j === k)));
    if (k >= 0) { input.setAttribute("aria-activedescendant", `connect-opt-${k}`); list.children[k]?.scrollIntoView({ block: "nearest" }); }
    else input.removeAttribute("aria-activedescendant");
  };
  function render() {
    clear(list, options.map((o, k) => h("li", { id: `connect-opt-${k}`, role: "option", "aria-selected": "false", class: "connect-opt",
      onmousedown: (ev) => { ev.preventDefault(); choose(k); } }, h("span", { class: "hit-label" }, o.label), h("span", { class: "hit-meta" }, ` ${o.typeTitle}`))));
    status.textContent = options.length ? `${options.length} node${options.length === 1 ? "" : "s"}` : "No node matches.";
    mark(options.length ? 0 : -1);
  }
  let pool = []; // the known nodes, gathered once when the dialog opens
  const filter = debounce(async () => {
    const q = input.value.trim().toLowerCase(), mine = ++seq;
    const found = pool.filter((o) => !q || o.label.toLowerCase().includes(q) || o.typeTitle.toLowerCase().includes(q) || o.id.toLowerCase().includes(q));
    if (q && engine.state.count > Math.min(LOCAL_MAX, SCAN_MAX)) { // a big flow: the server finds what is not loaded
      try {
        const data = await api(`/flows/${flowId}/search${qs({ q, limit: 20 })}`);
        if (mine !== seq) return;
        const have = new Set(found.map((o) => o.id));
        for (const n of data?.nodes || data?.results || data || []) {
          if (have.has(n.id)) continue;
          found.push({ index: -1, key: n.key, id: n.id, label: n.label || n.id, typeTitle: typeTitle(n.type) });
        }
      } catch (err) { status.textContent = err.message; }
    }
    if (mine !== seq) return;
    found.sort((a, b) => a.label.localeCompare(b.label));
    options = found.slice(0, 200);
    render();
  }, 60);

  async function choose(k) {
    const o = options[k];
    if (!o) return;
    let to = o.index >= 0 ? o.index : engine.indexOfKey(o.key);
    if (to < 0) to = engine.indexOfId(o.id);
    if (to < 0) { status.textContent = `${o.label} is not loaded yet; try again in a moment.`; return; }
    const outlet = outletSel.value, src = from;
    dialog.close();
    await engine.addEdge(src, outlet, to);
  }

  input.addEventListener("input", filter);
  input.addEventListener("keydown", (ev) => {
    if (ev.key === "ArrowDown" && options.length) { ev.preventDefault(); mark((active + 1) % options.length); }
    else if (ev.key === "ArrowUp" && options.length) { ev.preventDefault(); mark((active - 1 + options.length) % options.length); }
    else if (ev.key === "Enter") { ev.preventDefault(); choose(Math.max(active, 0)); }
  });
  dialog.addEventListener("close", () => { const el = returnTo; returnTo = null; if (el && el.isConnected) el.focus(); });

  /** Open for node `index`; `outlet` preselects one (from a port). Focus returns where it was. */
  async function open(index, outlet = null) {
    await engine.details([index]);
    const n = engine.nodeInfo(index);
    if (!n || !n.outlets.length) return false;
    from = index; returnTo = document.activeElement;
    const links = new Map(engine.connections(index).map((c) => [c.outlet, c.target]));
    title.textContent = `Connect ${n.label || n.typeTitle}`;
    clear(outletSel, n.outlets.map((o) => {
      const t = links.get(o), to = t !== undefined ? engine.nodeInfo(t) : null;
      return h("option", { value: o }, to ? `${o} (now → ${to.label || to.typeTitle})` : o);
    }));
    outletSel.value = outlet && n.outlets.includes(outlet) ? outlet : (n.outlets.find((o) => !links.has(o)) || n.outlets[0]);
    input.value = "";
    pool = knownNodes(engine, index);
    dialog.showModal();
    input.focus();
    filter();
    return true;
  }
  return { open, isOpen: () => dialog.open };
}

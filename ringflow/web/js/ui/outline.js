// The outline: the flow as a plain list of nodes and their outgoing edges, for screen readers and
// keyboard users. Small flows come from /document; big ones list what is in view (/viewport),
// and the list is paginated so the DOM stays small at any size.
import { api, qs } from "./api.js";
import { h, clear } from "./dom.js";

const PAGE = 50;
const FULL_LIMIT = 5000;

/** deps: {flowId, typeTitle(type), nodeCount(), viewRect() -> {x0,y0,x1,y1}, onJump(id)} */
export function createOutline(root, deps) {
  let nodes = [];
  let edges = [];
  let page = 0;
  let scope = "";
  const status = h("p", { class: "muted", role: "status" });
  const list = h("ul", { class: "outline-list" });
  const nav = h("div", { class: "pager" });
  root.replaceChildren(h("div", { class: "drawer-head" }, h("h2", { id: "outline-title" }, "Outline"),
    h("button", { class: "btn btn-sm btn-ghost", type: "button", "aria-label": "Close outline", onclick: () => root.dispatchEvent(new CustomEvent("close")) }, "Close")),
  h("div", { class: "drawer-body" }, status, h("nav", { "aria-labelledby": "outline-title" }, list), nav));

  function render() {
    const pages = Math.max(1, Math.ceil(nodes.length / PAGE));
    page = Math.min(page, pages - 1);
    const labels = new Map(nodes.map((n) => [n.id, n.label || n.id]));
    const out = new Map();
    for (const e of edges) {
      if (!out.has(e.source)) out.set(e.source, []);
      out.get(e.source).push(e);
    }
    status.textContent = `${nodes.length} nodes, ${edges.length} edges${scope}. Page ${page + 1} of ${pages}.`;
    clear(list, nodes.slice(page * PAGE, (page + 1) * PAGE).map((n) => h("li", { class: "outline-node" },
      h("button", { class: "link outline-jump", type: "button", onclick: () => deps.onJump(n.id) },
        h("strong", {}, n.label || n.id), h("span", { class: "muted" }, ` — ${deps.typeTitle(n.type)}, id ${n.id}`)),
      (out.get(n.id) || []).length ? h("ul", { class: "outline-edges", "aria-label": `Connections from ${n.label || n.id}` },
        out.get(n.id).map((e) => h("li", {}, `${e.outlet} → `,
          h("button", { class: "link", type: "button", onclick: () => deps.onJump(e.target) }, labels.get(e.target) ?? e.target)))) : null)));
    clear(nav,
      h("button", { class: "btn btn-sm", type: "button", disabled: page === 0, onclick: () => { page -= 1; render(); } }, "Previous"),
      h("span", { class: "muted" }, ` ${page + 1} / ${pages} `),
      h("button", { class: "btn btn-sm", type: "button", disabled: page >= pages - 1, onclick: () => { page += 1; render(); } }, "Next"));
  }

  async function load() {
    status.textContent = "Loading…";
    try {
      if (deps.nodeCount() <= FULL_LIMIT) {
        const doc = await api(`/flows/${deps.flowId}/document`);
        nodes = doc.nodes || [];
        edges = doc.edges || [];
        scope = "";
      } else {
        const r = deps.viewRect();
        const vp = await api(`/flows/${deps.flowId}/viewport${qs({ x0: r.x0, y0: r.y0, x1: r.x1, y1: r.y1, limit: 1000 })}`);
        nodes = vp.nodes || [];
        edges = vp.edges || [];
        scope = " in view (the list follows the canvas as you pan and zoom)";
      }
      render();
    } catch (err) {
      status.textContent = err.message;
    }
  }
  return { load, followsView: () => scope !== "" };
}

// The revision history drawer: published revisions, newest first, each viewable read-only
// (its nodes and edges as text), so nobody has to open an old revision in the live editor.
import { api } from "./api.js";
import { h, clear } from "./dom.js";

function listOf(data) {
  if (Array.isArray(data)) return data;
  return data?.revisions || data?.items || [];
}

export function createHistory(root, flowId, typeTitle) {
  const body = h("div", { class: "drawer-body" });
  root.replaceChildren(h("div", { class: "drawer-head" }, h("h2", {}, "Revision history"),
    h("button", { class: "btn btn-sm btn-ghost", type: "button", "aria-label": "Close history", onclick: () => root.dispatchEvent(new CustomEvent("close")) }, "Close")), body);

  async function view(n) {
    clear(body, h("p", { class: "muted" }, `Loading revision ${n}…`));
    try {
      const data = await api(`/flows/${flowId}/revisions/${n}`);
      const doc = data?.document || data;
      const nodes = doc?.nodes || [];
      const edges = doc?.edges || [];
      const labels = new Map(nodes.map((x) => [x.id, x.label || x.id]));
      clear(body,
        h("button", { class: "btn btn-sm", type: "button", onclick: load }, "← All revisions"),
        h("h3", { class: "rev-title" }, `Revision ${n} (read-only)`),
        h("p", { class: "muted" }, `${nodes.length} nodes, ${edges.length} edges${doc?.start ? `, starts at ${doc.start}` : ""}`),
        h("ul", { class: "rev-nodes" }, nodes.slice(0, 500).map((x) => h("li", {},
          h("strong", {}, x.label || x.id), h("span", { class: "muted" }, ` ${typeTitle(x.type)} · ${x.id}`),
          h("ul", { class: "rev-edges" }, edges.filter((e) => e.source === x.id)
            .map((e) => h("li", {}, `${e.outlet} → ${labels.get(e.target) ?? e.target}`)))))),
        nodes.length > 500 ? h("p", { class: "muted" }, `…and ${nodes.length - 500} more nodes.`) : null);
    } catch (err) {
      clear(body, h("p", { class: "form-error", role: "alert" }, err.message));
    }
  }

  async function load() {
    clear(body, h("p", { class: "muted" }, "Loading…"));
    try {
      const revs = listOf(await api(`/flows/${flowId}/revisions`)).slice().sort((a, b) => (b.number ?? 0) - (a.number ?? 0));
      if (!revs.length) { clear(body, h("p", { class: "muted" }, "Nothing published yet. Publish to make the first revision.")); return; }
      clear(body, h("ol", { class: "rev-list", reversed: true }, revs.map((r) => h("li", {},
        h("button", { class: "rev-item", type: "button", onclick: () => view(r.number) },
          h("strong", {}, `Revision ${r.number}`),
          h("span", { class: "muted" }, ` ${r.created_at ? new Date(r.created_at).toLocaleString() : ""} · ${r.node_count ?? "?"} nodes`))))));
    } catch (err) {
      clear(body, h("p", { class: "form-error", role: "alert" }, err.message));
    }
  }
  return { load, view };
}

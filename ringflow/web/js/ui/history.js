// The history drawer: published versions (1, 2, 3, with name, author and time), how far the draft
// has moved since the last one, a diff between any two (or against the draft) listed here and
// drawn on the canvas, a read-only view, and restore (the draft becomes that version again, as
// one new revision that undo and other editors see like any edit).
import { api } from "./api.js";
import { h, clear } from "./dom.js";

function listOf(data) {
  if (Array.isArray(data)) return data;
  return data?.revisions || data?.items || [];
}

/** "Version 3 “Spring hours”" or "Version 3"; old rows without a version fall back to the revision. */
export function versionName(r) {
  if (!r) return "";
  const base = r.version ? `Version ${r.version}` : `Revision ${r.number}`;
  return r.name ? `${base} “${r.name}”` : base;
}

const when = (iso) => (iso ? new Date(iso).toLocaleString() : "");

/**
 * opts: {flowId, typeTitle, overlay (ui/diffoverlay.js), meta() → {revision, published_revision},
 * onRestored(answer), jumpTo(id)}
 */
export function createHistory(root, { flowId, typeTitle, overlay, meta, onRestored, jumpTo, labelOf = () => null }) {
  const body = h("div", { class: "drawer-body" });
  const live = h("p", { class: "sr-only", role: "status", "aria-live": "polite" });
  const close = () => { overlay?.hide(); root.dispatchEvent(new CustomEvent("close")); };
  root.replaceChildren(h("div", { class: "drawer-head" }, h("h2", {}, "History"),
    h("button", { class: "btn btn-sm btn-ghost", type: "button", "aria-label": "Close history", onclick: close }, "Close")), live, body);
  let revs = [];
  const nameOf = (ref) => (ref === "draft" ? "the draft" : versionName(revs.find((r) => String(r.number) === String(ref))));

  async function view(r) {
    overlay?.hide();
    clear(body, h("p", { class: "muted" }, `Loading ${versionName(r)}…`));
    try {
      const data = await api(`/flows/${flowId}/revisions/${r.number}`);
      const doc = data?.document || data;
      const nodes = doc?.nodes || [];
      const edges = doc?.edges || [];
      const labels = new Map(nodes.map((x) => [x.id, x.label || x.id]));
      clear(body,
        h("button", { class: "btn btn-sm", type: "button", onclick: load }, "← All versions"),
        h("h3", { class: "rev-title" }, `${versionName(r)} (read-only)`),
        h("p", { class: "muted" }, `${nodes.length} nodes, ${edges.length} edges${doc?.start ? `, starts at ${labels.get(doc.start) ?? doc.start}` : ""}`),
        h("ul", { class: "rev-nodes" }, nodes.slice(0, 500).map((x) => h("li", {},
          h("strong", {}, x.label || x.id), h("span", { class: "muted" }, ` ${typeTitle(x.type)}`),
          h("ul", { class: "rev-edges" }, edges.filter((e) => e.source === x.id)
            .map((e) => h("li", {}, `${e.outlet} → ${labels.get(e.target) ?? e.target}`)))))),
        nodes.length > 500 ? h("p", { class: "muted" }, `…and ${nodes.length - 500} more nodes.`) : null);
    } catch (err) {
      clear(body, h("p", { class: "form-error", role: "alert" }, err.message));
    }
  }

  function changeList(title, items, kind, text) {
    if (!items.length) return null;
    return h("section", { class: `diff-group diff-${kind}` }, h("h4", {}, h("span", { class: `diff-swatch diff-${kind}`, "aria-hidden": "true" }), ` ${title} (${items.length})`),
      h("ul", {}, items.slice(0, 200).map((x) => h("li", {}, text(x)))));
  }

  async function compare(from, to) {
    clear(body, h("p", { class: "muted" }, "Comparing…"));
    try {
      const d = await api(`/flows/${flowId}/diff?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`);
      overlay?.show(d);
      const label = (n) => n.label || typeTitle(n.type);
      const nodeButton = (n, draftSide) => (draftSide ? h("button", { class: "link", type: "button", onclick: () => jumpTo(n.id) }, label(n)) : label(n));
      const toDraft = to === "draft";
      const nameById = new Map([...d.nodes.removed, ...d.nodes.added, ...d.nodes.updated.map((u) => u.after)].map((n) => [n.id, label(n)]));
      const end = (id) => nameById.get(id) ?? labelOf(id) ?? id;
      const count = d.nodes.added.length + d.nodes.updated.length + d.nodes.removed.length + d.edges.added.length + d.edges.updated.length + d.edges.removed.length;
      const summary = count ? `${count} change${count === 1 ? "" : "s"} from ${nameOf(from)} to ${nameOf(to)}` : `No changes from ${nameOf(from)} to ${nameOf(to)}`;
      live.textContent = summary;
      clear(body,
        h("button", { class: "btn btn-sm", type: "button", onclick: load }, "← All versions"),
        h("h3", { class: "rev-title" }, summary),
        h("p", { class: "muted diff-legend" }, "On the canvas: added in green, changed in amber, removed as red dashed outlines."),
        d.name ? h("p", {}, `Renamed from “${d.name.before}” to “${d.name.after}”.`) : null,
        changeList("Added nodes", d.nodes.added, "added", (n) => [nodeButton(n, toDraft), h("span", { class: "muted" }, ` ${typeTitle(n.type)}`)]),
        changeList("Changed nodes", d.nodes.updated, "changed", (u) => [nodeButton(u.after, toDraft), h("span", { class: "muted" }, ` ${u.fields.join(", ")}`)]),
        changeList("Removed nodes", d.nodes.removed, "removed", (n) => [label(n), h("span", { class: "muted" }, ` ${typeTitle(n.type)}`)]),
        changeList("Added connections", d.edges.added, "added", (e) => `${end(e.source)} · ${e.outlet} → ${end(e.target)}`),
        changeList("Changed connections", d.edges.updated, "changed", (e) => `${end(e.source)} · ${e.outlet}: ${end(e.before)} → ${end(e.after)}`),
        changeList("Removed connections", d.edges.removed, "removed", (e) => `${end(e.source)} · ${e.outlet} → ${end(e.target)}`),
        h("button", { class: "btn btn-sm", type: "button", onclick: load }, "Hide the comparison"));
    } catch (err) {
      clear(body, h("p", { class: "form-error", role: "alert" }, err.message));
    }
  }

  async function restore(r) {
    if (!window.confirm(`Make the draft equal to ${versionName(r)}? This is saved as a new revision; undo it by restoring again.`)) return;
    try {
      const m = meta();
      const data = await api(`/flows/${flowId}/revisions/${r.number}/restore`, { method: "POST", headers: { "If-Match": String(m.revision) } });
      live.textContent = `The draft is now ${versionName(r)}.`;
      onRestored(data, r);
      await load();
    } catch (err) {
      clear(body, h("p", { class: "form-error", role: "alert" }, err.message), h("button", { class: "btn btn-sm", type: "button", onclick: load }, "Back"));
    }
  }

  function compareForm() {
    const options = () => [h("option", { value: "draft" }, "Draft (now)"), ...revs.map((r) => h("option", { value: String(r.number) }, versionName(r)))];
    const from = h("select", { id: "diff-from" }, options());
    const to = h("select", { id: "diff-to" }, options());
    from.value = revs[1] ? String(revs[1].number) : String(revs[0].number);
    to.value = revs[1] ? String(revs[0].number) : "draft";
    return h("form", { class: "diff-form", onsubmit: (ev) => { ev.preventDefault(); compare(from.value, to.value); } },
      h("label", { for: "diff-from" }, "From"), from, h("label", { for: "diff-to" }, "to"), to,
      h("button", { class: "btn btn-sm", type: "submit" }, "Compare"));
  }

  async function load() {
    overlay?.hide(); // the list is not a comparison: nothing stays drawn on the canvas
    clear(body, h("p", { class: "muted" }, "Loading…"));
    try {
      revs = listOf(await api(`/flows/${flowId}/revisions`)).slice().sort((a, b) => (b.number ?? 0) - (a.number ?? 0));
      const m = meta();
      const pending = m.published_revision ? m.revision - m.published_revision : null;
      const draft = h("div", { class: "rev-draft" }, h("strong", {}, "Draft"),
        h("span", { class: "muted" }, pending === null ? " · never published"
          : pending > 0 ? ` · ${pending} saved change${pending === 1 ? "" : "s"} since ${versionName(revs.find((r) => r.number === m.published_revision))}` : " · same as the published version"));
      if (!revs.length) { clear(body, draft, h("p", { class: "muted" }, "Nothing published yet. Publish to make version 1.")); return; }
      clear(body, draft, compareForm(), h("ol", { class: "rev-list", reversed: true }, revs.map((r) => h("li", { class: "rev-entry" },
        h("div", {}, h("strong", {}, versionName(r)), r.number === m.published_revision ? h("span", { class: "badge badge-ok" }, " live") : null),
        h("div", { class: "muted" }, [when(r.created_at), r.author ? `by ${r.author}` : null, `${r.node_count ?? "?"} nodes`].filter(Boolean).join(" · ")),
        h("div", { class: "rev-actions" },
          h("button", { class: "btn btn-sm", type: "button", onclick: () => view(r), "aria-label": `View ${versionName(r)}` }, "View"),
          h("button", { class: "btn btn-sm", type: "button", onclick: () => compare(String(r.number), "draft"), "aria-label": `Compare ${versionName(r)} with the draft` }, "Compare with draft"),
          h("button", { class: "btn btn-sm", type: "button", onclick: () => restore(r), "aria-label": `Restore ${versionName(r)}` }, "Restore"))))));
    } catch (err) {
      clear(body, h("p", { class: "form-error", role: "alert" }, err.message));
    }
  }
  return { load, view, compare, published: () => { if (!root.hidden) load(); } };
}

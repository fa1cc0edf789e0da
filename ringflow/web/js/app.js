// The editor page: loads the flow's metadata and the catalogue, starts the engine (rendering,
// camera, persistence, live events) and wires the UI around it: top bar, palette, properties,
// search, validation, publish, history, outline, test calls and keyboard shortcuts.
import { flowId, takeEarly, geometryRequested } from "./boot.js";
import { api, answer, ApiError } from "./ui/api.js";
import { $, h, debounce } from "./ui/dom.js";
import { toast } from "./ui/toast.js";
import { createPalette, acceptPaletteDrops } from "./ui/palette.js";
import { createProperties } from "./ui/properties.js";
import { createSearch } from "./ui/search.js";
import { createHistory, versionName } from "./ui/history.js";
import { createDiffOverlay } from "./ui/diffoverlay.js";
import { createOutline } from "./ui/outline.js";
import { createTestCall } from "./ui/testcall.js";
import { validateFlow, publishFlow, problemItem, paintProblemsBar, problemsOf } from "./ui/problems.js";
import { describeProblem, countProblems, countText } from "./core/problemtext.js";
import { summarize, dependsOnClock } from "./core/summary.js";
import { autoLayout, defaultConfig } from "./ui/actions.js";
import { wireShortcuts } from "./ui/shortcuts.js";
import { renameFlow, setStartNode } from "./ui/rename.js";
import { createContextMenu } from "./ui/contextmenu.js";
import { createConnectDialog } from "./ui/connect.js";
import { describeChanges } from "./core/describe.js";
import { wireThemeSwitch } from "./ui/theme.js";

// Start loading the engine at once, in parallel with the first API calls (time to ready).
const engineModule = import("./engine/engine.js");
engineModule.catch(() => {}); // reported where it is awaited

const ui = { engine: null, meta: null, types: [], byName: new Map(), problems: [], revision: null };

function stageMessage(text) {
  const el = $("#stage-message");
  el.hidden = !text;
  el.textContent = text || "";
}

function setStatus(text, kind = "") {
  const el = $("#save-status");
  el.textContent = text;
  el.dataset.kind = kind;
}

function setRevision(rev) {
  if (rev === null || rev === undefined) return;
  ui.revision = rev;
  $("#revision").textContent = `r${rev}`;
  paintPublished();
}

/** The published revision and, when known, its version (1, 2, 3): the header says which is live. */
function setPublished(rev, version) {
  if (ui.meta) ui.meta.published_revision = rev ?? null;
  if (version !== undefined) ui.publishedVersion = version;
  paintPublished();
}

/** "Published v3", "Published v3 · unpublished changes" or "Not published": words, not colour alone. */
function paintPublished() {
  const el = $("#pub-status");
  const rev = ui.meta?.published_revision;
  if (!el || !ui.meta) return;
  const pending = Boolean(rev) && ui.revision !== null && ui.revision !== rev;
  el.className = `badge hide-phone ${rev ? (pending ? "badge-warn" : "badge-ok") : ""}`;
  el.textContent = !rev ? "Not published" : `Published ${ui.publishedVersion ? `v${ui.publishedVersion}` : `r${rev}`}${pending ? " · unpublished changes" : ""}`;
  el.title = pending ? `The draft (revision ${ui.revision}) has changes that are not live yet` : "";
}

/** The account's webhook policy: a warning badge while unsigned webhooks are allowed (local development). */
async function showWebhookPolicy() {
  try {
    const t = await api("/telephony");
    $("#unsigned-webhooks").hidden = !(t && t.allow_unsigned_webhooks && !t.configured);
  } catch (err) {
    console.warn("could not read the telephony settings", err);
  }
}

const typeTitle = (name) => ui.byName.get(name)?.title || name || "Unknown";
/**
 * What a card says its node does (core/summary.js), cached per config object: cards ask every
 * frame, and only a change of config (a new object) or, for business hours, of the minute redoes it.
 */
function cardSummary(byName, clock) {
  const cache = new WeakMap();
  const timedTypes = new Set([...byName.values()].filter(dependsOnClock).map((t) => t.name));
  return (n) => {
    const type = byName.get(n.typeName);
    if (!type || !n.config) return "";
    const timed = timedTypes.has(type.name);
    const minute = timed ? Math.floor(clock() / 60000) : 0;
    const hit = cache.get(n.config);
    if (hit && hit.minute === minute) return hit.text;
    const text = summarize(type, n.config, clock()).map((x) => x.text).join("\n"); // a line each on the card
    cache.set(n.config, { text, minute });
    return text;
  };
}

/** A problem in words: the node's label and the field's title (core/problemtext.js). */
function describe(p) {
  const nodeOf = (id) => { const i = ui.engine ? ui.engine.indexOfId(id) : -1; return i >= 0 ? ui.engine.nodeInfo(i) : null; };
  return describeProblem(p, nodeOf, (name) => ui.byName.get(name));
}

async function boot() {
  if (flowId === null) return stageMessage("This address does not name a flow.");
  let typesData, config;
  // boot.js sent these before the page's other modules arrived
  const read = (path) => { const early = takeEarly(path); return early ? answer(early) : api(path); };
  try {
    [ui.meta, typesData, config] = await Promise.all([read(`/flows/${flowId}`), read("/node-types"), read("/config")]);
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) { location.assign("/"); return; }
    return stageMessage(err.status === 404 ? "This flow does not exist, or it belongs to another account." : err.message);
  }
  ui.types = Array.isArray(typesData) ? typesData : typesData.types || [];
  ui.byName = new Map(ui.types.map((t) => [t.name, t]));
  document.title = `${ui.meta.name} · Ringflow`;
  $("#flow-name").value = ui.meta.name;
  setRevision(ui.meta.revision);
  setPublished(ui.meta.published_revision);
  showWebhookPolicy();
  if (ui.meta.published_revision) {
    api(`/flows/${flowId}/revisions?limit=1`).then((d) => setPublished(ui.meta.published_revision, d?.revisions?.[0]?.version))
      .catch((err) => console.warn("latest version unknown", err));
  }
  setStatus("Loading flow…");

  const props = createProperties($("#inspector"), {
    types: ui.types,
    onChange: (index, patch) => ui.engine?.updateNode(index, patch),
    onDelete: () => ui.engine?.deleteSelection(),
    isStart: (id) => id != null && id === ui.meta.start,
    onMakeStart: async (index, id) => {
      try {
        const key = ui.engine.nodeInfo(index).key; // indices may change if the engine reloads
        setRevision(await setStartNode(ui.engine, flowId, index, id, ui.revision, ui.clientId));
        ui.meta.start = id;
        const again = key != null ? ui.engine.indexOfKey(key) : ui.engine.indexOfId(id);
        if (again >= 0) ui.engine.select([again]);
        toast("The call now starts at this node.", "ok");
        showSelection(props, true);
        revalidate();
      } catch (err) { toast(err.message, "error"); }
    },
  });
  ui.props = props;
  // Escape in the properties panel goes back to the node's card (the edit is kept: it commits on blur)
  $("#inspector").addEventListener("keydown", (ev) => {
    const cur = props.current();
    if (ev.key !== "Escape" || !cur || cur.index < 0 || !ui.engine) return;
    ev.preventDefault();
    ev.stopPropagation();
    ui.engine.focusNode(cur.index);
  });
  createPalette($("#palette"), ui.types, (type) => addNode(type, null));

  let engineMod;
  try {
    engineMod = await engineModule;
  } catch (err) {
    setStatus("Editor unavailable", "error");
    return stageMessage(`The editor engine could not be loaded (${err.message}).`);
  }
  // Controls floating over the canvas must not start a canvas gesture (its pointer capture
  // would swallow their clicks).
  for (const el of [$(".canvas-toolbar"), $("#problems-bar")]) {
    for (const type of ["pointerdown", "dblclick", "wheel"]) el.addEventListener(type, (ev) => ev.stopPropagation());
  }
  const clientId = `ui-${Math.random().toString(36).slice(2, 10)}`;
  ui.clientId = clientId;
  try {
    await geometryRequested();
    ui.engine = await engineMod.createEditorEngine({
      canvas: $("#canvas"), domLayer: $("#dom-layer"), overlayRoot: $("#overlay-root"), minimap: $("#minimap"),
      flowId, config, nodeTypes: ui.types, meta: ui.meta, mode: config?.RINGFLOW_PERFORMANCE_MODE || "auto", clientId, live: true,
      cardSummary: cardSummary(ui.byName, () => Date.now()),
      early: takeEarly,
    });
  } catch (err) {
    setStatus("Editor unavailable", "error");
    return stageMessage(`The flow could not be opened: ${err.message}`);
  }
  window.ringflow = Object.assign(window.ringflow || {}, { ui: { problems: () => ui.problems, revision: () => ui.revision } });
  setStatus("All changes saved", "ok");
  $("#mode").value = typeof ui.engine.forcedMode === "function" ? ui.engine.forcedMode() : "auto"; // the switcher shows the choice
  wireEngine(props);
  wireTopBar();
  wireMenu(wireKeys());
  acceptPaletteDrops($("#stage"), (type, cx, cy) => {
    const r = $("#canvas").getBoundingClientRect();
    addNode(type, ui.engine.screenToWorld(cx - r.left, cy - r.top));
  }, () => { const z = ui.engine.camera.zoom; return { w: 200 * z, h: 72 * z, dx: 100 * z, dy: 36 * z }; }); // addNode's box around the point
  revalidate();
}

/** Add a node: at `point` (a drop), else in free space below the selection or at the view's
 * centre (never on a node or over an edge); it is selected and keyboard focus lands on it. */
function addNode(typeName, point) {
  const e = ui.engine;
  const t = ui.byName.get(typeName);
  if (!e || !t) return;
  const p = point ? { x: point.x - 100, y: point.y - 36 } : e.freeSpot({ w: 200, h: 72, near: e.selection() });
  const id = `${typeName}_${Math.random().toString(36).slice(2, 8)}`;
  e.addNode({ id, type: typeName, x: Math.round(p.x), y: Math.round(p.y), label: t.title, config: defaultConfig(t) });
  const i = e.indexOfId(id);
  document.body.classList.remove("show-palette");
  $("#toggle-palette").setAttribute("aria-pressed", "false");
  if (i >= 0) { e.select([i]); if (point) focusCard(i); else e.focusNode(i); } // a drop is in view already: the camera stays
  toast(`Added ${t.title}.`, "ok", { timeout: 1500 });
}

/** The polite live region: what an edit changed, for screen readers. */
function announce(text) {
  const el = $("#announcer");
  if (!el || !text) return;
  el.textContent = "";
  requestAnimationFrame(() => { el.textContent = text; });
}

function nodeName(id) {
  const e = ui.engine, i = e.indexOfId(id);
  if (i < 0) return null;
  const n = e.nodeInfo(i);
  return n ? n.label || n.typeTitle : null;
}

/** "Welcome → next → Main menu" for an edge ref {s, o, d, outlet}. */
function edgeText(r) {
  const e = ui.engine, a = e.nodeInfo(r.s), b = e.nodeInfo(r.d);
  return `${a ? a.label || a.typeTitle : "?"}, outlet ${r.outlet ?? "?"}, to ${b ? b.label || b.typeTitle : "?"}`;
}

let showTicket = 0;
/** The panel follows the selection. Calls overlap (a double click is a selection change and an
 * activation, each waiting for details): only the latest shows, and a node already in the panel
 * is not rebuilt unless `refresh` (its data changed elsewhere), or what the person has started
 * typing would be replaced by the stored value. */
async function showSelection(props, refresh = false) {
  const e = ui.engine, ticket = ++showTicket;
  const sel = e.selection(), edges = e.selectedEdges ? e.selectedEdges() : [];
  if (!sel.length && edges.length) { props.showEdges(edges.map(edgeText), () => e.deleteSelection()); return; }
  if (sel.length === 1) {
    await e.details(sel);
    if (ticket !== showTicket || e.selection().length !== 1 || e.selection()[0] !== sel[0]) return;
    const info = e.nodeInfo(sel[0]), cur = props.current();
    if (!refresh && cur && cur.index === sel[0] && cur.id === info.id) return;
    props.show(info);
  } else if (sel.length > 1) props.showMany(sel.length);
  else props.empty();
}

const revalidate = debounce(async () => {
  try {
    ui.problems = await validateFlow(flowId);
  } catch (err) {
    return;
  }
  showProblems();
}, 600);

/** Badge, cards and panel from the one list (the publish dialog counts the same list). */
function showProblems() {
  ui.engine?.setProblems(ui.problems.filter((p) => p.node_id).map((p) => ({ node: p.node_id, message: describe(p).full, severity: p.severity })));
  ui.props?.setProblems(ui.problems);
  paintProblemsBar($("#problems-bar"), ui.problems, () => openProblems("Problems", ui.problems));
}

function jumpToId(id) {
  const e = ui.engine;
  const i = e.indexOfId(id);
  if (i >= 0) return jumpToIndex(i);
  api(`/flows/${flowId}/search?q=${encodeURIComponent(id)}&limit=20`).then((data) => {
    const list = Array.isArray(data) ? data : data?.nodes || data?.results || [];
    const hit = list.find((n) => n.id === id) || list[0];
    if (hit) jumpTo(hit); else toast(`Node ${id} was not found.`, "warning");
  }).catch((err) => toast(err.message, "error"));
}

function jumpTo(node) {
  const e = ui.engine;
  let i = node.key !== undefined && node.key !== null ? e.indexOfKey(node.key) : -1;
  if (i < 0) i = e.indexOfId(node.id);
  if (i < 0) return toast(`Node ${node.id} is not loaded yet; try again in a moment.`, "warning");
  jumpToIndex(i);
}

function jumpToIndex(i) {
  const e = ui.engine;
  e.centerOn(i, Math.max(1, e.camera.zoom));
  e.select([i]);
  focusCard(i);
}

function focusCard(i, tries = 60) { // a camera glide brings the card in over several frames
  const card = $(`#dom-layer .rf-card[data-index="${i}"]`);
  if (card) card.focus({ preventScroll: true });
  else if (tries > 0) requestAnimationFrame(() => focusCard(i, tries - 1));
}

function openProblems(title, problems, extra) {
  const body = $("#publish-body");
  const counts = countProblems(problems);
  body.replaceChildren(extra || h("span"), ...(problems.length
    ? [h("p", { class: "problem-count" }, `${countText(counts)}:`),
      h("ul", { class: "problem-list" }, problems.map((p) => problemItem(p, (id) => { $("#publish-dialog").close(); jumpToId(id); }, describe)))]
    : [h("p", {}, "No problems found.")]),
  counts.total > problems.length ? h("p", { class: "muted problems-more" }, `Showing the first ${problems.length} of ${counts.total.toLocaleString("en-US")} problems.`) : "");
  $("#publish-title").textContent = title;
  $("#publish-dialog").showModal();
}

/** Publish asks for an optional version name first, and says what the badge says about problems. */
function openPublishForm(publish) {
  const body = $("#publish-body");
  const name = h("input", { id: "version-name", type: "text", maxlength: 200, autocomplete: "off", placeholder: "e.g. Holiday hours" });
  const counts = countProblems(ui.problems);
  const form = h("form", { class: "publish-form", onsubmit: (ev) => { ev.preventDefault(); publish(name.value.trim() || null); } },
    h("label", { for: "version-name" }, "Version name (optional)"), name,
    h("p", { class: "muted" }, counts.errors ? `${countText(counts)}: errors must be fixed first.`
      : counts.warnings ? `${countText(counts)}; warnings do not block publishing.` : "No problems found so far."),
    h("button", { class: "btn btn-primary", type: "submit" }, "Publish now"));
  body.replaceChildren(form);
  $("#publish-title").textContent = "Publish";
  $("#publish-dialog").showModal();
  name.focus();
}

let remoteToastAt = 0;
function wireEngine(props) {
  const e = ui.engine;
  const refreshUndo = () => { $("#btn-undo").disabled = !e.canUndo(); $("#btn-redo").disabled = !e.canRedo(); };
  e.on("selectionchange", () => showSelection(props));
  e.on("nodeactivate", async ({ index }) => {
    e.select([index]);
    document.body.classList.add("show-props");
    await showSelection(props); // the panel shows this node (details loaded) before focus moves into it
    requestAnimationFrame(() => $("#inspector input, #inspector select, #inspector textarea")?.focus());
  });
  e.on("change", ({ origin, changes }) => {
    refreshUndo();
    if (origin !== "remote") announce(describeChanges(changes, nodeName));
    const cur = props.current();
    if (cur && cur.index >= 0) props.setOutlets(cur.index, e.nodeInfo(cur.index).outlets || []);
    if (origin === "remote") {
      if (typeof e.revision === "function") setRevision(e.revision()); // the header's "unpublished changes" follows others' edits too
      const now = Date.now();
      if (now - remoteToastAt > 3000) toast("Another editor changed this flow; their changes are shown.", "info");
      remoteToastAt = now;
      showSelection(props, true);
    } else {
      setStatus("Saving…", "busy");
    }
    revalidate();
  });
  // the start node moved or the flow was renamed (here, or live by another editor)
  e.on("meta", ({ start, name, origin }) => {
    if (start !== undefined) ui.meta.start = start;
    if (name !== undefined && name !== null) {
      ui.meta.name = name;
      document.title = `${name} · Ringflow`;
      if (document.activeElement !== $("#flow-name")) $("#flow-name").value = name;
    }
    if (origin === "remote") showSelection(props, true);
  });
  e.on("saved", ({ revision }) => { setRevision(revision); setStatus("All changes saved", "ok"); revalidate(); });
  e.on("conflict", ({ current }) => {
    // the engine re-reads the flow (skeleton and details) itself; say what happened
    setRevision(current);
    setStatus(`Reloaded at revision ${current}`, "warn");
    toast(`This flow was changed elsewhere (now revision ${current}). Your last change was not saved; the view shows the current flow.`,
      "warning", { timeout: 10000 });
  });
  e.on("reloaded", ({ revision }) => { setRevision(revision); refreshUndo(); showSelection(props, true); revalidate(); });
  e.on("error", ({ message }) => { setStatus("Not saved", "error"); toast(message, "error"); });
  e.on("modechange", ({ mode, reason }) => {
    $("#mode").title = `Rendering mode: ${mode}`;
    if (reason === "step-down") toast(`Frames were dropping: switched to ${mode} mode.`, "info");
  });
  refreshUndo();
  // leaving with edits still queued: send them now, and ask before closing while a save is pending
  document.addEventListener("visibilitychange", () => { if (document.visibilityState === "hidden") e.flush(); });
  window.addEventListener("beforeunload", (ev) => {
    if ($("#save-status").dataset.kind === "busy") { e.flush(); ev.preventDefault(); ev.returnValue = ""; }
  });
}

function toggleDrawer(id, on) {
  for (const d of ["outline", "history", "testcall"]) {
    const open = d === id ? (on ?? $(`#${d}`).hidden) : false;
    $(`#${d}`).hidden = !open;
    $(`#btn-${d === "testcall" ? "test" : d}`).setAttribute("aria-pressed", String(open));
  }
  return !$(`#${id}`).hidden;
}

function wireTopBar() {
  const e = ui.engine;
  const name = $("#flow-name");
  name.addEventListener("change", async () => {
    const value = name.value.trim();
    if (!value) { name.value = ui.meta.name; return toast("A flow needs a name.", "warning"); }
    if (value === ui.meta.name) return;
    try {
      const rev = await renameFlow(e, flowId, value, ui.revision, ui.clientId);
      ui.meta.name = value;
      document.title = `${value} · Ringflow`;
      setRevision(rev);
      setStatus("Renamed", "ok");
    } catch (err) {
      name.value = ui.meta.name;
      toast(err.message, "error");
    }
  });
  name.addEventListener("keydown", (ev) => { if (ev.key === "Enter") name.blur(); if (ev.key === "Escape") { name.value = ui.meta.name; name.blur(); } });
  $("#btn-help").addEventListener("click", () => $("#help-dialog").showModal());
  $("#btn-undo").addEventListener("click", () => e.undo());
  $("#btn-redo").addEventListener("click", () => e.redo());
  $("#btn-fit").addEventListener("click", () => e.fitView());
  $("#btn-zoom-in").addEventListener("click", () => e.zoomBy(1.4));
  $("#btn-zoom-out").addEventListener("click", () => e.zoomBy(1 / 1.4));
  wireThemeSwitch($("#btn-theme"));
  $("#btn-layout").addEventListener("click", async (ev) => {
    const btn = ev.currentTarget;
    if (btn.getAttribute("aria-busy") === "true") return; // the server is still arranging the last click
    btn.setAttribute("aria-busy", "true");
    try {
      const whole = e.selection().length < 2;
      const { moved: n, indices } = await autoLayout(e, ui.meta.start);
      if (n && whole) e.fitView(indices); // the arranged cards (the flow's bounds only grow: they still hold the old spread)
      toast(n ? `Arranged ${n} node${n === 1 ? "" : "s"}. Undo with Ctrl+Z.` : "Already arranged.", "ok");
    } catch (err) {
      toast(err instanceof ApiError ? `Layout failed: ${err.message}` : err.message, err instanceof ApiError ? "error" : "warning");
    } finally { btn.removeAttribute("aria-busy"); }
  });
  $("#mode").addEventListener("change", (ev) => e.setMode(ev.target.value));
  $("#btn-monitor").addEventListener("click", (ev) => {
    const on = ev.currentTarget.getAttribute("aria-pressed") !== "true";
    e.toggleOverlay(on);
    ev.currentTarget.setAttribute("aria-pressed", String(on));
  });
  e.on("overlaychange", ({ shown }) => $("#btn-monitor").setAttribute("aria-pressed", String(Boolean(shown))));
  const outline = createOutline($("#outline"), {
    flowId, typeTitle, nodeCount: () => e.state.count, onJump: jumpToId,
    viewRect: () => {
      const r = $("#canvas").getBoundingClientRect();
      const a = e.screenToWorld(0, 0);
      const b = e.screenToWorld(r.width, r.height);
      return { x0: a.x, y0: a.y, x1: b.x, y1: b.y };
    },
  });
  const diffOverlay = createDiffOverlay($("#stage"), e);
  const pathOverlay = createDiffOverlay($("#stage"), e); // the edges a test call took
  const history = createHistory($("#history"), {
    flowId, typeTitle, overlay: diffOverlay, jumpTo: jumpToId,
    labelOf: (id) => { const i = e.indexOfId(id); return i >= 0 ? e.nodeInfo(i).label || null : null; },
    meta: () => ({ revision: ui.revision, published_revision: ui.meta.published_revision }),
    onRestored: (data, r) => { setRevision(data.revision); e.reload(); toast(`The draft is now ${versionName(r)}; publish to make it live.`, "ok"); },
  });
  ui.history = history;
  const test = createTestCall($("#testcall"), {
    flowId,
    onHighlight: ({ current, path, edges }) => {
      const idx = (ids) => ids.map((id) => e.indexOfId(id)).filter((i) => i >= 0);
      if (edges?.length) pathOverlay.showShapes({ edges: edges.map((x) => ({ ...x, kind: "taken" })) }); else pathOverlay.hide();
      e.setHighlight(idx(path || []), "path");
      const cur = current ? idx([current]) : [];
      e.setHighlight(cur, "current");
      e.setTestCall?.({ current, path: path || [] }); // live traffic: the waiting node counts a call, its steps run along the edges
      if (cur.length) e.centerOn(cur[0]);
    },
    onClear: () => { e.setHighlight([], "path"); e.setHighlight([], "current"); pathOverlay.hide(); e.setTestCall?.(null); },
    labelOf: (id) => { const i = e.indexOfId(id); return i >= 0 ? e.nodeInfo(i).label : null; },
  });
  $("#btn-outline").addEventListener("click", () => { if (toggleDrawer("outline")) outline.load(); });
  const followView = debounce(() => { if (!$("#outline").hidden && outline.followsView()) outline.load(); }, 400);
  e.on("viewportchange", followView);
  $("#btn-history").addEventListener("click", () => { if (toggleDrawer("history")) history.load(); });
  $("#btn-test").addEventListener("click", () => toggleDrawer("testcall"));
  for (const d of ["outline", "history", "testcall"]) $(`#${d}`).addEventListener("close", () => toggleDrawer(d, false));
  // closing the test panel hangs up its call, so no highlight is left behind on the canvas
  new MutationObserver(() => { if ($("#testcall").hidden) test.stop(); }).observe($("#testcall"), { attributes: true, attributeFilter: ["hidden"] });
  new MutationObserver(() => { if ($("#history").hidden) diffOverlay.hide(); }).observe($("#history"), { attributes: true, attributeFilter: ["hidden"] });
  $("#btn-validate").addEventListener("click", async () => {
    try {
      await e.flush();
      ui.problems = await validateFlow(flowId);
      revalidate();
      openProblems(ui.problems.length ? "Validation problems" : "Validation passed", ui.problems);
    } catch (err) { toast(err.message, "error"); }
  });
  $("#btn-publish").addEventListener("click", () => openPublishForm(publish));
  async function publish(name) {
    try {
      await e.flush();
      const res = await publishFlow(flowId, name);
      if (res.ok) {
        setPublished(res.revision, res.data?.version);
        const v = res.data?.version;
        toast(`Published${v ? ` as version ${v}` : ""}.`, "ok");
        ui.problems = problemsOf(res.data); // warnings do not block publishing, but they are the badge's warnings: say them
        showProblems();
        openProblems("Published", ui.problems, h("p", { class: "publish-ok" }, `The flow is live${v ? ` as version ${v}` : ""}.`));
        ui.history?.published(res.data);
      } else {
        ui.problems = res.problems;
        revalidate();
        openProblems("Cannot publish yet", res.problems, h("p", {}, "Nothing was published. Fix these errors, then publish again:"));
      }
    } catch (err) { toast(err.message, "error"); }
  }
  createSearch($("#node-search"), $("#search-results"), flowId, typeTitle, jumpTo);
  for (const [btn, cls] of [["#toggle-palette", "show-palette"], ["#toggle-props", "show-props"]]) {
    $(btn).addEventListener("click", (ev) => {
      const on = document.body.classList.toggle(cls);
      ev.currentTarget.setAttribute("aria-pressed", String(on));
    });
  }
}

/** Right-click: node actions on a node, view actions on empty canvas (keys do the same). */
function wireMenu(clip) {
  const e = ui.engine;
  const menu = createContextMenu($("#stage"));
  const connect = createConnectDialog({ engine: e, flowId, dialog: $("#connect-dialog"), typeTitle });
  ui.connect = connect;
  e.on("portactivate", ({ index, outlet }) => connect.open(index, outlet));
  e.on("contextmenu", async ({ index, edge, sx, sy, event }) => {
    event?.preventDefault();
    const back = document.activeElement; // a keyboard-opened menu gives focus back when it closes
    if (index >= 0) {
      if (!e.selection().includes(index)) e.select([index]);
      const many = e.selection().length > 1;
      await e.details([index]);
      const info = e.nodeInfo(index);
      const links = many ? [] : e.connections(index);
      menu.open({ sx, sy, returnFocus: back, items: [
        { label: "Edit", run: () => { document.body.classList.add("show-props"); $("#inspector input")?.focus(); }, disabled: many },
        { label: "Copy", run: () => clip.copy() },
        { label: "Duplicate", run: async () => { if (await clip.copy()) clip.paste(); } },
        { label: "Connect…", run: () => connect.open(index), disabled: many || !info?.outlets.length },
        ...links.map((c) => ({ label: `Disconnect ${c.outlet ?? "?"} → ${e.nodeInfo(c.target)?.label || e.nodeInfo(c.target)?.typeTitle || "?"}`,
          run: () => e.deleteEdges([{ s: index, o: c.o, d: c.target, outlet: c.outlet }]) })),
        { label: "Delete", run: () => e.deleteSelection() },
      ] });
    } else if (edge) {
      e.selectEdges([edge]);
      menu.open({ sx, sy, returnFocus: back, items: [
        { label: "Delete connection", run: () => e.deleteSelection() },
        { label: "Go to source", run: () => jumpToIndex(edge.s) },
        { label: "Go to target", run: () => jumpToIndex(edge.d) },
      ] });
    } else {
      menu.open({ sx, sy, items: [
        { label: "Paste", run: () => clip.paste(), disabled: !clip.hasClip() },
        { label: "Fit view", run: () => e.fitView() },
        { label: "Arrange in layers", run: () => $("#btn-layout").click() },
      ] });
    }
  });
}

function wireKeys() {
  return wireShortcuts({
    engine: ui.engine,
    focusSearch: () => { $("#node-search").focus(); $("#node-search").select(); },
    openHelp: () => $("#help-dialog").showModal(),
    modalOpen: () => $("#publish-dialog").open || $("#help-dialog").open || $("#connect-dialog").open,
    focusPalette: () => { document.body.classList.add("show-palette"); $("#toggle-palette").setAttribute("aria-pressed", "true"); const f = $("#palette-filter"); f.focus(); f.select(); },
    jumpToIndex,
    closePanels: () => document.body.classList.remove("show-palette", "show-props"),
  });
}

boot();

// The list page: sign in with an API key, then search, create, import, delete and open flows.
import { api, ApiError, qs } from "./ui/api.js";
import { $, h, clear, debounce, icon } from "./ui/dom.js";
import { toast } from "./ui/toast.js";
import { starterFlow } from "./ui/starter.js";
import { applyTheme, savedTheme } from "./ui/theme.js";

applyTheme(savedTheme()); // the editor's light/dark choice holds here too

const PAGE = 25;
const state = { q: "", sort: "newest", cursor: null, loading: false, seq: 0 };

function showSignIn(message) {
  $("#signin").hidden = false;
  $("#flows-view").hidden = true;
  $("#signout").hidden = true;
  const err = $("#signin-error");
  err.hidden = !message;
  clear(err, message ? [icon("error"), h("span", {}, message)] : []);
  $("#api-key").focus();
}

function showFlows() {
  $("#signin").hidden = true;
  $("#flows-view").hidden = false;
  $("#signout").hidden = false;
}

function when(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? String(iso) : d.toLocaleString();
}

/** A safe download name from a flow name (the server's JSON is the file's content). */
function fileName(name) {
  return String(name).replace(/[^A-Za-z0-9._ -]+/g, "_").trim().slice(0, 80) || "flow";
}

function row(flow) {
  const published = flow.status === "published";
  const status = h("span", { class: `badge ${published ? "badge-ok" : ""}` },
    published ? icon("ok") : null, published ? `Published r${flow.published_revision ?? ""}` : "Draft");
  const del = h("button", { class: "btn btn-sm btn-danger", type: "button", "aria-label": `Delete ${flow.name}` }, "Delete");
  del.addEventListener("click", () => confirmDelete(flow, tr));
  const tr = h("tr", { dataset: { flowId: flow.id } },
    h("td", {}, h("a", { class: "flow-name", href: `/flows/${encodeURIComponent(flow.id)}` }, flow.name)),
    h("td", {}, status),
    h("td", { class: "col-nodes" }, String(flow.node_count ?? "")),
    h("td", { class: "col-updated muted" }, when(flow.updated_at)),
    h("td", { class: "actions" },
      h("a", { class: "btn btn-sm", href: `/flows/${encodeURIComponent(flow.id)}`, "aria-label": `Open ${flow.name}` }, "Open"), " ",
      h("a", { class: "btn btn-sm btn-export", href: `/api/v1/flows/${encodeURIComponent(flow.id)}/document`, download: `${fileName(flow.name)}.json`,
        "aria-label": `Export ${flow.name} as JSON` }, "Export"), " ", del));
  return tr;
}

async function load(reset) {
  const seq = ++state.seq;
  if (reset) state.cursor = null;
  state.loading = true;
  $("#main").setAttribute("aria-busy", "true");
  try {
    const data = await api(`/flows${qs({ limit: PAGE, cursor: reset ? null : state.cursor, q: state.q, sort: state.sort === "newest" ? null : state.sort })}`);
    if (seq !== state.seq) return;
    showFlows();
    const rows = $("#flow-rows");
    if (reset) clear(rows);
    for (const f of data.flows || []) rows.appendChild(row(f));
    state.cursor = data.next_cursor || null;
    $("#load-more").hidden = !state.cursor;
    const empty = $("#flows-empty");
    empty.hidden = rows.children.length > 0;
    empty.textContent = state.q ? `No flow matches “${state.q}”.` : "No flows yet. Create one or import a file.";
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) showSignIn("");
    else toast(err.message, "error");
  } finally {
    state.loading = false;
    $("#main").setAttribute("aria-busy", "false");
  }
}

function confirmDelete(flow, tr) {
  const dlg = $("#confirm-delete");
  $("#confirm-text").textContent = `“${flow.name}” and its revisions will be deleted. This cannot be undone.`;
  dlg.returnValue = "";
  dlg.onclose = async () => {
    if (dlg.returnValue !== "delete") return;
    try {
      await api(`/flows/${encodeURIComponent(flow.id)}`, { method: "DELETE" });
      tr.remove();
      toast(`Deleted “${flow.name}”.`, "ok");
      $("#flows-empty").hidden = $("#flow-rows").children.length > 0;
    } catch (err) {
      toast(err.message, "error");
    }
  };
  dlg.showModal();
}

async function createFlow(doc) {
  const made = await api("/flows", { method: "POST", body: doc });
  location.assign(`/flows/${encodeURIComponent(made.id)}`);
}

function problemsText(err) {
  const d = err.details;
  const list = Array.isArray(d) ? d : (d && Array.isArray(d.problems) ? d.problems : []);
  const first = list.slice(0, 3).map((p) => p.message || String(p)).join("; ");
  return first ? `${err.message} (${first})` : err.message;
}

function wire() {
  $("#signin-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const key = $("#api-key").value.trim();
    if (!key) return showSignIn("Enter an API key.");
    try {
      await api("/session", { method: "POST", body: { api_key: key } });
      $("#api-key").value = "";
      await load(true);
      $("#flow-search").focus();
    } catch (err) {
      showSignIn(err.status === 401 || err.status === 403 ? "That API key was not accepted." : err.message);
    }
  });
  $("#signout").addEventListener("click", async () => {
    try { await api("/session", { method: "DELETE" }); } catch { /* signed out anyway */ }
    clear($("#flow-rows"));
    showSignIn("");
  });
  const search = debounce(() => { state.q = $("#flow-search").value.trim(); load(true); }, 250);
  $("#flow-search").addEventListener("input", search);
  $("#flow-sort").addEventListener("change", (ev) => { state.sort = ev.target.value; load(true); }); // the server sorts: every page follows
  $("#load-more").addEventListener("click", () => load(false));
  $("#create-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const name = $("#new-name").value.trim();
    if (!name) { toast("Give the new flow a name.", "warning"); $("#new-name").focus(); return; }
    try { await createFlow(starterFlow(name)); } catch (err) { toast(problemsText(err), "error"); }
  });
  $("#import-file").addEventListener("change", async (ev) => {
    const file = ev.target.files && ev.target.files[0];
    ev.target.value = "";
    if (!file) return;
    let doc;
    try { doc = JSON.parse(await file.text()); } catch {
      toast(`${file.name} is not a JSON file.`, "error");
      return;
    }
    if (doc && typeof doc === "object" && !doc.name && !doc.states) doc.name = file.name.replace(/\.json$/i, "");
    try { await createFlow(doc); } catch (err) { toast(`Import failed: ${problemsText(err)}`, "error"); }
  });
  $("#import-label").addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); $("#import-file").click(); }
  });
  $("#import-label").setAttribute("tabindex", "0");
  $("#import-label").setAttribute("role", "button");
}

wire();
load(true).then(() => { document.documentElement.dataset.ready = "1"; });

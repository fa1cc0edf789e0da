// "Test a call": drives a call through the runtime's test-call API without a phone and shows what
// the caller hears, where the call is, its variables and the path taken. The runtime's answer
// shape is read defensively, since it is built in parallel (issue 5).
import { api } from "./api.js";
import { h, clear, icon } from "./dom.js";

const KEYS = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "0", "#"];

/** Pull the fields we show out of a test-call answer, whatever it calls them. */
export function readCall(data) {
  const d = data?.call || data || {};
  const said = d.said ?? d.say ?? d.hear ?? d.heard ?? d.prompts ?? d.output ?? [];
  const lines = (Array.isArray(said) ? said : [said]).map((s) => (typeof s === "string" ? s : s?.text ?? s?.say ?? s?.url ?? JSON.stringify(s))).filter(Boolean);
  const node = d.node_id ?? d.node ?? d.current_node ?? null;
  const path = (d.path ?? d.history ?? d.steps ?? []).map((p) => (typeof p === "string" ? p : p?.node ?? p?.node_id)).filter(Boolean);
  const ended = Boolean(d.ended ?? d.done ?? d.finished ?? (d.status && ["completed", "ended", "hangup", "done"].includes(d.status)));
  return { id: d.call_sid ?? d.id ?? d.call_id ?? null, lines, node: typeof node === "object" && node ? node.id : node,
    path, variables: d.variables ?? d.flow?.variables ?? {}, ended, waiting: d.waiting_for ?? d.waiting ?? null,
    // fields that went over a limit (a template too big or too slow): the node took its error path
    errors: (Array.isArray(d.errors) ? d.errors : []).map((e) => ({ node: e?.node_id ?? null, message: String(e?.message ?? e) })) };
}

/**
 * The edges a call took, from its explained steps ({node_id, outlet}) in order and where it is now:
 * each step leads to the next step's node, the last one to the current node. Retries stay put.
 */
export function takenEdges(steps, current) {
  const out = [];
  for (let i = 0; i < steps.length; i++) {
    const s = steps[i];
    if (!s.outlet || s.outlet === "retry") continue;
    const next = i + 1 < steps.length ? steps[i + 1].node_id : current;
    if (next) out.push({ source: s.node_id, outlet: s.outlet, target: next });
  }
  return out;
}

/** "Main menu → 2: heard “2”, which matches choice 2" (the runtime's words, the node's label). */
export function stepText(s) {
  const head = s.outlet && s.outlet !== "retry" ? `${s.label} → ${s.outlet}` : s.label;
  return s.reason ? `${head}: ${s.reason}` : head;
}

/** deps: {flowId, onHighlight({current, path, edges}), onClear(), labelOf(id)?} */
export function createTestCall(root, deps) {
  let call = null;
  let path = [];
  let steps = [];
  const transcript = h("ol", { class: "transcript", "aria-live": "polite", "aria-label": "What the caller hears" });
  const where = h("p", { class: "call-where" });
  const vars = h("dl", { class: "vars" });
  const speech = h("input", { id: "tc-speech", type: "text", placeholder: "What the caller says", autocomplete: "off" });
  const keypad = h("div", { class: "keypad", role: "group", "aria-label": "Keypad" },
    KEYS.map((k) => h("button", { class: "key", type: "button", "aria-label": `Press ${k}`, onclick: () => send({ digits: k }) }, k)));
  const startBtn = h("button", { class: "btn btn-primary", type: "button", onclick: start }, "Start test call");
  const hangBtn = h("button", { class: "btn btn-danger", type: "button", onclick: stop, disabled: true }, "Hang up");
  const speechForm = h("form", { class: "speech-row" }, h("label", { class: "sr-only", for: "tc-speech" }, "Caller speech"), speech,
    h("button", { class: "btn", type: "submit" }, "Say"));
  speechForm.addEventListener("submit", (ev) => { ev.preventDefault(); if (speech.value.trim()) send({ speech: speech.value.trim() }); speech.value = ""; });
  const error = h("div", { class: "form-error", role: "alert", hidden: true });
  const draft = h("input", { id: "tc-draft", type: "checkbox" });
  const silence = h("button", { class: "btn btn-sm", type: "button", onclick: () => send({ event: "timeout" }) }, "Stay silent");
  root.replaceChildren(h("div", { class: "drawer-head" }, h("h2", {}, "Test a call"),
    h("button", { class: "btn btn-sm btn-ghost", type: "button", "aria-label": "Close test call", onclick: () => root.dispatchEvent(new CustomEvent("close")) }, "Close")),
  h("div", { class: "drawer-body" }, h("p", { class: "muted" }, "Runs the published flow as a call, without a phone."),
    h("div", { class: "check" }, draft, h("label", { for: "tc-draft" }, "Run the draft (not the published revision)")),
    h("div", { class: "row" }, startBtn, hangBtn), error, where, transcript, keypad, speechForm, silence, h("h3", {}, "Variables"), vars));
  setActive(false);

  function setActive(on) {
    for (const b of keypad.querySelectorAll("button")) b.disabled = !on;
    for (const el of speechForm.elements) el.disabled = !on;
    hangBtn.disabled = !on;
    silence.disabled = !on;
  }

  function fail(err) {
    error.hidden = false;
    const unpublished = err.code === "not_published" || (err.status === 404 && !call);
    const text = unpublished ? "This flow has no published revision to call: publish the flow first (or tick “Run the draft”)."
      : err.code === "call_ended" ? "This test call has ended. Start a new one." : err.message;
    clear(error, icon("error"), h("span", {}, text));
  }

  function show(data, you) {
    const c = readCall(data);
    if (c.id) call = c.id;
    if (you) transcript.appendChild(h("li", { class: "you" }, h("span", { class: "who" }, "Caller: "), you));
    for (const e of c.errors) {
      transcript.appendChild(h("li", { class: "flow-error", role: "alert" }, icon("error", "Error"),
        h("span", { class: "who" }, ` ${e.node ? deps.labelOf?.(e.node) || `node ${e.node}` : "Flow"}: `), e.message));
    }
    const why = Array.isArray(data?.steps) ? data.steps : [];
    for (const s of why) transcript.appendChild(h("li", { class: "step" }, h("span", { class: "who" }, "Step: "), stepText(s)));
    steps = [...steps, ...why].slice(-400);
    for (const line of c.lines) transcript.appendChild(h("li", { class: "heard" }, h("span", { class: "who" }, "Flow: "), line));
    const name = c.node ? (data?.node_label || deps.labelOf?.(c.node) || `node ${c.node}`) : "";
    const last = why.length ? why[why.length - 1] : null;
    where.textContent = c.ended ? `The call has ended${last ? ` at ${last.label}` : ""}.` : c.node ? `Now at ${name}${c.waiting ? ` (waiting for ${String(c.waiting).replace(/_/g, " ")})` : ""}.` : "";
    clear(vars, Object.entries(c.variables || {}).flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, typeof v === "string" ? v : JSON.stringify(v))]));
    path = [...path, ...c.path].slice(-200);
    deps.onHighlight({ current: c.ended ? null : c.node, path, edges: takenEdges(steps, c.ended ? null : c.node) });
    setActive(!c.ended);
    if (c.ended) call = null;
  }

  async function start() {
    error.hidden = true;
    transcript.replaceChildren();
    path = [];
    steps = [];
    call = null;
    try {
      const data = await api(`/flows/${deps.flowId}/test-calls${draft.checked ? "?draft=1" : ""}`, { method: "POST", body: {} });
      show(data, null);
    } catch (err) { fail(err); }
  }

  async function send(input) {
    if (!call) return;
    error.hidden = true;
    try {
      const data = await api(`/test-calls/${encodeURIComponent(call)}/steps`, { method: "POST", body: input });
      show(data, input.digits ? `pressed ${input.digits}` : input.speech ? `said “${input.speech}”` : "stayed silent");
    } catch (err) { fail(err); }
  }

  async function stop() {
    if (!call && hangBtn.disabled) { deps.onClear(); return; }
    if (call) {
      try { await api(`/test-calls/${encodeURIComponent(call)}/steps`, { method: "POST", body: { event: "hangup" } }); } catch { /* ended anyway */ }
    }
    call = null;
    where.textContent = "You hung up.";
    setActive(false);
    deps.onClear();
  }
  return { start, stop };
}

// Validation and publishing: POST /validate after edits and on demand, keep the problems in one
// place, and show them as a list (publish dialog, problems bar) with icons and text, not colour alone.
import { api } from "./api.js";
import { h, icon, clear } from "./dom.js";
import { countProblems, countText } from "../core/problemtext.js";

export { countProblems }; // the bar, the dialog and the tests read one count

/** The problems list out of a validate answer or an error's details, whatever its exact shape.
 * The server lists only the first problems of a big flow; the list then carries `counts`
 * ({errors, warnings, total}) for all of them, which the bar and the dialog show. */
export function problemsOf(data) {
  if (!data) return [];
  if (Array.isArray(data)) return data;
  if (Array.isArray(data.problems)) {
    const sev = data.severity_counts;
    if (!sev || typeof data.problems_total !== "number") return data.problems;
    const list = data.problems.slice();
    list.counts = { errors: sev.error || 0, warnings: sev.warning || 0, total: data.problems_total };
    return list;
  }
  if (data.details) return problemsOf(data.details);
  return [];
}

/**
 * One problem as a list item: icon, "Error"/"Warning", then the node's label (a button that jumps
 * to it), the field's title and the message in words (core/problemtext.js), never ids or paths.
 * describe(p) → {node, field, text} (app.js binds it to the flow's labels and the catalogue).
 */
export function problemItem(p, onJump, describe = (q) => ({ node: q.node_id, field: q.field, text: q.message })) {
  const kind = p.severity === "warning" ? "warning" : "error";
  const d = describe(p);
  const sameAsField = d.field && d.text.toLowerCase().startsWith(d.field.toLowerCase());
  const where = p.node_id ? h("button", { class: "link", type: "button", onclick: () => onJump(p.node_id) }, d.node || p.node_id) : null;
  const field = d.field && !sameAsField ? `${where ? " · " : ""}${d.field}` : "";
  return h("li", { class: `problem-item ${kind}`, dataset: { code: p.code || "" } }, icon(kind, kind === "error" ? "Error" : "Warning"),
    h("span", { class: "sev" }, kind === "error" ? "Error" : "Warning"),
    where, field || where ? h("span", { class: "muted" }, `${field}: `) : null, h("span", { class: "problem-text" }, d.text));
}

export async function validateFlow(flowId) {
  return problemsOf(await api(`/flows/${flowId}/validate`, { method: "POST" }));
}

/** Publish; returns {ok: true, revision} or {ok: false, problems, message}. */
export async function publishFlow(flowId, name = null) {
  try {
    const data = await api(`/flows/${flowId}/publish`, { method: "POST", body: name ? { name } : undefined });
    return { ok: true, revision: data?.number ?? data?.revision ?? data?.published_revision ?? null, data };
  } catch (err) {
    const problems = problemsOf(err.details);
    if (err.status === 0 || (!problems.length && err.status >= 500)) throw err;
    return { ok: false, problems, message: err.message };
  }
}

/** Fill the problems bar under the canvas: counts with icons (the same counts as the publish dialog); click opens the list. */
export function paintProblemsBar(bar, problems, onOpen) {
  const { errors, warnings, total } = countProblems(problems);
  bar.hidden = total === 0;
  clear(bar, h("button", { class: "btn btn-sm", type: "button", onclick: onOpen, "aria-label": `Problems: ${countText({ errors, warnings })}` },
    errors ? [icon("error"), ` ${errors} error${errors === 1 ? "" : "s"}`] : null,
    warnings ? [" ", icon("warning"), ` ${warnings} warning${warnings === 1 ? "" : "s"}`] : null));
}

// Validation and publishing: POST /validate after edits and on demand, keep the problems in one
// place, and show them as a list (publish dialog, problems bar) with icons and text, not colour alone.
import { api } from "./api.js";
import { h, icon, clear } from "./dom.js";

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

/** Errors, warnings and the total of a problems list: the server's counts when it sent them. */
export function countProblems(problems) {
  if (problems.counts) return problems.counts;
  const errors = problems.filter((p) => p.severity !== "warning").length;
  return { errors, warnings: problems.length - errors, total: problems.length };
}

export function problemItem(p, onJump) {
  const kind = p.severity === "warning" ? "warning" : "error";
  const where = p.node_id ? h("button", { class: "link", type: "button", onclick: () => onJump(p.node_id) }, p.node_id) : null;
  return h("li", { class: `problem-item ${kind}` }, icon(kind, kind === "error" ? "Error" : "Warning"),
    h("span", { class: "sev" }, kind === "error" ? "Error" : "Warning"),
    where, where ? h("span", { class: "muted" }, p.field ? ` · ${p.field}: ` : ": ") : null, h("span", {}, p.message));
}

export async function validateFlow(flowId) {
  return problemsOf(await api(`/flows/${flowId}/validate`, { method: "POST" }));
}

/** Publish; returns {ok: true, revision} or {ok: false, problems, message}. */
export async function publishFlow(flowId) {
  try {
    const data = await api(`/flows/${flowId}/publish`, { method: "POST" });
    return { ok: true, revision: data?.number ?? data?.revision ?? data?.published_revision ?? null, data };
  } catch (err) {
    const problems = problemsOf(err.details);
    if (err.status === 0 || (!problems.length && err.status >= 500)) throw err;
    return { ok: false, problems, message: err.message };
  }
}

/** Fill the problems bar under the canvas: counts with icons; click opens the list. */
export function paintProblemsBar(bar, problems, onOpen) {
  const { errors, warnings, total } = countProblems(problems);
  bar.hidden = total === 0;
  clear(bar, h("button", { class: "btn btn-sm", type: "button", onclick: onOpen },
    errors ? [icon("error"), ` ${errors} error${errors === 1 ? "" : "s"}`] : null,
    warnings ? [" ", icon("warning"), ` ${warnings} warning${warnings === 1 ? "" : "s"}`] : null));
}

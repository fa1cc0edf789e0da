// Problems as people read them: the node's label (not its id) and the field's title from the
// catalogue (not "config.to"). The server's rules and codes stay as they are; only the words
// change here, so the badge, the list, the publish dialog and the properties panel all agree.

/** A field's title: the catalogue's (fields[].title), else its name spaced and capitalised. */
export function fieldTitle(type, name) {
  const f = type?.fields?.find((x) => x.name === name);
  if (f?.title) return f.title;
  const s = String(name ?? "").replace(/_/g, " ");
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** "config.to" → "Number to dial"; "outlets.1" → "Outlet “1”"; "label" → "Label"; "start" → "Start node". */
export function fieldPathTitle(type, path) {
  if (!path) return "";
  const [head, ...rest] = String(path).split(".");
  if (head === "config" && rest.length) return fieldTitle(type, rest[0].split("[")[0]);
  if (head === "outlets" && rest.length) return `Outlet “${rest.join(".")}”`;
  return { label: "Label", start: "Start node", type: "Type", id: "Id", source: "Connection" }[head] || fieldTitle(null, head);
}

/** The message with a leading raw field name ("to is required") turned into its title. */
export function messageText(type, p) {
  let m = String(p.message ?? "");
  const path = String(p.field ?? "");
  if (path.startsWith("config.")) {
    const name = path.slice(7).split(/[.[]/)[0];
    if (m === name || m.startsWith(`${name} `)) m = `${fieldTitle(type, name)}${m.slice(name.length)}`;
  }
  if (p.code === "unconnected_outlet") m = "not connected: the call ends there";
  else if (p.code === "unreachable") m = "no path from the start of the call reaches it";
  return m.charAt(0).toUpperCase() + m.slice(1);
}

/**
 * {node, field, text, full} for one problem. `node` is the label (or, unlabelled, the type's
 * title), `field` the field's title, `full` one line: "Sales desk · Number to dial: Number to dial is required".
 * nodeOf(id) → {label, typeName} | null; typeOf(name) → the catalogue entry.
 */
export function describeProblem(p, nodeOf, typeOf) {
  const info = p.node_id ? nodeOf(p.node_id) : null;
  const type = info ? typeOf(info.typeName) : null;
  const node = p.node_id ? (info?.label || (type?.title ?? null) || p.node_id) : null;
  const field = fieldPathTitle(type, p.field);
  const text = messageText(type, p);
  const sameAsField = field && text.toLowerCase().startsWith(field.toLowerCase());
  const where = [node, sameAsField ? null : field].filter(Boolean).join(" · ");
  return { node, field, text, full: where ? `${where}: ${text}` : text };
}

/** Error and warning counts, the one place the badge and the publish dialog count them. */
export function countProblems(problems) {
  if (problems && problems.counts) return problems.counts; // a big flow's first problems: the server counted them all
  let errors = 0;
  for (const p of problems || []) if (p.severity !== "warning") errors += 1;
  const total = problems?.length || 0;
  return { errors, warnings: total - errors, total };
}

/** "1 error", "2 warnings", "1 error and 2 warnings", "No problems". */
export function countText({ errors, warnings }) {
  const part = (n, w) => `${n} ${w}${n === 1 ? "" : "s"}`;
  const parts = [errors ? part(errors, "error") : null, warnings ? part(warnings, "warning") : null].filter(Boolean);
  return parts.length ? parts.join(" and ") : "No problems";
}

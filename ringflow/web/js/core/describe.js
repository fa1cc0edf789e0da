/** What a change set did, in one sentence for a screen reader's live region ("Connected Welcome,
 * outlet next, to Main menu."). Field edits say nothing: the person typing knows. Pure. */

const plural = (n, one, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** cs: the change format; name(id) → a node's label (or its type's title), null when unknown. */
export function describeChanges(cs, name) {
  const n = (cs && cs.nodes) || {}, e = (cs && cs.edges) || {};
  const added = n.added || [], removed = n.removed || [], updated = n.updated || [];
  const eAdded = e.added || [], eRemoved = e.removed || [];
  const nm = (id, rec) => (rec && (rec.label || rec.type)) || name(id) || id || "a node";
  const parts = [];
  if (added.length === 1) parts.push(`Added ${nm(added[0].id, added[0])}`);
  else if (added.length) parts.push(`Added ${plural(added.length, "node")}`);
  if (removed.length === 1) parts.push(`Deleted ${nm(removed[0].id, removed[0])}`);
  else if (removed.length) parts.push(`Deleted ${plural(removed.length, "node")}`);
  if (!added.length && !removed.length) {
    if (eAdded.length === 1) {
      const a = eAdded[0], old = eRemoved.find((x) => x.source === a.source && x.outlet === a.outlet);
      parts.push(`Connected ${nm(a.source)}, outlet ${a.outlet}, to ${nm(a.target)}${old ? ` instead of ${nm(old.target)}` : ""}`);
      if (eRemoved.length > (old ? 1 : 0)) parts.push(`removed ${plural(eRemoved.length - (old ? 1 : 0), "connection")}`);
    } else {
      if (eAdded.length) parts.push(`Added ${plural(eAdded.length, "connection")}`);
      if (eRemoved.length === 1) { const r = eRemoved[0]; parts.push(`Disconnected ${nm(r.source)}, outlet ${r.outlet}, from ${nm(r.target)}`); }
      else if (eRemoved.length) parts.push(`Removed ${plural(eRemoved.length, "connection")}`);
    }
    const moved = updated.filter((u) => u.set && ("x" in u.set || "y" in u.set));
    if (moved.length === 1) parts.push(`Moved ${nm(moved[0].id)}`);
    else if (moved.length) parts.push(`Moved ${plural(moved.length, "node")}`);
  } else if (eRemoved.length && removed.length) {
    parts.push(`with ${plural(eRemoved.length, "connection")}`);
  }
  return parts.length ? `${parts.join(", ").replace(/^./, (ch) => ch.toUpperCase())}.` : "";
}

"""What changed between two flow documents, in the editor's change format, and the patch that makes one into the other.

History's diff (``GET /flows/{id}/diff``) and restore (``POST .../revisions/{n}/restore``) both
start here. Nodes are matched by id and edges by (source, outlet) — the store's own keys — so
"changed" means the same node (or the same outlet) with other settings, place or target.
"""

from __future__ import annotations

from typing import Any, cast

from ringflow.model.document import FlowDocument

_NODE_FIELDS = ("type", "label", "config", "x", "y", "w", "h")


def _nodes(doc: FlowDocument) -> dict[str, dict[str, Any]]:
    return {n["id"]: cast(dict[str, Any], n) for n in doc.get("nodes", [])}


def _edges(doc: FlowDocument) -> dict[tuple[str, str], dict[str, Any]]:
    return {(e["source"], e["outlet"]): cast(dict[str, Any], e) for e in doc.get("edges", [])}


def changed_fields(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """The node fields that differ (``label`` missing and empty are the same)."""
    out = []
    for f in _NODE_FIELDS:
        a, b = before.get(f), after.get(f)
        if f == "label":
            a, b = a or "", b or ""
        elif f == "config":
            a, b = a or {}, b or {}
        if a != b:
            out.append(f)
    return out


def diff_documents(old: FlowDocument, new: FlowDocument) -> dict[str, Any]:
    """``{nodes: {added, updated, removed}, edges: {added, updated, removed}, name, start}``.

    ``updated`` nodes are ``{"id", "before", "after", "fields"}``; updated edges keep their
    (source, outlet) and carry both targets. ``name``/``start`` are ``{"before", "after"}`` or None.
    """
    a_nodes, b_nodes = _nodes(old), _nodes(new)
    a_edges, b_edges = _edges(old), _edges(new)
    updated = []
    for nid, after in b_nodes.items():
        before = a_nodes.get(nid)
        if before is not None:
            fields = changed_fields(before, after)
            if fields:
                updated.append({"id": nid, "before": before, "after": after, "fields": fields})
    edges_updated = [{"source": k[0], "outlet": k[1], "before": a_edges[k]["target"], "after": e["target"]}
                     for k, e in b_edges.items() if k in a_edges and a_edges[k]["target"] != e["target"]]
    name = {"before": old.get("name"), "after": new.get("name")} if old.get("name") != new.get("name") else None
    start = {"before": old.get("start"), "after": new.get("start")} if old.get("start") != new.get("start") else None
    return {
        "nodes": {"added": [n for nid, n in b_nodes.items() if nid not in a_nodes], "updated": updated,
                  "removed": [n for nid, n in a_nodes.items() if nid not in b_nodes]},
        "edges": {"added": [e for k, e in b_edges.items() if k not in a_edges], "updated": edges_updated,
                  "removed": [e for k, e in a_edges.items() if k not in b_edges]},
        "name": name, "start": start,
    }


def patch_ops(current: FlowDocument, target: FlowDocument) -> list[dict[str, Any]]:
    """PATCH ops that turn ``current`` into ``target`` (restore applies them as one new revision).

    Order matters to the store: edges go before the nodes they leave or enter, nodes come before
    the edges that need them, and a deleted node takes its edges with it.
    """
    d = diff_documents(current, target)
    gone = {n["id"] for n in d["nodes"]["removed"]}
    ops: list[dict[str, Any]] = []
    for e in d["edges"]["removed"] + [{"source": u["source"], "outlet": u["outlet"]} for u in d["edges"]["updated"]]:
        if e["source"] not in gone and e.get("target") not in gone:
            ops.append({"op": "delete_edge", "source": e["source"], "outlet": e["outlet"]})
    ops += [{"op": "delete_node", "id": nid} for nid in gone]
    ops += [{"op": "add_node", "node": n} for n in d["nodes"]["added"]]
    for u in d["nodes"]["updated"]:
        after = u["after"]
        ops.append({"op": "update_node", "id": u["id"], **{f: after.get(f, "" if f == "label" else {}) for f in u["fields"]}})
    ops += [{"op": "add_edge", "source": e["source"], "outlet": e["outlet"], "target": e["target"]} for e in d["edges"]["added"]]
    ops += [{"op": "add_edge", "source": u["source"], "outlet": u["outlet"], "target": u["after"]} for u in d["edges"]["updated"]]
    if d["name"]:
        ops.append({"op": "rename", "name": d["name"]["after"]})
    if d["start"]:
        ops.append({"op": "set_start", "id": d["start"]["after"]})
    return ops

"""Semantic validation of a flow document against the node catalogue.

``validate`` first tries :func:`ringflow.model.fastflow.validate_fast` (whole-column checks,
several times less Python work per node) and takes this module's reference walk, ``validate_slow``,
for the shapes the fast path does not handle (duplicate ids, unknown types, edges to nowhere).
Both are linear in nodes plus edges and report the same problems in the same order.
"""

from __future__ import annotations

from collections import deque
from typing import Any, Iterable

from ringflow.model.catalogue import CATALOGUE
from ringflow.model.document import FlowDocument, Problem
from ringflow.model.fastflow import validate_fast
from ringflow.model.fieldcheck import check_config, check_field, template_error
from ringflow.model.gcpause import gc_paused

__all__ = ["validate", "validate_slow", "has_errors", "check_field", "check_config", "template_error"]


@gc_paused
def validate(doc: FlowDocument) -> list[Problem]:
    """Every problem with a (normalized) flow: errors block publishing, warnings inform."""
    try:
        problems = validate_fast(doc)
    except Exception:  # noqa: BLE001 - an odd shape: the reference walk reports it (or raises) exactly
        problems = None
    return validate_slow(doc) if problems is None else problems


@gc_paused
def validate_slow(doc: FlowDocument) -> list[Problem]:
    """The reference walk, node by node and edge by edge: what ``validate`` must always equal."""
    problems: list[Problem] = []
    nodes = doc.get("nodes", [])
    by_id: dict[str, Any] = {}
    outlets: dict[str, list[str]] = {}
    for node in nodes:
        nid = node["id"]
        if nid in by_id:
            problems.append(Problem("error", "duplicate_id", f"node id {nid!r} is used twice", nid, "id"))
            continue
        by_id[nid] = node
        nt = CATALOGUE.get(node["type"])
        if nt is None:
            problems.append(Problem("error", "unknown_type", f"unknown node type {node['type']!r}", nid, "type"))
            outlets[nid] = []
            continue
        config = node.get("config") or {}
        found = list(check_config(nt, config, nid))
        if found:
            problems.extend(found)
        outlets[nid] = nt.outlets_for(config) if nt.dynamic_outlets else nt.outlets
    start = doc.get("start")
    if not start:
        problems.append(Problem("error", "no_start", "the flow has no start node", None, "start"))
    elif start not in by_id:
        problems.append(Problem("error", "unknown_start", f"start node {start!r} does not exist", None, "start"))
    adjacency: dict[str, list[str]] = {}
    connected: set[tuple[str, str]] = set()
    for edge in doc.get("edges", []):
        src, outlet, dst = edge["source"], edge["outlet"], edge["target"]
        if src not in by_id:
            problems.append(Problem("error", "edge_unknown_source", f"edge from unknown node {src!r}", src, "source"))
            continue
        if dst not in by_id:
            problems.append(Problem("error", "edge_unknown_target", f"outlet {outlet!r} goes to unknown node {dst!r}", src, f"outlets.{outlet}"))
            continue
        if (src, outlet) in connected:
            problems.append(Problem("error", "duplicate_edge", f"outlet {outlet!r} is connected twice", src, f"outlets.{outlet}"))
            continue
        if CATALOGUE.get(by_id[src]["type"]) is not None and outlet not in outlets[src]:
            problems.append(Problem("error", "unknown_outlet", f"{by_id[src]['type']} node has no outlet {outlet!r}", src, f"outlets.{outlet}"))
            continue
        connected.add((src, outlet))
        adjacency.setdefault(src, []).append(dst)
    for nid, names in outlets.items():
        nt = CATALOGUE.get(by_id[nid]["type"])
        for outlet in names:
            if (nid, outlet) not in connected and nt is not None and nt.warns_unconnected(outlet):
                problems.append(Problem("warning", "unconnected_outlet", f"outlet {outlet!r} is not connected; the call hangs up there", nid, f"outlets.{outlet}"))
    if start in by_id:
        seen = {start}
        queue = deque([start])
        while queue:
            for nxt in adjacency.get(queue.popleft(), ()):
                if nxt not in seen:
                    seen.add(nxt)
                    queue.append(nxt)
        for nid in by_id:
            if nid not in seen:
                problems.append(Problem("warning", "unreachable", "no path from the start node reaches this node", nid, None))
    return problems


def has_errors(problems: Iterable[Problem]) -> bool:
    return any(p.severity == "error" for p in problems)

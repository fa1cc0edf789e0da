"""The Ringflow JSON flow document: parsing and the structural checks a store relies on.

A document is kept as plain dicts (``{"name", "start", "nodes": [...], "edges": [...]}``)
because a 500,000-node flow must parse in well under a second; ``normalize`` checks the
shape once so everything downstream can trust it. Semantic checks (unknown types, config
limits, dangling outlets) live in :mod:`ringflow.model.validation`: a draft may have them.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, TypedDict

from ringflow.model.catalogue import NODE_HEIGHT, NODE_WIDTH
from ringflow.model.gcpause import gc_paused

try:
    from ringflow.model import _kernels as native
except ImportError:  # no compiler at install time: the node-by-node path does the same
    native = None  # type: ignore[assignment]

MAX_COORD = 10_000_000.0
MAX_SIZE = 10_000.0
MAX_NAME = 200
MAX_LABEL = 200
MAX_ID = 64
MAX_STRING = 65_536
MAX_NODES = 1_000_000
MAX_CONFIG_DEPTH = 8
ID_RE = re.compile(r"^[A-Za-z0-9_.:\-]{1,64}\Z")  # \Z, not $: "a\n" is not an id (issue 14, L5)
MAX_CONFIG_ITEMS = 1000  # in one list or object of a config
MAX_CONFIG_KEY = MAX_ID * 4
_LIMITS = (MAX_COORD, MAX_SIZE, MAX_ID, MAX_LABEL, MAX_STRING, MAX_CONFIG_ITEMS, MAX_CONFIG_KEY, MAX_CONFIG_DEPTH,
           float(NODE_WIDTH), float(NODE_HEIGHT))
"""What the C kernel checks against: the same limits as the Python path, from here only."""


class NodeDict(TypedDict, total=False):
    id: str
    type: str
    x: float
    y: float
    w: float
    h: float
    label: str
    config: dict[str, Any]


class EdgeDict(TypedDict):
    source: str
    outlet: str
    target: str


class FlowDocument(TypedDict, total=False):
    name: str
    start: str | None
    description: str
    nodes: list[NodeDict]
    edges: list[EdgeDict]


@dataclass(frozen=True, slots=True)
class Problem:
    """One finding about a flow, shaped for people and for the editor's inline markers."""

    severity: str  # "error" | "warning"
    code: str
    message: str
    node_id: str | None = None
    field: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"severity": self.severity, "node_id": self.node_id, "field": self.field, "code": self.code, "message": self.message}


class DocumentError(ValueError):
    """A document that cannot be stored at all; ``problems`` says exactly where."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        first = problems[0]
        where = f"node {first.node_id!r}" if first.node_id else "document"
        if first.field:
            where += f", field {first.field!r}"
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(f"{where}: {first.message}{more}")


def _err(code: str, message: str, node_id: str | None = None, field: str | None = None) -> Problem:
    return Problem("error", code, message, node_id, field)


def _finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def check_config_value(value: Any, depth: int = 0) -> str | None:
    """Why a config value cannot be stored (too deep, too long, not JSON), or None."""
    if depth > MAX_CONFIG_DEPTH:
        return f"nested deeper than {MAX_CONFIG_DEPTH} levels"
    if isinstance(value, str):
        return f"a string of {len(value)} characters is over the limit of {MAX_STRING}" if len(value) > MAX_STRING else None
    if value is None or isinstance(value, (bool, int)):
        return None
    if isinstance(value, float):
        return None if math.isfinite(value) else "numbers must be finite"
    if isinstance(value, list):
        if len(value) > MAX_CONFIG_ITEMS:
            return f"lists hold at most {MAX_CONFIG_ITEMS} items"
        for item in value:
            if (why := check_config_value(item, depth + 1)) is not None:
                return why
        return None
    if isinstance(value, dict):
        if len(value) > MAX_CONFIG_ITEMS:
            return f"objects hold at most {MAX_CONFIG_ITEMS} keys"
        for key, item in value.items():
            if not isinstance(key, str) or len(key) > MAX_CONFIG_KEY:
                return "keys must be short strings"
            if (why := check_config_value(item, depth + 1)) is not None:
                return why
        return None
    return f"{type(value).__name__} is not a JSON value"


def normalize_node(raw: Any, index: int = 0) -> tuple[NodeDict | None, list[Problem]]:
    """Check one node's shape and return it in canonical form (floats, defaults filled)."""
    if not isinstance(raw, dict):
        return None, [_err("bad_node", f"nodes[{index}] must be an object")]
    nid = raw.get("id")
    if not isinstance(nid, str) or not ID_RE.match(nid):
        return None, [_err("bad_id", f"nodes[{index}].id must be 1-{MAX_ID} letters, digits or _.:-", field="id")]
    problems: list[Problem] = []
    ntype = raw.get("type")
    if not isinstance(ntype, str) or not 0 < len(ntype) <= MAX_ID:
        problems.append(_err("bad_type", "type must be a non-empty string", nid, "type"))
    node: NodeDict = {"id": nid, "type": ntype if isinstance(ntype, str) else ""}
    for axis, default, limit in (("x", 0.0, MAX_COORD), ("y", 0.0, MAX_COORD), ("w", NODE_WIDTH, MAX_SIZE), ("h", NODE_HEIGHT, MAX_SIZE)):
        value = raw.get(axis, default)
        if not _finite(value):
            problems.append(_err("bad_coordinate", f"{axis} must be a finite number", nid, axis))
        elif abs(value) > limit or (axis in "wh" and value <= 0):
            problems.append(_err("bad_coordinate", f"{axis}={value} is outside the allowed range (|{axis}| <= {limit:g})", nid, axis))
        else:
            node[axis] = float(value)  # type: ignore[literal-required]
    label = raw.get("label", "")
    if label is None:
        label = ""
    if not isinstance(label, str):
        problems.append(_err("bad_label", "label must be a string", nid, "label"))
    elif len(label) > MAX_LABEL:
        problems.append(_err("bad_label", f"label is {len(label)} characters; the limit is {MAX_LABEL}", nid, "label"))
    else:
        node["label"] = label
    config = raw.get("config", {})
    if config is None:
        config = {}
    if not isinstance(config, dict):
        problems.append(_err("bad_config", "config must be an object", nid, "config"))
    else:
        for key, value in config.items():
            why = check_config_value(value) if isinstance(key, str) else "keys must be strings"
            if why:
                problems.append(_err("bad_config", why, nid, f"config.{key}"))
                break
        node["config"] = config
    unknown = set(raw) - {"id", "type", "x", "y", "w", "h", "label", "config"}
    if unknown:
        problems.append(_err("unknown_field", f"unknown field(s) {sorted(unknown)}", nid, sorted(unknown)[0]))
    return (None if problems else node), problems


_NODE_KEYS = frozenset(("id", "type", "x", "y", "w", "h", "label", "config"))
_EDGE_KEYS = frozenset(("source", "outlet", "target"))
_SCALARS = (str, int, float, bool, type(None))


def _fast_node(raw: Any) -> NodeDict | None:
    """The common case in a few checks; None sends the node to the precise slow path."""
    if type(raw) is not dict or not raw.keys() <= _NODE_KEYS:
        return None
    nid, ntype, x, y = raw.get("id"), raw.get("type"), raw.get("x", 0.0), raw.get("y", 0.0)
    w, h = raw.get("w", NODE_WIDTH), raw.get("h", NODE_HEIGHT)
    label, config = raw.get("label") or "", raw.get("config") or {}
    if not (type(nid) is str and type(ntype) is str and type(label) is str and type(config) is dict
            and 0 < len(ntype) <= MAX_ID and len(label) <= MAX_LABEL and ID_RE.match(nid)):
        return None
    if not (type(x) in (int, float) and type(y) in (int, float) and type(w) in (int, float) and type(h) in (int, float)
            and -MAX_COORD <= x <= MAX_COORD and -MAX_COORD <= y <= MAX_COORD and 0 < w <= MAX_SIZE and 0 < h <= MAX_SIZE):
        return None  # NaN fails every comparison, so it lands here too
    for value in config.values():
        if type(value) is str:
            if len(value) > MAX_STRING:
                return None
        elif type(value) not in _SCALARS and check_config_value(value) is not None:
            return None
        elif type(value) is float and not math.isfinite(value):
            return None
    return {"id": nid, "type": ntype, "x": float(x), "y": float(y), "w": float(w), "h": float(h), "label": label, "config": config}


def normalize_edge(raw: Any, index: int = 0) -> tuple[EdgeDict | None, list[Problem]]:
    if not isinstance(raw, dict):
        return None, [_err("bad_edge", f"edges[{index}] must be an object")]
    parts = {k: raw.get(k) for k in ("source", "outlet", "target")}
    for key, value in parts.items():
        if not isinstance(value, str) or not 0 < len(value) <= MAX_ID:
            src = parts["source"] if isinstance(parts["source"], str) else None
            return None, [_err("bad_edge", f"edges[{index}].{key} must be a non-empty string of at most {MAX_ID} characters", src, key)]
    unknown = set(raw) - {"source", "outlet", "target", "id"}
    if unknown:
        return None, [_err("unknown_field", f"edges[{index}] has unknown field(s) {sorted(unknown)}", parts["source"], sorted(unknown)[0])]
    return parts, []  # type: ignore[return-value]


def _nodes_and_edges(nodes_raw: list[Any], edges_raw: list[Any], problems: list[Problem]) -> tuple[list[NodeDict], list[EdgeDict]]:
    """The nodes and edges in canonical form, node by node and edge by edge; what is wrong goes
    to ``problems``, each named precisely (the exact path, and the C kernel's twin)."""
    nodes: list[NodeDict] = []
    seen: set[str] = set()
    for i, raw_node in enumerate(nodes_raw):
        node = _fast_node(raw_node)
        found: list[Problem] = []
        if node is None:
            node, found = normalize_node(raw_node, i)
        if found:
            problems.extend(found)
            if len(problems) > 100:
                break
            continue
        assert node is not None
        if node["id"] in seen:
            problems.append(_err("duplicate_id", f"node id {node['id']!r} is used twice", node["id"], "id"))
            continue
        seen.add(node["id"])
        nodes.append(node)
    edges: list[EdgeDict] = []
    used_outlets: set[tuple[str, str]] = set()
    for i, raw_edge in enumerate(edges_raw):
        if type(raw_edge) is dict and raw_edge.keys() == _EDGE_KEYS:
            src, outlet, dst = raw_edge["source"], raw_edge["outlet"], raw_edge["target"]
            if not (type(outlet) is str and 0 < len(outlet) <= MAX_ID):
                src = None  # force the slow path's precise message
        else:
            src = None
        if type(src) is not str or type(dst) is not str:
            edge, found = normalize_edge(raw_edge, i)
            if found:
                problems.extend(found)
                continue
            assert edge is not None
            src, outlet, dst = edge["source"], edge["outlet"], edge["target"]
        if src not in seen:
            problems.append(_err("edge_unknown_source", f"edge from unknown node {src!r}", src, "source"))
        elif dst not in seen:
            problems.append(_err("edge_unknown_target", f"edge {src}.{outlet} goes to unknown node {dst!r}", src, f"outlets.{outlet}"))
        elif (src, outlet) in used_outlets:
            problems.append(_err("duplicate_edge", f"outlet {outlet!r} is connected twice", src, f"outlets.{outlet}"))
        else:
            used_outlets.add((src, outlet))
            edges.append({"source": src, "outlet": outlet, "target": dst})
        if len(problems) > 100:
            break
    return nodes, edges


def _fast_nodes_and_edges(nodes_raw: list[Any], edges_raw: list[Any]) -> tuple[list[NodeDict], list[EdgeDict]] | None:
    """The nodes and edges in canonical form from the C kernel (``_document.c``), or None when
    it is missing or not sure (any problem, or a shape the exact path treats specially)."""
    if native is None or type(nodes_raw) is not list or type(edges_raw) is not list:
        return None
    return native.nodes_and_edges(nodes_raw, edges_raw, _LIMITS)


@gc_paused
def normalize(raw: Any) -> FlowDocument:
    """Return a canonical copy of ``raw`` or raise :class:`DocumentError` naming what is wrong.

    Structural problems are the ones no store can hold: wrong shapes, non-finite or huge
    coordinates, oversize strings, duplicate node ids, edges whose ends are not nodes, and
    two edges on one outlet. Everything else is left to ``validate``.
    """
    if not isinstance(raw, dict):
        raise DocumentError([_err("bad_document", "a flow document must be a JSON object")])
    problems: list[Problem] = []
    name = raw.get("name", "Untitled flow")
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME:
        problems.append(_err("bad_name", f"name must be a non-empty string of at most {MAX_NAME} characters", field="name"))
    start = raw.get("start")
    if start is not None and not isinstance(start, str):
        problems.append(_err("bad_start", "start must be a node id or null", field="start"))
    nodes_raw = raw.get("nodes", [])
    edges_raw = raw.get("edges", [])
    if not isinstance(nodes_raw, list):
        problems.append(_err("bad_nodes", "nodes must be a list", field="nodes"))
        nodes_raw = []
    if not isinstance(edges_raw, list):
        problems.append(_err("bad_edges", "edges must be a list", field="edges"))
        edges_raw = []
    if len(nodes_raw) > MAX_NODES:
        problems.append(_err("too_many_nodes", f"{len(nodes_raw)} nodes; the limit is {MAX_NODES}", field="nodes"))
        nodes_raw = []
    unknown = set(raw) - {"name", "start", "description", "nodes", "edges"}
    if unknown:
        problems.append(_err("unknown_field", f"unknown top-level field(s) {sorted(unknown)}", field=sorted(unknown)[0]))
    found = _fast_nodes_and_edges(nodes_raw, edges_raw)
    nodes, edges = found if found is not None else _nodes_and_edges(nodes_raw, edges_raw, problems)
    if problems:
        raise DocumentError(problems)
    doc: FlowDocument = {"name": name.strip(), "start": start, "nodes": nodes, "edges": edges}
    if isinstance(raw.get("description"), str):
        doc["description"] = raw["description"][:MAX_STRING]
    return doc

"""The Ringflow JSON flow document: parsing and the structural checks a store relies on.

A document is kept as plain dicts (``{"name", "start", "nodes": [...], "edges": [...]}``); its
shape is declared once, as msgspec Structs (:class:`DocShape`, :class:`NodeShape`,
:class:`EdgeShape`), and checked in one msgspec pass (``parse`` decodes the JSON bytes straight
into them; ``normalize`` converts already parsed JSON). Only when msgspec refuses a document
are its parts looked at one by one, to name every problem with its node and field. Semantic
checks (unknown types, config limits, dangling outlets) live in :mod:`ringflow.model.validation`:
a draft may have them.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from operator import attrgetter
from typing import TYPE_CHECKING, Annotated, Any, TypedDict, Union

import msgspec

from ringflow.model.catalogue import NODE_HEIGHT, NODE_WIDTH
from ringflow.model.gcpause import gc_paused

MAX_COORD = 10_000_000.0
MAX_SIZE = 10_000.0
MAX_NAME = 200
MAX_LABEL = 200
MAX_ID = 64
MAX_STRING = 65_536
MAX_NODES = 1_000_000
MAX_CONFIG_DEPTH = 8
ID_PATTERN = r"\A[A-Za-z0-9_.:\-]{1,64}\Z"  # \A...\Z, never ^...$: "a\n" is not an id (issue 14, L5)
ID_RE = re.compile(ID_PATTERN)
MAX_CONFIG_ITEMS = 1000  # in one list or object of a config
MAX_CONFIG_KEY = MAX_ID * 4

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


def _config_value() -> Any:
    """Any JSON value up to MAX_CONFIG_DEPTH levels deep, with the limits on texts, lists and keys."""
    finite = Annotated[float, msgspec.Meta(ge=-1.7976931348623157e308, le=1.7976931348623157e308)]
    text = Annotated[str, msgspec.Meta(max_length=MAX_STRING)]
    value: Any = Union[text, int, finite, bool, None]  # noqa: UP007 - a Union built at run time
    key = Annotated[str, msgspec.Meta(max_length=MAX_CONFIG_KEY)]
    for _ in range(MAX_CONFIG_DEPTH):
        value = Union[text, int, finite, bool, None, Annotated[list[value], msgspec.Meta(max_length=MAX_CONFIG_ITEMS)],  # noqa: UP007 - a Union built at run time
                      Annotated[dict[key, value], msgspec.Meta(max_length=MAX_CONFIG_ITEMS)]]
    return value


if TYPE_CHECKING:
    ConfigValue = Any
else:
    ConfigValue = _config_value()
NodeId = Annotated[str, msgspec.Meta(pattern=ID_PATTERN)]
Name64 = Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_ID)]
Coordinate = Annotated[float, msgspec.Meta(ge=-MAX_COORD, le=MAX_COORD)]
Size = Annotated[float, msgspec.Meta(gt=0, le=MAX_SIZE)]


class NodeBase(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """What every node has besides its type and config."""

    id: NodeId
    x: Coordinate = 0.0
    y: Coordinate = 0.0
    w: Size = float(NODE_WIDTH)
    h: Size = float(NODE_HEIGHT)
    label: Annotated[str, msgspec.Meta(max_length=MAX_LABEL)] | None = ""


class NodeShape(NodeBase, forbid_unknown_fields=True, kw_only=True):
    """A node as stored: what any node must be, whatever its type (its config is checked by type
    in validation; ``configs.TypedDoc`` checks both in one pass)."""

    type: Name64
    config: dict[str, ConfigValue] | None = None


class EdgeShape(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    source: Name64
    outlet: Name64
    target: Name64
    id: Any = None  # an editor's edge id: accepted, not kept


FlowName = Annotated[str, msgspec.Meta(max_length=MAX_NAME, pattern=r"\S")]


class DocShape(msgspec.Struct, forbid_unknown_fields=True):
    name: FlowName = "Untitled flow"
    start: str | None = None
    description: Any = None
    nodes: Annotated[list[NodeShape], msgspec.Meta(max_length=MAX_NODES)] = []
    edges: list[EdgeShape] = []


_NODE_FIELDS: dict[str, Any] = {"x": Coordinate, "y": Coordinate, "w": Size, "h": Size}
_LIMITS = {"x": MAX_COORD, "y": MAX_COORD, "w": MAX_SIZE, "h": MAX_SIZE}


def _refusal(value: Any, typ: Any) -> str | None:
    """msgspec's reason for refusing ``value`` as ``typ``, or None."""
    try:
        msgspec.convert(value, typ)
    except msgspec.ValidationError as exc:
        return str(exc)
    return None


def _finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _longest(value: Any) -> int:
    """The length of the longest text in a config value (for the message only)."""
    if isinstance(value, str):
        return len(value)
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    return max(map(_longest, items), default=0)


def _config_value_problem(said: str, value: Any) -> str:
    """A person's words for msgspec's refusal of one config value."""
    if "got `array`" in said or "got `object`" in said:
        return f"nested deeper than {MAX_CONFIG_DEPTH} levels"
    if f"`str` of length <= {MAX_STRING}" in said:
        return f"a string of {_longest(value)} characters is over the limit of {MAX_STRING}"
    if "`array` of length" in said:
        return f"lists hold at most {MAX_CONFIG_ITEMS} items"
    if "`object` of length" in said:
        return f"objects hold at most {MAX_CONFIG_ITEMS} keys"
    if "`float`" in said:
        return "numbers must be finite"
    if "`key`" in said or "`str`" in said:
        return "keys must be short strings"
    return "is not a JSON value"


def node_shape(raw: Any, index: int = 0) -> tuple[NodeShape | None, list[Problem]]:
    """One node checked alone: its shape, or every problem msgspec found, each named."""
    if not isinstance(raw, dict):
        return None, [_err("bad_node", f"nodes[{index}] must be an object")]
    nid = raw.get("id")
    if _refusal(nid, NodeId) is not None:
        return None, [_err("bad_id", f"nodes[{index}].id must be 1-{MAX_ID} letters, digits or _.:-", field="id")]
    try:
        return msgspec.convert(raw, NodeShape), []
    except msgspec.ValidationError:
        pass
    problems: list[Problem] = []
    if _refusal(raw.get("type"), Name64) is not None:
        problems.append(_err("bad_type", "type must be a non-empty string", nid, "type"))
    for axis, limit in _LIMITS.items():
        if axis not in raw or _refusal(raw[axis], _NODE_FIELDS[axis]) is None:
            continue
        value = raw[axis]
        if not _finite(value):
            problems.append(_err("bad_coordinate", f"{axis} must be a finite number", nid, axis))
        else:
            problems.append(_err("bad_coordinate", f"{axis}={value} is outside the allowed range (|{axis}| <= {limit:g})", nid, axis))
    label = raw.get("label")
    if not isinstance(label, (str, type(None))):
        problems.append(_err("bad_label", "label must be a string", nid, "label"))
    elif label is not None and len(label) > MAX_LABEL:
        problems.append(_err("bad_label", f"label is {len(label)} characters; the limit is {MAX_LABEL}", nid, "label"))
    config = raw.get("config")
    if not isinstance(config, (dict, type(None))):
        problems.append(_err("bad_config", "config must be an object", nid, "config"))
    elif config:
        for key, value in config.items():
            said = "`key`: keys must be strings" if not isinstance(key, str) else _refusal(value, ConfigValue)
            if said is not None:
                problems.append(_err("bad_config", _config_value_problem(said, value), nid, f"config.{key}"))
                break
    unknown = sorted(set(raw) - set(NodeShape.__struct_fields__))
    if unknown:
        problems.append(_err("unknown_field", f"unknown field(s) {unknown}", nid, unknown[0]))
    if not problems:  # msgspec refused what no check above names: say what it said, never let it through
        problems.append(_err("bad_node", f"nodes[{index}]: {_refusal(raw, NodeShape)}", nid))
    return None, problems


def normalize_node(raw: Any, index: int = 0) -> tuple[NodeDict | None, list[Problem]]:
    """Check one node's shape and return it in canonical form (floats, defaults filled)."""
    shape, problems = node_shape(raw, index)
    return (None if shape is None else _node_dict(shape)), problems


def _node_dict(n: NodeShape) -> NodeDict:
    return {"id": n.id, "type": n.type, "x": n.x, "y": n.y, "w": n.w, "h": n.h, "label": n.label or "", "config": n.config or {}}


def edge_shape(raw: Any, index: int = 0) -> tuple[EdgeShape | None, list[Problem]]:
    """One edge checked alone: its shape, or its first problem, named."""
    if not isinstance(raw, dict):
        return None, [_err("bad_edge", f"edges[{index}] must be an object")]
    try:
        return msgspec.convert(raw, EdgeShape), []
    except msgspec.ValidationError as exc:
        said = str(exc)
    src = raw.get("source") if isinstance(raw.get("source"), str) else None
    for key in ("source", "outlet", "target"):
        if _refusal(raw.get(key), Name64) is not None:
            return None, [_err("bad_edge", f"edges[{index}].{key} must be a non-empty string of at most {MAX_ID} characters", src, key)]
    unknown = sorted(set(raw) - set(EdgeShape.__struct_fields__))
    if unknown:
        return None, [_err("unknown_field", f"edges[{index}] has unknown field(s) {unknown}", src, unknown[0])]
    return None, [_err("bad_edge", f"edges[{index}]: {said}", src)]


def normalize_edge(raw: Any, index: int = 0) -> tuple[EdgeDict | None, list[Problem]]:
    shape, problems = edge_shape(raw, index)
    return (None if shape is None else {"source": shape.source, "outlet": shape.outlet, "target": shape.target}), problems


_ID, _SOURCE, _OUTLET, _TARGET = attrgetter("id"), attrgetter("source"), attrgetter("outlet"), attrgetter("target")


def _link(nodes: list[NodeShape], edges: list[EdgeShape] | list[EdgeShape | list[Problem]],
          problems: list[Problem]) -> tuple[list[NodeShape], list[EdgeShape]]:
    """The nodes without repeated ids and the edges whose ends are nodes, each outlet used once;
    what is dropped goes to ``problems``, with the problems of an edge of the wrong shape (a
    list in place of the edge) in edge order. Checked whole first: almost every document passes."""
    ids = set(map(_ID, nodes))
    if len(ids) == len(nodes) and not any(isinstance(e, list) for e in edges):
        sources = list(map(_SOURCE, edges))
        if (ids.issuperset(sources) and ids.issuperset(map(_TARGET, edges))
                and len(set(zip(sources, map(_OUTLET, edges)))) == len(edges)):
            return nodes, edges  # type: ignore[return-value]
    kept: list[NodeShape] = []
    seen: set[str] = set()
    for node in nodes:
        if node.id in seen:
            problems.append(_err("duplicate_id", f"node id {node.id!r} is used twice", node.id, "id"))
        else:
            seen.add(node.id)
            kept.append(node)
    linked: list[EdgeShape] = []
    used: set[tuple[str, str]] = set()
    for edge in edges:
        if isinstance(edge, list):
            problems += edge
            continue
        src, outlet, dst = edge.source, edge.outlet, edge.target
        if src not in seen:
            problems.append(_err("edge_unknown_source", f"edge from unknown node {src!r}", src, "source"))
        elif dst not in seen:
            problems.append(_err("edge_unknown_target", f"edge {src}.{outlet} goes to unknown node {dst!r}", src, f"outlets.{outlet}"))
        elif (src, outlet) in used:
            problems.append(_err("duplicate_edge", f"outlet {outlet!r} is connected twice", src, f"outlets.{outlet}"))
        else:
            used.add((src, outlet))
            linked.append(edge)
        if len(problems) > 100:
            break
    return kept, linked


def _problems(raw: Any) -> list[Problem]:
    """Every problem of a document msgspec refused, part by part, each named precisely."""
    if not isinstance(raw, dict):
        return [_err("bad_document", "a flow document must be a JSON object")]
    problems: list[Problem] = []
    name = raw.get("name", "Untitled flow")
    if _refusal(name, FlowName) is not None:
        problems.append(_err("bad_name", f"name must be a non-empty string of at most {MAX_NAME} characters", field="name"))
    if not isinstance(raw.get("start"), (str, type(None))):
        problems.append(_err("bad_start", "start must be a node id or null", field="start"))
    nodes_raw, edges_raw = raw.get("nodes", []), raw.get("edges", [])
    if not isinstance(nodes_raw, list):
        problems.append(_err("bad_nodes", "nodes must be a list", field="nodes"))
        nodes_raw = []
    if not isinstance(edges_raw, list):
        problems.append(_err("bad_edges", "edges must be a list", field="edges"))
        edges_raw = []
    if len(nodes_raw) > MAX_NODES:
        problems.append(_err("too_many_nodes", f"{len(nodes_raw)} nodes; the limit is {MAX_NODES}", field="nodes"))
        nodes_raw = []
    unknown = sorted(set(raw) - set(DocShape.__struct_fields__))
    if unknown:
        problems.append(_err("unknown_field", f"unknown top-level field(s) {unknown}", field=unknown[0]))
    nodes: list[NodeShape] = []
    for i, raw_node in enumerate(nodes_raw):
        node, found = node_shape(raw_node, i)
        problems += found
        if node is not None:
            nodes.append(node)
        if len(problems) > 100:
            return problems
    edges: list[EdgeShape | list[Problem]] = []
    for i, raw_edge in enumerate(edges_raw):
        edge, found = edge_shape(raw_edge, i)
        edges.append(found if edge is None else edge)
    _link(nodes, edges, problems)
    if not problems:  # msgspec refused what no check above names: say what it said, never let it through
        problems.append(_err("bad_document", str(_refusal(raw, DocShape))))
    return problems


def check_links(shape: Any) -> None:
    """DocumentError unless ``shape``'s ids are unique and its edges join nodes, once per outlet."""
    problems: list[Problem] = []
    _link(shape.nodes, shape.edges, problems)
    if problems:
        raise DocumentError(problems)


@gc_paused
def decode_unlinked(data: bytes | str) -> DocShape:
    """``decode`` without the id and edge checks: for a caller that validates next, whose
    structure pass finds those problems anyway (``validation.validate_shape(links_checked=False)``)."""
    try:
        shape: DocShape = msgspec.json.decode(data, type=DocShape)
    except msgspec.ValidationError:
        raise DocumentError(_problems(msgspec.json.decode(data))) from None
    return shape


@gc_paused
def decode(data: bytes | str) -> DocShape:
    """A document's shape from JSON text in one msgspec pass, no dicts built (what ``ringflow
    validate`` checks), or DocumentError naming every problem; text that is not JSON raises
    ``msgspec.DecodeError`` (a ValueError)."""
    try:
        shape: DocShape = msgspec.json.decode(data, type=DocShape)
    except msgspec.ValidationError:
        raise DocumentError(_problems(msgspec.json.decode(data))) from None
    check_links(shape)
    return shape


@gc_paused
def to_document(shape: DocShape) -> FlowDocument:
    """The canonical document (plain dicts, what the store keeps) of a checked shape: a
    million fresh dicts at 500,000 nodes, so the collector is paused (2.2 s -> 0.4 s measured)."""
    doc: FlowDocument = {"name": shape.name.strip(), "start": shape.start, "nodes": list(map(_node_dict, shape.nodes)),
                         "edges": [{"source": e.source, "outlet": e.outlet, "target": e.target} for e in shape.edges]}
    if isinstance(shape.description, str):
        doc["description"] = shape.description[:MAX_STRING]
    return doc


@gc_paused
def normalize(raw: Any) -> FlowDocument:
    """Return a canonical copy of ``raw`` (parsed JSON) or raise :class:`DocumentError` naming
    what is wrong.

    Structural problems are the ones no store can hold: wrong shapes, non-finite or huge
    coordinates, oversize strings, duplicate node ids, edges whose ends are not nodes, and
    two edges on one outlet. Everything else is left to ``validate``.
    """
    if not isinstance(raw, dict):
        raise DocumentError([_err("bad_document", "a flow document must be a JSON object")])
    try:
        shape = msgspec.convert(raw, DocShape)
    except msgspec.ValidationError:
        raise DocumentError(_problems(raw)) from None
    check_links(shape)
    return to_document(shape)


@gc_paused
def parse(data: bytes | str) -> FlowDocument:
    """The canonical document from JSON text (``decode``, then plain dicts)."""
    return to_document(decode(data))

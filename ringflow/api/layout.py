"""``POST /api/v1/layout``: the editor's Layout button arranged by the server's layered layout.

Demo flows and the editor's Layout button share one algorithm, :func:`ringflow.model.layout.layered_layout`
(crossing-reduced layers, lanes for long edges), instead of a second, weaker copy in JavaScript.
The body carries everything the layout needs (nodes with their type, config and card height,
the edges among them, the start and the corner to keep); nothing stored is read, so a caller
learns nothing about any flow, its own or another tenant's. It still needs a key or session
(the work is seconds of CPU at the 5,000-node limit) and has its own, smaller body limit.

The arranging runs on the app's background threads (:mod:`ringflow.api.background`), which are
fair between customers: each runs one job at a time and takes its turn, so a customer pressing
Layout in a loop waits behind their own layouts, never holds up another customer's layout, save
or validation, and is told to slow down (429) once their queue is full.
"""

from __future__ import annotations

import asyncio
from typing import Any

import msgspec
from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from ringflow.api.auth import Principal, current_customer
from ringflow.api.background import Background, QueueFull
from ringflow.api.common import FastJSON, read_body
from ringflow.api.errors import ApiError
from ringflow.model.catalogue import CATALOGUE, NODE_HEIGHT
from ringflow.model.document import Coordinate, Name64, NodeId, Size
from ringflow.model.layout import layered_layout
from ringflow.model.schema import struct_schema

router = APIRouter(prefix="/api/v1", tags=["editor"])

MAX_LAYOUT_NODES = 5000  # the editor's MAX_LAYOUT (ringflow/web/js/ui/actions.js); about 4 s of one core
MAX_LAYOUT_EDGES = 50_000
MAX_LAYOUT_BODY = 16 * 1024 * 1024  # 5,000 nodes with their configs; far below the server-wide limit


class LayoutNode(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    id: NodeId
    type: Name64
    config: dict[str, Any] | None = None  # menus' digits and splits' cases make outlets, which order the ports
    h: Size = float(NODE_HEIGHT)  # a card grown to fit its content spaces its layer further


class LayoutEdge(msgspec.Struct, forbid_unknown_fields=True):
    source: NodeId
    outlet: Name64
    target: NodeId


class Point(msgspec.Struct, forbid_unknown_fields=True):
    x: Coordinate
    y: Coordinate


class LayoutRequest(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    nodes: list[LayoutNode]
    edges: list[LayoutEdge] = []
    start: NodeId | None = None
    origin: Point = msgspec.field(default_factory=lambda: Point(0.0, 0.0))  # the top-left corner the arrangement keeps


def _request(raw: bytes) -> LayoutRequest:
    """The body as a :class:`LayoutRequest`, or a 4xx naming the first thing wrong with it."""
    if not raw.strip():
        raise ApiError(400, "invalid_json", "the request body is empty; send {\"nodes\": [...], \"edges\": [...]}")
    try:
        body = msgspec.json.decode(raw, type=LayoutRequest)
    except msgspec.ValidationError as exc:  # msgspec names the place: "... - at `$.nodes[3].id`"
        said, _, where = str(exc).partition(" - at ")
        field = where.strip("`") or "$"
        raise ApiError(422, "invalid", f"the body: {said}" if field == "$" else str(exc), {"field": field}) from None
    except msgspec.DecodeError as exc:
        raise ApiError(400, "invalid_json", f"the request body is not valid JSON: {exc}") from None
    if len(body.nodes) > MAX_LAYOUT_NODES:
        raise ApiError(422, "too_many_nodes", f"Layout works on up to {MAX_LAYOUT_NODES} nodes at a time "
                       f"({len(body.nodes)} sent): select a part of the flow first.", {"field": "nodes", "limit": MAX_LAYOUT_NODES})
    if len(body.edges) > MAX_LAYOUT_EDGES:
        raise ApiError(422, "too_many_edges", f"Layout works on up to {MAX_LAYOUT_EDGES} edges at a time ({len(body.edges)} sent).",
                       {"field": "edges", "limit": MAX_LAYOUT_EDGES})
    seen: set[str] = set()
    for i, node in enumerate(body.nodes):
        if node.id in seen:
            raise ApiError(422, "duplicate_id", f"nodes[{i}].id {node.id!r} is given twice", {"field": f"nodes[{i}].id"})
        seen.add(node.id)
    for i, edge in enumerate(body.edges):
        for end in ("source", "target"):
            if getattr(edge, end) not in seen:
                raise ApiError(422, "unknown_node", f"edges[{i}].{end} {getattr(edge, end)!r} is not one of the nodes given",
                               {"field": f"edges[{i}].{end}"})
    if body.start is not None and body.start not in seen:
        body.start = None  # laying out a selection that leaves the start out: its roots begin the layers
    return body


def arrange(body: LayoutRequest) -> dict[str, dict[str, float]]:
    """Top-left corners for the body's nodes: :func:`layered_layout`, ports in outlet order.

    Each node's edges are given in its outlets' order (menus' digits and splits' cases first,
    as the card draws them), so siblings sit left to right under their ports; outlets the type
    does not know (a draft may have them) come after, as sent.
    """
    outlets: dict[str, list[str]] = {}
    for n in body.nodes:
        nt = CATALOGUE.get(n.type)
        outlets[n.id] = nt.outlets_for(n.config or {}) if nt else []

    def port(k: int) -> tuple[str, int, int]:
        e = body.edges[k]
        known = outlets[e.source]
        return (e.source, known.index(e.outlet) if e.outlet in known else len(known), k)
    ordered = [body.edges[k] for k in sorted(range(len(body.edges)), key=port)]
    positions = layered_layout([n.id for n in body.nodes], [(e.source, e.target) for e in ordered], body.start,
                               origin=(body.origin.x, body.origin.y), heights={n.id: n.h for n in body.nodes})
    return {nid: {"x": x, "y": y} for nid, (x, y) in positions.items()}


def _body_schema() -> dict[str, Any]:
    """The request body's JSON Schema, from :class:`LayoutRequest`, with the limits ``_request`` enforces."""
    schema = struct_schema(LayoutRequest)
    schema["properties"]["nodes"]["maxItems"] = MAX_LAYOUT_NODES
    schema["properties"]["edges"]["maxItems"] = MAX_LAYOUT_EDGES
    return schema


@router.post("/layout", summary="Arrange nodes in layers (the editor's Layout button): positions for the nodes sent, nothing stored is read",
             openapi_extra={"requestBody": {"required": True, "content": {"application/json": {"schema": _body_schema()}}}})
async def layout(request: Request, principal: Principal = Depends(current_customer)) -> Response:
    body = _request(await read_body(request, MAX_LAYOUT_BODY))
    background: Background = request.app.state.background
    try:
        job = background.submit(principal.customer_id, lambda: arrange(body), f"layout of {len(body.nodes)} nodes")
    except QueueFull:
        raise ApiError(429, "busy", "your account has too many layouts and validations waiting; try again in a few seconds",
                       {"retry_after": 5}, headers={"Retry-After": "5"}) from None
    return FastJSON({"positions": await asyncio.wrap_future(job)})

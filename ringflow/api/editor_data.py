"""What the editor reads to draw big flows: viewport, skeleton, critical region, search, catalogue, config.

The skeleton is the whole flow's geometry in ~13 bytes per node+edge, built once per
revision; the viewport answers the few hundred nodes on screen straight from the store's
spatial index. Together they let the editor show 500,000 nodes without a JSON object each.
"""

from __future__ import annotations

import math
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from ringflow.api.auth import Principal, current_customer
from ringflow.api.common import FastJSON, etag_matches, store_of
from ringflow.api.errors import ApiError, not_found
from ringflow.api.flows import FlowId
from ringflow.api.skeleton import SkeletonCache, build_skeleton
from ringflow.model.catalogue import CATALOGUE, TYPE_CODES
from ringflow.model.schema import flow_schema, node_type_info
from ringflow.store.base import NotFound

router = APIRouter(prefix="/api/v1", tags=["editor"])

MAX_VIEWPORT_LIMIT = 100_000
COORD_LIMIT = 1e9


def _rect(x0: float, y0: float, x1: float, y1: float) -> None:
    values = {"x0": x0, "y0": y0, "x1": x1, "y1": y1}
    bad = [k for k, v in values.items() if not math.isfinite(v) or abs(v) > COORD_LIMIT]
    if bad:
        raise ApiError(400, "bad_rectangle", f"{bad[0]} must be a finite number within ±{COORD_LIMIT:g}", {"field": bad[0]})
    if x1 < x0 or y1 < y0:
        raise ApiError(400, "bad_rectangle", "the rectangle is inverted: need x0 <= x1 and y0 <= y1", {"x0": x0, "y0": y0, "x1": x1, "y1": y1})


@router.get("/flows/{flow_id}/viewport", summary="Nodes whose boxes meet a rectangle, and the edges touching them")
def viewport(request: Request, flow_id: int = FlowId, x0: float = Query(...), y0: float = Query(...),
             x1: float = Query(...), y1: float = Query(...), limit: int | None = Query(None, ge=1, le=MAX_VIEWPORT_LIMIT),
             principal: Principal = Depends(current_customer)) -> Response:
    _rect(x0, y0, x1, y1)
    cap = limit or request.app.state.settings.editor.max_viewport_nodes * 10
    try:
        vp = store_of(request).viewport(principal.customer_id, flow_id, x0, y0, x1, y1, cap)
    except NotFound:
        raise not_found() from None
    return FastJSON({"nodes": vp.nodes, "edges": vp.edges, "truncated": vp.truncated, "limit": cap})


@router.get("/flows/{flow_id}/skeleton", summary="The whole flow's geometry as a compact binary (docs/skeleton.md)",
            responses={200: {"content": {"application/octet-stream": {}}, "description": "RFSK v1 payload"}, 304: {"description": "unchanged"}})
def skeleton(request: Request, flow_id: int = FlowId, principal: Principal = Depends(current_customer)) -> Response:
    store = store_of(request)
    meta = store.get_flow(principal.customer_id, flow_id)
    if meta is None:
        raise not_found()
    cache: SkeletonCache = request.app.state.skeletons
    tag = str(meta.revision)
    headers = {"ETag": f'"{tag}"', "Cache-Control": "private, no-cache", "Vary": "Accept-Encoding"}
    if etag_matches(request.headers.get("if-none-match"), tag):
        return Response(status_code=304, headers=headers)
    packed = cache.get((principal.customer_id, flow_id, meta.revision))
    if packed is None:
        with cache.build_lock((principal.customer_id, flow_id)):
            packed = cache.get((principal.customer_id, flow_id, meta.revision))  # built by another request meanwhile?
            if packed is None:
                try:
                    geo = store.geometry(principal.customer_id, flow_id)
                except NotFound:
                    raise not_found() from None
                revision = geo.revision if geo.revision >= 0 else meta.revision
                packed = cache.put((principal.customer_id, flow_id, revision), build_skeleton(geo, revision), revision)
        headers["ETag"] = f'"{packed.revision}"'
    if "gzip" in request.headers.get("accept-encoding", "").lower():
        headers["Content-Encoding"] = "gzip"
        return Response(packed.gz, media_type="application/octet-stream", headers=headers)
    return Response(packed.raw, media_type="application/octet-stream", headers=headers)


@router.get("/flows/{flow_id}/critical", summary="The nodes the first screen needs: around the start and the main path")
def critical(request: Request, flow_id: int = FlowId, limit: int = Query(200, ge=1, le=5000),
             principal: Principal = Depends(current_customer)) -> Response:
    try:
        vp = store_of(request).critical(principal.customer_id, flow_id, limit)
    except NotFound:
        raise not_found() from None
    return FastJSON({"nodes": vp.nodes, "edges": vp.edges, "truncated": vp.truncated})


@router.get("/flows/{flow_id}/search", summary="Find nodes by label or id (each with its key and position)")
def search(request: Request, flow_id: int = FlowId, q: str = Query(..., min_length=1, max_length=200),
           limit: int = Query(50, ge=1, le=500), principal: Principal = Depends(current_customer)) -> Response:
    try:
        nodes = store_of(request).search_nodes(principal.customer_id, flow_id, q, limit)
    except NotFound:
        raise not_found() from None
    return FastJSON({"nodes": nodes})


_NODE_TYPES: dict[str, Any] | None = None


def node_types_payload() -> dict[str, Any]:
    """Built once: the catalogue does not change while the process runs."""
    global _NODE_TYPES
    if _NODE_TYPES is None:
        types = [{**node_type_info(nt), "code": TYPE_CODES[name]} for name, nt in CATALOGUE.items()]
        _NODE_TYPES = {"types": types, "flow_schema": flow_schema()}
    return _NODE_TYPES


@router.get("/node-types", summary="The node catalogue (config schema, outlets, defaults, type codes) and the flow JSON Schema")
def node_types(principal: Principal = Depends(current_customer)) -> Response:
    return FastJSON(node_types_payload(), headers={"Cache-Control": "private, max-age=300"})


@router.get("/config", summary="The editor's settings from the environment (thresholds, performance mode)")
def config(request: Request, principal: Principal = Depends(current_customer)) -> Response:
    return FastJSON(request.app.state.settings.editor.to_dict())

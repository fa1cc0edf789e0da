"""Flow routes: list, create, read, stream the document, delete, patch, validate, publish, revisions.

Every store call passes the caller's ``customer_id``: another customer's flow is simply
not found, and answers exactly like a missing one.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from starlette.responses import Response, StreamingResponse

from ringflow.api.auth import Principal, current_customer
from ringflow.api.background import Background, QueueFull
from ringflow.api.common import MAX_ID_INT, FastJSON, json_body, parse_if_match, store_of
from ringflow.api.errors import ApiError, not_found
from ringflow.api.problems import cost, has_error, summarize
from ringflow.bytelru import ByteLRU
from ringflow.interop import InteropError, to_ringflow, to_studio
from ringflow.interop.notes import import_warnings
from ringflow.interop.studio_export import MAX_STATES
from ringflow.model.diff import diff_documents
from ringflow.model.document import DocumentError, FlowDocument
from ringflow.model.schema import flow_schema
from ringflow.model.validation import has_errors, validate
from ringflow.store.base import FlowMeta, NotFound, PatchError, PatchResult, StaleRevision, StoreError

router = APIRouter(prefix="/api/v1", tags=["flows"])
log = logging.getLogger("ringflow.api")
FlowId = Path(ge=1, le=MAX_ID_INT, description="the flow's id")
PROBLEMS_INLINE_MAX_NODES = 20_000  # bigger flows validate in the background on GET (seconds at 500,000 nodes)
PATCH_OPS = ("add_node", "move_node", "update_node", "delete_node", "add_edge", "delete_edge", "rename", "set_start")
CLIENT_HEADER = "x-ringflow-client"


ProblemKey = tuple[int, int, int]  # (customer_id, flow_id, revision): never answers for another tenant or draft


class ProblemCache:
    """Validation summaries (:mod:`ringflow.api.problems`) per (customer, flow, revision), bounded
    by bytes: GET /flows/{id} on a big flow must not re-validate each time, nor keep a million
    problems. A deleted flow's entries are dropped (``drop_flow``)."""

    def __init__(self, max_bytes: int = 16 * 1024 * 1024, background: Background | None = None):
        self._items: ByteLRU[dict[str, Any]] = ByteLRU(max_bytes)
        self.background = background or Background()
        self._pending: set[ProblemKey] = set()
        self._lock = threading.Lock()

    def drop_flow(self, customer_id: int, flow_id: int) -> None:
        self._items.drop_where(lambda k: k[:2] == (customer_id, flow_id))  # type: ignore[index]

    def put(self, key: ProblemKey, value: dict[str, Any]) -> None:
        self._items.put(key, value, cost(value))

    def peek(self, key: ProblemKey) -> dict[str, Any] | None:
        return self._items.get(key, touch=False)

    def make_in_background(self, key: ProblemKey, make: Any) -> None:
        """Start validating once per key off the request path; a later GET (or /validate) gets the answer."""
        with self._lock:
            if key in self._pending or key in self._items:
                return
            self._pending.add(key)

        def run() -> None:
            try:
                self.put(key, summarize(make()))
            except NotFound:  # the flow was deleted meanwhile: nothing to validate
                pass
            except Exception:  # the store hiccuped: a later request retries, and the operator hears of it
                log.exception("background validation of flow %s revision %s failed", key[1], key[2])
            finally:
                with self._lock:
                    self._pending.discard(key)

        try:
            job = self.background.submit(key[0], run, f"background validation of flow {key[1]} revision {key[2]}")
        except QueueFull as exc:  # this customer's queue is full: the GET still answers (problems pending), a later one asks again
            self._unpend(key)
            log.warning("%s", exc)
            return
        job.add_done_callback(lambda f: self._unpend(key) if f.cancelled() else None)  # dropped at shutdown: a later GET asks again

    def _unpend(self, key: ProblemKey) -> None:
        with self._lock:
            self._pending.discard(key)

    def get_or_make(self, key: ProblemKey, make: Any) -> dict[str, Any]:
        hit = self._items.get(key)
        if hit is not None:
            return hit
        value = summarize(make())
        self.put(key, value)
        return value


def forget_flow(app: Any, customer_id: int, flow_id: int) -> None:
    """A deleted flow leaves this process's caches at once (its id is never handed out again, so
    other processes' entries can only go unused until they age out)."""
    app.state.problem_cache.drop_flow(customer_id, flow_id)
    app.state.skeletons.drop_flow(customer_id, flow_id)
    runtime = getattr(app.state, "runtime_services", None)
    if runtime is not None:
        runtime.flows.forget(customer_id, flow_id)


def _meta(request: Request, principal: Principal, flow_id: int) -> FlowMeta:
    meta = store_of(request).get_flow(principal.customer_id, flow_id)
    if meta is None:
        raise not_found()
    return meta


def _problems(request: Request, principal: Principal, meta: FlowMeta) -> dict[str, Any]:
    cache: ProblemCache = request.app.state.problem_cache
    store = store_of(request)
    return cache.get_or_make((meta.customer_id, meta.id, meta.revision), lambda: validate(store.get_document(principal.customer_id, meta.id)))


def _bad_cursor(exc: Exception) -> ApiError:
    return ApiError(400, "bad_cursor", "the cursor is not one this server gave out; start again without it", {"reason": str(exc)})


def changes_dict(result: PatchResult) -> dict[str, Any]:
    return {
        "added_nodes": result.added_nodes, "updated_nodes": result.updated_nodes, "removed_nodes": result.removed_nodes,
        "added_edges": result.added_edges, "removed_edges": result.removed_edges, "name": result.name, "start": result.start,
    }


@router.get("/flows", summary="List your flows (keyset pages), newest first or sorted by name, last update or size")
def list_flows(request: Request, principal: Principal = Depends(current_customer),
               limit: int = Query(50, ge=1, le=500), cursor: str | None = Query(None, max_length=512),
               q: str | None = Query(None, max_length=200),
               sort: str = Query("newest", pattern="^(newest|name|updated|size)$",
                                 description="newest first, name A-Z, most recently updated first, or most nodes first")) -> Response:
    try:
        page = store_of(request).list_flows(principal.customer_id, limit=limit, cursor=cursor or None, q=q or None, sort=sort)
    except (StoreError, ValueError) as exc:
        raise _bad_cursor(exc) from None
    return FastJSON({"flows": [m.to_dict() for m in page.items], "next_cursor": page.next_cursor})


@router.post("/flows", status_code=201, summary="Create a flow from a Ringflow JSON document",
             openapi_extra={"requestBody": {"required": True, "content": {"application/json": {"schema": flow_schema()}}}})
async def create_flow(request: Request, principal: Principal = Depends(current_customer)) -> Response:
    raw = await json_body(request)
    try:
        doc = await run_in_threadpool(to_ringflow, raw)  # Ringflow, Twilio Studio or Amazon Connect (detected)
    except DocumentError as exc:
        raise ApiError(422, "invalid_document", str(exc), summarize(exc.problems)) from None
    except InteropError as exc:
        raise ApiError(422, "invalid_document", str(exc), exc.to_dict()) from None
    store = store_of(request)
    try:
        meta = await run_in_threadpool(store.create_flow, principal.customer_id, doc)
    except DocumentError as exc:  # text the store cannot hold (a NUL): the same 422 as any other bad document
        raise ApiError(422, "invalid_document", str(exc), {"field": exc.problems[0].field,
                                                           "problems": [p.to_dict() for p in exc.problems]}) from None
    problems = summarize(await run_in_threadpool(validate, doc))
    request.app.state.precompute.written(meta.customer_id, meta.id, meta.revision, problems)  # the skeleton too, now
    extra = {}
    if isinstance(raw, dict) and "nodes" not in raw:  # a Studio or Connect import: what it could not carry over
        extra["import_warnings"] = await run_in_threadpool(import_warnings, doc)
    return FastJSON({**meta.to_dict(), **problems, **extra}, status_code=201,
                    headers={"Location": f"/api/v1/flows/{meta.id}", "ETag": f'"{meta.revision}"'})


@router.get("/flows/{flow_id}", summary="A flow's metadata, node and edge counts, and validation problems")
def get_flow(request: Request, flow_id: int = FlowId, principal: Principal = Depends(current_customer)) -> Response:
    meta = _meta(request, principal, flow_id)
    cache: ProblemCache = request.app.state.problem_cache
    key = (meta.customer_id, meta.id, meta.revision)
    problems = cache.peek(key)
    pending = False
    if problems is None and meta.node_count > PROBLEMS_INLINE_MAX_NODES:
        # opening a huge flow must not wait seconds for validation: answer now, validate behind
        store = store_of(request)
        cache.make_in_background(key, lambda: validate(store.get_document(principal.customer_id, meta.id)))
        problems, pending = summarize([]), True
    elif problems is None:
        try:
            problems = _problems(request, principal, meta)
        except NotFound:
            raise not_found() from None
    return FastJSON({**meta.to_dict(), **problems, "problems_pending": pending}, headers={"ETag": f'"{meta.revision}"'})


@router.get("/flows/{flow_id}/document", summary="The whole flow document (streamed in chunks for big flows)")
def get_document(request: Request, flow_id: int = FlowId, principal: Principal = Depends(current_customer),
                 fmt: str = Query("ringflow", alias="format", pattern="^(ringflow|studio)$")) -> Response:
    meta = _meta(request, principal, flow_id)
    if fmt == "studio":
        try:
            if meta.node_count > 10 * MAX_STATES:  # never load a huge flow only to refuse it
                raise InteropError(f"Twilio Studio holds at most {MAX_STATES:,} widgets per flow; this flow has "
                                   f"{meta.node_count:,} nodes", None, "nodes")
            return FastJSON(to_studio(store_of(request).get_document(principal.customer_id, flow_id)))
        except InteropError as exc:
            raise ApiError(422, "not_exportable", str(exc), exc.to_dict()) from None
    chunks = store_of(request).iter_document_chunks(principal.customer_id, flow_id)
    return StreamingResponse(chunks, media_type="application/json", headers={"ETag": f'"{meta.revision}"'})


@router.delete("/flows/{flow_id}", status_code=204, summary="Delete a flow and its revisions")
def delete_flow(request: Request, flow_id: int = FlowId, principal: Principal = Depends(current_customer)) -> Response:
    if not store_of(request).delete_flow(principal.customer_id, flow_id):
        raise not_found()
    forget_flow(request.app, principal.customer_id, flow_id)
    request.app.state.events.publish(flow_id, {"type": "deleted"})  # open editors can say so
    return Response(status_code=204)


def _check_ops(body: Any) -> list[dict[str, Any]]:
    if not isinstance(body, dict):
        raise ApiError(422, "invalid", "the body must be an object {\"ops\": [...]}", {"field": "body"})
    extra = set(body) - {"ops"}
    if extra:
        raise ApiError(422, "invalid", f"unknown field(s) {sorted(extra)}", {"field": sorted(extra)[0]})
    ops = body.get("ops")
    if not isinstance(ops, list) or not ops:
        raise ApiError(422, "invalid", "ops must be a non-empty list of operations", {"field": "ops"})
    if len(ops) > 100_000:
        raise ApiError(422, "invalid", "at most 100000 operations per patch", {"field": "ops"})
    for i, op in enumerate(ops):
        if not isinstance(op, dict) or op.get("op") not in PATCH_OPS:
            raise ApiError(422, "invalid", f"ops[{i}].op must be one of {', '.join(PATCH_OPS)}", {"field": f"ops[{i}].op"})
    return ops


@router.patch("/flows/{flow_id}", summary="Apply a batch of edits atomically, based on the revision in If-Match",
              openapi_extra={"requestBody": {"required": True, "content": {"application/json": {"schema": {
                  "type": "object", "required": ["ops"], "additionalProperties": False,
                  "properties": {"ops": {"type": "array", "items": {"type": "object", "required": ["op"],
                                                                    "properties": {"op": {"enum": list(PATCH_OPS)}}}}}}}}},
                             "parameters": [{"name": "If-Match", "in": "header", "required": True, "schema": {"type": "string"}},
                                            {"name": "X-Ringflow-Client", "in": "header", "required": False, "schema": {"type": "string"}}]})
async def patch_flow(request: Request, flow_id: int = FlowId, principal: Principal = Depends(current_customer)) -> Response:
    base = parse_if_match(request.headers.get("if-match"))
    ops = _check_ops(await json_body(request))
    store = store_of(request)
    try:
        result = await run_in_threadpool(store.apply_patch, principal.customer_id, flow_id, base, ops)
    except NotFound:
        raise not_found() from None
    except StaleRevision as exc:
        raise ApiError(412, "stale_revision", str(exc), {"current_revision": exc.current},
                       headers={"ETag": f'"{exc.current}"'}) from None
    except PatchError as exc:
        raise ApiError(422, "invalid_patch", str(exc), summarize(exc.problems)) from None
    changes = changes_dict(result)
    client = (request.headers.get(CLIENT_HEADER) or "")[:64] or None
    request.app.state.events.publish(flow_id, {"type": "patch", "revision": result.revision, "client": client, "changes": changes})
    request.app.state.precompute.written(principal.customer_id, flow_id, result.revision)
    return FastJSON({"revision": result.revision, "changes": changes}, headers={"ETag": f'"{result.revision}"'})


@router.post("/flows/{flow_id}/validate", summary="Check the current draft: every problem, errors and warnings")
def validate_flow(request: Request, flow_id: int = FlowId, principal: Principal = Depends(current_customer)) -> Response:
    meta = _meta(request, principal, flow_id)
    try:
        problems = _problems(request, principal, meta)
    except NotFound:
        raise not_found() from None
    return FastJSON({"revision": meta.revision, "valid": not has_error(problems), **problems})


PUBLISH_BODY = {"type": "object", "additionalProperties": False,
                "properties": {"name": {"type": "string", "maxLength": 200, "description": "a name for this version"}}}


async def _publish_name(request: Request) -> str | None:
    """The optional ``{"name": ...}`` of a publish; no body at all is fine (an unnamed version)."""
    if not (await request.body()).strip():
        return None
    body = await json_body(request)
    if not isinstance(body, dict) or set(body) - {"name"}:
        raise ApiError(422, "invalid", "the body must be {\"name\": \"...\"} or empty", {"field": "body"})
    name = body.get("name")
    if name is not None and (not isinstance(name, str) or len(name) > 200):
        raise ApiError(422, "invalid", "name must be text of at most 200 characters", {"field": "name"})
    return name


@router.post("/flows/{flow_id}/publish", summary="Publish the draft as the next immutable version (refused while it has errors)",
             openapi_extra={"requestBody": {"required": False, "content": {"application/json": {"schema": PUBLISH_BODY}}}})
async def publish_flow(request: Request, flow_id: int = FlowId, principal: Principal = Depends(current_customer)) -> Response:
    store = store_of(request)
    name = await _publish_name(request)
    meta = await run_in_threadpool(_meta, request, principal, flow_id)

    def run() -> tuple[Any, list[Any]]:
        doc: FlowDocument = store.get_document(principal.customer_id, flow_id)
        problems = validate(doc)
        if has_errors(problems):
            raise ApiError(422, "flow_has_errors", "fix the errors before publishing",
                           {**summarize(problems), "revision": meta.revision})
        author = store.api_key_prefix(principal.key_id)
        return store.publish(principal.customer_id, flow_id, name=name, author=author), problems

    try:
        rev, problems = await run_in_threadpool(run)
    except NotFound:
        raise not_found() from None
    request.app.state.events.publish(flow_id, {"type": "published", "number": rev.number, "version": rev.version})
    request.app.state.precompute.written(principal.customer_id, flow_id, meta.revision)  # what is missing, if anything
    return FastJSON({**_rev(rev), **summarize(problems)}, status_code=201)


@router.get("/flows/{flow_id}/revisions", summary="Published revisions of a flow (keyset pages)")
def list_revisions(request: Request, flow_id: int = FlowId, principal: Principal = Depends(current_customer),
                   limit: int = Query(50, ge=1, le=500), cursor: str | None = Query(None, max_length=512)) -> Response:
    _meta(request, principal, flow_id)
    try:
        page = store_of(request).list_revisions(principal.customer_id, flow_id, limit=limit, cursor=cursor or None)
    except NotFound:
        raise not_found() from None
    except (StoreError, ValueError) as exc:
        raise _bad_cursor(exc) from None
    return FastJSON({"revisions": [_rev(r) for r in page.items], "next_cursor": page.next_cursor})


def _rev(r: Any) -> dict[str, Any]:
    return {"flow_id": r.flow_id, "number": r.number, "version": r.version, "name": r.name, "author": r.author,
            "created_at": r.created_at, "node_count": r.node_count, "edge_count": r.edge_count}


@router.get("/flows/{flow_id}/revisions/{number}", summary="One published revision with its document")
def get_revision(request: Request, flow_id: int = FlowId, number: int = Path(ge=1, le=MAX_ID_INT),
                 principal: Principal = Depends(current_customer)) -> Response:
    try:
        rev, doc = store_of(request).get_revision(principal.customer_id, flow_id, number)
    except NotFound:
        raise not_found("revision") from None
    return FastJSON({"revision": _rev(rev), "document": doc})


def _side(request: Request, principal: Principal, flow_id: int, ref: str) -> tuple[dict[str, Any], FlowDocument]:
    store = store_of(request)
    if ref == "draft":
        meta = _meta(request, principal, flow_id)
        return {"draft": True, "revision": meta.revision}, store.get_document(principal.customer_id, flow_id)
    try:
        rev, doc = store.get_revision(principal.customer_id, flow_id, int(ref))
    except NotFound:
        raise ApiError(404, "not_found", f"this flow has no published revision {ref}", {"revision": ref}) from None
    return {"draft": False, **_rev(rev)}, doc


@router.get("/flows/{flow_id}/diff", summary="What changed between two revisions (or a revision and the draft), in the change format")
def diff_revisions(request: Request, flow_id: int = FlowId, principal: Principal = Depends(current_customer),
                   a: str = Query(..., alias="from", pattern="^(draft|[1-9][0-9]{0,17})$",
                                  description="a published revision's number, or `draft`"),
                   b: str = Query(..., alias="to", pattern="^(draft|[1-9][0-9]{0,17})$",
                                  description="a published revision's number, or `draft`")) -> Response:
    _meta(request, principal, flow_id)
    try:
        old_side, old = _side(request, principal, flow_id, a)
        new_side, new = _side(request, principal, flow_id, b)
    except NotFound:
        raise not_found() from None
    return FastJSON({"from": old_side, "to": new_side, **diff_documents(old, new)})


@router.post("/flows/{flow_id}/revisions/{number}/restore", status_code=201,
             summary="Make the draft equal to a published revision again, as one new draft revision",
             openapi_extra={"parameters": [{"name": "If-Match", "in": "header", "required": False, "schema": {"type": "string"}},
                                           {"name": "X-Ringflow-Client", "in": "header", "required": False, "schema": {"type": "string"}}]})
def restore_revision(request: Request, flow_id: int = FlowId, number: int = Path(ge=1, le=MAX_ID_INT),
                     principal: Principal = Depends(current_customer)) -> Response:
    header = request.headers.get("if-match")
    base = parse_if_match(header) if header is not None else None
    store = store_of(request)
    _meta(request, principal, flow_id)
    try:
        store.get_revision(principal.customer_id, flow_id, number)
    except NotFound:
        raise not_found("revision") from None
    try:
        result = store.restore_revision(principal.customer_id, flow_id, number, base)
    except NotFound:
        raise not_found() from None
    except StaleRevision as exc:
        raise ApiError(412, "stale_revision", str(exc), {"current_revision": exc.current},
                       headers={"ETag": f'"{exc.current}"'}) from None
    except PatchError as exc:
        raise ApiError(422, "invalid_patch", str(exc), summarize(exc.problems)) from None  # capped, like a patch's
    changes = changes_dict(result)
    if any(changes[k] for k in ("added_nodes", "updated_nodes", "removed_nodes", "added_edges", "removed_edges")) \
            or result.name is not None or result.start is not None:
        client = (request.headers.get(CLIENT_HEADER) or "")[:64] or None
        request.app.state.events.publish(flow_id, {"type": "patch", "revision": result.revision, "client": client, "changes": changes})
    request.app.state.precompute.written(principal.customer_id, flow_id, result.revision)
    return FastJSON({"revision": result.revision, "restored_from": number, "changes": changes}, status_code=201,
                    headers={"ETag": f'"{result.revision}"'})

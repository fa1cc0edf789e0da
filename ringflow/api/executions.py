"""REST-triggered executions, as Studio's Executions resource:
``POST /api/v1/flows/{flow_id}/executions`` with ``{"to", "from", "parameters"}``.

The flow must be published and the customer's provider account configured (``PUT
/api/v1/telephony`` with ``auth_token`` and ``account_sid``). Ringflow places the call through
the provider's Calls resource with the flow's webhook as its URL (``/voice/{flow_id}?execution=FN...``)
and remembers the parameters for an hour; when the called party answers, the call starts where
the Studio trigger's incomingRequest leads (else at the start) with ``flow.data`` = the parameters,
``flow.sid`` = the execution's sid and ``contact.channel.address`` = ``to``. When that is a
make-outgoing-call node, its timeout and record go with the call. The call's status callback
(``/voice/status?execution=FN...``) settles the execution (``ringflow.api.outcomes``: busy,
no-answer and failed run that node's branches); ``GET .../executions[/{sid}]`` shows it
(``ringflow.runtime.execution_records``).

The pending parameters and the records live in the runtime's state store (Redis when calls live
there). When it is unreachable the execution is refused with a 503 before any call is placed: a
call whose execution could not be recorded could not be followed or settled, and the client can
safely retry a request that started nothing. Reading executions then is a 503 as well.
"""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
from typing import Any

import orjson
from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from ringflow.api.auth import Principal, current_customer
from ringflow.api.errors import ApiError, not_found
from ringflow.api.services import Services, services
from ringflow.runtime.backends import BackendUnavailable, reached
from ringflow.runtime.compile import OUTCALL
from ringflow.runtime.execution_records import public, records

log = logging.getLogger("ringflow.api")
router = APIRouter()
EXECUTION_TTL = 3600  # an unanswered call's parameters are kept this long
MAX_PARAMETERS = 16 * 1024
ADDRESS_RE = re.compile(r"^(\+[1-9][0-9]{6,14}|client:[\w.-]{1,64}|sip:[^\s]{3,200})$")
EXECUTION_RE = re.compile(r"^FN[0-9a-f]{32}$")
DATA_FIELD = "flow.data"
"""The call-tuple entry holding a REST execution's parameters (see callinfo.flow_data)."""
PENDING_STORE = "pending executions store"


def _address(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not ADDRESS_RE.match(value.strip()):
        raise ApiError(400, "bad_request", f"{name} must be a phone number in E.164 form (+15551234567), client:NAME or sip:ADDRESS",
                       {"field": name})
    return value.strip()


class _Pending:
    """Executions waiting for their call's first webhook: in Redis when calls live there (any
    process may take the webhook), else in this process, each for EXECUTION_TTL seconds."""

    def __init__(self, svc: Services):
        backend = svc.runtime.backend
        self.redis = getattr(backend, "link", None)  # the link, not its client: that exists only once the link has connected
        self.prefix = getattr(backend, "prefix", "rf")
        self.local: dict[str, tuple[float, bytes]] = {}
        self.clock = svc.runtime.clock

    async def put(self, ex_id: str, record: dict[str, Any]) -> None:
        blob = orjson.dumps(record)
        if self.redis is not None:
            await reached(self.redis.call("SET", f"{self.prefix}:ex:{ex_id}", blob, "EX", EXECUTION_TTL), PENDING_STORE)
            return
        now = self.clock()
        if len(self.local) > 10_000:
            self.local = {k: v for k, v in self.local.items() if v[0] > now}
        self.local[ex_id] = (now + EXECUTION_TTL, blob)

    async def take(self, ex_id: str) -> dict[str, Any] | None:
        if self.redis is not None:
            blob = await reached(self.redis.call("GETDEL", f"{self.prefix}:ex:{ex_id}"), PENDING_STORE)
        else:
            hit = self.local.pop(ex_id, None)
            blob = hit[1] if hit and hit[0] > self.clock() else None
        return orjson.loads(blob) if blob else None


def pending(svc: Services) -> _Pending:
    found = getattr(svc, "_executions", None)
    if found is None:
        found = svc._executions = _Pending(svc)  # type: ignore[attr-defined]
    return found


async def execution_data(svc: Services, ex_id: str, owner: int, flow_id: int) -> str | None:
    """The parameters (JSON text) of the execution a call's first webhook names, once; None when
    unknown, expired, used, or another customer's or flow's."""
    if not EXECUTION_RE.match(ex_id):
        return None
    record = await pending(svc).take(ex_id)
    if record is None or record.get("customer") != owner or record.get("flow") != flow_id:
        return None
    return orjson.dumps(record.get("parameters") or {}).decode()


def _state_down(exc: BackendUnavailable, message: str, doing: str, *context: Any) -> ApiError:
    """The 503 a client may retry; the cause is logged with what was being done (``doing`` with
    ``context`` as its arguments), since the client only hears that the store is unreachable."""
    log.warning(doing + ": %s", *context, exc)
    return ApiError(503, "unavailable", message)


NOT_STARTED = "the runtime's state store is unreachable, so no call was placed; try again shortly"
STATE_DOWN = "the runtime's state store is unreachable; try again shortly"


def _public_base(request: Request) -> str:
    """The address the provider reaches us at (behind a proxy: X-Forwarded-Proto/Host)."""
    proto = request.headers.get("x-forwarded-proto", "").split(",")[0].strip() or request.url.scheme
    host = request.headers.get("x-forwarded-host", "").split(",")[0].strip() or request.url.netloc
    return f"{proto}://{host}"


@router.post("/api/v1/flows/{flow_id}/executions", status_code=201, tags=["runtime"],
             summary="Start a flow by placing a call (Studio's Executions resource): to, from, parameters -> flow.data",
             openapi_extra={"requestBody": {"required": True, "content": {"application/json": {"schema": {
                 "type": "object", "required": ["to", "from"], "additionalProperties": False,
                 "properties": {"to": {"type": "string", "description": "Number to call (E.164), client:NAME or sip:ADDRESS"},
                                "from": {"type": "string", "description": "Caller ID: one of your provider numbers"},
                                "parameters": {"type": "object", "description": "Read in the flow as flow.data.NAME"}}}}}}})
async def create_execution(flow_id: int, request: Request, principal: Principal = Depends(current_customer)) -> Response:
    svc = services(request)
    customer = principal.customer_id
    meta = await asyncio.to_thread(svc.store.get_flow, customer, flow_id) if 0 < flow_id < 2**63 else None
    if meta is None:  # first: another customer's flow is "not found", whatever the body says
        raise not_found("flow")
    raw = await request.body()
    try:
        body = orjson.loads(raw) if raw else None
    except orjson.JSONDecodeError:
        body = None
    if not isinstance(body, dict):
        raise ApiError(400, "bad_request", "the body must be a JSON object {\"to\", \"from\", \"parameters\"}")
    unknown = sorted(set(body) - {"to", "from", "parameters"})
    if unknown:
        raise ApiError(400, "bad_request", f"unknown field(s) {unknown}", {"fields": unknown})
    to, sender = _address(body, "to"), _address(body, "from")
    parameters = body.get("parameters", {})
    if not isinstance(parameters, dict) or len(orjson.dumps(parameters)) > MAX_PARAMETERS:
        raise ApiError(400, "bad_request", f"parameters must be a JSON object of at most {MAX_PARAMETERS // 1024} KB",
                       {"field": "parameters"})
    if meta.published_revision is None:
        raise ApiError(409, "not_published", "this flow has no published revision; publish it before starting executions")
    creds = await svc.credentials(customer)
    if creds is None:
        raise ApiError(409, "provider_not_configured", "set your provider's auth_token and account_sid with "
                       "PUT /api/v1/telephony before starting executions")
    ex_id = "FN" + secrets.token_hex(16)
    now = int(svc.runtime.clock())
    record = {"sid": ex_id, "flow_id": flow_id, "call_sid": "", "status": "active", "call_status": "queued",
              "contact_channel_address": to, "from": sender, "parameters": parameters, "date_created": now, "date_updated": now}
    try:  # both before the call: its first webhook wants the parameters, its status callback the record, at once
        await pending(svc).put(ex_id, {"customer": customer, "flow": flow_id, "parameters": parameters})
        await records(svc).create(customer, record)
    except BackendUnavailable as exc:
        raise _state_down(exc, NOT_STARTED, "execution %s of flow %s (customer %s) not started, no call placed",
                          ex_id, flow_id, customer) from None
    base = _public_base(request)
    timeout, record_call = await _dial_settings(svc, customer, flow_id)
    res = await svc.provider.create_call(creds, to, sender, f"{base}/voice/{flow_id}?execution={ex_id}",
                                         status_callback=f"{base}/voice/status?execution={ex_id}", timeout=timeout,
                                         record=record_call)
    if not res.ok:
        await _after_call(svc, ex_id, flow_id, customer, failed=True)
        raise ApiError(502, "provider_error", f"the provider did not place the call: {res.error}", {"provider_message": res.error})
    await _after_call(svc, ex_id, flow_id, customer, call_sid=res.sid)
    payload = {**record, "call_sid": res.sid}
    return Response(orjson.dumps(payload), status_code=201, media_type="application/json",
                    headers={"Location": f"/api/v1/flows/{flow_id}/executions/{ex_id}"})


async def _after_call(svc: Services, ex_id: str, flow_id: int, customer: int, failed: bool = False, call_sid: str = "") -> None:
    """Write what the provider answered into the record. Redis failing now is logged, not
    answered with a 503: the provider has placed (or refused) the call already, and a client
    told to retry would call the person twice. A placed call's status callback still settles
    the record; a refused one's record stays active until it expires."""
    try:
        if failed:
            await pending(svc).take(ex_id)
            await records(svc).update(ex_id, status="failed", call_status="failed")
        else:
            await records(svc).update(ex_id, call_sid=call_sid)
    except BackendUnavailable as exc:
        log.error("execution %s of flow %s (customer %s): the provider %s, but the record was not updated: %s",
                  ex_id, flow_id, customer, "refused the call" if failed else f"placed call {call_sid}", exc)


async def _dial_settings(svc: Services, customer: int, flow_id: int) -> tuple[int, bool]:
    """(ring timeout, record) of the make-outgoing-call node the execution's trigger leads to; else 60 s, no."""
    cf = await svc.flows.published(customer, flow_id)
    begin = cf.entries.get("request", cf.start) if cf is not None else -1
    if cf is None or begin < 0 or cf.kinds[begin] != OUTCALL:
        return 60, False
    return max(5, min(int(cf.conf[begin].timeout), 600)), bool(cf.conf[begin].record)


async def _owned(request: Request, principal: Principal, flow_id: int) -> Services:
    svc = services(request)
    meta = await asyncio.to_thread(svc.store.get_flow, principal.customer_id, flow_id) if 0 < flow_id < 2**63 else None
    if meta is None:
        raise not_found("flow")
    return svc


@router.get("/api/v1/flows/{flow_id}/executions", tags=["runtime"],
            summary="The flow's newest executions (up to 50), newest first: status active, ended or failed")
async def list_executions(flow_id: int, request: Request, principal: Principal = Depends(current_customer)) -> Response:
    svc = await _owned(request, principal, flow_id)
    try:
        found = await records(svc).listing(principal.customer_id, flow_id)
    except BackendUnavailable as exc:
        raise _state_down(exc, STATE_DOWN, "executions of flow %s (customer %s) not listed",
                          flow_id, principal.customer_id) from None
    return Response(orjson.dumps({"executions": found}), media_type="application/json")


@router.get("/api/v1/flows/{flow_id}/executions/{execution_sid}", tags=["runtime"],
            summary="One execution: status (active, ended, failed), the call's sid and final call_status")
async def get_execution(flow_id: int, execution_sid: str, request: Request,
                        principal: Principal = Depends(current_customer)) -> Response:
    svc = await _owned(request, principal, flow_id)
    try:
        fields = await records(svc).get(execution_sid) if EXECUTION_RE.match(execution_sid) else None
    except BackendUnavailable as exc:
        raise _state_down(exc, STATE_DOWN, "execution %s of flow %s (customer %s) not read",
                          execution_sid, flow_id, principal.customer_id) from None
    if fields is None or fields.get("customer") != str(principal.customer_id) or fields.get("flow_id") != str(flow_id):
        raise not_found("execution")
    return Response(orjson.dumps(public(fields)), media_type="application/json")

"""The runtime's JSON API: test calls (the editor's test panel), call history, telephony settings.

Every route is tenant-scoped through ``current_customer``: another customer's flow, call
or test call is a 404, exactly like one that does not exist.
"""

from __future__ import annotations

import asyncio
import re
import secrets as pysecrets
from typing import Any

import orjson
from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field, StrictBool
from starlette.responses import Response

from ringflow.api.auth import Principal, current_customer
from ringflow.api.errors import ApiError, not_found
from ringflow.api.services import SID_RE, services
from ringflow.runtime.backends import BackendUnavailable
from ringflow.runtime.engine import waiting_for
from ringflow.runtime.explain import explain
from ringflow.runtime.secrets import ACCOUNT_NAME, SECRET_NAME, encrypt
from ringflow.runtime.service import NotPublished, Outcome

router = APIRouter()
ACCOUNT_RE = re.compile(r"^AC[0-9a-fA-F]{32}$")


# --- test calls ------------------------------------------------------------------------------

async def _json_object(request: Request, allow_empty: bool) -> dict[str, Any]:
    raw = await request.body()
    if not raw.strip():
        if allow_empty:
            return {}
        raise ApiError(400, "bad_request", "send a JSON object")
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise ApiError(400, "invalid_json", "the request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise ApiError(400, "bad_request", "the body must be a JSON object")
    return body


def _said(actions: list[tuple[Any, ...]]) -> list[str]:
    out = []
    for a in actions:
        prompt = a[6] if a[0] == "gather" else a
        if prompt is None:
            continue
        if prompt[0] == "say":
            out.append(prompt[1])
        elif prompt[0] == "play":
            out.append(f"[play {prompt[1] or 'digits ' + prompt[3]}]")
    return out


def _verbs(actions: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
    names = {"say": ("text", "voice", "language", "loop"), "play": ("url", "loop", "digits"), "pause": ("seconds",),
             "gather": ("input", "num_digits", "timeout", "finish_on_key", "hints", "prompt"),
             "dial": ("to", "caller_id", "timeout", "record"), "record": ("max_length", "beep", "transcribe"),
             "enqueue": ("queue", "priority"), "hangup": ("reason",)}
    verbs = []
    for a in actions:
        verb = {"verb": a[0], **dict(zip(names.get(a[0], ()), a[1:]))}
        if a[0] == "gather":
            verb["prompt"] = _said([a])[0] if a[6] else None
            verb["hints"] = list(a[5])
        verbs.append(verb)
    return verbs


def _steps(out: Outcome) -> list[dict[str, Any]]:
    """Each node left during this answer: its label, the outlet and why (runtime/explain.py)."""
    return [explain(cf, node, outlet, (why or {}).get(k), out.state, now)
            for cf, trail, why, now in out.why for k, (node, outlet) in enumerate(trail)]


def _panel(out: Outcome, extra_said: list[str] | None = None, extra_path: list[str] | None = None,
           before: Outcome | None = None) -> dict[str, Any]:
    """The test panel's view of an answer; ``errors`` lists fields that went over a limit
    (``before``: the answer the digits were pressed at, whose steps and errors come first)."""
    node = out.state.node
    return {
        "call_sid": out.state.call[0], "said": (extra_said or []) + _said(out.actions), "actions": _verbs(out.actions),
        "waiting_for": waiting_for(out.flow, out.state), "node_id": out.node_id, "path": (extra_path or []) + out.path,
        "node_label": None if out.ended else (out.flow.labels.get(node) or out.node_id),
        "steps": (_steps(before) if before else []) + _steps(out),
        "variables": dict(out.state.vars or {}), "ended": out.ended, "step": out.state.step,
        "errors": [{"node_id": n, "message": m} for n, m in (before.errors if before else []) + out.errors],
    }


def _json(payload: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(payload), status_code=status, media_type="application/json")


def _text_field(body: dict[str, Any], name: str, limit: int = 64) -> str | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > limit:
        raise ApiError(400, "bad_request", f"{name} must be a string of at most {limit} characters", {"field": name})
    return value


@router.post("/api/v1/flows/{flow_id}/test-calls", tags=["runtime"])
async def start_test_call(flow_id: int, request: Request, principal: Principal = Depends(current_customer)) -> Response:
    svc = services(request)
    body = await _json_object(request, allow_empty=True)
    unknown = set(body) - {"from", "to", "digits"}
    if unknown:
        raise ApiError(400, "bad_request", f"unknown field(s) {sorted(unknown)}", {"fields": sorted(unknown)})
    from_, to, digits = _text_field(body, "from"), _text_field(body, "to"), _text_field(body, "digits", 32)
    draft = request.query_params.get("draft", "").lower() in ("1", "true", "yes")
    meta = await asyncio.to_thread(svc.store.get_flow, principal.customer_id, flow_id) if 0 < flow_id < 2**63 else None
    if meta is None:
        raise not_found("flow")
    if not draft and meta.published_revision is None:
        raise ApiError(409, "not_published", "this flow has no published revision; publish it, or test the draft with ?draft=1")
    sid = "TC" + pysecrets.token_hex(16)
    call = (sid, from_ or "+15550000001", to or "+15550000002", "inbound", "")
    try:
        out = await svc.tests.start_call(principal.customer_id, flow_id, call, draft=draft, test=True)
    except NotPublished:
        raise not_found("flow") from None
    if digits and waiting_for(out.flow, out.state) in ("digits", "digits_or_speech"):
        first = out
        nxt = await svc.tests.step_call(sid, out.state.step, ("digits", digits))
        if nxt is not None:
            return _json(_panel(nxt, _said(first.actions), first.path[:-1], first), 201)
    return _json(_panel(out), 201)


@router.post("/api/v1/test-calls/{call_sid}/steps", tags=["runtime"])
async def step_test_call(call_sid: str, request: Request, principal: Principal = Depends(current_customer)) -> Response:
    svc = services(request)
    got = await svc.tests.get_state(call_sid) if SID_RE.match(call_sid) else None
    if got is None or got[0].flow[0] != principal.customer_id:  # type: ignore[index]
        raise not_found("test call")
    st, _ = got
    body = await _json_object(request, allow_empty=False)
    given = [k for k in ("digits", "speech", "event") if k in body]
    if len(given) != 1:
        raise ApiError(400, "bad_request", "send exactly one of digits, speech or event", {"given": given})
    event: tuple[Any, ...]
    if given[0] == "digits":
        event = ("digits", _text_field(body, "digits", 32) or "")
    elif given[0] == "speech":
        event = ("speech", _text_field(body, "speech", 1024) or "", 1.0)
    else:
        name = body["event"]
        if name == "timeout":
            event = ("timeout",)
        elif name == "hangup":
            event = ("hangup",)
        elif name == "dial":
            event = ("dial", _text_field(body, "status", 32) or "completed")
        elif name == "record":
            duration = body.get("duration", 5)
            if not isinstance(duration, int) or isinstance(duration, bool) or not 0 <= duration <= 86400:
                raise ApiError(400, "bad_request", "duration must be a whole number of seconds", {"field": "duration"})
            event = ("record", _text_field(body, "recording_url", 2048) or "https://example.invalid/recording", duration)
        elif name == "queue":
            event = ("queue", _text_field(body, "result", 32) or "bridged")
        elif name == "pay":  # <Pay>'s Result: success, too-many-failed-attempts, payment-connector-error, ...
            event = ("pay", _text_field(body, "result", 64) or "success", {})
        elif name in ("return", "fail"):  # a redirected call handed back (FlowEvent)
            event = ("flow_event", name)
        elif name == "message":  # the contact's reply to a send-and-wait-for-reply
            event = ("message", {"Body": _text_field(body, "body", 1600) or ""})
        else:
            raise ApiError(400, "bad_request", "event must be one of timeout, hangup, dial, record, queue, pay, return, fail, message",
                           {"field": "event"})
    if st.node == -1:
        raise ApiError(409, "call_ended", "this test call has ended; start a new one")
    if event[0] == "hangup":
        await svc.tests.end_call(call_sid)
        got2 = await svc.tests.get_state(call_sid)
        return _json({"call_sid": call_sid, "said": [], "actions": [], "waiting_for": None, "node_id": None, "path": [],
                      "variables": dict(st.vars or {}), "ended": True, "step": st.step, "errors": []} if got2 is None else {})
    out = await svc.tests.step_call(call_sid, st.step, event)
    if out is None:
        raise not_found("test call")
    return _json(_panel(out))


# --- history ---------------------------------------------------------------------------------

@router.get("/api/v1/calls/{call_sid}", tags=["runtime"])
async def get_call(call_sid: str, request: Request, principal: Principal = Depends(current_customer)) -> Response:
    svc = services(request)
    try:
        rec = await svc.runtime.history.get(principal.customer_id, call_sid) if SID_RE.match(call_sid) else None
    except BackendUnavailable:
        raise ApiError(503, "unavailable", "the call store is unreachable; try again shortly") from None
    if rec is None:
        raise not_found("call")
    return _json(rec)


@router.get("/api/v1/flows/{flow_id}/calls", tags=["runtime"])
async def list_calls(flow_id: int, request: Request, principal: Principal = Depends(current_customer)) -> Response:
    svc = services(request)
    limit_raw = request.query_params.get("limit", "50")
    if not limit_raw.isdigit() or not 1 <= int(limit_raw) <= 200:
        raise ApiError(400, "bad_request", "limit must be between 1 and 200", {"field": "limit"})
    meta = await asyncio.to_thread(svc.store.get_flow, principal.customer_id, flow_id) if 0 < flow_id < 2**63 else None
    if meta is None:
        raise not_found("flow")
    try:
        items, nxt = await svc.runtime.history.list(principal.customer_id, flow_id, request.query_params.get("cursor") or None,
                                                    int(limit_raw))
    except ValueError:
        raise ApiError(400, "bad_cursor", "cursor is not one this API handed out", {"field": "cursor"}) from None
    return _json({"items": items, "next_cursor": nxt})


# --- telephony settings ----------------------------------------------------------------------

@router.put("/api/v1/telephony", tags=["runtime"])
async def put_telephony(request: Request, principal: Principal = Depends(current_customer)) -> Response:
    svc = services(request)
    body = await _json_object(request, allow_empty=False)
    if body.get("provider") != "twilio":
        raise ApiError(400, "bad_request", "provider must be \"twilio\" (SignalWire and Telnyx sign the same way)", {"field": "provider"})
    token = body.get("auth_token")
    if not isinstance(token, str) or not 8 <= len(token.strip()) <= 256:
        raise ApiError(400, "bad_request", "auth_token must be the provider's auth token (8 to 256 characters)", {"field": "auth_token"})
    if not svc.settings.secret_key:
        raise ApiError(503, "unavailable", "RINGFLOW_SECRET_KEY is not set on the server, so the token cannot be stored encrypted")
    account = body.get("account_sid")
    if account is not None and not (isinstance(account, str) and ACCOUNT_RE.match(account)):
        raise ApiError(400, "bad_request", "account_sid must be the provider's account SID (AC followed by 32 hex digits)",
                       {"field": "account_sid"})
    cipher = encrypt(svc.settings.secret_key, token.strip())
    await asyncio.to_thread(svc.store.put_secret, principal.customer_id, SECRET_NAME, cipher)
    if account:
        await asyncio.to_thread(svc.store.put_secret, principal.customer_id, ACCOUNT_NAME, encrypt(svc.settings.secret_key, account))
    svc.forget_token(principal.customer_id)
    return _json({"provider": "twilio", "configured": True, "account_sid": account or None})


class TelephonyOptions(BaseModel):
    """What ``PATCH /api/v1/telephony`` may change."""

    model_config = ConfigDict(extra="forbid")
    allow_unsigned_webhooks: StrictBool = Field(
        description="Accept provider webhooks without a signature while no auth token is set. For local development "
                    "only: anyone who can reach the server can then start and drive calls on your flows. Off by default; "
                    "a stored auth token always wins (webhooks must then be signed).")


async def _telephony(svc: Any, customer_id: int) -> dict[str, Any]:
    cipher = await asyncio.to_thread(svc.store.get_secret, customer_id, SECRET_NAME)
    customer = await asyncio.to_thread(svc.store.get_customer, customer_id)
    return {"provider": "twilio", "configured": cipher is not None,
            "allow_unsigned_webhooks": bool(customer is not None and customer.allow_unsigned_webhooks)}


@router.get("/api/v1/telephony", tags=["runtime"], summary="Whether a provider token is set and unsigned webhooks are allowed")
async def get_telephony(request: Request, principal: Principal = Depends(current_customer)) -> Response:
    return _json(await _telephony(services(request), principal.customer_id))


@router.patch("/api/v1/telephony", tags=["runtime"], summary="Allow or refuse unsigned webhooks (local development)")
async def patch_telephony(options: TelephonyOptions, request: Request, principal: Principal = Depends(current_customer)) -> Response:
    svc = services(request)
    if not await asyncio.to_thread(svc.store.set_unsigned_webhooks, principal.customer_id, options.allow_unsigned_webhooks):
        raise not_found("customer")
    svc.forget_token(principal.customer_id)
    return _json(await _telephony(svc, principal.customer_id))

"""HTTP surface of the runtime: TwiML webhooks, test calls, call history, telephony settings.

Webhooks answer TwiML whatever happens: an unknown flow or call, a state store that is
down, junk input all get a spoken apology and ``<Hangup/>`` (or a 4xx for requests no
provider would send), never a 500 and never a call left hanging.
"""

from __future__ import annotations

import asyncio
import os
import re
import secrets as pysecrets
import time
from typing import Any
from urllib.parse import parse_qsl

import orjson
from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from ringflow.api.auth import Principal, current_customer
from ringflow.api.errors import ApiError, not_found
from ringflow.runtime import twiml
from ringflow.runtime.backends import BackendUnavailable, MemoryBackend, RedisBackend
from ringflow.runtime.counts import LiveCounts
from ringflow.runtime.engine import waiting_for
from ringflow.runtime.flows import StoreFlows
from ringflow.runtime.history import MemoryHistory, RedisHistory
from ringflow.runtime.httpclient import GuardedHttp
from ringflow.runtime.secrets import SECRET_NAME, decrypt, encrypt, signature_ok
from ringflow.runtime.service import NotPublished, Outcome, Runtime, run_forever

router = APIRouter()
MAX_FORM = 32 * 1024
SID_RE = re.compile(r"^[A-Za-z0-9_-]{2,64}$")
FINAL_STATUSES = frozenset({"completed", "busy", "failed", "no-answer", "canceled"})
TOKEN_TTL = 10.0


class Services:
    """Everything the routes share, built once per app on first use."""

    def __init__(self, app: Any):
        settings, store = app.state.settings, app.state.store
        self.settings, self.store = settings, store
        events = getattr(app.state, "events", None)
        publish = events.publish if events is not None else None
        http = GuardedHttp(allow_private=settings.allow_private_http)
        self.flows = StoreFlows(store)
        redis_client = None
        prefix = os.environ.get("RINGFLOW_REDIS_PREFIX", "rf")  # lets several deployments share one Redis
        if settings.redis_url:
            backend = RedisBackend.from_url(settings.redis_url, prefix=prefix)
            redis_client = backend.client
            history: Any = RedisHistory(redis_client, prefix=prefix)
        else:
            backend = MemoryBackend(on_expire=self._expired)  # type: ignore[assignment]
            history = MemoryHistory()
        self.counts = LiveCounts(publish, redis_client, prefix=prefix)
        self.runtime = Runtime(self.flows, backend, history, http, self.counts, background_history=redis_client is not None)
        # test calls live where calls live, so any process can take the panel's next step
        self.test_backend: Any = RedisBackend(redis_client, prefix=prefix + "t", ttl=1800) if redis_client else MemoryBackend()
        self.tests = Runtime(self.flows, self.test_backend, history, http, None, ttl=1800)
        self._tokens: dict[int, tuple[float, str | None]] = {}
        self._tasks: list[asyncio.Task[Any]] = []
        loop = asyncio.get_running_loop()
        if isinstance(backend, MemoryBackend):
            self._tasks.append(loop.create_task(run_forever(backend.sweep, 1.0)))
        if isinstance(self.test_backend, MemoryBackend):
            self._tasks.append(loop.create_task(run_forever(self.test_backend.sweep, 5.0)))
        self._tasks.append(loop.create_task(run_forever(self.counts.flush, 1.0)))

    def _expired(self, st: Any) -> None:
        """An abandoned call dropped by the timing wheel leaves the live counts too."""
        cf = self.flows.cached(st.flow)
        if cf is not None and st.node >= 0:
            self.counts.record(cf.key[1], cf.ids[st.node], None, [])

    async def auth_token(self, customer_id: int) -> str | None:
        hit = self._tokens.get(customer_id)
        now = time.monotonic()
        if hit and now - hit[0] < TOKEN_TTL:
            return hit[1]
        cipher = await asyncio.to_thread(self.store.get_secret, customer_id, SECRET_NAME)
        token = decrypt(self.settings.secret_key, cipher) if cipher else None
        if cipher and token is None:
            token = "\x00unusable"  # stored but undecryptable: refuse every webhook rather than skip the check
        self._tokens[customer_id] = (now, token)
        return token

    def forget_token(self, customer_id: int) -> None:
        self._tokens.pop(customer_id, None)


def services(request: Request) -> Services:
    app = request.app
    svc = getattr(app.state, "runtime_services", None)
    if svc is None:
        svc = app.state.runtime_services = Services(app)
    return svc


def _twiml(body: str, status: int = 200) -> Response:
    return Response(body, status_code=status, media_type="text/xml")


async def _form(request: Request) -> list[tuple[str, str]] | None:
    raw = b""
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > MAX_FORM:
            return None
    try:
        return parse_qsl(raw.decode("utf-8"), keep_blank_values=True, max_num_fields=200)
    except (UnicodeDecodeError, ValueError):
        return None


async def _verified(svc: Services, request: Request, customer_id: int, params: list[tuple[str, str]]) -> bool:
    token = await svc.auth_token(customer_id)
    if token is None:
        return True  # the customer has not configured a provider token: nothing to check against
    return signature_ok(token, str(request.url), params, request.headers.get("x-twilio-signature"))


def _forbidden() -> Response:
    return _twiml(twiml.HEAD + "<Reject/></Response>", 403)


def _answer(out: Outcome, flow_id: int) -> Response:
    return _twiml(twiml.render(out.actions, f"/voice/{flow_id}/step?n={out.state.step}"))


def _event(form: dict[str, str], ev: str | None) -> tuple[Any, ...]:
    if "DialCallStatus" in form:
        return ("dial", form["DialCallStatus"])
    if "QueueResult" in form:
        return ("queue", form["QueueResult"])
    if "RecordingUrl" in form:
        try:
            seconds = int(float(form.get("RecordingDuration") or 0))
        except ValueError:
            seconds = 0
        return ("record", form["RecordingUrl"], seconds)
    if form.get("SpeechResult"):
        return ("speech", form["SpeechResult"], form.get("Confidence"))
    if ev != "timeout" and form.get("Digits"):
        return ("digits", form["Digits"])
    return ("timeout",)


@router.post("/voice/status", include_in_schema=False)
async def voice_status(request: Request) -> Response:
    svc = services(request)
    params = await _form(request)
    if params is None:
        return _twiml(twiml.EMPTY, 413)
    form = dict(params)
    sid = form.get("CallSid", "")
    if not SID_RE.match(sid):
        return _twiml(twiml.EMPTY, 400)
    try:
        got = await svc.runtime.get_state(sid)
        if got is None:
            return _twiml(twiml.EMPTY)
        if not await _verified(svc, request, got[0].flow[0], params):  # type: ignore[index]
            return _forbidden()
        if form.get("CallStatus", "completed") in FINAL_STATUSES:
            await svc.runtime.end_call(sid)
    except BackendUnavailable:
        return _twiml(twiml.EMPTY, 503)
    return _twiml(twiml.EMPTY)


async def _webhook(request: Request, flow_ref: str, first: bool) -> Response:
    svc = services(request)
    params = await _form(request)
    if params is None:
        return _twiml(twiml.APOLOGY, 413)
    form = dict(params)
    sid = form.get("CallSid", "")
    if not SID_RE.match(sid):
        return Response(orjson.dumps({"error": {"code": "bad_request", "message": "CallSid is missing or malformed",
                                                "details": {"field": "CallSid"}}}), 400, media_type="application/json")
    if not flow_ref.isdigit() or len(flow_ref) > 18:
        return _twiml(twiml.NOT_CONFIGURED)
    flow_id = int(flow_ref)
    owner = await svc.flows.owner(flow_id)
    if owner is None:
        return _twiml(twiml.NOT_CONFIGURED)
    if not await _verified(svc, request, owner, params):
        return _forbidden()
    try:
        if first:
            call = (sid, form.get("From", "")[:64], form.get("To", "")[:64], form.get("Direction", "inbound")[:32],
                    form.get("AccountSid", "")[:64])
            try:
                out = await svc.runtime.start_call(owner, flow_id, call)
            except NotPublished:
                return _twiml(twiml.NOT_CONFIGURED)
        else:
            n_raw = request.query_params.get("n", "")
            n = int(n_raw) if n_raw.isdigit() and len(n_raw) < 9 else -1
            got = await svc.runtime.step_call(sid, n, _event(form, request.query_params.get("ev")))
            if got is None or got.flow.key[0] != owner:  # type: ignore[index]
                return _twiml(twiml.CALL_GONE)
            out = got
    except BackendUnavailable:
        return _twiml(twiml.APOLOGY)
    return _answer(out, flow_id)


@router.post("/voice/{flow_ref}", include_in_schema=False)
async def voice_start(flow_ref: str, request: Request) -> Response:
    return await _webhook(request, flow_ref, first=True)


@router.post("/voice/{flow_ref}/step", include_in_schema=False)
async def voice_step(flow_ref: str, request: Request) -> Response:
    return await _webhook(request, flow_ref, first=False)


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


def _panel(out: Outcome, extra_said: list[str] | None = None, extra_path: list[str] | None = None) -> dict[str, Any]:
    return {
        "call_sid": out.state.call[0], "said": (extra_said or []) + _said(out.actions), "actions": _verbs(out.actions),
        "waiting_for": waiting_for(out.flow, out.state), "node_id": out.node_id, "path": (extra_path or []) + out.path,
        "variables": dict(out.state.vars or {}), "ended": out.ended, "step": out.state.step,
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
            return _json(_panel(nxt, _said(first.actions), first.path[:-1]), 201)
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
        else:
            raise ApiError(400, "bad_request", "event must be one of timeout, hangup, dial, record, queue", {"field": "event"})
    if st.node == -1:
        raise ApiError(409, "call_ended", "this test call has ended; start a new one")
    if event[0] == "hangup":
        await svc.tests.end_call(call_sid)
        got2 = await svc.tests.get_state(call_sid)
        return _json({"call_sid": call_sid, "said": [], "actions": [], "waiting_for": None, "node_id": None, "path": [],
                      "variables": dict(st.vars or {}), "ended": True, "step": st.step} if got2 is None else {})
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
    cipher = encrypt(svc.settings.secret_key, token.strip())
    await asyncio.to_thread(svc.store.put_secret, principal.customer_id, SECRET_NAME, cipher)
    svc.forget_token(principal.customer_id)
    return _json({"provider": "twilio", "configured": True})


@router.get("/api/v1/telephony", tags=["runtime"])
async def get_telephony(request: Request, principal: Principal = Depends(current_customer)) -> Response:
    svc = services(request)
    cipher = await asyncio.to_thread(svc.store.get_secret, principal.customer_id, SECRET_NAME)
    return _json({"provider": "twilio", "configured": cipher is not None})


# --- fast path ---------------------------------------------------------------------------------

_VOICE = re.compile(r"^/voice/(?:(status)|([^/]+)(/step)?)$")


def fast_path(app: Any) -> Any:
    """Wrap the whole app so provider webhooks skip the router walk and the API middleware.

    The API has dozens of routes; matching ``/voice/...`` through all of them costs more CPU
    than running the call. Webhook bodies are still capped (32 KB) by the handlers themselves.
    Everything else goes to ``app`` unchanged.
    """

    async def asgi(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["method"] == "POST":
            m = _VOICE.match(scope["path"])
            if m is not None:
                scope = {**scope, "app": app}
                request = Request(scope, receive)
                try:
                    if m.group(1):
                        response = await voice_status(request)
                    else:
                        response = await _webhook(request, m.group(2), first=m.group(3) is None)
                except Exception:  # noqa: BLE001 - a provider must never get a 500: apologise and hang up
                    response = _twiml(twiml.APOLOGY)
                await response(scope, receive, send)
                return
        await app(scope, receive, send)

    asgi.state = app.state  # type: ignore[attr-defined]
    return asgi

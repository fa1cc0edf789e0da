"""Provider webhooks (TwiML) and the runtime's ``router`` (which also carries the JSON API of
:mod:`ringflow.api.panel`).

Webhooks answer TwiML whatever happens: an unknown flow or call, a state store that is
down, junk input all get a spoken apology and ``<Hangup/>`` (or a 4xx for requests no
provider would send), never a 500 and never a call left hanging.
"""

from __future__ import annotations

import logging
import re
from typing import Any, Awaitable, Callable, NamedTuple
from urllib.parse import parse_qsl

import orjson
from fastapi import APIRouter, Request
from starlette.responses import Response

from ringflow.api import panel
from ringflow.api.services import FINAL_STATUSES, MAX_FORM, SID_RE, Services, services
from ringflow.runtime import twiml
from ringflow.runtime.backends import BackendUnavailable
from ringflow.runtime.callinfo import DATA, EXECUTION, call_from_form
from ringflow.runtime.secrets import signature_ok
from ringflow.runtime.service import NotPublished, Outcome
from ringflow.runtime.webhook_events import flow_event, widget_event

log = logging.getLogger("ringflow.runtime")
router = APIRouter()
router.include_router(panel.router)


def _include_messaging() -> None:
    from ringflow.api import executions, messaging  # their own modules; mounted with the voice webhooks

    router.include_router(messaging.router)
    router.include_router(executions.router)


def _twiml(body: str, status: int = 200) -> Response:
    return Response(body, status_code=status, media_type="text/xml")


class BadForm(Exception):
    def __init__(self, status: int):
        self.status = status


class WebhookForm(NamedTuple):
    """A webhook's form: ``params`` as sent (in order: the signature covers them), ``form`` by
    name, and ``key`` the value of the field that names the call (CallSid) or sender (From)."""

    params: list[tuple[str, str]]
    form: dict[str, str]
    key: str


def _is_call_sid(value: str) -> bool:
    return SID_RE.match(value) is not None


async def _webhook_form(request: Request, field: str = "CallSid", valid: Callable[[str], bool] = _is_call_sid) -> WebhookForm | int:
    """Every webhook's preamble: its form and ``field`` checked by ``valid``. Else the status to
    refuse with, which each handler answers in its own body (voice, status callbacks and
    messaging differ): 413 over MAX_FORM (32 KB), 400 when ``field`` is missing or invalid. A
    body that is not a form raises BadForm, which ``_guarded`` answers for all of them alike."""
    raw = b""
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > MAX_FORM:
            return 413
    try:
        params = parse_qsl(raw.decode("utf-8"), keep_blank_values=True, max_num_fields=200)
    except (UnicodeDecodeError, ValueError):
        raise BadForm(400) from None
    form = dict(params)
    key = form.get(field, "")
    if not valid(key):
        return 400
    return WebhookForm(params, form, key)


async def _verified(svc: Services, request: Request, customer_id: int, params: list[tuple[str, str]]) -> bool:
    """Signed with the customer's provider token; without a token, refused unless the customer
    explicitly allowed unsigned webhooks (local development: PATCH /api/v1/telephony)."""
    token, unsigned_ok = await svc.webhook_policy(customer_id)
    if token is None:
        return unsigned_ok
    given = request.headers.get("x-twilio-signature")
    return any(signature_ok(token, url, params, given) for url in _public_urls(request))


def _public_urls(request: Request) -> list[str]:
    """The URL as the provider called it. Behind a TLS-terminating proxy the app sees
    http://internal-host; the provider signed https://public-host. Every candidate still needs
    the HMAC with the customer's token, so trying them costs no security."""
    url = request.url
    candidates = [str(url)]
    proto = request.headers.get("x-forwarded-proto", "").split(",")[0].strip()
    host = request.headers.get("x-forwarded-host", "").split(",")[0].strip()
    if proto in ("http", "https") or host:
        candidates.append(str(url.replace(scheme=proto or url.scheme, netloc=host or url.netloc)))
    if url.scheme == "http":
        candidates.append(str(url.replace(scheme="https")))
    return candidates


def _forbidden() -> Response:
    return _twiml(twiml.HEAD + "<Reject/></Response>", 403)


def _answer(out: Outcome, flow_id: int) -> Response:
    return _twiml(twiml.render(out.actions, f"/voice/{flow_id}/step?n={out.state.step}"))


def _event(form: dict[str, str], ev: str | None, query: Any = None) -> tuple[Any, ...]:
    if (widget := widget_event(form, query or {})) is not None:  # <Pay> results, a redirect's return
        return widget
    if "DialCallStatus" in form:
        return ("dial", form["DialCallStatus"])
    if "QueueResult" in form:
        return ("queue", form["QueueResult"])
    if "RecordingUrl" in form:
        try:
            seconds = int(float(form.get("RecordingDuration") or 0))
        except ValueError:
            seconds = 0
        return ("record", form["RecordingUrl"], seconds, form.get("Digits") == "hangup")
    if form.get("SpeechResult"):
        return ("speech", form["SpeechResult"], form.get("Confidence"))
    if ev != "timeout" and form.get("Digits"):
        return ("digits", form["Digits"])
    return ("timeout",)


@router.post("/voice/status", include_in_schema=False)
async def voice_status(request: Request) -> Response:
    return await _guarded(_status(request))


async def _status(request: Request) -> Response:
    svc = services(request)
    posted = await _webhook_form(request)
    if isinstance(posted, int):
        return _twiml(twiml.EMPTY, posted)
    params, form, sid = posted
    try:
        if ex_id := request.query_params.get("execution", ""):  # a REST execution's call: how it ended
            from ringflow.api.outcomes import on_status

            refused = await on_status(svc, request, params, ex_id)
            if refused is not None:
                return refused
        got = await svc.runtime.get_state(sid, recent_ok=True)
        if got is None:
            return _twiml(twiml.EMPTY)
        if not await _verified(svc, request, got[0].flow[0], params):  # type: ignore[index]
            return _forbidden()
        if form.get("CallStatus", "completed") in FINAL_STATUSES:
            await svc.runtime.end_call(sid, got[0])
    except BackendUnavailable:
        return _twiml(twiml.EMPTY, 503)
    return _twiml(twiml.EMPTY)


async def _webhook(request: Request, flow_ref: str, first: bool) -> Response:
    from ringflow.api.executions import execution_data

    svc = services(request)
    posted = await _webhook_form(request)
    if isinstance(posted, int):  # too large: the apology; no valid CallSid: said as JSON
        return _twiml(twiml.APOLOGY, 413) if posted == 413 else Response(orjson.dumps({"error": {
            "code": "bad_request", "message": "CallSid is missing or malformed", "details": {"field": "CallSid"}}}), 400,
            media_type="application/json")
    params, form, sid = posted
    if not flow_ref.isdigit() or len(flow_ref) > 18:
        return _twiml(twiml.NOT_CONFIGURED)
    flow_id = int(flow_ref)
    try:
        owner = await svc.flows.owner(flow_id)  # a store outage raises (logged there): an apology, never "not set up"
    except BackendUnavailable:
        return _twiml(twiml.APOLOGY)
    if owner is None:
        return _twiml(twiml.NOT_CONFIGURED)
    if not await _verified(svc, request, owner, params):
        return _forbidden()
    try:
        if first and flow_event(request.query_params, form):  # a <Redirect>ed call handed back (Studio's FlowEvent=return)
            first, n_given = False, "current"
        else:
            n_given = None
        if first:
            call = call_from_form(sid, form)  # every parameter of the voice request: trigger.call.*
            entry = ""
            if ex_id := request.query_params.get("execution"):  # the call a REST execution placed
                data = await execution_data(svc, ex_id, owner, flow_id)
                if data is not None:
                    call, entry = call + (DATA, data, EXECUTION, ex_id), "request"
            try:
                out = await svc.runtime.start_call(owner, flow_id, call, entry=entry)
            except NotPublished:
                return _twiml(twiml.NOT_CONFIGURED)
        else:
            n_raw = request.query_params.get("n", "")
            n = int(n_raw) if n_raw.isdigit() and len(n_raw) < 9 else -1
            if n_given == "current":
                n = await svc.runtime.current_step(sid)
            # the call must belong to the URL's flow (and so to the customer whose signature was
            # checked) before its state is read further or written: step_call checks, then moves
            got = await svc.runtime.step_call(sid, n, _event(form, request.query_params.get("ev"), request.query_params),
                                              expect=(owner, flow_id))
            if got is None:
                return _twiml(twiml.CALL_GONE)
            out = got
    except BackendUnavailable as exc:
        log.warning("webhook for call %s answered with an apology: %s", sid, exc)
        return _twiml(twiml.APOLOGY)
    return _answer(out, flow_id)


@router.post("/voice/{flow_ref}", include_in_schema=False)
async def voice_start(flow_ref: str, request: Request) -> Response:
    return await _guarded(_webhook(request, flow_ref, first=True))


@router.post("/voice/{flow_ref}/step", include_in_schema=False)
async def voice_step(flow_ref: str, request: Request) -> Response:
    return await _guarded(_webhook(request, flow_ref, first=False))


async def _guarded(answer: Awaitable[Response]) -> Response:
    """A provider never gets a 500: junk bodies are a 400, anything unforeseen an apology."""
    try:
        return await answer
    except BadForm as exc:
        return _twiml(twiml.APOLOGY, exc.status)
    except Exception:  # noqa: BLE001 - the caller must hear something and the call must end
        log.exception("webhook failed; answered with an apology")
        return _twiml(twiml.APOLOGY)


# --- fast path ---------------------------------------------------------------------------------

_VOICE = re.compile(r"^/voice/(?:(status)|([^/]+)(/step)?)\Z")


class VoiceFastPath:
    """Provider webhooks skip the router walk and the API middleware (``create_app`` installs this
    outermost).

    The API has dozens of routes; matching ``/voice/...`` through all of them costs more CPU
    than running the call. Webhook bodies are still capped (32 KB) by the handlers themselves.
    Everything else goes to the wrapped app unchanged.
    """

    def __init__(self, app: Any):
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["method"] == "POST":
            m = _VOICE.match(scope["path"])
            if m is not None:
                request = Request(scope, receive)  # scope["app"] is the FastAPI app: services() finds its state
                if m.group(1):
                    response = await voice_status(request)
                else:
                    response = await _guarded(_webhook(request, m.group(2), first=m.group(3) is None))
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


_include_messaging()

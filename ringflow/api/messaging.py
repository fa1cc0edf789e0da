"""Twilio's messaging webhook: ``POST /messaging/{flow_id}`` runs a flow for an incoming SMS.

A conversation is a state record like a call, keyed by the flow and the sender (its id is
``MC`` + a digest of both, so a retried webhook and the next message find it). The first
message starts the flow at the Studio trigger's incomingMessage target (else the flow's
start) with ``trigger.message.*`` (Body, From, To, MessageSid, ...); send-message widgets
answer as ``<Message>`` verbs; a send-and-wait-for-reply waits for the sender's next message,
which continues the conversation (``widgets.NAME.inbound.Body``). When the widget's timeout
passes with no reply, the due timer (``ringflow.runtime.timers``) runs its timeout branch by
itself; a reply that still arrives late (before a tick took it) first runs that branch here. A
message to an ended conversation starts a new one. Webhooks are signed like voice (X-Twilio-Signature with the customer's token).
"""

from __future__ import annotations

import hashlib
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from ringflow.api.services import Services, services
from ringflow.runtime import timers, twiml
from ringflow.runtime.backends import BackendUnavailable
from ringflow.runtime.callinfo import MESSAGE, MESSAGE_FIELDS, call_from_form
from ringflow.runtime.compile import REPLY
from ringflow.runtime.service import NotPublished, Outcome
from ringflow.runtime.state import ENDED

router = APIRouter()
INBOUND_FIELDS = ("Body", "From", "To", "MessageSid", "NumMedia", "MediaUrl0", "MediaContentType0", "ProfileName")


def conversation_sid(flow_id: int, sender: str) -> str:
    return "MC" + hashlib.sha256(f"{flow_id}|{sender}".encode()).hexdigest()[:32]


def _is_sender(value: str) -> bool:
    return 0 < len(value) <= 64


def _xml(body: str, status: int = 200) -> Response:
    return Response(body, status_code=status, media_type="text/xml")


@router.post("/messaging/{flow_ref}", include_in_schema=False)
async def messaging_webhook(flow_ref: str, request: Request) -> Response:
    from ringflow.api.voice import _guarded

    return await _guarded(_message(request, flow_ref))


async def _message(request: Request, flow_ref: str) -> Response:
    from ringflow.api.voice import _forbidden, _verified, _webhook_form

    svc = services(request)
    posted = await _webhook_form(request, "From", _is_sender)
    if isinstance(posted, int):
        return _xml(twiml.EMPTY, posted)
    params, form, _ = posted
    if not flow_ref.isdigit() or len(flow_ref) > 18:
        return _xml(twiml.EMPTY, 404)
    flow_id = int(flow_ref)
    try:
        owner = await svc.flows.owner(flow_id)  # a store outage raises (logged there): 503, the provider retries
    except BackendUnavailable:
        return _xml(twiml.EMPTY, 503)
    if owner is None:
        return _xml(twiml.EMPTY, 404)
    if not await _verified(svc, request, owner, params):
        return _forbidden()
    try:
        actions = await converse(svc, owner, flow_id, form)
    except NotPublished:
        return _xml(twiml.EMPTY)
    except BackendUnavailable:
        return _xml(twiml.EMPTY, 503)
    return _xml(twiml.messages(actions))


async def converse(svc: Services, owner: int, flow_id: int, form: dict[str, str]) -> list[tuple[Any, ...]]:
    """Run one incoming message through the sender's conversation; the messages to answer with.
    A conversation left waiting for a reply gets its timeout filed (ringflow.runtime.timers)."""
    sid = conversation_sid(flow_id, form["From"])
    actions, last = await _converse(svc, owner, flow_id, sid, form)
    if last is not None and not last.replay:
        await timers.watch(svc, last)
    return actions


async def _converse(svc: Services, owner: int, flow_id: int, sid: str, form: dict[str, str]) -> tuple[list[tuple[Any, ...]], Outcome | None]:
    runtime = svc.runtime
    inbound = {k: form[k][:1600 if k == "Body" else 256] for k in INBOUND_FIELDS if form.get(k)}
    got = await runtime.get_state(sid)
    actions: list[tuple[Any, ...]] = []
    if got is not None and got[0].node != ENDED and got[1].kinds[got[0].node] == REPLY and got[1].key[0] == owner:  # type: ignore[index]
        st, cf = got
        waited = runtime.clock() - runtime.waiting_since(cf, st)
        if waited > cf.conf[st.node].timeout:  # the reply came after the widget's timeout: its timeout branch first
            late = await runtime.step_call(sid, st.step, ("timeout",))
            if late is None:
                return [], None
            actions += late.actions
            if late.ended or late.flow.kinds[late.state.node] != REPLY:
                await _forget(svc, sid, late)
                fresh = await _start(svc, owner, flow_id, sid, form)
                return actions + fresh.actions, fresh
            st = late.state
        out = await runtime.step_call(sid, st.step, ("message", inbound))
        return actions + (out.actions if out is not None else []), out
    if got is not None:
        await runtime.end_call(sid, got[0])  # an ended (or stuck) conversation: this message starts a new one
    fresh = await _start(svc, owner, flow_id, sid, form)
    return fresh.actions, fresh


async def _forget(svc: Services, sid: str, out: Outcome) -> None:
    await svc.runtime.end_call(sid, out.state)


async def _start(svc: Services, owner: int, flow_id: int, sid: str, form: dict[str, str]) -> Outcome:
    call = call_from_form(sid, form, direction=MESSAGE, fields=MESSAGE_FIELDS)
    return await svc.runtime.start_call(owner, flow_id, call, entry="message")

"""What a flow knows about the call (or message) that started it: ``trigger.call.*``,
``trigger.message.*``, ``contact.channel.*`` and ``flow.channel.*``, as Twilio Studio names them.

A call state keeps these as one flat tuple of strings (interned, cheap to copy, one JSON list
in Redis): ``(CallSid, From, To, Direction, AccountSid, name1, value1, name2, value2, ...)``.
The first five are every call's; the rest are the other parameters of the provider's first
webhook that were not empty (FromCity, CallerName, ForwardedFrom...), so a call that carries
none costs nothing more.
"""

from __future__ import annotations

import hashlib
from typing import Any, Hashable, Mapping

import orjson

BASE_FIELDS = ("CallSid", "From", "To", "Direction", "AccountSid")
VOICE_FIELDS = (
    "CallStatus", "ApiVersion", "ForwardedFrom", "CallerName", "ParentCallSid", "StirVerstat",
    "Called", "Caller", "FromCity", "FromState", "FromZip", "FromCountry", "ToCity", "ToState", "ToZip", "ToCountry",
    "CalledCity", "CalledState", "CalledZip", "CalledCountry", "CallerCity", "CallerState", "CallerZip", "CallerCountry",
)
"""Twilio's voice request parameters beyond the first five (docs: 'Twilio's request to your application')."""
MESSAGE_FIELDS = (
    "MessageSid", "SmsSid", "SmsMessageSid", "MessagingServiceSid", "Body", "NumMedia", "NumSegments", "SmsStatus", "ApiVersion",
    "FromCity", "FromState", "FromZip", "FromCountry", "ToCity", "ToState", "ToZip", "ToCountry", "MediaUrl0",
    "MediaContentType0", "ProfileName", "WaId",
)
"""Twilio's incoming message webhook parameters (docs: 'Twilio's request to your incoming message Webhook URL')."""
MESSAGE = "message"
"""The Direction a messaging conversation's record carries: its templates see trigger.message."""
MAX_VALUE = 64
MAX_BODY = 1600  # an SMS body is at most 1600 characters


def call_from_form(sid: str, form: Mapping[str, str], direction: str | None = None,
                   fields: tuple[str, ...] = VOICE_FIELDS) -> tuple[str, ...]:
    """The call tuple from a provider webhook's form (values capped: a provider never sends more)."""
    out = [sid, form.get("From", "")[:MAX_VALUE], form.get("To", "")[:MAX_VALUE],
           (direction or form.get("Direction", "inbound"))[:32], form.get("AccountSid", "")[:MAX_VALUE]]
    for name in fields:
        value = form.get(name, "")
        if value:
            out += (name, value[:MAX_BODY if name == "Body" else MAX_VALUE])
    return tuple(out)


DATA = "flow.data"
"""The entry holding a REST execution's parameters as JSON (no provider parameter has a dot)."""
EXECUTION = "flow.sid"
"""The entry holding a REST execution's sid (``FN...``), so ``flow.sid`` is the sid its API answered."""


def extras(call: tuple[str, ...]) -> dict[str, str]:
    """The provider's parameters beyond the first five (entries of our own, with a dot, left out)."""
    return {k: v for k, v in zip(call[5::2], call[6::2]) if "." not in k}


def call_data(call: tuple[str, ...]) -> dict[str, Any]:
    """``flow.data`` of a REST execution: its parameters; {} for other calls."""
    for k, v in zip(call[5::2], call[6::2]):
        if k == DATA:
            try:
                value = orjson.loads(v)
            except orjson.JSONDecodeError:
                return {}
            return value if isinstance(value, dict) else {}
    return {}


def _base(call: tuple[str, ...]) -> tuple[str, str, str, str, str]:
    sid, from_, to, direction, account = (tuple(call) + ("", "", "", "", ""))[:5]
    return sid, from_, to, direction, account


def trigger(call: tuple[str, ...]) -> dict[str, Any]:
    """``trigger``: ``{"call": {...}}`` for a call, ``{"message": {...}}`` for a messaging conversation."""
    if len(call) == 5 and call[3] != MESSAGE:  # the common case, on every webhook that renders trigger.call
        return {"call": {"CallSid": call[0], "From": call[1], "To": call[2], "Direction": call[3], "AccountSid": call[4]}}
    sid, from_, to, direction, account = _base(call)
    if direction == MESSAGE:
        return {"message": {"From": from_, "To": to, "AccountSid": account, **extras(call)}}
    return {"call": {"CallSid": sid, "From": from_, "To": to, "Direction": direction, "AccountSid": account, **extras(call)}}


def _outbound(direction: str) -> bool:
    return direction.startswith("outbound")


def contact(call: tuple[str, ...]) -> dict[str, Any]:
    """Studio's ``contact.channel.address``: the customer's address (the caller; the called party
    of a call the flow placed itself, e.g. a REST API execution)."""
    _, from_, to, direction, _ = _base(call)
    return {"channel": {"address": to if _outbound(direction) else from_,
                        "type": "sms" if direction == MESSAGE else "voice"}}


def flow_channel(call: tuple[str, ...]) -> dict[str, str]:
    """Studio's ``flow.channel.address``: the flow's own number (the other end from the contact)."""
    _, from_, to, direction, _ = _base(call)
    return {"address": from_ if _outbound(direction) else to}


def execution_sid(call: tuple[str, ...]) -> str:
    """Studio's ``flow.sid``: the execution's sid. A REST execution's own (kept in the call tuple);
    for a call or conversation, ``FN`` + a digest of its CallSid (or conversation sid), so it is the
    same on every webhook and in every process without being stored."""
    for k, v in zip(call[5::2], call[6::2]):
        if k == EXECUTION:
            return v
    return "FN" + hashlib.sha256(call[0].encode()).hexdigest()[:32] if call else ""


def flow_context(call: tuple[str, ...], flow_key: Hashable) -> dict[str, Any]:
    """Studio's ``flow.*`` besides variables and data: ``flow_sid`` (here the flow's id, as text: what
    an imported run-subflow's flow_sid becomes), ``sid`` (the execution) and ``channel.address``."""
    flow_id = flow_key[1] if isinstance(flow_key, tuple) and len(flow_key) > 1 else ""
    return {"flow_sid": str(flow_id), "sid": execution_sid(call), "channel": flow_channel(call)}

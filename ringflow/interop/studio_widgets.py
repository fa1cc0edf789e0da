"""Tables about Twilio Studio widgets: which exist, how their events map to Ringflow outlets.

Kept apart from the converters so the import, the export and the docs read one list.
"""

from __future__ import annotations

# Widgets Ringflow executes natively: Studio event -> the Ringflow outlets it feeds.
# An event that feeds several outlets (connect-call-to's callCompleted fires whatever the
# dial outcome) is connected to all of them. Events missing here are kept, unexecuted, in
# config["studio"]["transitions"] so an export still writes them.
NATIVE_EVENTS: dict[str, dict[str, tuple[str, ...]]] = {
    "say-play": {"audioComplete": ("next",)},
    "gather-input-on-call": {"keypress": ("keypress",), "speech": ("speech",), "timeout": ("timeout",)},
    "split-based-on": {"noMatch": ("no_match",)},  # plus one "match" transition per case
    "set-variables": {"next": ("next",)},
    "connect-call-to": {"callCompleted": ("completed", "busy", "no_answer", "failed")},  # hangup: kept, not run
    "record-voicemail": {"recordingComplete": ("recorded",), "noAudio": ("no_audio",), "hangup": ("hangup",)},
    "make-http-request": {"success": ("success",), "failed": ("failed",)},
    "run-subflow": {"completed": ("completed",), "failed": ("failed",)},
    "enqueue-call": {"callComplete": ("completed",), "failedToEnqueue": ("failed",)},  # callFailure: kept, not run
    "run-function": {"success": ("success",), "fail": ("fail",)},
    "capture-payments": {"success": ("success",), "maxFailedAttempts": ("max_failed_attempts",),
                         "providerError": ("provider_error",), "payInterrupted": ("pay_interrupted",), "hangup": ("hangup",),
                         "validationError": ("validation_error",)},
    "send-to-flex": {"callComplete": ("completed",), "failedToEnqueue": ("failed",)},  # callFailure: kept, not run
    "add-twiml-redirect": {"return": ("return",), "timeout": ("timeout",), "fail": ("fail",)},
    "send-message": {"sent": ("sent",), "failed": ("failed",)},
    "send-and-wait-for-reply": {"incomingMessage": ("incoming_message",), "timeout": ("timeout",),
                                "deliveryFailure": ("delivery_failure",)},
    "make-outgoing-call-v2": {"answered": ("answered",), "busy": ("busy",), "noAnswer": ("no_answer",), "failed": ("failed",)},
}

# The transitions a widget lists, in Studio's order, when exporting a node that has no
# imported original: (event, Ringflow outlets whose edge gives "next").
EXPORT_EVENTS: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {
    "say-play": (("audioComplete", ("next",)),),
    "gather-input-on-call": (("keypress", ("keypress",)), ("speech", ("speech",)), ("timeout", ("timeout",))),
    "set-variables": (("next", ("next",)),),
    "connect-call-to": (("callCompleted", ("completed", "busy", "no_answer", "failed")), ("hangup", ())),
    "record-voicemail": (("recordingComplete", ("recorded",)), ("noAudio", ("no_audio",)), ("hangup", ("hangup",))),
    "make-http-request": (("success", ("success",)), ("failed", ("failed",))),
    "run-subflow": (("completed", ("completed",)), ("failed", ("failed",))),
    "enqueue-call": (("callComplete", ("completed",)), ("failedToEnqueue", ("failed",)), ("callFailure", ())),
    "run-function": (("success", ("success", "open")), ("fail", ("fail", "closed"))),  # business_hours exports as one too
    "capture-payments": tuple((e, o) for e, o in NATIVE_EVENTS["capture-payments"].items()),
    "send-to-flex": (("callComplete", ("completed",)), ("failedToEnqueue", ("failed",)), ("callFailure", ())),
    "add-twiml-redirect": (("return", ("return",)), ("timeout", ("timeout",)), ("fail", ("fail",))),
    "send-message": (("sent", ("sent",)), ("failed", ("failed",))),
    "send-and-wait-for-reply": tuple((e, o) for e, o in NATIVE_EVENTS["send-and-wait-for-reply"].items()),
    "make-outgoing-call-v2": tuple((e, o) for e, o in NATIVE_EVENTS["make-outgoing-call-v2"].items()),
}

# Studio widgets Ringflow knows but cannot execute: imported as `unsupported` nodes.
UNSUPPORTED_WIDGETS = frozenset({
    "fork-stream", "record-call", "connect-virtual-agent", "send-to-autopilot", "send-to-auto-pilot",
})
UNSUPPORTED_WHY = {
    "fork-stream": "media streams (<Stream>) need a WebSocket consumer Ringflow does not run",
    "record-call": "Ringflow has no switch to record the whole call (use transfer's record)",
    "connect-virtual-agent": "Dialogflow virtual agents are a Twilio-hosted connector",
    "send-to-autopilot": "Autopilot was retired by Twilio", "send-to-auto-pilot": "Autopilot was retired by Twilio",
}
"""Why each widget Ringflow keeps but does not run is refused (docs/interop.md lists them)."""

TRIGGER = "trigger"
KNOWN_WIDGETS = frozenset(NATIVE_EVENTS) | UNSUPPORTED_WIDGETS | {TRIGGER}
WIDGET_ALIASES = {"enqueue-call": "enqueue", "send-to-flex": "enqueue"}
"""Widgets that import as the same node type; the export writes the one the stash names."""
TRIGGER_EVENTS = ("incomingMessage", "incomingCall", "incomingConversationMessage", "incomingRequest", "incomingParent")

# Studio split condition type -> Ringflow split op (the reverse is COND_TYPES).
COND_OPS: dict[str, str] = {
    "equal_to": "equals", "not_equal_to": "not_equals",
    "matches_any_of": "matches_any_of", "does_not_match_any_of": "does_not_match_any_of",
    "is_blank": "is_blank", "is_not_blank": "is_not_blank", "regex": "regex",
    "contains": "contains", "does_not_contain": "does_not_contain",
    "starts_with": "starts_with", "does_not_start_with": "does_not_start_with",
    "less_than": "less_than", "greater_than": "greater_than",
    "is_before_time": "is_before_time", "is_after_time": "is_after_time",
    "is_before_date": "is_before_date", "is_after_date": "is_after_date",
}
COND_TYPES: dict[str, str] = {op: t for t, op in COND_OPS.items()}

# Property types checked on import (only those the conversion reads): a wrong type is an
# error naming the state and property rather than a surprise at call time.
PROPERTY_KINDS: dict[str, dict[str, str]] = {
    "say-play": {"say": "str", "play": "str", "digits": "str", "voice": "str", "language": "str", "loop": "int"},
    "gather-input-on-call": {"say": "str", "play": "str", "number_of_digits": "int", "timeout": "int",
                             "finish_on_key": "str", "stop_gather": "bool", "hints": "str_or_list", "loop": "int"},
    "split-based-on": {"input": "str"},
    "set-variables": {"variables": "list"},
    "connect-call-to": {"noun": "str", "to": "str", "sip_endpoint": "str", "caller_id": "str", "timeout": "int", "record": "bool"},
    "record-voicemail": {"max_length": "int", "play_beep": "bool", "transcribe": "bool", "finish_on_key": "str", "timeout": "int",
                         "trim": "str"},
    "make-http-request": {"method": "str", "url": "str", "content_type": "str", "body": "str", "parameters": "list"},
    "run-subflow": {"flow_sid": "str", "parameters": "list"},
    "enqueue-call": {"queue_name": "str", "workflow_sid": "str", "priority": "int"},
    "run-function": {"url": "str", "parameters": "list"},
    "capture-payments": {"payment_amount": "str_or_num", "currency": "str", "payment_connector": "str", "timeout": "int",
                         "max_attempts": "int", "security_code": "bool", "postal_code": "bool", "language": "str"},
    "send-to-flex": {"workflow": "str", "attributes": "str", "priority": "int", "timeout": "int"},
    "add-twiml-redirect": {"url": "str", "method": "str"},
    "send-message": {"body": "str", "to": "str", "from": "str", "media_url": "str"},
    "send-and-wait-for-reply": {"body": "str", "from": "str", "media_url": "str", "timeout": "int"},
    "make-outgoing-call-v2": {"to": "str", "from": "str", "timeout": "int", "record": "bool"},
}

SECRET_PROPERTIES = ("sip_password",)
"""Never kept: Ringflow stores no secret in clear. Dropped on import and reported in config."""

"""Twilio Studio's widgets that map to no older node: run-function, capture-payments, TwiML
redirect, send-message, send-and-wait-for-reply and make-outgoing-call (issue 17).

Three pure pieces the compiler and the engine call: ``widget_conf`` (config -> the compiled
tuple), ``wait_action`` (what the adapter must do when a call reaches one) and ``on_event``
(the adapter's or the provider's answer -> node results and the outlet). Actions:

- ``("http", "POST", url, headers, form body, 10)``: run-function, performed by the HTTP
  node's guarded client (same SSRF guard, timeout and size cap);
- ``("pay", amount, currency, connector, method, token_type, description, timeout, attempts,
  security_code, postal_code, card_types, language)``: ``<Pay>``;
- ``("redirect", url, method)``: ``<Redirect>``; the call waits until the application sends
  it back with ``FlowEvent=return`` (or ``fail`` / ``timeout``);
- ``("sms", body, to, from, media_url)`` and ``("sms_wait", ..., timeout)``: a message, sent by
  the adapter (``<Message>`` in a messaging conversation, the provider's API during a call).
"""

from __future__ import annotations

from typing import Any, Callable
from urllib.parse import urlencode

from ringflow.runtime import callinfo, confs
from ringflow.runtime.compile import FUNCTION, MESSAGE, OUTCALL, PAY, REDIRECT, REPLY

FORM = (("Content-Type", "application/x-www-form-urlencoded"),)
SIGN = "\x00sign"
"""Placeholder header value: the adapter replaces it with X-Twilio-Signature over the function's
URL and parameters, made with the customer's auth token, as Twilio signs requests to protected
Functions (the default visibility); without a token the header is dropped."""
PAY_RESULTS = {"success": "success", "too-many-failed-attempts": "max_failed_attempts",
               "payment-connector-error": "provider_error", "caller-interrupted-with-star": "pay_interrupted",
               "caller-hung-up": "hangup", "validation-error": "validation_error"}
"""<Pay>'s Result -> the outlet, named after Studio's capture-payments transitions."""
FLOW_EVENTS = {"return": "return", "fail": "fail", "timeout": "timeout"}
WAITS = {FUNCTION: "http", PAY: "payment", REDIRECT: "redirect", MESSAGE: "message", REPLY: "reply"}


def _int(value: Any, default: int) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def widget_conf(kind: int, cfg: dict[str, Any], t: Callable[[str], Any], nid: str, w: list[str]) -> tuple[Any, ...]:
    if kind == FUNCTION:
        given = cfg.get("parameters")
        params: dict[str, Any] = given if isinstance(given, dict) else {}
        from ringflow.runtime.compile import _text

        return confs.Function(t("url"), tuple((str(k), _text(v, nid, w)) for k, v in params.items()))
    if kind == PAY:
        cards = tuple(c for c in cfg.get("valid_card_types") or [] if isinstance(c, str))
        return confs.Pay(t("charge_amount"), str(cfg.get("currency") or "usd"), str(cfg.get("payment_connector") or "Default"),
                str(cfg.get("payment_method") or "credit-card"), str(cfg.get("token_type") or "reusable"), t("description"),
                _int(cfg.get("timeout"), 5), _int(cfg.get("max_attempts"), 1), bool(cfg.get("security_code", True)),
                bool(cfg.get("postal_code", True)), cards, str(cfg.get("language") or "en-US"))
    if kind == REDIRECT:
        return confs.Redirect(t("url"), str(cfg.get("method") or "POST"))
    if kind == MESSAGE:
        return confs.Message(t("body"), t("to"), t("from"), t("media_url"))
    if kind == REPLY:
        return confs.Message(t("body"), "", t("from"), t("media_url"), _int(cfg.get("timeout"), 3600))
    if kind == OUTCALL:
        return confs.Transfer(t("to"), t("from"), _int(cfg.get("timeout"), 60), bool(cfg.get("record")))
    return ()


def wait_action(kind: int, c: Any, text: Callable[[Any], str], call: tuple[str, ...]) -> tuple[Any, ...]:
    """The action for a call that reached a widget node (templates rendered by ``text``)."""
    if isinstance(c, confs.Function):
        body = urlencode([(name, text(value)) for name, value in c.parameters])
        return ("http", "POST", text(c.url), FORM + (("X-Twilio-Signature", SIGN),), body, 10)
    if isinstance(c, confs.Pay):
        return ("pay", text(c.charge_amount), c.currency, c.payment_connector, c.payment_method, c.token_type,
                text(c.description), c.timeout, c.max_attempts, c.security_code, c.postal_code, c.valid_card_types, c.language)
    if isinstance(c, confs.Redirect):
        return ("redirect", text(c.url), c.method)
    message: confs.Message = c
    to = text(message.to) or callinfo.contact(call)["channel"]["address"]
    sender = text(message.sender) or callinfo.flow_channel(call)["address"]
    if kind == MESSAGE:
        return ("sms", text(message.body), to, sender, text(message.media_url))
    return ("sms_wait", text(message.body), to, sender, text(message.media_url), message.timeout)


def on_event(kind: int, event: tuple[Any, ...]) -> tuple[dict[str, Any], str] | None:
    """(node results, outlet) for an event the widget waits for (outlet "": keep waiting, say
    nothing); None for any other event (the engine answers the same wait again, never advances)."""
    ev = event[0]
    if kind == FUNCTION and ev == "http":
        status = int(event[1] or 0)
        return {"status_code": status, "parsed": event[2], "body": event[3]}, "success" if 200 <= status < 300 else "fail"
    if kind == PAY and ev == "pay":
        result = str(event[1] or "")
        fields = event[2] if len(event) > 2 and isinstance(event[2], dict) else {}
        return {"result": result, **fields}, PAY_RESULTS.get(result, "provider_error")
    if kind == REDIRECT and ev == "flow_event" and event[1] in FLOW_EVENTS:
        return {"event": event[1]}, FLOW_EVENTS[event[1]]
    if kind == MESSAGE and ev == "sent":
        return {"status": "sent" if event[1] else "failed", "sid": str(event[2] or "")}, "sent" if event[1] else "failed"
    if kind == REPLY and ev == "sent":  # sent: now wait for the answer ("" = stay on the node, quietly)
        return ({"status": "sent", "sid": str(event[2] or "")}, "") if event[1] else ({"status": "failed", "sid": ""}, "delivery_failure")
    if kind == REPLY and ev == "message":
        return {"inbound": dict(event[1])}, "incoming_message"
    if kind == REPLY and ev == "timeout":
        return {}, "timeout"
    return None

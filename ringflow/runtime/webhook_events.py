"""Provider webhook fields -> engine events for the verbs Studio's widgets use (<Pay>, the
return from a <Redirect>); ``ringflow.api.voice._event`` asks here first.

A <Redirect> hands the call to another TwiML application. To give it back, that application
redirects to the flow's webhook with ``FlowEvent=return`` (``fail``, ``timeout``), as Studio's
add-twiml-redirect expects: ``POST /voice/{flow_id}?FlowEvent=return``.
"""

from __future__ import annotations

from typing import Any, Mapping

from ringflow.runtime.widgets import FLOW_EVENTS, PAY_RESULTS

PAY_FIELDS = {"PaymentConfirmationCode": "payment_confirmation_code", "PaymentToken": "payment_token",
              "PaymentCardNumber": "payment_card_number", "PaymentCardType": "payment_card_type",
              "ExpirationDate": "expiration_date", "PaymentError": "payment_error", "ProfileId": "profile_id"}
"""<Pay>'s action parameters kept as nodes.NAME.* (the card number arrives masked: xxxx-xxxx-xxxx-1111)."""


def flow_event(query: Mapping[str, str], form: Mapping[str, str]) -> str | None:
    value = query.get("FlowEvent") or form.get("FlowEvent")
    return value if value in FLOW_EVENTS else None


def widget_event(form: Mapping[str, str], query: Mapping[str, str]) -> tuple[Any, ...] | None:
    """The event of a <Pay> result or a redirect's return; None for every other webhook."""
    event = flow_event(query, form)
    if event:
        return ("flow_event", event)
    if "Result" in form and (form["Result"] in PAY_RESULTS or any(k in form for k in PAY_FIELDS)):
        fields = {name: form[key][:64] for key, name in PAY_FIELDS.items() if form.get(key)}
        return ("pay", form["Result"][:64], fields)
    return None

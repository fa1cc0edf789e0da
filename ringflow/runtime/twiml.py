"""Engine actions -> a TwiML document (Twilio's verbs; SignalWire and Telnyx accept the same).

Built by hand with XML escaping: it is a handful of verbs and this is the hottest path of
a webhook. Waiting verbs carry an action URL with the call's step counter; a ``<Gather>``
is followed by a ``<Redirect>`` (``ev=timeout``) because the provider moves on to the next
verb when the caller says nothing.
"""

from __future__ import annotations

from typing import Any
from xml.sax.saxutils import escape, quoteattr

HEAD = '<?xml version="1.0" encoding="UTF-8"?><Response>'
APOLOGY = (HEAD + '<Say voice="alice" language="en-US">We are sorry, this call cannot be completed right now. Goodbye.</Say>'
           "<Hangup/></Response>")
NOT_CONFIGURED = (HEAD + '<Say voice="alice" language="en-US">Sorry, this number is not set up to take calls. Goodbye.</Say>'
                  "<Hangup/></Response>")
CALL_GONE = (HEAD + '<Say voice="alice" language="en-US">Sorry, this call has expired. Goodbye.</Say><Hangup/></Response>')
EMPTY = HEAD + "</Response>"


def _verb(a: tuple[Any, ...]) -> str:
    kind = a[0]
    if kind == "say":
        loop = f' loop="{a[4]}"' if a[4] != 1 else ""
        return f"<Say voice={quoteattr(a[2])} language={quoteattr(a[3])}{loop}>{escape(a[1])}</Say>"
    if kind == "play":
        if len(a) > 3 and a[3]:
            return f"<Play digits={quoteattr(a[3])}/>"
        loop = f' loop="{a[2]}"' if a[2] != 1 else ""
        return f"<Play{loop}>{escape(a[1])}</Play>"
    if kind == "pause":
        return f'<Pause length="{a[1]}"/>'
    return ""


def message_verb(a: tuple[Any, ...]) -> str:
    """<Message to from><Body/><Media/></Message> for ("message", body, to, from, media_url)."""
    attrs = "".join(f" {name}={quoteattr(value)}" for name, value in (("to", a[2]), ("from", a[3])) if value)
    media = f"<Media>{escape(a[4])}</Media>" if len(a) > 4 and a[4] else ""
    return f"<Message{attrs}><Body>{escape(a[1])}</Body>{media}</Message>"


def messages(actions: list[tuple[Any, ...]]) -> str:
    """A messaging webhook's answer: only its <Message> verbs (a conversation has no voice verbs)."""
    return HEAD + "".join(message_verb(a) for a in actions if a[0] == "message") + "</Response>"


def dial_nouns(to: str) -> str:
    """<Dial>'s nouns: sip: -> <Sip>, client:NAME -> <Client>, a comma list -> one <Number> each
    (Studio's number-multi: the first to answer takes the call)."""
    if to.startswith("sip:"):
        return f"<Sip>{escape(to)}</Sip>"
    if to.startswith("client:"):
        return f"<Client>{escape(to[len('client:'):])}</Client>"
    numbers = [n.strip() for n in to.split(",") if n.strip()] or [to]
    return "".join(f"<Number>{escape(n)}</Number>" for n in numbers[:10])


def pay_verb(a: tuple[Any, ...], url: str) -> str:
    """<Pay> with the widget's settings; no chargeAmount (or 0) only tokenizes the card."""
    _, amount, currency, connector, method, token_type, description, timeout, attempts, security, postal, cards, language = a
    attrs = [f"action={url}", 'method="POST"', f"paymentConnector={quoteattr(connector)}", f"paymentMethod={quoteattr(method)}",
             f'timeout="{timeout}"', f'maxAttempts="{attempts}"', f'securityCode="{str(security).lower()}"',
             f'postalCode="{str(postal).lower()}"', f"language={quoteattr(language)}"]
    try:
        charge = float(amount) > 0
    except ValueError:
        charge = False
    if charge:
        attrs += [f"chargeAmount={quoteattr(amount.strip())}", f"currency={quoteattr(currency)}"]
    else:
        attrs.append(f"tokenType={quoteattr(token_type)}")
    if description:
        attrs.append(f"description={quoteattr(description)}")
    if cards:
        attrs.append(f"validCardTypes={quoteattr(' '.join(cards))}")
    return f"<Pay {' '.join(attrs)}/>"


def render(actions: list[tuple[Any, ...]], action_url: str) -> str:
    """TwiML for one answer; ``action_url`` already names the flow and the step counter."""
    parts = [HEAD]
    url = quoteattr(action_url)
    for a in actions:
        kind = a[0]
        if kind in ("say", "play", "pause"):
            parts.append(_verb(a))
        elif kind == "gather":
            _, inp, num, timeout, finish, hints, prompt = a[:7]
            language, model, speech_timeout = a[7] if len(a) > 7 else ("", "", "auto")
            attrs = [f"input={quoteattr({'both': 'dtmf speech'}.get(inp, inp))}", f'timeout="{timeout}"']
            if num:
                attrs.append(f'numDigits="{num}"')
            if finish or num == 0:
                attrs.append(f"finishOnKey={quoteattr(finish)}")
            if hints:
                attrs.append(f"hints={quoteattr(', '.join(hints))}")
            if inp != "dtmf":
                attrs.append(f"speechTimeout={quoteattr(speech_timeout)}")
                if language:  # the caller's language for recognition (a Spanish caller is heard in Spanish)
                    attrs.append(f"language={quoteattr(language)}")
                if model:
                    attrs.append(f"speechModel={quoteattr(model)}")
            inner = _verb(prompt) if prompt else ""
            parts.append(f'<Gather {" ".join(attrs)} action={url} method="POST">{inner}</Gather>')
            parts.append(f"<Redirect method=\"POST\">{escape(action_url + '&ev=timeout')}</Redirect>")
        elif kind == "dial":
            _, to, caller_id, timeout, record = a
            dial = f'action={url} method="POST" timeout="{timeout}"'
            if caller_id:
                dial += f" callerId={quoteattr(caller_id)}"
            if record:
                dial += ' record="record-from-answer"'
            parts.append(f"<Dial {dial}>{dial_nouns(to)}</Dial>")
        elif kind == "record":
            _, max_length, beep, transcribe = a[:4]
            extra = ' transcribe="true"' if transcribe else ""
            if len(a) > 4:  # Studio's record-voicemail finish_on_key, timeout and trim
                extra += (f" finishOnKey={quoteattr(a[4])} timeout=\"{a[5]}\""
                          f" trim=\"{'trim-silence' if a[6] else 'do-not-trim'}\"")
            parts.append(f'<Record action={url} method="POST" maxLength="{max_length}" playBeep="{str(beep).lower()}"{extra}/>')
            parts.append(f"<Redirect method=\"POST\">{escape(action_url + '&ev=timeout')}</Redirect>")
        elif kind == "enqueue":
            if len(a) > 3 and a[3]:  # TaskRouter (Flex): <Enqueue workflowSid><Task priority timeout>{attributes}</Task>
                task = ("" if not a[2] else f' priority="{a[2]}"') + ("" if not a[5] else f' timeout="{a[5]}"')
                parts.append(f'<Enqueue action={url} method="POST" workflowSid={quoteattr(a[3])}>'
                             f"<Task{task}>{escape(a[4] or '{}')}</Task></Enqueue>")
            else:
                parts.append(f'<Enqueue action={url} method="POST">{escape(a[1])}</Enqueue>')
        elif kind == "pay":
            parts.append(pay_verb(a, url))
        elif kind == "redirect":
            parts.append(f"<Redirect method={quoteattr(a[2])}>{escape(a[1])}</Redirect>")
        elif kind == "message":
            parts.append(message_verb(a))
        elif kind == "hangup":
            parts.append("<Hangup/>")
    parts.append("</Response>")
    return "".join(parts)

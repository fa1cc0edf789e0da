"""A small real HTTP server on 127.0.0.1 that speaks the provider's REST resources Ringflow uses:
``POST /2010-04-01/Accounts/{AccountSid}/Calls.json`` and ``.../Messages.json`` with HTTP basic
auth (account SID and auth token), answering as Twilio does (201 and the resource as JSON; 401,
404 and 400 with ``{code, message, status}``). It records every accepted request for tests to read.

A ``To`` of ``+15005550001`` is refused as an invalid number (Twilio's test-credential magic
number for that error), so tests can drive the fail branches. A call whose ``To`` a test put in
``outcomes`` then progresses as Twilio's would: ``completed`` first requests the call's ``Url``
(the called party answered; the TwiML is kept in ``answers``), then every outcome POSTs the
``StatusCallback`` with that final ``CallStatus`` (busy, no-answer, failed, completed), signed
with the account's auth token (``X-Twilio-Signature``); ``callbacks`` records what came back. ``POST /functions/lookup`` and
``/functions/fail`` stand in for a customer's functions (run-function): JSON, and a 500;
``/functions/protected`` answers only requests signed with an account's auth token.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import threading
from dataclasses import dataclass, field
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode

INVALID_NUMBER = "+15005550001"
_PATH = re.compile(r"^/2010-04-01/Accounts/(AC[0-9a-fA-F]{32})/(Calls|Messages)\.json$")


@dataclass
class Standin:
    accounts: dict[str, str]  # account SID -> auth token
    requests: list[dict[str, Any]] = field(default_factory=list)  # {"resource", "account", "form"}
    server: ThreadingHTTPServer | None = None
    outcomes: dict[str, str] = field(default_factory=dict)  # a call's To -> its final CallStatus
    answers: dict[str, str] = field(default_factory=dict)  # CallSid -> the TwiML its Url answered
    callbacks: list[dict[str, Any]] = field(default_factory=list)  # {"sid", "url", "form", "status", "body"}

    @property
    def url(self) -> str:
        assert self.server is not None
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def of(self, resource: str) -> list[dict[str, str]]:
        return [r["form"] for r in self.requests if r["resource"] == resource]


def _handler(state: Standin) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # quiet test output
            pass

        def _answer(self, status: int, body: dict[str, Any]) -> None:
            raw = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def do_POST(self) -> None:  # noqa: N802 - the http.server protocol
            m = _PATH.match(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            form = dict(parse_qsl(self.rfile.read(length).decode(), keep_blank_values=True))
            if self.path.startswith("/functions/"):  # a customer's function (run-function), not the provider's API
                state.requests.append({"resource": self.path, "account": "", "form": form,
                                       "signature": self.headers.get("X-Twilio-Signature")})
                if self.path == "/functions/protected":  # a Twilio Function's default visibility: signed requests only
                    url = f"{state.url}{self.path}"
                    if not any(_signed_ok(token, url, form, self.headers.get("X-Twilio-Signature")) for token in state.accounts.values()):
                        return self._answer(401, {"message": "Unauthorized - you are not authenticated to perform this request"})
                    return self._answer(200, {"tier": "gold", "protected": True})
                if self.path == "/functions/lookup":
                    return self._answer(200, {"tier": "silver" if form.get("caller", "").endswith("9") else "gold", "got": form})
                return self._answer(500, {"error": "function crashed"})
            if m is None:
                return self._answer(404, {"code": 20404, "message": "The requested resource was not found", "status": 404})
            account, resource = m.group(1), m.group(2)
            auth = self.headers.get("Authorization", "")
            try:
                user, _, password = base64.b64decode(auth.removeprefix("Basic ")).decode().partition(":")
            except ValueError:
                user = password = ""
            if not auth.startswith("Basic ") or user != account or state.accounts.get(account) != password:
                return self._answer(401, {"code": 20003, "message": "Authenticate", "status": 401})
            if form.get("To") == INVALID_NUMBER:
                return self._answer(400, {"code": 21211, "message": f"The 'To' number {INVALID_NUMBER} is not a valid phone number.",
                                          "status": 400})
            missing = [k for k in (("To", "From", "Url") if resource == "Calls" else ("To", "From", "Body")) if not form.get(k)]
            if missing:
                return self._answer(400, {"code": 21604 if resource == "Messages" else 21205,
                                          "message": f"A '{missing[0]}' parameter is required.", "status": 400})
            state.requests.append({"resource": resource, "account": account, "form": form})
            prefix = "CA" if resource == "Calls" else "SM"
            sid = prefix + secrets.token_hex(16)
            self._answer(201, {"sid": sid, "account_sid": account, "to": form["To"], "from": form["From"],
                               "status": "queued", "api_version": "2010-04-01"})
            if resource == "Calls" and form["To"] in state.outcomes:  # after the answer, as the call progresses
                threading.Thread(target=_progress, args=(state, account, sid, form, state.outcomes[form["To"]]), daemon=True).start()

    return Handler


def _signature(token: str, url: str, form: dict[str, str]) -> str:
    """Twilio's request signature: HMAC-SHA1 of the URL and the sorted form fields, base64."""
    payload = url + "".join(k + v for k, v in sorted(form.items()))
    return base64.b64encode(hmac.new(token.encode(), payload.encode(), hashlib.sha1).digest()).decode()


def _signed_ok(token: str, url: str, form: dict[str, str], given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(_signature(token, url, form), given or "")


def _post_signed(token: str, url: str, form: dict[str, str]) -> tuple[int, str]:
    """POST a form to the application as Twilio does: signed, form-encoded."""
    req = urllib.request.Request(url, data=urlencode(form).encode(), method="POST", headers={
        "Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": _signature(token, url, form)})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def _progress(state: Standin, account: str, sid: str, placed: dict[str, str], outcome: str) -> None:
    """A placed call's life: answered (its Url requested) when it completes, then its status callback."""
    token = state.accounts[account]
    base = {"CallSid": sid, "AccountSid": account, "From": placed["From"], "To": placed["To"], "Direction": "outbound-api",
            "ApiVersion": "2010-04-01", "Called": placed["To"], "Caller": placed["From"]}
    if outcome == "completed":
        _, twiml = _post_signed(token, placed["Url"], {**base, "CallStatus": "in-progress"})
        state.answers[sid] = twiml
    if placed.get("StatusCallback"):
        form = {**base, "CallStatus": outcome, "CallDuration": "12" if outcome == "completed" else "0",
                "CallbackSource": "call-progress-events", "SequenceNumber": "0"}
        status, body = _post_signed(token, placed["StatusCallback"], form)
        state.callbacks.append({"sid": sid, "url": placed["StatusCallback"], "form": form, "status": status, "body": body})


def start(accounts: dict[str, str]) -> Standin:
    """Serve on 127.0.0.1 at a free port (the OS picks it) in a daemon thread."""
    state = Standin(dict(accounts))
    state.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    threading.Thread(target=state.server.serve_forever, daemon=True).start()
    return state


def stop(state: Standin) -> None:
    if state.server is not None:
        state.server.shutdown()
        state.server.server_close()

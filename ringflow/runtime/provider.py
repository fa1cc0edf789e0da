"""The provider's REST API (Twilio's 2010-04-01 Calls and Messages resources; SignalWire's
compatibility API speaks the same): send an SMS during a call, place the call of a REST
execution.

The base URL is a setting (``RINGFLOW_PROVIDER_API_URL``, default ``https://api.twilio.com``),
so tests and private deployments point it at their own server. Requests authenticate with
the customer's account SID and auth token (HTTP basic), never with anything of ours. Calls
never raise: a refused, failed or timed-out request is a ``ProviderResult`` with ``ok`` false
and the provider's own message, which the caller logs and turns into the widget's fail branch.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import httpx
import orjson

log = logging.getLogger("ringflow.provider")
DEFAULT_API_URL = "https://api.twilio.com"
API_VERSION = "2010-04-01"
TIMEOUT = 10.0


@dataclass(frozen=True, slots=True)
class Credentials:
    account_sid: str
    auth_token: str


@dataclass(frozen=True, slots=True)
class ProviderResult:
    ok: bool
    sid: str = ""  # the created resource's sid (SM..., CA...)
    status: str = ""  # its status as the provider reports it (queued, ...)
    error: str = ""  # why not, in the provider's words


class ProviderApi:
    """One shared httpx client against one base URL."""

    def __init__(self, base_url: str = DEFAULT_API_URL, timeout: float = TIMEOUT):
        self.base_url = base_url.rstrip("/")
        self._client = httpx.AsyncClient(timeout=timeout, trust_env=False, follow_redirects=False)

    async def close(self) -> None:
        await self._client.aclose()

    async def send_message(self, creds: Credentials, to: str, sender: str, body: str, media_url: str = "",
                           status_callback: str = "") -> ProviderResult:
        form = {"To": to, "From": sender, "Body": body}
        if media_url:
            form["MediaUrl"] = media_url
        if status_callback:
            form["StatusCallback"] = status_callback
        return await self._create(creds, "Messages", form)

    async def create_call(self, creds: Credentials, to: str, sender: str, url: str, status_callback: str = "",
                          timeout: int = 60, record: bool = False) -> ProviderResult:
        form = {"To": to, "From": sender, "Url": url, "Method": "POST", "Timeout": str(timeout)}
        if status_callback:
            form.update(StatusCallback=status_callback, StatusCallbackMethod="POST")
        if record:
            form["Record"] = "true"
        return await self._create(creds, "Calls", form)

    async def _create(self, creds: Credentials, resource: str, form: dict[str, str]) -> ProviderResult:
        url = f"{self.base_url}/{API_VERSION}/Accounts/{creds.account_sid}/{resource}.json"
        try:
            resp = await self._client.post(url, data=form, auth=(creds.account_sid, creds.auth_token))
        except (httpx.HTTPError, OSError) as exc:
            log.warning("provider %s request failed: %s", resource, type(exc).__name__)
            return ProviderResult(False, error=f"the provider could not be reached ({type(exc).__name__})")
        answer = _json(resp.content)
        if resp.status_code >= 300:
            message = str(answer.get("message") or f"HTTP {resp.status_code}")[:300]
            log.warning("provider refused %s: %s", resource, message)
            return ProviderResult(False, error=message)
        return ProviderResult(True, sid=str(answer.get("sid") or ""), status=str(answer.get("status") or ""))


def _json(raw: bytes) -> dict[str, Any]:
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return {}
    return value if isinstance(value, dict) else {}

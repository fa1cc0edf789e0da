"""The provider's auth token, encrypted at rest and checked on every webhook.

Fernet with a key derived from RINGFLOW_SECRET_KEY: a database dump alone reveals no
token. Without the setting, storing a token is refused (never stored in clear).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Iterable

from cryptography.fernet import Fernet, InvalidToken

SECRET_NAME = "telephony.twilio"
ACCOUNT_NAME = "telephony.twilio.account_sid"  # the account the REST API acts for (sending SMS, placing calls)


def fernet(secret_key: str | None) -> Fernet | None:
    if not secret_key:
        return None
    digest = hashlib.sha256(b"ringflow telephony v1:" + secret_key.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def encrypt(secret_key: str | None, clear: str) -> str:
    f = fernet(secret_key)
    if f is None:
        raise RuntimeError("RINGFLOW_SECRET_KEY is not set")
    return f.encrypt(clear.encode()).decode()


def decrypt(secret_key: str | None, ciphertext: str) -> str | None:
    """None when the key is missing or changed: the webhook is then refused, never let through."""
    f = fernet(secret_key)
    if f is None:
        return None
    try:
        return f.decrypt(ciphertext.encode()).decode()
    except InvalidToken:
        return None


def twilio_signature(auth_token: str, url: str, params: Iterable[tuple[str, str]]) -> str:
    """HMAC-SHA1 over the full URL plus every POST parameter (name then value, sorted), base64."""
    payload = url + "".join(k + v for k, v in sorted(params))
    return base64.b64encode(hmac.new(auth_token.encode(), payload.encode(), hashlib.sha1).digest()).decode()


def signature_ok(auth_token: str, url: str, params: Iterable[tuple[str, str]], given: str | None) -> bool:
    if not given:
        return False
    return hmac.compare_digest(twilio_signature(auth_token, url, list(params)), given.strip())

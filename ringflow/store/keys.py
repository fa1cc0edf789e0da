"""API keys: made here, hashed here, so the store (and its backups) never hold one in clear.

Keys are 32 random bytes, so a single fast SHA-256 is the right hash: there is nothing to
brute-force, and every request can afford to hash its key.
"""

from __future__ import annotations

import hashlib
import secrets

KEY_PREFIX = "rf_"
SHOWN_PREFIX_LEN = 10  # "rf_" plus 7 characters: enough for people to tell keys apart


def hash_api_key(clear: str) -> str:
    return hashlib.sha256(clear.encode("utf-8")).hexdigest()


def new_api_key() -> tuple[str, str, str]:
    """A fresh key as (clear, hash, prefix); show ``clear`` once, store the other two."""
    clear = KEY_PREFIX + secrets.token_urlsafe(32)
    return clear, hash_api_key(clear), clear[:SHOWN_PREFIX_LEN]

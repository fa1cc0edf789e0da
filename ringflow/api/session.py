"""Browser sign-in: trade an API key for an HttpOnly, SameSite=Strict session cookie.

The cookie is an HMAC-signed (key hash, expiry, session id) triple: nothing secret is stored
server-side, revoking the key ends every session made from it, and signing out stores the session
id as ended in the database, so a copied cookie stops working in every process at once.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from ringflow.api.auth import SESSION_COOKIE, SESSION_SECONDS, Auth, check_failures, hash_key, refuse
from ringflow.api.common import FastJSON
from ringflow.api.errors import ApiError

router = APIRouter(prefix="/api/v1", tags=["session"])


class SignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    api_key: str = Field(min_length=1, max_length=256)


def _secure(request: Request) -> bool:
    return request.url.scheme == "https" or request.headers.get("x-forwarded-proto") == "https"


@router.post("/session", summary="Sign in with an API key; sets the session cookie")
def sign_in(body: SignIn, request: Request) -> Response:
    auth: Auth = request.app.state.auth
    origin = request.headers.get("origin")
    if origin is not None and origin != f"{request.url.scheme}://{request.headers.get('host', '')}":
        raise ApiError(403, "bad_origin", "sign in from this site's own pages", {"origin": origin})  # no login CSRF
    key_hash = hash_key(body.api_key.strip())
    key = auth.cached(key_hash)
    if key is None:
        check_failures(auth, request)
        key = auth.key_for_hash(key_hash)
    if key is None:
        raise refuse(auth, request, "unknown or revoked API key")
    resp = FastJSON({"customer_id": key.customer_id, "key_prefix": key.prefix, "expires_in": SESSION_SECONDS})
    resp.set_cookie(SESSION_COOKIE, auth.make_session(key_hash), max_age=SESSION_SECONDS, path="/",
                    httponly=True, samesite="strict", secure=_secure(request))
    return resp


@router.delete("/session", status_code=204, summary="Sign out: ends the session on the server and clears the cookie")
def sign_out(request: Request) -> Response:
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        request.app.state.auth.end_session(cookie)
    resp = Response(status_code=204)
    resp.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict", secure=_secure(request))
    return resp

"""The HTTP node's client: a flow author's URL must not reach into our own network.

Every request resolves the host first and refuses every address that is not globally
routable unicast (each resolved address, and again for every redirect),
then connects to the checked address itself (Host header and TLS SNI keep the name), so
a DNS answer cannot change between the check and the connection. Timeouts are at most
10 s and bodies are read up to 64 KB.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx
import orjson

MAX_BODY = 64 * 1024
MAX_TIMEOUT = 10.0
MAX_REDIRECTS = 3


@dataclass(frozen=True, slots=True)
class HttpResult:
    status: int  # 0 when no answer (refused, timeout, network error)
    parsed: Any  # the JSON body, or None
    body: str | None  # the text body (capped), or None
    error: str | None = None


class Refused(Exception):
    pass


_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")  # well-known NAT64 prefix: the last 32 bits are the IPv4 reached
# is_global misses these on the Pythons we run: site-local (deprecated, still routed inside some
# networks), local-use NAT64, and IPv4-compatible addresses (deprecated; some stacks still map them)
_NOT_GLOBAL = (ipaddress.IPv6Network("fec0::/10"), ipaddress.IPv6Network("64:ff9b:1::/48"), ipaddress.IPv6Network("::/96"))


def _blocked(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Anything but a globally routable unicast address: an allow-list (``is_global``) rather than a
    list of private ranges, so shared address space (100.64.0.0/10, where cloud metadata services
    such as 100.100.100.200 live), benchmarking and documentation ranges are refused too. IPv6
    forms that carry an IPv4 address (mapped, 6to4, NAT64) are judged by the IPv4 address inside."""
    if isinstance(ip, ipaddress.IPv6Address):
        inner = ip.ipv4_mapped or ip.sixtofour
        if inner is None and ip in _NAT64:
            inner = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if inner is not None:
            return _blocked(inner)
        if ip.teredo is not None or any(ip in net for net in _NOT_GLOBAL):
            return True
    return not ip.is_global or ip.is_multicast


async def resolve_checked(host: str, port: int, allow_private: bool) -> str:
    """The first address of ``host``; Refused if any resolved address is off limits."""
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise Refused(f"cannot resolve {host!r}") from exc
    addresses = [str(info[4][0]) for info in infos]
    if not addresses:
        raise Refused(f"cannot resolve {host!r}")
    for addr in addresses:
        if not allow_private and _blocked(ipaddress.ip_address(addr.split("%")[0])):
            raise Refused(f"{host} resolves to {addr}, a private or local address")
    return addresses[0]


class GuardedHttp:
    """One shared httpx client; ``fetch`` never raises, it answers an HttpResult."""

    def __init__(self, allow_private: bool = False, max_body: int = MAX_BODY):
        self.allow_private, self.max_body = allow_private, max_body
        self._client = httpx.AsyncClient(follow_redirects=False, trust_env=False)

    async def close(self) -> None:
        await self._client.aclose()

    async def fetch(self, method: str, url: str, headers: tuple[tuple[str, str], ...] = (), body: str = "",
                    timeout: float = MAX_TIMEOUT) -> HttpResult:
        timeout = min(max(float(timeout), 0.1), MAX_TIMEOUT)
        try:
            return await asyncio.wait_for(self._fetch(method, url, headers, body, timeout), timeout)
        except Refused as exc:
            return HttpResult(0, None, None, str(exc))
        except (asyncio.TimeoutError, httpx.TimeoutException):
            return HttpResult(0, None, None, f"no answer within {timeout:g} s")
        except (httpx.HTTPError, OSError, ValueError) as exc:
            return HttpResult(0, None, None, f"request failed: {type(exc).__name__}")

    async def _fetch(self, method: str, url: str, headers: tuple[tuple[str, str], ...], body: str, timeout: float) -> HttpResult:
        for _ in range(MAX_REDIRECTS + 1):
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise Refused(f"only http and https addresses can be called, not {url[:100]!r}")
            port = parts.port or (443 if parts.scheme == "https" else 80)
            addr = await resolve_checked(parts.hostname, port, self.allow_private)
            netloc = f"[{addr}]:{port}" if ":" in addr else f"{addr}:{port}"
            target = urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))
            hdrs = {k: v for k, v in headers if k.lower() not in ("host", "content-length")}
            hdrs["Host"] = parts.netloc.rsplit("@", 1)[-1]
            request = self._client.build_request(method, target, headers=hdrs, content=body.encode() if body else None,
                                                 timeout=timeout, extensions={"sni_hostname": parts.hostname})
            response = await self._client.send(request, stream=True)
            try:
                if response.is_redirect and "location" in response.headers:
                    url = urljoin(url, response.headers["location"])
                    if response.status_code in (301, 302, 303):
                        method, body = "GET", ""
                    continue
                raw = b""
                async for chunk in response.aiter_bytes():
                    raw += chunk
                    if len(raw) > self.max_body:
                        raw = raw[: self.max_body]
                        break
                return _result(response.status_code, raw, len(raw) >= self.max_body)
            finally:
                await response.aclose()
        raise Refused(f"more than {MAX_REDIRECTS} redirects")


def _result(status: int, raw: bytes, truncated: bool) -> HttpResult:
    text = raw.decode("utf-8", "replace")
    parsed = None
    if not truncated and raw.strip()[:1] in (b"{", b"["):
        try:
            parsed = orjson.loads(raw)
        except orjson.JSONDecodeError:
            parsed = None
    # the call keeps either the parsed JSON or the start of the text, never both
    return HttpResult(status, parsed, None if parsed is not None else text[:1024],
                      "body over the size limit was cut" if truncated else None)

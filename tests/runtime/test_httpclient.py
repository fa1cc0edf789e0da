from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ringflow.runtime.httpclient import MAX_BODY, GuardedHttp


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):  # keep test output quiet
        pass

    def do_GET(self):
        if self.path == "/json":
            self._send(200, json.dumps({"tier": "gold", "host": self.headers.get("Host")}).encode(), "application/json")
        elif self.path == "/big":
            self._send(200, b"[" + b"1," * MAX_BODY + b"1]", "application/json")
        elif self.path == "/slow":
            import time
            time.sleep(2)
            self._send(200, b"late", "text/plain")
        elif self.path == "/hop":
            self.send_response(302)
            self.send_header("Location", "/json")
            self.send_header("Content-Length", "0")
            self.end_headers()
        else:
            self._send(404, b"nope", "text/plain")

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        self._send(201, self.rfile.read(length), "application/json")

    def _send(self, status, body, ctype):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture(scope="module")
def server():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()


async def test_json_body_is_parsed_and_host_header_kept(server):
    http = GuardedHttp(allow_private=True)
    res = await http.fetch("GET", server + "/json")
    assert res.status == 200 and res.parsed["tier"] == "gold" and res.parsed["host"].startswith("127.0.0.1:")
    posted = await http.fetch("POST", server + "/echo", (("Content-Type", "application/json"),), '{"a": 1}')
    assert posted.status == 201 and posted.parsed == {"a": 1}
    missing = await http.fetch("GET", server + "/missing")
    assert missing.status == 404 and missing.parsed is None and missing.body == "nope"
    await http.close()


async def test_redirect_is_followed_and_checked(server):
    http = GuardedHttp(allow_private=True)
    assert (await http.fetch("GET", server + "/hop")).parsed["tier"] == "gold"
    await http.close()


@pytest.mark.parametrize("url", ["http://127.0.0.1:9/x", "http://localhost/x", "http://10.1.2.3/", "http://169.254.169.254/latest",
                                 "http://[::1]/", "http://192.168.0.1/", "ftp://example.com/", "file:///etc/passwd"])
async def test_private_and_odd_addresses_are_refused(url):
    http = GuardedHttp(allow_private=False)
    res = await http.fetch("GET", url)
    assert res.status == 0 and res.error and res.parsed is None
    await http.close()


# issue 14, M3: shared address space (cloud metadata at 100.100.100.200), private IPv4 wrapped in
# 6to4, NAT64 or IPv4-compatible IPv6, site-local IPv6: all passed the old private-range checks
@pytest.mark.parametrize("url", ["http://100.64.0.1/", "http://100.100.100.200/latest/meta-data/", "http://100.127.255.254/",
                                 "http://[2002:c0a8:101::1]/", "http://[2002:a9fe:a9fe::]/", "http://[2002:7f00:1::]/",
                                 "http://[fec0::1]/", "http://[fed0::5]/", "http://[64:ff9b::a9fe:a9fe]/", "http://[64:ff9b:1::1]/",
                                 "http://[::a00:1]/", "http://[::ffff:100.100.100.200]/", "http://198.18.0.1/", "http://192.0.2.1/"])
async def test_addresses_that_are_not_globally_routable_are_refused(url):
    http = GuardedHttp(allow_private=False)
    res = await http.fetch("GET", url)
    assert res.status == 0 and res.error and "private or local" in res.error, res
    await http.close()


@pytest.mark.parametrize("addr", ["8.8.8.8", "1.1.1.1", "2606:4700::1111", "2002:808:808::1", "64:ff9b::808:808", "::ffff:8.8.8.8"])
def test_global_addresses_stay_allowed(addr):
    import ipaddress

    from ringflow.runtime.httpclient import _blocked

    assert not _blocked(ipaddress.ip_address(addr))


async def test_body_cap_and_timeout(server):
    http = GuardedHttp(allow_private=True)
    big = await http.fetch("GET", server + "/big")
    assert big.status == 200 and big.parsed is None and "size limit" in big.error
    slow = await http.fetch("GET", server + "/slow", timeout=0.5)
    assert slow.status == 0 and "0.5 s" in slow.error
    await http.close()

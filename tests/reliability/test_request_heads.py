"""Issue 14, L6: request heads are bounded in size and in time on a real server (uvicorn child
process with the production protocol): 8 MB of headers and 50 slow clients were accepted."""

from __future__ import annotations

import socket
import time
from typing import Iterator
from urllib.parse import urlsplit

import pytest

from tests.reliability.conftest import ChildServer


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    child = ChildServer(f"sqlite:///{tmp_path_factory.mktemp('heads') / 'heads.db'}", {"RINGFLOW_HEADER_TIMEOUT_SECONDS": "1"})
    parts = urlsplit(child.start())
    try:
        yield parts.hostname or "127.0.0.1", parts.port or 80
    finally:
        child.kill()


def _answer(sock: socket.socket, wait: float = 5.0) -> bytes:
    """Everything the server sends until it closes (or ``wait`` passes)."""
    sock.settimeout(wait)
    got = b""
    try:
        while chunk := sock.recv(65536):
            got += chunk
    except (socket.timeout, ConnectionResetError):
        pass
    return got


def _send(sock: socket.socket, data: bytes) -> None:
    try:
        sock.sendall(data)
    except (BrokenPipeError, ConnectionResetError):  # the server stopped reading: what we test
        pass


def test_a_normal_request_is_served(server: tuple[str, int]) -> None:
    with socket.create_connection(server) as sock:
        _send(sock, b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"p" * 4000 + b"\r\nConnection: close\r\n\r\n")
        assert _answer(sock).startswith(b"HTTP/1.1 200")


@pytest.mark.parametrize("size", [20_000, 8 * 1024 * 1024])
def test_oversized_headers_are_431_and_the_connection_closed(server: tuple[str, int], size: int) -> None:
    with socket.create_connection(server) as sock:
        started = time.monotonic()
        head = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: "
        _send(sock, head)
        for _ in range(0, size, 65536):  # never finished: cut off as the bytes arrive, not at the end
            _send(sock, b"a" * 65536)
        answer = _answer(sock)
        assert answer.startswith(b"HTTP/1.1 431"), answer[:200]
        assert time.monotonic() - started < 5


def test_slow_request_heads_are_cut_off_after_the_header_timeout(server: tuple[str, int]) -> None:
    slow = [socket.create_connection(server) for _ in range(50)]
    try:
        started = time.monotonic()
        for sock in slow:
            _send(sock, b"GET /healthz HTTP/1.1\r\nHost: x\r\n")  # and never the blank line
        answers = [_answer(sock, wait=6) for sock in slow]
        assert all(a.startswith(b"HTTP/1.1 408") for a in answers), {a[:40] for a in answers}
        assert time.monotonic() - started < 6
        with socket.create_connection(server) as idle:  # a connection that never says anything is closed too
            assert _answer(idle, wait=6).startswith(b"HTTP/1.1 408")
    finally:
        for sock in slow:
            sock.close()

"""A reader of the skeleton written from docs/skeleton.md alone, so the tests check the wire format."""

from __future__ import annotations

import struct
from array import array
from dataclasses import dataclass


@dataclass
class Decoded:
    version: int
    revision: int
    start: int
    bounds: tuple[float, float, float, float]
    keys: list[int]
    x: list[float]
    y: list[float]
    w: list[int]
    h: list[int]
    types: list[int]
    src: list[int]
    dst: list[int]
    outlets: list[int]


def decode(buf: bytes) -> Decoded:
    magic, version, flags, n, e, revision, start, *bounds = struct.unpack_from("<4sHHIIIi4f", buf, 0)
    assert magic == b"RFSK" and flags == 0
    off = 40

    def take(code: str, count: int, size: int) -> list:  # type: ignore[type-arg]
        nonlocal off
        assert off % 4 == 0, "every section starts on a 4-byte boundary"
        arr = array(code)
        arr.frombytes(buf[off: off + count * size])
        off += (count * size + 3) & ~3
        return arr.tolist()

    keys = take("I", n, 4)
    x = take("f", n, 4)
    y = take("f", n, 4)
    w = take("H", n, 2)
    h = take("H", n, 2)
    types = take("B", n, 1)
    src = take("I", e, 4)
    dst = take("I", e, 4)
    outlets = take("B", e, 1)
    assert off == len(buf), "no trailing bytes"
    return Decoded(version, revision, start, tuple(bounds), keys, x, y, w, h, types, src, dst, outlets)  # type: ignore[arg-type]

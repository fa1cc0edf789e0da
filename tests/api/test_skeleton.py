"""The skeleton packer on its own: layout, padding for odd counts, clamping, unknown codes, the LRU."""

from __future__ import annotations

import pytest

from ringflow.api.skeleton import SkeletonCache, build_skeleton
from ringflow.model.catalogue import TYPE_CODES
from ringflow.store.base import Geometry
from tests.api.skeleton_codec import decode


def _geo(n: int) -> Geometry:
    types = ["say", "gather", "no_such_type"][:n] + ["hangup"] * max(0, n - 3)
    g = Geometry(ids=[f"n{i}" for i in range(n)], types=types, xs=[float(i * 10) for i in range(n)],
                 ys=[float(-i) for i in range(n)], ws=[200.0] * n, hs=[72.0] * n, keys=[i * 3 + 1 for i in range(n)])
    return g


def test_odd_counts_are_padded_and_decode_exactly() -> None:
    g = _geo(3)
    g.ws[1] = 70_000.0  # wider than u16: clamped, never wrapped
    g.hs[2] = -5.0
    g.edge_sources, g.edge_targets, g.edge_outlets = [0, 1, 1], [1, 2, 0], ["next", "timeout", "bogus"]
    g.start_index = 0
    sk = decode(build_skeleton(g, revision=9))
    assert sk.keys == [1, 4, 7] and sk.revision == 9 and sk.start == 0
    assert sk.w == [200, 65535, 200] and sk.h == [72, 72, 0]
    assert sk.types == [TYPE_CODES["say"], TYPE_CODES["gather"], 255]
    assert sk.outlets == [0, 2, 255]  # say.next, gather.timeout, unknown
    assert sk.bounds == (0.0, -2.0, 70_010.0, 72.0)  # bounds from the true boxes


def test_size_is_17_per_node_and_9_per_edge_plus_header_and_padding() -> None:
    g = _geo(1000)
    g.edge_sources = list(range(999))
    g.edge_targets = list(range(1, 1000))
    g.edge_outlets = ["next"] * 999
    raw = build_skeleton(g, 1)
    assert len(raw) == 40 + 17 * 1000 + 9 * 999 + 1  # the outlet section padded to 4


def test_keys_must_match_nodes() -> None:
    g = _geo(3)
    g.keys = [1]
    with pytest.raises(ValueError):
        build_skeleton(g, 1)


def test_cache_is_bounded_by_bytes_and_keeps_recent() -> None:
    cache = SkeletonCache(max_bytes=3000)
    for i in range(5):
        cache.put(("f", i), bytes(1000), i)
    assert cache.get(("f", 0)) is None and cache.get(("f", 4)) is not None
    big = cache.put(("huge", 1), bytes(10_000), 1)  # larger than the whole budget: served, not kept
    assert big.raw and cache.get(("huge", 1)) is None

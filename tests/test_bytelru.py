"""The package's one LRU, bounded by bytes or (cost 1 each) by entries."""

from __future__ import annotations

from ringflow.bytelru import ByteLRU


def test_by_count_the_least_recently_used_go_first_and_are_named() -> None:
    lru: ByteLRU[str] = ByteLRU(2)
    assert lru.put("a", "A", 1) == [] and lru.put("b", "B", 1) == []
    assert lru.get("a") == "A"  # touched: b is now the oldest
    assert lru.put("c", "C", 1) == ["b"]
    assert lru.get("b") is None and lru.values() == ["A", "C"]
    assert lru.get("a", touch=False) == "A" and lru.put("d", "D", 1) == ["a"]


def test_by_bytes_a_big_entry_evicts_several_and_a_too_big_one_is_not_kept() -> None:
    lru: ByteLRU[int] = ByteLRU(100)
    for i in range(4):
        lru.put(i, i, 25)
    assert lru.put("big", -1, 60) == [0, 1, 2] and lru.size == 85
    assert lru.put("huge", -2, 101) == [] and "huge" not in lru and lru.size == 85
    assert lru.drop_where(lambda k: k == 3) == 1 and lru.pop("big") == -1 and len(lru) == 0 and lru.size == 0

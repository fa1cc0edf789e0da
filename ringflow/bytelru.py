"""The package's one LRU: thread-safe, bounded by bytes (or by entries, with a cost of 1 each).

Caches keyed by flow hold answers whose size depends on the customer (a 10-node flow or a
1,000,000-node one), so a count of entries bounds nothing: three big imports once held
1.6 GB. Each entry is put with its cost in bytes (measured or estimated by the caller);
the oldest entries go once the total passes the budget, and an entry bigger than the
whole budget is simply not kept. Put with ``cost=1`` it bounds a count instead: call
history, the Redis backend's recent states and the event hub's idle flows use it so.

Kept by hand rather than taken from cachetools: its ``LRUCache(maxsize, getsizeof)`` has no
lock, no ``get`` without touching, no bulk drop by key and no list of what was evicted, each
of which a caller here needs; the ~80 lines below are those and nothing else.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Callable, Generic, Hashable, TypeVar

V = TypeVar("V")


class ByteLRU(Generic[V]):
    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self._items: OrderedDict[Hashable, tuple[V, int]] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    @property
    def size(self) -> int:
        """Bytes held now (the sum of the costs given to ``put``)."""
        return self._size

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: Hashable) -> bool:
        return key in self._items

    def get(self, key: Hashable, touch: bool = True) -> V | None:
        """The value, or None; ``touch`` marks it as the most recently used."""
        with self._lock:
            hit = self._items.get(key)
            if hit is None:
                return None
            if touch:
                self._items.move_to_end(key)
            return hit[0]

    def put(self, key: Hashable, value: V, cost: int) -> list[Hashable]:
        """Keep ``value`` as the most recently used; the keys evicted to make room."""
        evicted: list[Hashable] = []
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._size -= old[1]
            if cost > self.max_bytes:
                return evicted
            self._items[key] = (value, cost)
            self._size += cost
            while self._size > self.max_bytes:
                gone, (_, dropped) = self._items.popitem(last=False)
                self._size -= dropped
                evicted.append(gone)
        return evicted

    def values(self) -> list[V]:
        """A snapshot of the values, least recently used first."""
        with self._lock:
            return [v for v, _ in self._items.values()]

    def pop(self, key: Hashable) -> V | None:
        with self._lock:
            old = self._items.pop(key, None)
            if old is None:
                return None
            self._size -= old[1]
            return old[0]

    def drop_where(self, match: Callable[[Hashable], bool]) -> int:
        """Drop every entry whose key ``match`` accepts (e.g. all revisions of a deleted flow)."""
        with self._lock:
            gone = [k for k in self._items if match(k)]
            for k in gone:
                self._size -= self._items.pop(k)[1]
        return len(gone)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._size = 0

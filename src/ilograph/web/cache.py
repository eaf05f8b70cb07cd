"""A bounded least-recently-used cache of answers, owned by one app (never module-level).

Bounded by entries and by the total size of the bodies; a body larger than ``item_bytes`` is not
kept. The release is immutable while a service runs, so entries never go stale: the keys still
carry the release id so that two releases can never share an entry.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Generic, Hashable, TypeVar

V = TypeVar("V")


class LRUCache(Generic[V]):
    """``get``/``put`` by key; ``size`` is the byte count the caller gives for each value."""

    def __init__(self, entries: int, total_bytes: int, item_bytes: int) -> None:
        self.max_entries = entries
        self.max_bytes = total_bytes
        self.item_bytes = item_bytes
        self._data: OrderedDict[Hashable, tuple[V, int]] = OrderedDict()
        self._bytes = 0
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._data)

    def get(self, key: Hashable) -> V | None:
        item = self._data.get(key)
        if item is None:
            self.misses += 1
            return None
        self._data.move_to_end(key)
        self.hits += 1
        return item[0]

    def put(self, key: Hashable, value: V, size: int) -> None:
        if self.max_entries <= 0 or size > self.item_bytes or size > self.max_bytes:
            return
        old = self._data.pop(key, None)
        if old is not None:
            self._bytes -= old[1]
        self._data[key] = (value, size)
        self._bytes += size
        while len(self._data) > self.max_entries or self._bytes > self.max_bytes:
            _, (_, dropped) = self._data.popitem(last=False)
            self._bytes -= dropped

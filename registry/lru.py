"""A small thread-safe LRU map for answers kept in a process (evidence reports, kept verdicts and owners)."""
from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from threading import Lock
from typing import Generic, TypeVar

T = TypeVar("T")


class LruCache(Generic[T]):
    """Values by key, the least recently used dropped beyond `size`; a value is built outside the lock
    (two misses may both build)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[Hashable, T] = OrderedDict()
        self._lock = Lock()
        self.hits = self.misses = 0

    def get_or_build(self, key: Hashable, build: Callable[[], T]) -> T:
        """The value kept under `key`, else `build()` kept there."""
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                self.hits += 1
                return self._items[key]
            self.misses += 1
        value = build()
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return value

    def has(self, key: Hashable) -> bool:
        """Whether a value is kept under `key` (it may be dropped before it is asked for)."""
        with self._lock:
            return key in self._items

    def clear(self) -> None:
        """Forget everything."""
        with self._lock:
            self._items.clear()
            self.hits = self.misses = 0

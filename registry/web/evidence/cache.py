"""An in-process cache of built evidence reports, so a long range costs its CPU once per ledger state.

Keyed by what the report depends on: the range as asked (release, from, to), the ledger's head
commit and the audit chain's head (a new ingest, merge, review or any other recorded change makes
a new report), the format, and for rendered pages the site's address (their links are absolute).
Each worker process keeps its own; the oldest entries go first (LRU).
"""
from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from threading import Lock
from typing import TypeVar

T = TypeVar("T")

SIZE = 32  # reports (and their renderings) kept per process


class LruCache:
    """A small thread-safe LRU map; a value is built outside the lock (two misses may both build)."""

    def __init__(self, size: int = SIZE) -> None:
        self.size = size
        self._items: OrderedDict[Hashable, object] = OrderedDict()
        self._lock = Lock()
        self.hits = self.misses = 0

    def get_or_build(self, key: Hashable, build: Callable[[], T]) -> T:
        """The value kept under `key`, else `build()` kept there."""
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                self.hits += 1
                return self._items[key]  # type: ignore[return-value]
            self.misses += 1
        value = build()
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return value

    def clear(self) -> None:
        """Forget everything (tests)."""
        with self._lock:
            self._items.clear()
            self.hits = self.misses = 0

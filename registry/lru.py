"""A small thread-safe LRU map for answers kept in a process (evidence reports, kept verdicts and owners).

A map is bounded by its number of entries and, when it is given a byte budget, by the estimated size of
what it keeps (`footprint`): answers as large as a clause's text (2 MB clauses are allowed) would
otherwise make a count-bounded map a few GB per worker. An answer over a quarter of its map's budget
is handed back but not kept (it would push out most of the rest). Maps keyed by texts (`by_texts`)
keep a digest of them, not the texts.
"""
from __future__ import annotations

import dataclasses
import hashlib
import sys
from collections import OrderedDict
from collections.abc import Callable, Hashable
from threading import Lock
from typing import Any, Generic, TypeVar

T = TypeVar("T")

LARGEST_SHARE = 4  # an answer over 1/LARGEST_SHARE of its map's budget is not kept


_ATOMS = (str, bytes, int, float, bool, type(None))
_fields: dict[type, tuple[str, ...] | None] = {}  # a class's dataclass fields (None: not a dataclass)


def _fields_of(cls: type) -> tuple[str, ...] | None:
    if cls not in _fields:
        _fields[cls] = tuple(f.name for f in dataclasses.fields(cls)) if dataclasses.is_dataclass(cls) else None
    return _fields[cls]


def footprint(value: object) -> int:
    """An estimate of the bytes `value` holds: its own size and that of the strings, numbers, containers
    and dataclass instances it reaches, each object counted once. Anything else (an ORM row, a
    function, a class) counts its own size only, so the walk never strays into shared state."""
    seen: set[int] = set()
    total = 0
    stack: list[object] = [value]
    while stack:
        obj = stack.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        total += sys.getsizeof(obj)
        cls = type(obj)
        if cls in _ATOMS:
            continue
        if isinstance(obj, dict):
            stack.extend(obj.keys())
            stack.extend(obj.values())
        elif isinstance(obj, (list, tuple, set, frozenset)):
            stack.extend(obj)
        elif (names := _fields_of(cls)) is not None:
            if hasattr(obj, "__dict__"):
                total += sys.getsizeof(obj.__dict__)
            stack.extend(getattr(obj, name) for name in names)
    return total


def texts_digest(texts: tuple[str, ...]) -> bytes:
    """One key for a tuple of texts (a diff's old and new): a BLAKE2b digest of each text's length and
    content, so a kept answer does not keep its texts alive, and no two tuples share a key."""
    digest = hashlib.blake2b(digest_size=32)
    for text in texts:
        data = text.encode("utf-8", "surrogatepass")
        digest.update(len(data).to_bytes(8, "big"))
        digest.update(data)
    return digest.digest()


class LruCache(Generic[T]):
    """Values by key, the least recently used dropped beyond `size` entries or, with a `budget`, beyond
    `budget` estimated bytes (`footprint` of each key and value); a value is built outside the lock (two
    misses may both build). `key`, when given, turns a caller's key into the key kept."""

    def __init__(self, size: int, budget: int | None = None, key: Callable[[Any], Hashable] | None = None) -> None:
        self.size = size
        self.budget = budget
        self._key = key
        self._items: OrderedDict[Hashable, tuple[T, int]] = OrderedDict()
        self._lock = Lock()
        self.weight = 0  # the estimated bytes kept (0 without a budget)
        self.hits = self.misses = 0

    @classmethod
    def by_texts(cls, size: int, budget: int) -> LruCache[T]:
        """A map of answers that depend on a tuple of texts alone (a diff), keyed by their digest."""
        return cls(size, budget, key=texts_digest)

    def get_or_build(self, key: Hashable, build: Callable[[], T]) -> T:
        """The value kept under `key`, else `build()` kept there (unless it is over its share of the budget)."""
        key = self._key(key) if self._key else key
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                self.hits += 1
                return self._items[key][0]
            self.misses += 1
        value = build()
        self._put(key, value)
        return value

    def peek(self, key: Hashable) -> T | None:
        """The value kept under `key` (counted as used), else None."""
        key = self._key(key) if self._key else key
        with self._lock:
            if key not in self._items:
                return None
            self._items.move_to_end(key)
            return self._items[key][0]

    def put(self, key: Hashable, value: T) -> None:
        """Keep `value` under `key` in place of what was kept there (unless it is over its share of the budget)."""
        self._put(self._key(key) if self._key else key, value)

    def _put(self, key: Hashable, value: T) -> None:
        weight = 0 if self.budget is None else footprint(key) + footprint(value)
        with self._lock:
            if key in self._items:  # another thread built it meanwhile, or `put` replaces it
                self.weight -= self._items.pop(key)[1]
            if self.budget is not None and weight * LARGEST_SHARE > self.budget:
                return
            self._items[key] = (value, weight)
            self._items.move_to_end(key)
            self.weight += weight
            while len(self._items) > self.size or (self.budget is not None and self.weight > self.budget):
                self.weight -= self._items.popitem(last=False)[1][1]

    def has(self, key: Hashable) -> bool:
        """Whether a value is kept under `key` (it may be dropped before it is asked for)."""
        key = self._key(key) if self._key else key
        with self._lock:
            return key in self._items

    def clear(self) -> None:
        """Forget everything."""
        with self._lock:
            self._items.clear()
            self.weight = 0
            self.hits = self.misses = 0

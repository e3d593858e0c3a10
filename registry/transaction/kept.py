"""Answers kept in this process across requests, for sessions that have not written in their transaction."""
from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping
from typing import Generic, TypeVar

from sqlalchemy.orm import Session

from registry.lru import LruCache
from registry.transaction.tracking import has_written

A = TypeVar("A")
K = TypeVar("K", bound=Hashable)


class KeptAnswers(Generic[A]):
    """Answers kept in this process across requests, the least recently used dropped beyond `size`
    answers or, with a `budget`, beyond that many estimated bytes (`lru.LruCache`: an answer over a
    quarter of the budget is not kept).

    The caller's key must name every input the answer depends on; the database's URL is added. A
    session that has written gets a fresh answer and keeps nothing: what it read may be rolled back.
    """

    def __init__(self, size: int, budget: int | None = None) -> None:
        self._kept: LruCache[A] = LruCache(size, budget)

    def get(self, session: Session, key: Hashable, compute: Callable[[], A]) -> A:
        """The kept answer under `key`, else `compute()` (kept unless the session has written)."""
        return self.get_many(session, {key: compute})[key]

    def get_many(self, session: Session, wanted: Mapping[K, Callable[[], A]]) -> dict[K, A]:
        """`get` for many keys at once (the session and database asked about once)."""
        if has_written(session):
            return {key: compute() for key, compute in wanted.items()}
        database = str(session.get_bind().engine.url)
        return {key: self._kept.get_or_build((database, key), compute) for key, compute in wanted.items()}

    def peek(self, session: Session, key: Hashable) -> A | None:
        """The answer kept under `key`, else None (always None when the session has written)."""
        return self.peek_many(session, [key]).get(key)

    def peek_many(self, session: Session, keys: Iterable[K]) -> dict[K, A]:
        """`peek` for many keys at once (the session and database asked about once): the kept answers by key."""
        if has_written(session):
            return {}
        database = str(session.get_bind().engine.url)
        found = {key: self._kept.peek((database, key)) for key in keys}
        return {key: answer for key, answer in found.items() if answer is not None}

    def put(self, session: Session, key: Hashable, answer: A) -> None:
        """Keep `answer` under `key` in place of what was kept there (nothing when the session has written)."""
        if not has_written(session):
            self._kept.put((str(session.get_bind().engine.url), key), answer)

    @property
    def weight(self) -> int:
        """The estimated bytes of the answers kept (0 without a budget)."""
        return self._kept.weight

    def clear(self) -> None:
        """Forget every answer."""
        self._kept.clear()


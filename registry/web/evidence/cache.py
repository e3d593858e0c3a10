"""An in-process cache of built evidence reports, so a long range costs its CPU once per ledger state.

Keyed by what the report depends on: the range as asked (release, from, to), the ledger's head
commit and the audit chain's head (a new ingest, merge, review or any other recorded change makes
a new report), the 5-minute window of the clock (a change written with SQL moves no head; see
pages.VERIFY_TTL), the format, and for rendered pages the site's address (their links are absolute).
Each worker process keeps its own; the oldest entries go first (LRU).
"""
from __future__ import annotations

from typing import Any

from registry import lru

SIZE = 32  # reports (and their renderings) kept per process


class LruCache(lru.LruCache[Any]):
    """The reports and renderings one worker keeps."""

    def __init__(self, size: int = SIZE) -> None:
        super().__init__(size)

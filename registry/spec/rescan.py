"""Re-scan only the window of a new document version that changed since the previous one.

Pure: the block scanner (`blocks`) runs over the lines between two unchanged ATX headings and
gives what a full scan gives there.
"""
from __future__ import annotations

from collections.abc import Container, Sequence
from dataclasses import dataclass
from itertools import compress, count, islice
from operator import ne

from registry.spec.blocks import ScanResult, scan_to_open_end


@dataclass
class Window:
    """A re-scan of only what changed: new lines [start, old_end + delta) were scanned afresh.

    Lines before `start` are unchanged; new line `i + delta` is old line `i` for `i >= old_end`.
    `scan` holds the window's events (lines relative to `start`); `atx` every ATX heading line.
    """

    start: int
    old_end: int
    delta: int
    scan: ScanResult
    atx: list[int]


def atx_lines(result: ScanResult) -> list[int]:
    """The lines of document-level ATX headings (where a fresh scan may safely begin)."""
    return [h.line for h in result.headings if not h.setext]


def _common_prefix(a: Sequence[str], b: Sequence[str], limit: int) -> int:
    """How many of the first `limit` lines a and b share."""
    # map and compress compare in C and stop at the first difference
    return next(compress(count(), map(ne, islice(a, limit), b)), min(limit, len(a), len(b)))


def _common_suffix(a: Sequence[str], b: Sequence[str], limit: int) -> int:
    """How many of the last lines (at most `limit`) a and b share."""
    return next(compress(count(), map(ne, islice(reversed(a), limit), reversed(b))), min(limit, len(a), len(b)))


def rescan(old_lines: Sequence[str], old_atx: Sequence[int], restarts: Container[int],
           lines: Sequence[str]) -> Window | None:
    """Scan only the window of a new version that differs from the old one; None: scan it all.

    After a document-level ATX heading the scanner's state is always clean (no containers, no
    open block), so a fresh scan can begin at one (`restarts` are the lines where a clause began,
    so no rule marker reaches across). The window ends at an unchanged ATX heading, provided the
    window leaves the state clean (no container, fence or HTML block that would swallow the
    heading).
    """
    n_old, n_new = len(old_lines), len(lines)
    limit = min(n_old, n_new)
    # A line-by-line walk from each end: edits are small, and it stops at the first difference.
    prefix = _common_prefix(old_lines, lines, limit)
    suffix = _common_suffix(old_lines, lines, limit - prefix)
    start = max((h for h in old_atx if h < prefix and h in restarts), default=0)
    old_end = min((h for h in old_atx if h >= n_old - suffix and h > start and h in restarts), default=n_old)
    delta = n_new - n_old
    result, still_open = scan_to_open_end(list(lines[start:old_end + delta]))
    if old_end < n_old and still_open:
        return None
    atx = [h for h in old_atx if h < start] + [h + start for h in atx_lines(result)]
    atx += [h + delta for h in old_atx if h >= old_end]
    return Window(start, old_end, delta, result, atx)

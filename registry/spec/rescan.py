"""Re-scan only the window of a new document version that changed since the previous one.

Pure: the block scanner (`blocks`) runs over the lines between two unchanged lines where a fresh
scan may begin, and gives what a full scan gives there.
"""
from __future__ import annotations

from bisect import bisect_left
from collections.abc import Container, Sequence
from dataclasses import dataclass
from itertools import compress, count, islice, repeat
from operator import add, ne

from registry.spec.blocks import ScanResult, scan_to_open_end
from registry.spec.line_kinds import opens_atx_heading

# A paragraph line that begins with one of these may be a link title that a definition on the line
# before takes in, depending on lines after it: no fresh scan begins there.
_TITLE_OPENERS = ("\"", "'", "(")
_RUN = 32  # lines compared at a time when looking for the first changed line
_MAYBE_TITLE = frozenset(_TITLE_OPENERS + (" ",))  # a paragraph's first character, when it may be one


@dataclass
class Window:
    """A re-scan of only what changed: new lines [start, old_end + delta) were scanned afresh.

    Lines before `start` are unchanged; new line `i + delta` is old line `i` for `i >= old_end`.
    `scan` holds the window's events (lines relative to `start`); `fresh` every line of the new
    version where a fresh scan may begin (see `fresh_lines`).
    """

    start: int
    old_end: int
    delta: int
    scan: ScanResult
    fresh: list[int]


def fresh_lines(result: ScanResult, lines: Sequence[str], offset: int = 0) -> list[int]:
    """Lines where a fresh scan may begin (offset by `offset`): document-level ATX headings and paragraph starts.

    Before either, nothing is open (no container, no fence, no HTML block, no paragraph), so a scan
    that begins there finds what a scan of the whole document finds. A paragraph start that a link
    title could begin on is left out: whether the definition above takes it in depends on the lines
    after it (`lines` holds the scanned lines, from `offset`).
    """
    heads = [h.line for h in result.headings if not h.setext]
    paras = [p for p in result.paragraphs  # (the first character tells most apart without a copy)
             if lines[p][:1] not in _MAYBE_TITLE or not lines[p].lstrip(" ").startswith(_TITLE_OPENERS)]
    return [n + offset for n in sorted(heads + paras)] if paras else [n + offset for n in heads]


def _common_prefix(a: list[str], b: list[str], limit: int) -> int:
    """How many of the first `limit` lines a and b share."""
    # Whole runs of lines compare as lists (one C loop), then map and compress find the first
    # difference inside the run that has one.
    n = min(limit, len(a), len(b))
    i = 0
    while i + _RUN <= n and a[i:i + _RUN] == b[i:i + _RUN]:
        i += _RUN
    end = min(i + _RUN, n)
    return next(compress(count(i), map(ne, a[i:end], b[i:end])), end)


def _common_suffix(a: list[str], b: list[str], limit: int) -> int:
    """How many of the last lines (at most `limit`) a and b share."""
    n, la, lb = min(limit, len(a), len(b)), len(a), len(b)
    j = 0
    while j + _RUN <= n and a[la - j - _RUN:la - j] == b[lb - j - _RUN:lb - j]:
        j += _RUN
    end = min(j + _RUN, n)
    return next(compress(count(j), map(ne, reversed(a[la - end:la - j]), reversed(b[lb - end:lb - j]))), end)


def rescan(old_lines: Sequence[str], old_fresh: list[int], restarts: Container[int],
           lines: Sequence[str]) -> Window | None:
    """Scan only the window of a new version that differs from the old one; None: scan it all.

    The window begins and ends at lines of the old version where a fresh scan may begin
    (`old_fresh`, see `fresh_lines`) and where a clause began (`restarts`, so no rule marker reaches
    across). It ends there only if the window leaves nothing open that the line would join: for an
    ATX heading, no container, fence or HTML block (a heading ends a paragraph); for a paragraph
    start, nothing at all.
    """
    n_old, n_new = len(old_lines), len(lines)
    limit = min(n_old, n_new)
    # A line-by-line walk from each end: edits are small, and it stops at the first difference.
    # (the old lines are a tuple: only list slices compare with list slices)
    old = old_lines if isinstance(old_lines, list) else list(old_lines)
    new = lines if isinstance(lines, list) else list(lines)
    prefix = _common_prefix(old, new, limit)
    suffix = _common_suffix(old, new, limit - prefix)
    # `old_fresh` is in order: walk out from the changed lines, not over every fresh line
    before = bisect_left(old_fresh, prefix)
    start = next((h for h in reversed(old_fresh[:before]) if h in restarts), 0)
    after = bisect_left(old_fresh, max(n_old - suffix, start + 1), before)
    old_end = next((h for h in islice(old_fresh, after, None) if h in restarts), n_old)
    delta = n_new - n_old
    window = list(lines[start:old_end + delta])
    result, still_open, settled = scan_to_open_end(window)
    if old_end < n_old and (still_open or not (settled or opens_atx_heading(old_lines[old_end]))):
        return None
    fresh = old_fresh[:bisect_left(old_fresh, start, 0, before)] + fresh_lines(result, window, start)
    moved = old_fresh[bisect_left(old_fresh, old_end, after):]
    fresh += list(map(add, moved, repeat(delta))) if delta else moved
    return Window(start, old_end, delta, result, fresh)


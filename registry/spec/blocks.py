"""A CommonMark block-structure line scanner that finds document-level headings and paragraphs.

Pure and fast: it tracks just enough structure (block quotes, list items, fences, indented code,
paragraphs) to know which lines are top-level ATX or setext headings. Headings nested inside quotes
or list items, and anything inside a fence, are not sections.
"""
from __future__ import annotations

import re
from collections.abc import Container, Sequence
from dataclasses import dataclass
from typing import NamedTuple

_ATX = re.compile(r" {0,3}(#{1,6})(?:[ \t]|$)")
_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})(.*)$")
_SETEXT = re.compile(r" {0,3}(=+|-+)[ \t]*$")
_HR = re.compile(r" {0,3}(?:(?:-[ \t]*){3,}|(?:\*[ \t]*){3,}|(?:_[ \t]*){3,})$")
_BULLET = re.compile(r"( {0,3})([-+*])([ \t]|$)")
_ORDERED = re.compile(r"( {0,3})(\d{1,9})([.)])([ \t]|$)")
# Characters that can begin something other than plain paragraph text at column 0.
_PLAIN_FAST = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ([!\"'/&@$%^|?,;:")


class Heading(NamedTuple):
    """A document-level heading: `line` is its first line, `end` the line after it."""

    line: int
    end: int
    level: int
    text: str
    setext: bool


@dataclass
class _Container:
    kind: str  # "quote" or "item"
    width: int = 0  # content column of a list item
    has_content: bool = False


@dataclass
class ScanResult:
    """Top-level headings and the first lines of top-level paragraphs."""

    headings: list[Heading]
    paragraphs: list[int]


def _fence_open(rest: str) -> re.Match[str] | None:
    """A fence opener; a backtick fence's info string may not contain a backtick."""
    m = _FENCE.match(rest)
    if m and m.group(1)[0] == "`" and "`" in m.group(2):
        return None
    return m


def _indent(s: str) -> int:
    return len(s) - len(s.lstrip(" "))


def _list_marker(rest: str) -> tuple[int, bool, bool] | None:
    """Return (content width, is_empty, ordered_not_one) when rest starts a list item."""
    m = _BULLET.match(rest)
    ordered_not_one = False
    if m is None:
        m = _ORDERED.match(rest)
        if m is None:
            return None
        ordered_not_one = int(m.group(2)) != 1
        marker_end = m.end(3)
    else:
        marker_end = m.end(2)
    after = rest[marker_end:]
    if not after.strip():
        return marker_end + 1, True, ordered_not_one
    spaces = _indent(after)
    if spaces >= 5:
        spaces = 1  # content is indented code; the item's width counts one space
    return marker_end + spaces, False, ordered_not_one


class _Scanner:
    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.stack: list[_Container] = []
        self.leaf: str | None = None  # "para", "fence", "code" or None
        self.fence: tuple[str, int, int] = ("", 0, 0)  # char, length, opener indent
        self.para_start = -1
        self.para_top = False
        self.headings: list[Heading] = []
        self.paragraphs: list[int] = []

    def run(self) -> ScanResult:
        for i, raw in enumerate(self.lines):
            # Fast paths for the common top-level lines; everything else takes the full route.
            if self.stack or self.leaf in ("fence", "code"):
                self._line(i, raw.expandtabs(4) if "\t" in raw else raw)
            elif not raw or raw.isspace():
                self.leaf = None
            elif raw[:1] in _PLAIN_FAST:
                if self.leaf is None:
                    self._start_para(i, raw, 0)
            else:
                self._line(i, raw.expandtabs(4) if "\t" in raw else raw)
        return ScanResult(self.headings, self.paragraphs)

    def _match_containers(self, rest: str) -> tuple[int, str]:
        matched = 0
        for c in self.stack:
            if c.kind == "quote":
                ind = _indent(rest)
                if ind <= 3 and rest[ind:ind + 1] == ">":
                    rest = rest[ind + 1:]
                    if rest[:1] == " ":
                        rest = rest[1:]
                    matched += 1
                    continue
                break
            if not rest.strip():
                if not c.has_content:
                    break  # an item may begin with at most one blank line
                matched += 1
                rest = ""
                continue
            if _indent(rest) >= c.width:
                rest = rest[c.width:]
                matched += 1
                continue
            break
        return matched, rest

    def _line(self, i: int, line: str) -> None:
        matched, rest = self._match_containers(line)
        all_matched = matched == len(self.stack)
        if self.leaf == "fence":
            if all_matched:
                char, length, _ = self.fence
                m = _FENCE.match(rest)
                if m and m.group(1)[0] == char and len(m.group(1)) >= length and not m.group(2).strip():
                    self.leaf = None
                return
            self.leaf = None
        if not all_matched and self.leaf == "para" and self._is_lazy(rest):
            return
        if not all_matched:
            del self.stack[matched:]
            self.leaf = None
        self._open_blocks(i, rest, all_matched)

    def _is_lazy(self, rest: str) -> bool:
        """A line that would only continue a paragraph keeps unmatched containers open."""
        if not rest.strip():
            return False
        ind = _indent(rest)
        if ind >= 4:
            return True
        if rest[ind] == ">" or _ATX.match(rest) or _fence_open(rest) or _HR.match(rest):
            return False
        return _list_marker(rest) is None

    def _open_blocks(self, i: int, rest: str, continuing: bool) -> None:
        opened = False
        while True:
            ind = _indent(rest)
            if ind >= 4:
                break
            if rest[ind:ind + 1] == ">":
                self._mark_content()
                self.stack.append(_Container("quote"))
                rest = rest[ind + 1:]
                if rest[:1] == " ":
                    rest = rest[1:]
                opened = True
                continue
            if _HR.match(rest):
                break
            marker = _list_marker(rest)
            if marker is None:
                break
            width, empty, not_one = marker
            if self.leaf == "para" and not opened and continuing and (empty or not_one):
                break  # this list item cannot interrupt a paragraph
            self._mark_content()
            self.stack.append(_Container("item", width, has_content=not empty))
            rest = "" if empty else rest[width:]
            opened = True
        if opened:
            self.leaf = None
        self._leaf(i, rest)

    def _mark_content(self) -> None:
        if self.stack:
            self.stack[-1].has_content = True

    def _leaf(self, i: int, rest: str) -> None:
        if not rest.strip():
            if self.leaf != "code":
                self.leaf = None
            return
        self._mark_content()
        top = not self.stack
        ind = _indent(rest)
        if ind >= 4 and self.leaf != "para":
            self.leaf = "code"
            return
        if self.leaf == "para" and _SETEXT.match(rest):
            if self.para_top and top:
                level = 1 if rest.lstrip()[0] == "=" else 2
                text = " ".join(s.strip() for s in self.lines[self.para_start:i])
                self.headings.append(Heading(self.para_start, i + 1, level, text, True))
            self.leaf = None
            return
        if _HR.match(rest):
            self.leaf = None
            return
        m = _ATX.match(rest)
        if m:
            if top:
                self.headings.append(Heading(i, i + 1, len(m.group(1)), rest[m.end():], False))
            self.leaf = None
            return
        m = _fence_open(rest)
        if m:
            self.leaf = "fence"
            self.fence = (m.group(1)[0], len(m.group(1)), ind)
            return
        if self.leaf != "para":
            self._start_para(i, rest, len(self.stack))

    def _start_para(self, i: int, rest: str, depth: int) -> None:
        self.leaf = "para"
        self.para_start = i
        self.para_top = depth == 0
        if self.para_top:
            self.paragraphs.append(i)


def scan(lines: list[str]) -> ScanResult:
    """Find document-level headings and paragraph starts in normalized lines."""
    return _Scanner(lines).run()


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
    n = 0
    for x, y in zip(a, b):
        if n == limit or x != y:
            break
        n += 1
    return n


def _common_suffix(a: Sequence[str], b: Sequence[str], limit: int) -> int:
    """How many of the last lines (at most `limit`) a and b share."""
    n, i, j = 0, len(a) - 1, len(b) - 1
    while n < limit and a[i - n] == b[j - n]:
        n += 1
    return n


def rescan(old_lines: Sequence[str], old_atx: Sequence[int], restarts: Container[int],
           lines: Sequence[str]) -> Window | None:
    """Scan only the window of a new version that differs from the old one; None: scan it all.

    After a document-level ATX heading the scanner's state is always clean (no containers, no
    open block), so a fresh scan can begin at one (`restarts` are the lines where a clause began,
    so no rule marker reaches across). The window ends at an unchanged ATX heading, provided the
    window leaves the state clean (no container or fence that would swallow the heading).
    """
    n_old, n_new = len(old_lines), len(lines)
    limit = min(n_old, n_new)
    # A line-by-line walk from each end: edits are small, and it stops at the first difference.
    prefix = _common_prefix(old_lines, lines, limit)
    suffix = _common_suffix(old_lines, lines, limit - prefix)
    start = max((h for h in old_atx if h < prefix and h in restarts), default=0)
    old_end = min((h for h in old_atx if h >= n_old - suffix and h > start and h in restarts), default=n_old)
    delta = n_new - n_old
    scanner = _Scanner(list(lines[start:old_end + delta]))
    result = scanner.run()
    if old_end < n_old and (scanner.stack or scanner.leaf in ("fence", "code")):
        return None
    atx = [h for h in old_atx if h < start] + [h + start for h in atx_lines(result)]
    atx += [h + delta for h in old_atx if h >= old_end]
    return Window(start, old_end, delta, result, atx)

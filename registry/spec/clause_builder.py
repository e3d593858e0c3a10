"""Pure: turn region starts into clauses (ids, parents, bodies), reusing an earlier parse where safe."""
from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from operator import itemgetter
from typing import TYPE_CHECKING, Any, NamedTuple, cast

if TYPE_CHECKING:
    from registry.spec.blocks import Heading


class Clause(NamedTuple):
    """One clause of a document version (a tuple: there are hundreds of thousands per ingest)."""

    key: str
    title: str
    attributes: tuple[tuple[str, str], ...]
    body: str
    level: int  # heading level 1-6; 0 for a rule-marker paragraph
    parent: str | None
    start: int  # first line of the clause's region (0-based)
    end: int  # line after the region
    explicit: bool
    slugs: tuple[str, ...] = ()  # the heading path as slugs, for derived ids of children

_KEY, _START, _END = itemgetter(0), itemgetter(6), itemgetter(7)  # a Clause's fields, read in C
# A Clause from a tuple of its fields with no Python call (the class call and Clause._make each run one):
# there are hundreds of thousands per ingest.
_CLAUSE = cast(Callable[[tuple[Any, ...]], Clause], partial(tuple.__new__, Clause))


@dataclass(frozen=True)
class ParseWarning:
    """Something odd in a document that did not stop the parse."""

    line: int
    message: str


class Start(NamedTuple):
    """Where a clause's region begins: a heading, a rule marker, or a marker labelling a heading."""

    line: int
    heading: Heading | None
    marker: str | None
    body_from: int


def body(lines: Sequence[str], start: int, end: int) -> str:
    """The region's lines without surrounding blank lines."""
    while start < end and not lines[start].strip():
        start += 1
    while end > start and not lines[end - 1].strip():
        end -= 1
    return "\n".join(lines[start:end])


def _unique(key: str, taken: dict[str, int], tried: dict[str, int]) -> str:
    """A key for a duplicate: `id~2`, `id~3`, ... so its text is kept under a distinct id.

    `tried` remembers, per id, the suffix the search stopped at: suffixes below it are taken, so
    16,000 equal headings cost 16,000 steps, not 16,000²/2 (42 s while a proposal held the write lock).
    """
    n = tried.get(key, 2)
    while f"{key}~{n}" in taken:
        n += 1
    tried[key] = n + 1
    return f"{key}~{n}"


# (heading text) -> (title, explicit id, attributes): the parser's, passed in to keep this module below it
HeadingParser = Callable[[str], tuple[str, str | None, tuple[tuple[str, str], ...]]]


class ClauseBuilder:
    """Walks region starts in order, tracking open headings (for parents and derived ids)."""

    def __init__(self, lines: Sequence[str], doc: str, heading_parser: HeadingParser,
                 slugify: Callable[[str], str]) -> None:
        self.lines, self.doc = lines, doc
        self.parse_heading, self.slugify = heading_parser, slugify
        self.clauses: list[Clause] = []
        self.warnings: list[ParseWarning] = []
        self.first_line: dict[str, int] = {}
        self.tried: dict[str, int] = {}  # per duplicated id, the next `~N` suffix worth trying
        self.stack: list[tuple[int, str, tuple[str, ...]]] = []  # open headings: level, key, slugs
        # After a windowed build: (k0, j1, k1) = new clauses [:k0] are the old [:k0] and new [j1:]
        # are the old [k1:] (moved by whole lines), so ingest can skip them too.
        self.reused: tuple[int, int, int] | None = None

    def add(self, starts: Sequence[Start], lo: int, hi: int, end: int | None = None) -> None:
        """Build clauses for starts[lo:hi]; the last region ends at `end` (default: the document end)."""
        lines, place, append = self.lines, self._place, self.clauses.append
        parse_heading, make = self.parse_heading, _CLAUSE
        last_end = len(lines) if end is None else end
        attrs: tuple[tuple[str, str], ...]
        explicit: str | None
        for n in range(lo, hi):
            line, heading, marker, body_from = starts[n]
            end = starts[n + 1][0] if n + 1 < len(starts) else last_end
            if heading is None:  # a rule marker's paragraph: no title, opens no heading
                title, explicit, attrs, level = "", None, (), 0
            else:
                title, explicit, attrs = parse_heading(heading.text)
                level = heading.level
            key, parent, slugs = place(line, level, title, marker or explicit)
            append(make((key, title, attrs, body(lines, body_from, end), level, parent, line, end,
                         bool(marker or explicit), slugs)))

    def rebuild(self, clauses: Sequence[Clause], shift: int) -> None:
        """Build an earlier parse's clauses of the same lines (moved by `shift`) again, under the headings open now.

        Titles, attributes and bodies stay as they were; parents, derived ids and duplicate ids are
        worked out afresh, as `add` does. For clauses none of which had a duplicate id (so an
        explicit clause's id is its own).
        """
        place, append, make = self._place, self.clauses.append, _CLAUSE
        for c in clauses:
            line = c.start + shift
            key, parent, slugs = place(line, c.level, c.title, c.key if c.explicit else None)
            append(make((key, c.title, c.attributes, c.body, c.level, parent, line, c.end + shift, c.explicit,
                         slugs)))

    def _place(self, line: int, level: int, title: str, own: str | None) -> tuple[str, str | None, tuple[str, ...]]:
        """A clause's id, parent and heading path (its own id, if it has one); a heading (level > 0) opens."""
        stack, first_line = self.stack, self.first_line
        if level:
            while stack and stack[-1][0] >= level:
                stack.pop()
            slugs = (stack[-1][2] if stack else ()) + (self.slugify(title),)
        else:
            slugs = stack[-1][2] if stack else ()
        key = own or f"{self.doc}:{'.'.join(slugs)}"
        parent = stack[-1][1] if stack else None
        if key in first_line:
            self.warnings.append(ParseWarning(line + 1, f"duplicate id {key!r} (first at line {first_line[key]})"))
            key = _unique(key, first_line, self.tried)
        first_line[key] = line + 1
        if level:
            stack.append((level, key, slugs))
        return key, parent, slugs

    def replay(self, clauses: Sequence[Clause], shift: int = 0, last: bool = False) -> None:
        """Take clauses from an earlier parse as they are (moved by `shift` lines).

        With `last`, nothing is built after them, so the open-heading stack is not kept up.
        """
        if shift:
            clauses = shifted(clauses, shift)
        self.clauses.extend(clauses)
        if not last:
            self.first_line.update({c.key: c.start + 1 for c in clauses})
            after = stack_after(clauses)
            if after:  # they close every open heading at their shallowest level or deeper
                self.stack[:] = _shallower(self.stack, after[0][0]) + after


def clause_starts(clauses: Sequence[Clause]) -> set[int]:
    """The lines where these clauses begin."""
    return set(map(_START, clauses))


def shifted(clauses: Sequence[Clause], shift: int) -> list[Clause]:
    """The same clauses moved down by `shift` lines (up when negative)."""
    make = _CLAUSE
    return [make((c[0], c[1], c[2], c[3], c[4], c[5], c[6] + shift, c[7] + shift, c[8], c[9])) for c in clauses]


def stack_after(clauses: Sequence[Clause]) -> list[tuple[int, str, tuple[str, ...]]]:
    """The open headings after these clauses."""
    # Walked from the end: a heading is still open when no later heading is as shallow or
    # shallower, and the walk stops at a level 1 heading, not at the document's start.
    stack: list[tuple[int, str, tuple[str, ...]]] = []
    shallowest = 7
    for c in reversed(clauses):
        if 0 < c.level < shallowest:
            stack.append((c.level, c.key, c.slugs))
            shallowest = c.level
            if shallowest == 1:
                break
    stack.reverse()
    return stack


def _shallower(stack: list[tuple[int, str, tuple[str, ...]]], level: int) -> list[tuple[int, str, tuple[str, ...]]]:
    return [entry for entry in stack if entry[0] < level]


def build_with_window(b: ClauseBuilder, starts: Sequence[Start], old: Sequence[Clause],
                      old_warnings: Sequence[ParseWarning], window: tuple[int, int, int],
                      rest: Callable[[int], Sequence[Start]]) -> bool:
    """Reuse the old parse's clauses before and after the changed window; build the window's.

    `starts` are the window's region starts. Every shortcut is checked (the window begins where an
    old clause began, the same headings are open after it, the same ids inside it); False means a
    check failed and the caller must build the document the ordinary way. When only the old
    clauses after the window cannot be reused, they are rebuilt from `rest(line)`: the region
    starts of the new version from that unchanged line on (where a fresh scan may begin).
    """
    start, old_end, delta = window
    new_end = old_end + delta
    k0 = bisect_left(old, start + 1, key=_END)  # old clauses that end at or before `start`
    k1 = bisect_left(old, old_end, key=_START)
    # The clauses taken over before the window end at `start`, so one must begin there again: when
    # the window's first clause is gone (a setext underline removed, say), the one before runs on.
    if (k0 < len(old) and old[k0].start != start) or (k0 and (not starts or starts[0].line != start)):
        return False
    b.replay(old[:k0])
    first_rebuilt = old[k0].start + 1 if k0 < len(old) else float("inf")  # warnings use 1-based lines
    b.warnings.extend(w for w in old_warnings if w.line < first_rebuilt)
    b.add(starts, 0, len(starts), end=new_end if k1 < len(old) else None)
    if k1 >= len(old):
        b.reused = (k0, len(b.clauses), len(old))
        return True
    if old[k1].start != old_end:
        return False
    no_duplicates = not any(w.line > old_end for w in old_warnings)  # no suffix id was a duplicate before
    reusable = (
        no_duplicates
        # The suffix starts with a heading that closes every open heading at its level or deeper,
        # so only the shallower ones must match for its parents and derived ids to be the same; a
        # rule marker's paragraph (level 0) closes none, so every open heading must match.
        and _shallower(b.stack, old[k1].level or 7) == _shallower(stack_after(old[:k1]), old[k1].level or 7)
        and set(map(_KEY, b.clauses[k0:])).isdisjoint(map(_KEY, old[k1:]))  # ...nor becomes one
    )
    if reusable:
        b.reused = (k0, len(b.clauses), k1)
        b.replay(old[k1:], delta, last=True)
        return True
    if no_duplicates:
        # The suffix's lines and regions are the old ones (a fresh scan begins at `old_end`), so a
        # scan of it would find the same starts: only parents and derived ids may differ.
        b.rebuild(old[k1:], delta)
    else:
        suffix = rest(new_end)
        b.add(suffix, 0, len(suffix))
    b.reused = (k0, len(b.clauses), len(old))
    return True

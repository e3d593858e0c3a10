"""Split one Markdown document into clauses: pure, `(path, text) -> ParsedDocument`."""
from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache, partial
from typing import Any, cast, overload

from registry.spec.blocks import Heading, scan
from registry.spec.clause_builder import Clause as Clause  # re-exported: a parse is made of these
from registry.spec.clause_builder import ClauseBuilder, ParseWarning, Start, build_with_window, clause_starts
from registry.spec.rescan import Window, fresh_lines, rescan

_MARKER = re.compile(r"r\[([A-Za-z0-9_][A-Za-z0-9_.\-]*)\][ \t]*$")
_ATTR_BLOCK = re.compile(r"[ \t]*\{([^{}]*)\}[ \t]*$")
_ATTR_TOKEN = re.compile(r'\s*(?:#([A-Za-z0-9_][\w.:\-]*)|\.([\w\-]+)|([A-Za-z_][\w\-]*)=("[^"]*"|\'[^\']*\'|[^\s"\']+))')
_SERIALS = itertools.count(1)
# A Start from a tuple of its fields with no Python call (a rule marker's paragraph: most starts).
_START = cast(Callable[[tuple[Any, ...]], Start], partial(tuple.__new__, Start))
_CLOSING_HASHES = re.compile(r"(?:^|[ \t]+)#+[ \t]*$")


@dataclass(frozen=True)
class ParsedDocument:
    """A document version split into clauses, in document order."""

    path: str
    clauses: tuple[Clause, ...]
    warnings: tuple[ParseWarning, ...] = field(default=())
    lines: tuple[str, ...] = field(default=(), repr=False, compare=False)
    # where a fresh scan may begin (`rescan.fresh_lines`), for the next version's re-scan
    fresh: list[int] | None = field(default=None, repr=False, compare=False)
    # (k0, j1, k1): clauses [:k0] and [j1:] are the previous parse's [:k0] and [k1:], unchanged
    reused: tuple[int, int, int] | None = field(default=None, repr=False, compare=False)
    serial: int = field(default_factory=lambda: next(_SERIALS), repr=False, compare=False)
    # The serial of the parse `reused` refers to (a number, not a reference: a reference would
    # keep every earlier version of the document alive).
    base: int | None = field(default=None, repr=False, compare=False)


def normalize(text: str) -> str:
    """Drop a BOM and turn CRLF/CR line ends into LF."""
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


@lru_cache(maxsize=65536)
def slugify(text: str) -> str:
    """A lowercase ASCII slug of a heading title."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug or "section"


def document_slug(path: str) -> str:
    """The document part of a derived id: the path without `.md`, `/` turned into `.`."""
    stem = path[:-3] if path.lower().endswith(".md") else path
    return stem.replace("/", ".")


@lru_cache(maxsize=65536)  # headings repeat across the versions of a document
def parse_heading(text: str) -> tuple[str, str | None, tuple[tuple[str, str], ...]]:
    """Split heading text into (title, explicit id, attributes) from a trailing `{#id k=v}` block."""
    text = text.strip()
    explicit: str | None = None
    attrs: list[tuple[str, str]] = []
    m = _ATTR_BLOCK.search(text)
    parsed = _attr_tokens(m.group(1)) if m else None
    if m is not None and parsed is not None:
        explicit, attrs = parsed
        text = text[: m.start()]
    text = _CLOSING_HASHES.sub("", text).strip()
    return text, explicit, tuple(attrs)


def _attr_tokens(block: str) -> tuple[str | None, list[tuple[str, str]]] | None:
    """Parse the inside of `{...}`; None when it is not an attribute block."""
    pos, explicit, attrs = 0, None, []
    block = block.rstrip()
    while pos < len(block):
        m = _ATTR_TOKEN.match(block, pos)
        if not m:
            return None
        if m.group(1):
            explicit = m.group(1)
        elif m.group(2):
            attrs.append(("class", m.group(2)))
        else:
            value = m.group(4)
            if value[:1] in "\"'":
                value = value[1:-1]
            attrs.append((m.group(3), value))
        pos = m.end()
    if explicit is None and not attrs:
        return None
    return explicit, attrs


@overload
def _starts(lines: list[str], headings: list[Heading], paragraphs: list[int]) -> list[Start]: ...
@overload
def _starts(lines: list[str], headings: list[Heading], paragraphs: list[int], stop: int) -> list[Start] | None: ...
def _starts(lines: list[str], headings: list[Heading], paragraphs: list[int],
            stop: int | None = None) -> list[Start] | None:
    """Region starts: top-level headings and rule markers, in order.

    With `stop` (a window that ends at line `stop`, where a fresh scan begins), a marker still waiting for
    the block it labels cannot be decided here, so the answer is None and the caller scans it all.
    """
    final = stop is None or stop >= len(lines)
    heading_at = {h.line: h for h in headings}
    starts: list[Start] = []
    pending: tuple[int, str] | None = None  # a marker waiting for the heading it labels
    # A setext heading's first line is a paragraph start too, an ATX heading's never: no duplicates
    # (and both lists come in order, so the sort merges two runs).
    n = len(lines)
    for line in sorted(paragraphs + [h.line for h in headings if not h.setext]):
        heading = heading_at.get(line)
        text = lines[line]
        if heading is None:  # a paragraph (most starts): perhaps a rule marker's
            if pending:
                starts.append(Start(pending[0], None, pending[1], pending[0] + 1))
                pending = None
            # (most lines hold no marker: the substring test is far cheaper than strip and match)
            if "r[" in text and (marker := _MARKER.match(text.strip())):
                after = line + 1
                if after >= n or not lines[after].strip() or after in heading_at or (not final and after == stop):
                    pending = (line, marker.group(1))  # it labels the next block
                else:
                    starts.append(_START((line, None, marker.group(1), after)))
            continue
        marker = _MARKER.match(text.strip()) if heading.setext and "r[" in text else None
        if heading.setext and marker:
            # `r[id]` as the first line of a setext heading labels that heading; a marker still waiting
            # for a block is a rule of its own (the heading has its label).
            if pending:
                starts.append(Start(pending[0], None, pending[1], pending[0] + 1))
            text = " ".join(s.strip() for s in lines[line + 1:heading.end - 1])
            heading = Heading(line, heading.end, heading.level, text, True)
            starts.append(Start(line, heading, marker.group(1), heading.end))
            pending = None
            continue
        if pending and all(not lines[k].strip() for k in range(pending[0] + 1, line)):
            starts.append(Start(pending[0], heading, pending[1], heading.end))
        else:
            if pending:
                starts.append(Start(pending[0], None, pending[1], pending[0] + 1))
            starts.append(Start(line, heading, None, heading.end))
        pending = None
    if pending:
        if not final:
            return None
        starts.append(Start(pending[0], None, pending[1], pending[0] + 1))
    return starts


def _window_starts(lines: list[str], w: Window) -> list[Start] | None:
    """Region starts inside a re-scanned window, in document line numbers."""
    headings = [Heading(h.line + w.start, h.end + w.start, h.level, h.text, h.setext) for h in w.scan.headings]
    paragraphs = [p + w.start for p in w.scan.paragraphs]
    return _starts(lines, headings, paragraphs, stop=w.old_end + w.delta)


def _starts_from(lines: list[str], at: int) -> list[Start]:
    """Region starts from line `at` (where a fresh scan may begin, see `rescan.fresh_lines`) to the end."""
    rest = scan(lines[at:])
    headings = [Heading(h.line + at, h.end + at, h.level, h.text, h.setext) for h in rest.headings]
    return _starts(lines, headings, [p + at for p in rest.paragraphs])


def _narrowed(reused: tuple[int, int, int], old: Sequence[Clause], new: Sequence[Clause],
              delta: int) -> tuple[int, int, int]:
    """`reused` without the clauses at either end of the window that came out as they were.

    The window runs between unchanged lines where a clause begins and a fresh scan may begin, which
    can be far apart, so some of its clauses may be the old ones: a clause equal to the old one in
    every field (its start and end lines moved by `delta` after the edit) is reused too, and whoever
    reads the parse (the reader process's wire, ingest) skips it.
    """
    k0, j1, k1 = reused
    while k0 < j1 and k0 < k1 and new[k0] == old[k0]:
        k0 += 1
    while j1 > k0 and k1 > k0:
        o, n = old[k1 - 1], new[j1 - 1]
        if n.start != o.start + delta or n.end != o.end + delta or n[:6] != o[:6] or n[8:] != o[8:]:
            break
        j1, k1 = j1 - 1, k1 - 1
    return k0, j1, k1


def parse(path: str, text: str, previous: ParsedDocument | None = None) -> ParsedDocument:
    """Split a Markdown document into clauses with ids, attributes, parents and bodies.

    Given the previous version's parse, only the changed window is re-scanned (same result).
    """
    lines = normalize(text).split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    builder = ClauseBuilder(lines, document_slug(path), parse_heading, slugify)
    window = None
    if previous is not None and previous.fresh is not None:
        window = rescan(previous.lines, previous.fresh, clause_starts(previous.clauses), lines)
    starts = _window_starts(lines, window) if window is not None else None
    if previous is not None and window is not None and starts is not None and \
            build_with_window(builder, starts, previous.clauses, previous.warnings,
                              (window.start, window.old_end, window.delta), lambda at: _starts_from(lines, at)):
        fresh, reused = window.fresh, builder.reused
        if reused is not None:
            reused = _narrowed(reused, previous.clauses, builder.clauses, len(lines) - len(previous.lines))
        base = previous.serial if reused is not None else None
    else:
        reused = base = None
        builder = ClauseBuilder(lines, document_slug(path), parse_heading, slugify)
        result = scan(lines)
        fresh = fresh_lines(result, lines)
        everything = _starts(lines, result.headings, result.paragraphs)
        builder.add(everything, 0, len(everything))
    return ParsedDocument(path, tuple(builder.clauses), tuple(builder.warnings), tuple(lines), fresh, reused,
                          base=base)

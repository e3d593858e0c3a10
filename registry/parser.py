"""Split one Markdown document into clauses: pure, `(path, text) -> ParsedDocument`."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from registry.blocks import Heading, scan

_MARKER = re.compile(r"r\[([A-Za-z0-9_][A-Za-z0-9_.\-]*)\][ \t]*$")
_ATTR_BLOCK = re.compile(r"[ \t]*\{([^{}]*)\}[ \t]*$")
_ATTR_TOKEN = re.compile(r'\s*(?:#([A-Za-z0-9_][\w.:\-]*)|\.([\w\-]+)|([A-Za-z_][\w\-]*)=("[^"]*"|\'[^\']*\'|[^\s"\']+))')
_CLOSING_HASHES = re.compile(r"(?:^|[ \t]+)#+[ \t]*$")


@dataclass(frozen=True)
class Clause:
    """One clause of a document version."""

    key: str
    title: str
    attributes: tuple[tuple[str, str], ...]
    body: str
    level: int  # heading level 1-6; 0 for a rule-marker paragraph
    parent: str | None
    start: int  # first line of the clause's region (0-based)
    end: int  # line after the region
    explicit: bool


@dataclass(frozen=True)
class ParseWarning:
    """Something odd in a document that did not stop the parse."""

    line: int
    message: str


@dataclass(frozen=True)
class ParsedDocument:
    """A document version split into clauses, in document order."""

    path: str
    clauses: tuple[Clause, ...]
    warnings: tuple[ParseWarning, ...] = field(default=())
    lines: tuple[str, ...] = field(default=(), repr=False, compare=False)


def normalize(text: str) -> str:
    """Drop a BOM and turn CRLF/CR line ends into LF."""
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def slugify(text: str) -> str:
    """A lowercase ASCII slug of a heading title."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug or "section"


def document_slug(path: str) -> str:
    """The document part of a derived id: the path without `.md`, `/` turned into `.`."""
    stem = path[:-3] if path.lower().endswith(".md") else path
    return stem.replace("/", ".")


def parse_heading(text: str) -> tuple[str, str | None, tuple[tuple[str, str], ...]]:
    """Split heading text into (title, explicit id, attributes) from a trailing `{#id k=v}` block."""
    text = text.strip()
    explicit: str | None = None
    attrs: list[tuple[str, str]] = []
    m = _ATTR_BLOCK.search(text)
    if m and _attr_tokens(m.group(1)) is not None:
        explicit, attrs = _attr_tokens(m.group(1))  # type: ignore[misc]
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


@dataclass
class _Start:
    line: int  # first line of the region
    heading: Heading | None
    marker: str | None
    body_from: int  # first line of the body


def _starts(lines: list[str]) -> list[_Start]:
    """Region starts: top-level headings and rule markers, in order."""
    result = scan(lines)
    heading_at = {h.line: h for h in result.headings}
    starts: list[_Start] = []
    pending: tuple[int, str] | None = None  # a marker waiting for the heading it labels
    events = sorted(set(heading_at) | set(result.paragraphs))
    for line in events:
        heading = heading_at.get(line)
        marker = None if heading and not heading.setext else _MARKER.match(lines[line].strip())
        if heading and heading.setext and marker:
            # `r[id]` as the first line of a setext heading labels that heading.
            text = " ".join(l.strip() for l in lines[line + 1:heading.end - 1])
            heading = Heading(line, heading.end, heading.level, text, True)
            starts.append(_Start(line, heading, marker.group(1), heading.end))
            pending = None
            continue
        if heading:
            if pending and all(not lines[k].strip() for k in range(pending[0] + 1, line)):
                starts.append(_Start(pending[0], heading, pending[1], heading.end))
            else:
                if pending:
                    starts.append(_Start(pending[0], None, pending[1], pending[0] + 1))
                starts.append(_Start(line, heading, None, heading.end))
            pending = None
            continue
        if pending:
            starts.append(_Start(pending[0], None, pending[1], pending[0] + 1))
            pending = None
        if marker:
            labels_next_block = line + 1 >= len(lines) or not lines[line + 1].strip() or line + 1 in heading_at
            if labels_next_block:
                pending = (line, marker.group(1))
            else:
                starts.append(_Start(line, None, marker.group(1), line + 1))
    if pending:
        starts.append(_Start(pending[0], None, pending[1], pending[0] + 1))
    return starts


def _body(lines: list[str], start: int, end: int) -> str:
    """The region's lines without surrounding blank lines."""
    while start < end and not lines[start].strip():
        start += 1
    while end > start and not lines[end - 1].strip():
        end -= 1
    return "\n".join(lines[start:end])


def _unique(key: str, taken: dict[str, int]) -> str:
    """A key for a duplicate: `id~2`, `id~3`, ... so its text is kept under a distinct id."""
    n = 2
    while f"{key}~{n}" in taken:
        n += 1
    return f"{key}~{n}"


def parse(path: str, text: str) -> ParsedDocument:
    """Split a Markdown document into clauses with ids, attributes, parents and bodies."""
    lines = normalize(text).split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    starts = _starts(lines)
    doc = document_slug(path)
    clauses: list[Clause] = []
    warnings: list[ParseWarning] = []
    first_line: dict[str, int] = {}
    # Stack of (level, key, slug path) for open headings; rule paragraphs never go on it.
    stack: list[tuple[int, str, tuple[str, ...]]] = []
    for n, s in enumerate(starts):
        end = starts[n + 1].line if n + 1 < len(starts) else len(lines)
        title, explicit, attrs, level = "", None, (), 0
        if s.heading is not None:
            title, explicit, attrs = parse_heading(s.heading.text)
            level = s.heading.level
            while stack and stack[-1][0] >= level:
                stack.pop()
        slugs = (stack[-1][2] if stack else ()) + ((slugify(title),) if s.heading else ())
        key = s.marker or explicit or f"{doc}:{'.'.join(slugs)}"
        parent = stack[-1][1] if stack else None
        if key in first_line:
            warnings.append(ParseWarning(s.line + 1, f"duplicate id {key!r} (first at line {first_line[key]})"))
            key = _unique(key, first_line)
        first_line[key] = s.line + 1
        if s.heading is not None:
            stack.append((level, key, slugs))
        clauses.append(
            Clause(
                key=key,
                title=title,
                attributes=attrs,
                body=_body(lines, s.body_from, end),
                level=level,
                parent=parent,
                start=s.line,
                end=end,
                explicit=bool(s.marker or explicit),
            )
        )
    return ParsedDocument(path, tuple(clauses), tuple(warnings), tuple(lines))

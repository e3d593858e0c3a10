"""Pure: a clause as form fields (title, id, attributes, body) and back, the one way fields become Markdown.

The prose editor sends fields; the stored text is always the Markdown the expert mode would have
written, `## Title {#id authority=system}` then the body, so both modes give the same digest.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from registry.spec.clause_edit import EditError, clean_text
from registry.spec.parser import normalize, parse, slugify

# The authority levels the policy knows; any other value is still an attribute the text may carry.
AUTHORITIES = ("root", "system", "developer", "user", "guideline")
_ID = re.compile(r"[A-Za-z0-9_][\w.:\-]*")
_KEY = re.compile(r"[A-Za-z_][\w\-]*")
_BARE_VALUE = re.compile(r"[^\s\"'{}]+")


@dataclass(frozen=True)
class ClauseFields:
    """A heading clause as the prose editor shows it; `level` is the heading's (1-6)."""

    title: str
    id: str
    attributes: tuple[tuple[str, str], ...]
    body: str
    level: int = 2

    @property
    def authority(self) -> str:
        """The `authority` attribute, "" when there is none."""
        return dict(self.attributes).get("authority", "")

    @property
    def other_attributes(self) -> str:
        """Every attribute but authority, one `key=value` a line (the editor's text box)."""
        return "\n".join(f"{k}={v}" for k, v in self.attributes if k != "authority")


def suggest_id(title: str) -> str:
    """The id to offer a new clause: its title slugged by the rule the parser uses for derived ids ("" for no title)."""
    return slugify(title.strip()) if title.strip() else ""


def _value(key: str, value: str) -> str:
    if _BARE_VALUE.fullmatch(value):
        return value
    if "{" in value or "}" in value or "\n" in value or ('"' in value and "'" in value):
        raise EditError(f"attribute {key}: a value cannot hold braces or a line break, nor both kinds of quote")
    return f"'{value}'" if '"' in value else f'"{value}"'


def _checked(fields: ClauseFields) -> None:
    title = fields.title
    if not title.strip():
        raise EditError("the clause needs a title")
    if "\n" in title or "\r" in title or title != title.strip():
        raise EditError("the clause's title is one line, without spaces around it")
    if not _ID.fullmatch(fields.id):
        raise EditError(f"the clause id {fields.id!r} must start with a letter, digit or _ and hold only "
                        "letters, digits and _ . : -")
    if not 1 <= fields.level <= 6:
        raise EditError(f"a heading level is 1 to 6, not {fields.level}")
    for key, _v in fields.attributes:
        if not _KEY.fullmatch(key):
            raise EditError(f"attribute name {key!r} must start with a letter or _ and hold only letters, "
                            "digits, _ and -")
    if len({k for k, _v in fields.attributes}) != len(fields.attributes):
        raise EditError("an attribute is named twice")


def to_markdown(fields: ClauseFields) -> str:
    """The clause's full Markdown: `## Title {#id key=value ...}`, a blank line, the body.

    EditError names the field when the text would not read back as these fields (a body holding
    another heading, a title the heading syntax would change).
    """
    _checked(fields)
    block = " ".join([f"#{fields.id}", *(f"{k}={_value(k, v)}" for k, v in fields.attributes)])
    heading = f"{'#' * fields.level} {fields.title} {{{block}}}"
    body = normalize(fields.body).strip("\n")
    text = clean_text(heading + ("\n\n" + body if body.strip() else ""))
    try:
        back = from_markdown(text)
    except EditError as exc:
        raise EditError(f"the body holds a heading or a rule marker ({exc.message}); each clause is "
                        "proposed on its own") from None
    if back is None or back.title != fields.title:
        raise EditError(f"the title {fields.title!r} would not read back as written in a heading; "
                        "use the Markdown mode to write it")
    if back.body != canonical_body(fields.body):
        raise EditError("the body would not stay the clause's own text (does it hold a heading or a rule "
                        "marker? each clause is proposed on its own)")
    return text


def canonical_body(body: str) -> str:
    """A body as the parser gives it back: line ends normalized, no blank lines around it."""
    return normalize(body).strip("\n") if normalize(body).strip() else ""


def from_markdown(text: str) -> ClauseFields | None:
    """The fields of a one-clause text with a heading line; None for a rule marker clause or no heading.

    EditError when the text holds more than one clause, as for the Markdown mode.
    """
    text = clean_text(text)
    clauses = parse("proposal.md", text).clauses
    if len(clauses) > 1:
        raise EditError(f"the text holds {len(clauses)} clauses; give exactly one clause")
    # Only an ATX heading with an explicit id is a field form; a rule marker or a setext heading stays Markdown.
    if not clauses or not text.startswith("#") or not clauses[0].explicit:
        return None
    c = clauses[0]
    return ClauseFields(c.title, c.key, tuple(c.attributes), c.body, c.level)


def parse_attributes(authority: str, others: str) -> tuple[tuple[str, str], ...]:
    """The attributes from the editor: the authority choice first, then `key=value` lines in order."""
    pairs = [("authority", authority.strip())] if authority.strip() else []
    for line in normalize(others).split("\n"):
        if not line.strip():
            continue
        key, eq, value = line.strip().partition("=")
        if not eq:
            raise EditError(f"attribute line {line.strip()!r} is not key=value")
        if key.strip() == "authority":
            raise EditError("choose the authority in its own field, not among the other attributes")
        pairs.append((key.strip(), value.strip()))
    return tuple(pairs)

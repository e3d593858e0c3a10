"""The proposal editor's two modes: the prose fields or the clause's Markdown, read from a form or JSON.

Whichever mode the user wrote in, the text proposed is the Markdown `clause_fields.to_markdown` assembles
(the one place fields become a heading line), so both modes store the same text and digest.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from registry import limits
from registry.errors import BadRequest, SpecregError
from registry.spec.clause_edit import EditError, new_clause_id, parse_single
from registry.spec.clause_fields import (
    AUTHORITIES,
    ClauseFields,
    from_markdown,
    parse_attributes,
    suggest_id,
    to_markdown,
)
from registry.spec.worddiff import word_diff
from registry.web.markdown import render_markdown

SWITCHES = ("fields", "markdown")
_TYPED = ("clause_title", "clause_id", "authority", "attributes", "clause_body")  # the no-script toggle: a button that shows the editor in the other mode


@dataclass(frozen=True)
class EditorState:
    """What the editor shows: the mode, each field as typed (or read from the text) and the Markdown."""

    mode: str
    text: str
    has_fields: bool  # False: the text has no field form (a rule marker), only Markdown writes it
    id_fixed: bool
    clause_title: str = ""
    clause_id: str = ""
    authority: str = ""
    attributes: str = ""
    clause_body: str = ""
    level: int = 2
    authorities: tuple[str, ...] = AUTHORITIES


def _get(data: Mapping[str, Any], name: str) -> str:
    value = data.get(name, "")
    return value if isinstance(value, str) else str(value)


def fields_from(data: Mapping[str, Any], fixed_id: str | None = None) -> ClauseFields:
    """The fields posted; a new clause without an id gets the one its title suggests."""
    level = _get(data, "level").strip() or "2"
    if not level.isdigit():
        raise BadRequest(f"level must be a heading level (1 to 6), not {level!r}")
    limits.check_text("the clause's text", _get(data, "clause_body"), limits.CLAUSE_TEXT)
    title = _get(data, "clause_title").strip()
    key = fixed_id or _get(data, "clause_id").strip() or suggest_id(title)
    return ClauseFields(title, key, parse_attributes(_get(data, "authority"), _get(data, "attributes")),
                        _get(data, "clause_body"), int(level))


def posted_text(data: Mapping[str, Any], fixed_id: str | None = None) -> str:
    """The clause's Markdown the user proposes, from whichever mode they wrote in."""
    if _get(data, "mode") == "fields":
        if not any(_get(data, k).strip() for k in _TYPED):
            return ""  # nothing typed yet: the Markdown mode starts empty too
        return to_markdown(fields_from(data, fixed_id))
    return _get(data, "text")


def editor_state(data: Mapping[str, Any], text: str, fixed_id: str | None, level: int | None,
                 refused: bool = False) -> EditorState:
    """The editor in the mode asked for (a toggle's `action`, else the form's `mode`, else fields).

    `text` is the Markdown the form stands for (`posted_text`, or the clause's text on a fresh page);
    fields the user typed are shown as typed, and stay shown when they were `refused` (they made no
    clause yet, so there is no Markdown to switch to). `level` is a new clause's heading level (None:
    its place takes a rule marker, which only Markdown writes).
    """
    action, posted = _get(data, "action"), _get(data, "mode")
    wanted = action if action in SWITCHES else posted or "fields"
    fixed = fixed_id is not None
    if posted == "fields" and (action != "markdown" or refused):
        g = _get
        return EditorState("fields", text, True, fixed, g(data, "clause_title"), g(data, "clause_id"),
                           g(data, "authority"), g(data, "attributes"), g(data, "clause_body"), _level(data, level or 2))
    try:
        fields = from_markdown(text) if text.strip() else None
    except EditError:
        fields = None
    if fields is None and not text.strip() and level and not fixed:
        return EditorState(wanted, text, True, fixed, level=level)
    if fields is None:
        return EditorState("markdown", text, False, fixed)
    return EditorState(wanted, text, True, fixed, **as_json(fields))


def _level(data: Mapping[str, Any], default: int) -> int:
    raw = _get(data, "level").strip()
    return int(raw) if raw.isdigit() else default


def as_json(fields: ClauseFields) -> dict[str, Any]:
    """The fields as the editor shows them (the page, and the live editor's JSON)."""
    return {"clause_title": fields.title, "clause_id": fields.id, "authority": fields.authority,
            "attributes": fields.other_attributes, "clause_body": fields.body, "level": fields.level}


def example_level(example: str) -> int | None:
    """A new clause's heading level from its place's example heading; None where a rule marker goes."""
    return len(example) - len(example.lstrip("#")) if example.startswith("#") else None


def preview_of(key: str, text: str, current_body: str) -> dict[str, Any]:
    """The proposed clause rendered, and a word diff of its body against the current one ("" key: a new clause)."""
    try:
        c = parse_single(text, key or None)
        if not key:
            new_clause_id(text)  # a new clause must name itself; say so while the user types
    except EditError as exc:
        return {"error": exc.message}
    return {"error": None, "title": c.title, "attributes": c.attributes, "html": str(render_markdown(c.body)),
            "diff": [{"op": o.op, "text": o.text} for o in word_diff(current_body, c.body)]}


def live_preview(data: dict[str, Any]) -> dict[str, Any]:
    """The preview, plus the Markdown both modes stand for, its fields and the id a title suggests."""
    key, title = str(data.get("id", "")), str(data.get("clause_title", ""))
    try:
        text = posted_text(data, key or None)
    except SpecregError as exc:
        return {"error": exc.message, "text": None, "fields": None, "suggested_id": suggest_id(title)}
    try:
        fields = from_markdown(text)
    except EditError:
        fields = None
    return preview_of(key, text, str(data.get("body", ""))) | {
        "text": text, "fields": as_json(fields) if fields else None, "suggested_id": suggest_id(title)}

"""One validator for JSON API write bodies: a schema per endpoint, a 400 naming the field that is wrong.

Every write endpoint reads its body through `json_body(SCHEMA)`, so a body that is not an object,
a field of the wrong type or a missing field is refused the same way before any use case runs.
Fields the schema does not name are ignored (clients may send more than an endpoint reads).
"""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import current_app, g, request

from registry import limits
from registry.errors import BadRequest, SpecregError

V = TypeVar("V", bound=Callable[..., Any])

_NAMES = {str: "a string", int: "an integer", bool: "true or false", list: "a list", dict: "an object"}


@dataclass(frozen=True)
class Field:
    """One body field: its JSON type, whether it must be there, its default, allowed values, list items."""

    kind: type
    required: bool = False
    default: Any = None
    choices: tuple[Any, ...] = ()
    items: dict[str, Field] | None = None  # a list of objects, each checked against this schema
    minimum: int | None = None


Schema = dict[str, Field]
NOTHING: Schema = {}  # an endpoint that reads no body still refuses one that is not an object
REASON: Schema = {"reason": Field(str, required=True)}


def _json_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, float):
        return "a number"
    for kind in (bool, int, str, list, dict):  # bool before int: True is an int in Python
        if isinstance(value, kind):
            return _NAMES[kind]
    return type(value).__name__


def _is(value: Any, kind: type) -> bool:
    return isinstance(value, kind) and not (kind is int and isinstance(value, bool))


def _field(name: str, value: Any, f: Field) -> Any:
    if not _is(value, f.kind):
        raise BadRequest(f'"{name}" must be {_NAMES[f.kind]}, not {_json_name(value)}')
    if isinstance(value, str):
        limits.check_clean(f'"{name}"', value)
    if f.choices and value not in f.choices:
        raise BadRequest(f'"{name}" must be one of {", ".join(map(repr, f.choices))}, not {value!r}')
    if f.minimum is not None and value < f.minimum:
        raise BadRequest(f'"{name}" must be at least {f.minimum}, not {value!r}')
    if f.items is not None:
        return [validate(item, f.items, f"{name}[{i}]") for i, item in enumerate(value)]
    return value


def validate(data: Any, schema: Schema, where: str = "") -> dict[str, Any]:
    """The schema's fields from `data` (defaults filled in); BadRequest naming the first field that is wrong."""
    if not isinstance(data, dict):
        what = f'"{where}"' if where else "the body"
        raise BadRequest(f"{what} must be a JSON object, not {_json_name(data)}")
    out: dict[str, Any] = {}
    for name, f in schema.items():
        path = f"{where}.{name}" if where else name
        if data.get(name) is None:  # absent and null mean the same: not given
            if f.required:
                raise BadRequest(f'"{path}" is required ({_NAMES[f.kind]})')
            out[name] = f.default
            continue
        out[name] = _field(path, data[name], f)
    return out


def checked_first(check: Callable[[], None]) -> Callable[[V], V]:
    """Mark a write view whose input `check` validates (pure: no database, no git) before the write lock.

    A write request takes SQLite's write lock with its first query (loading the actor), so a view
    that parses what the user sent (a proposal's texts) has it checked here first, by
    `run_first_check`: a refused JSON request ends with its 400; a refused form goes on read-only,
    and the view shows `refused()`'s error on the page with everything the user typed.
    """
    def mark(view: V) -> V:
        view.check_first = check  # type: ignore[attr-defined]
        return view
    return mark


def run_first_check() -> None:
    """The request's first check, if its view has one (a before_request hook that runs before the actor loads)."""
    check = getattr(current_app.view_functions.get(request.endpoint or ""), "check_first", None)
    if check is None:
        return
    try:
        check()
    except SpecregError as exc:
        if request.path.startswith("/api/"):
            raise
        g.refused, g.read_only_request = exc, True


def read_only_request() -> None:
    """This request changes nothing after all (a form's preview button): it takes no write lock."""
    g.read_only_request = True


def refused() -> None:
    """Raise what the first check refused (a form view calls this where it would call the use case)."""
    if "refused" in g:
        raise g.refused


def json_body(schema: Schema) -> dict[str, Any]:
    """The request's JSON body checked against `schema`; an empty body counts as {}."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        return validate({}, schema)
    if not request.is_json:
        raise BadRequest("send a JSON object (Content-Type: application/json)")
    try:  # parsed here, not by get_json: a literal null must not read as "no JSON at all"
        data = json.loads(raw)
    except ValueError as exc:
        raise BadRequest(f"the body is not valid JSON ({exc}); send a JSON object") from exc
    return validate(data, schema)

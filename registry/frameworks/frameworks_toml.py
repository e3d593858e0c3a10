"""Parse frameworks.toml (pure: text in, frameworks, the clause map and problems out).

```toml
[frameworks.demo-act]
title = "Demo AI Act"
items = { "art-9" = "Risk management", "art-14" = "Human oversight" }

[map]
"chain_of_command" = ["demo-act:art-14"]
"lex.*" = ["demo-act:art-9"]
```

A `[map]` key is a clause id or an id pattern, matched by the same rule as OWNERS.toml's keys
(`registry.owners.owners_toml.id_matches`); unlike ownership, where the most specific key wins,
a clause answers the items of every key that names it. A bad part of the file is a problem and is
left out (an item reference naming an unknown framework or item, a value of the wrong type);
only a file that is not TOML at all, or whose tables are not tables, is invalid. A governance
proposal must have no problem at all (registry.proposals.governance).
"""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from typing import Any

from registry.owners.owners_toml import entry_kind, id_matches, key_lines

FRAMEWORKS_PATH = "frameworks.toml"
# Framework names and item ids go into URLs and "framework:item" references: no ':' '/' or spaces.
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
MAX_TITLE = 300
_TABLES = ("frameworks", "map")
_FRAMEWORK_KEYS = ("title", "items")


@dataclass(frozen=True)
class Item:
    """One obligation of a framework: an article, a function, a control."""

    id: str
    title: str


@dataclass(frozen=True)
class Framework:
    """An external framework and its items, in file order."""

    name: str
    title: str
    items: tuple[Item, ...]

    def item(self, item_id: str) -> Item | None:
        """The item with this id, or None."""
        return next((i for i in self.items if i.id == item_id), None)


@dataclass(frozen=True)
class ItemRef:
    """`framework:item`, as a `[map]` value names it."""

    framework: str
    item: str

    def __str__(self) -> str:
        return f"{self.framework}:{self.item}"


@dataclass(frozen=True)
class MapEntry:
    """One `[map]` key (a clause id or an id pattern) and the items it answers."""

    key: str
    refs: tuple[ItemRef, ...]
    line: int | None = None

    def names(self, clause_id: str) -> bool:
        """True when this key names the clause (its id, or a pattern matching it)."""
        return id_matches(self.key, clause_id)


@dataclass
class FrameworksFile:
    """What one version of frameworks.toml says; `valid` is False when it cannot be read at all."""

    valid: bool = True
    frameworks: dict[str, Framework] = field(default_factory=dict)
    entries: list[MapEntry] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def items_of(self, clause_id: str) -> list[ItemRef]:
        """Every item the clause answers, through every key that names it, each once, in file order."""
        found = [r for e in self.entries if e.names(clause_id) for r in e.refs]
        return list(dict.fromkeys(found))


def parse_frameworks(text: str) -> FrameworksFile:
    """Parse the file; never raises."""
    try:
        data = tomllib.loads(text.lstrip("\ufeff"))
    except tomllib.TOMLDecodeError as exc:
        return FrameworksFile(valid=False, problems=[f"frameworks.toml does not parse ({exc})"])
    out = FrameworksFile()
    for name in data:
        if name not in _TABLES:
            out.problems.append(f"unknown table [{name}] (expected [frameworks.NAME] and [map])")
    frameworks, mapping = data.get("frameworks", {}), data.get("map", {})
    for table, value in (("frameworks", frameworks), ("map", mapping)):
        if not isinstance(value, dict):
            out.valid = False
            out.problems.append(f"{table} must be a table, not {_type(value)}")
    if not out.valid:
        return out
    for name, value in frameworks.items():
        framework = _framework(out, name, value)
        if framework is not None:
            out.frameworks[name] = framework
    lines = key_lines(text)
    for key, value in mapping.items():
        entry = _entry(out, key, value, lines.get(("map", key)))
        if entry is not None:
            out.entries.append(entry)
    return out


def _type(value: object) -> str:
    """A TOML value's kind in words, for messages."""
    names = {str: "a string", bool: "a boolean", int: "an integer", float: "a number", list: "an array",
             dict: "a table"}
    return next((n for t, n in names.items() if type(value) is t), "a date or time")


def _title(value: object) -> str | None:
    """A usable title: a non-empty string of at most MAX_TITLE characters without line breaks."""
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_TITLE:
        return None
    return None if any(c in value for c in "\r\n\x00") else value.strip()


def _framework(out: FrameworksFile, name: str, value: object) -> Framework | None:
    where = f"[frameworks.{name}]"
    if not NAME.fullmatch(name):
        out.problems.append(f"{where}: a framework name is letters, digits, '-', '_' and '.' (at most 64); ignored")
        return None
    if not isinstance(value, dict):
        out.problems.append(f"frameworks.{name} must be a table with title and items, not {_type(value)}; ignored")
        return None
    for key in sorted(set(value) - set(_FRAMEWORK_KEYS)):
        out.problems.append(f"{where}: unknown key {key!r} (known: {', '.join(_FRAMEWORK_KEYS)})")
    title = _title(value.get("title"))
    if title is None:
        out.problems.append(f"{where}: title must be a non-empty string of one line (at most {MAX_TITLE} "
                            "characters); the name stands in")
    items = value.get("items", {})
    if not isinstance(items, dict):
        out.problems.append(f"{where}: items must be a table of item id = title, not {_type(items)}")
        items = {}
    return Framework(name, title or name, tuple(_items(out, where, items)))


def _items(out: FrameworksFile, where: str, items: dict[str, Any]) -> list[Item]:
    found = []
    for item_id, value in items.items():
        title = _title(value)
        if not NAME.fullmatch(item_id):
            out.problems.append(f"{where}: item id {item_id!r} is not letters, digits, '-', '_' and '.' "
                                "(at most 64); ignored")
        elif title is None:
            out.problems.append(f"{where}: item {item_id!r} needs a title (a non-empty string of one line); ignored")
        else:
            found.append(Item(item_id, title))
    return found


def _entry(out: FrameworksFile, key: str, value: object, line: int | None) -> MapEntry | None:
    where = f"[map] {key!r}" + (f" (line {line})" if line else "")
    if isinstance(value, dict):
        out.problems.append(f"{where} is a table, not a list of items (quote keys that contain dots, "
                            'e.g. "lex.truth"); ignored')
        return None
    if entry_kind(key) == "document":
        out.problems.append(f"{where}: keys are clause ids or id patterns, not document paths; ignored")
        return None
    if not isinstance(value, list) or not value:
        out.problems.append(f'{where} must be a non-empty list of "framework:item" strings; ignored')
        return None
    refs = [r for r in (_ref(out, where, v) for v in value) if r is not None]
    return MapEntry(key, tuple(dict.fromkeys(refs)), line) if refs else None


def _ref(out: FrameworksFile, where: str, value: object) -> ItemRef | None:
    """A `framework:item` reference naming a known framework and one of its items."""
    if not isinstance(value, str) or value.count(":") != 1:
        out.problems.append(f'{where}: {value!r} is not "framework:item"; ignored')
        return None
    name, item = value.split(":")
    framework = out.frameworks.get(name)
    if framework is None:
        known = ", ".join(out.frameworks) or "none"
        out.problems.append(f"{where}: unknown framework {name!r} (known: {known}); ignored")
        return None
    if framework.item(item) is None:
        known = ", ".join(i.id for i in framework.items) or "none"
        out.problems.append(f"{where}: framework {name!r} has no item {item!r} (its items: {known}); ignored")
        return None
    return ItemRef(name, item)

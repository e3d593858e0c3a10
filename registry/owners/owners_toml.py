"""Parse OWNERS.toml (pure: text in, entries and warnings with line numbers out).

A bad part of the file is a warning and is left out; everything else still applies. Only a file
that is not TOML at all gives no entries, and ingest then keeps the previous ownership.
"""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any

from registry.errors import BadIdentity
from registry.person_ident import check_identity

OWNERS_PATH = "OWNERS.toml"
TEAM_PREFIX = "team:"
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+")
_TABLE = re.compile(r"^\s*\[\s*([A-Za-z0-9_-]+)\s*\]\s*(#.*)?$")
_KEY = re.compile(r"""^\s*("(?:[^"\\]|\\.)*"|'[^']*'|[A-Za-z0-9_.*:-]+)\s*=""")
_TOML_LINE = re.compile(r"at line (\d+)")
_TABLES = ("people", "teams", "owners")


@dataclass(frozen=True)
class FileWarning:
    """A problem in the file, with the 1-based line it is on (None: the whole file)."""

    message: str
    line: int | None = None


@dataclass(frozen=True)
class Entry:
    """One `[owners]` key: who owns what it names, and whether inherited owners are added."""

    key: str
    owners: tuple[str, ...]  # emails and "team:NAME"
    inherit: bool = False
    line: int | None = None

    @property
    def kind(self) -> str:
        """default (`*`), document (a path), pattern (an id glob) or clause (one id)."""
        return entry_kind(self.key)


@dataclass
class OwnersFile:
    """What one version of OWNERS.toml says; `valid` is False when it is not TOML at all."""

    valid: bool = True
    people: dict[str, str] = field(default_factory=dict)  # email -> display name
    teams: dict[str, tuple[str, ...]] = field(default_factory=dict)  # name -> member emails
    entries: list[Entry] = field(default_factory=list)
    warnings: list[FileWarning] = field(default_factory=list)
    lines: dict[tuple[str, str], int] = field(default_factory=dict)

    def line_of(self, table: str, key: str) -> int | None:
        """The line a key of a table is written on, when the scanner found it."""
        if (table, key) in self.lines:
            return self.lines[(table, key)]
        # A dotted bare key (lex.truth = ...) reaches us as its first part.
        return next((n for (t, k), n in self.lines.items() if t == table and k.startswith(key + ".")), None)


def entry_kind(key: str) -> str:
    """Classify an `[owners]` key; ids never contain `/`, so a path is a document."""
    if key == "*":
        return "default"
    if "/" in key or key.lower().endswith(".md"):
        return "document"
    if "*" in key or "?" in key:
        return "pattern"
    return "clause"


def id_matches(key: str, clause_id: str) -> bool:
    """Whether an id key names a clause: the one id itself, or a pattern (`*`, `?`) over whole ids.

    The one pattern rule for every file that keys clauses by id (OWNERS.toml, frameworks.toml).
    A key without `*` or `?` is an exact id even when it holds `[` (fnmatch would read a class).
    """
    if entry_kind(key) in ("pattern", "default"):
        return fnmatchcase(clause_id, key)
    return key == clause_id


def key_lines(text: str) -> dict[tuple[str, str], int]:
    """(table, key) -> line number, from a line scan (tomllib reports no positions)."""
    found: dict[tuple[str, str], int] = {}
    table = ""
    for number, line in enumerate(text.lstrip("\ufeff").splitlines(), start=1):
        header = _TABLE.match(line)
        if header:
            table = header.group(1)
            found.setdefault(("", table), number)
            continue
        key = _KEY.match(line)
        if key:
            raw = key.group(1)
            found.setdefault((table, _unquote(raw)), number)
    return found


def _unquote(raw: str) -> str:
    if raw[0] == '"':
        try:
            return str(tomllib.loads(f"k = {raw}")["k"])
        except tomllib.TOMLDecodeError:
            return raw[1:-1]
    return raw[1:-1] if raw[0] == "'" else raw


def parse_owners(text: str) -> OwnersFile:
    """Parse the file; never raises."""
    try:
        data = tomllib.loads(text.lstrip("\ufeff"))
    except tomllib.TOMLDecodeError as exc:
        where = _TOML_LINE.search(str(exc))
        line = int(where.group(1)) if where else len(text.splitlines()) or None  # "at end of document"
        message = f"OWNERS.toml does not parse ({exc}); the previous ownership stays in force"
        return OwnersFile(valid=False, warnings=[FileWarning(message, line)])
    out = OwnersFile(lines=key_lines(text))
    for name in data:
        if name not in _TABLES:
            out.warnings.append(FileWarning(f"unknown table [{name}] ignored (expected "
                                            "[people], [teams], [owners])", out.line_of("", name)))
    _people(out, _table(out, data, "people"))
    _teams(out, _table(out, data, "teams"))
    _entries(out, _table(out, data, "owners"))
    return out


def _table(out: OwnersFile, data: dict[str, Any], name: str) -> dict[str, Any]:
    value = data.get(name, {})
    if not isinstance(value, dict):
        out.warnings.append(FileWarning(f"{name} must be a table; ignored", out.line_of("", name)))
        return {}
    return value


def _identity_problem(name: str | None = None, email: str | None = None) -> str | None:
    """Why this name or email cannot name a person (see registry.person_ident), or None."""
    try:
        check_identity(name, email)
    except BadIdentity as exc:
        return exc.message
    return None


def _is_email(value: object) -> bool:
    """An email address that can safely name a person (no line breaks, no `<`/`>`)."""
    return isinstance(value, str) and bool(_EMAIL.fullmatch(value)) and _identity_problem(email=value) is None


def _people(out: OwnersFile, table: dict[str, Any]) -> None:
    for email, name in table.items():
        line = out.line_of("people", email)
        if not _is_email(email):
            out.warnings.append(FileWarning(f"[people] key {email!r} is not an email address; ignored", line))
        elif isinstance(name, str) and (problem := _identity_problem(name.strip())):
            out.warnings.append(FileWarning(f"[people] {email}: {problem}; entry ignored", line))
        elif not isinstance(name, str) or not name.strip():
            out.warnings.append(FileWarning(f"[people] {email}: the display name must be a string", line))
            out.people[email.lower()] = email.lower()
        else:
            out.people[email.lower()] = name.strip()


def _teams(out: OwnersFile, table: dict[str, Any]) -> None:
    for name, members in table.items():
        line = out.line_of("teams", name)
        if not isinstance(members, list):
            out.warnings.append(FileWarning(f"team {name!r}: members must be a list of emails; ignored", line))
            continue
        emails = []
        for m in members:
            if _is_email(m):
                emails.append(_known(out, m.lower(), line))
            else:
                out.warnings.append(FileWarning(f"team {name!r}: member {m!r} is not an email; ignored", line))
        out.teams[name] = tuple(dict.fromkeys(emails))


def _known(out: OwnersFile, email: str, line: int | None) -> str:
    """An email that should be in [people]; a stranger is a warning but still counts."""
    if email not in out.people:
        out.warnings.append(FileWarning(f"{email} is not listed in [people]", line))
    return email


def _entries(out: OwnersFile, table: dict[str, Any]) -> None:
    for key, value in table.items():
        line = out.line_of("owners", key)
        owners, inherit = value, False
        if isinstance(value, dict) and not {"owners", "inherit"} & set(value):
            out.warnings.append(FileWarning(f"{key!r} is a table, not an entry (quote keys that "
                                            'contain dots, e.g. "lex.truth"); ignored', line))
            continue
        if isinstance(value, dict):
            unknown = set(value) - {"owners", "inherit"}
            if unknown:
                out.warnings.append(FileWarning(f"{key!r}: unknown field(s) {sorted(unknown)} ignored", line))
            owners, inherit = value.get("owners", []), value.get("inherit", False)
            if not isinstance(inherit, bool):
                out.warnings.append(FileWarning(f"{key!r}: inherit must be true or false", line))
                inherit = False
        if not isinstance(owners, list):
            out.warnings.append(FileWarning(f"{key!r}: owners must be a list; entry ignored", line))
            continue
        if "/" in key and ("*" in key or "?" in key):
            out.warnings.append(FileWarning(f"{key!r}: patterns match clause ids, not paths; entry ignored", line))
            continue
        refs = _owner_refs(out, key, owners, line)
        if owners and not refs:  # every owner was bad: fall back to inheritance, not to nobody
            out.warnings.append(FileWarning(f"{key!r}: no valid owner left; entry ignored", line))
            continue
        out.entries.append(Entry(key, tuple(refs), inherit, line))


def _owner_refs(out: OwnersFile, key: str, owners: list[Any], line: int | None) -> list[str]:
    refs: list[str] = []
    for ref in owners:
        if isinstance(ref, str) and ref.startswith(TEAM_PREFIX):
            if ref[len(TEAM_PREFIX):] in out.teams:
                refs.append(ref)
            else:
                out.warnings.append(FileWarning(f"{key!r}: unknown team {ref[len(TEAM_PREFIX):]!r}", line))
        elif _is_email(ref):
            refs.append(_known(out, ref.lower(), line))
        else:
            out.warnings.append(FileWarning(f"{key!r}: owner {ref!r} is neither an email nor "
                                            "team:NAME; ignored", line))
    return list(dict.fromkeys(refs))

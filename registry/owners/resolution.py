"""Ownership resolution (pure): which owners an OWNERS version and registry assignments give a clause.

Order, most specific first: the clause's own id, an id pattern (longest first), the nearest ancestor
clause with an entry, its document, then "*". An entry with `inherit = true` adds what the clause
would otherwise have inherited. Registry assignments add owners on top of the file's; they are
not inherited by child clauses. Teams expand to their members; each person appears once.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from registry.owners.owners_toml import TEAM_PREFIX, Entry, id_matches


@dataclass(frozen=True)
class Node:
    """What resolution needs of a clause: its id, document and parent's id."""

    key: str
    document: str
    parent: str | None = None


@dataclass(frozen=True)
class Grant:
    """An owner (email or team:NAME) and the entry it came from."""

    ref: str
    origin: str  # clause, document, default or registry
    where: str  # the clause id or document path carrying the entry ("*" for the default)
    entry: str  # the OWNERS key that matched (an id or a pattern); "" for others


@dataclass(frozen=True)
class Owner:
    """One person owning a clause, through which team (or none), from which source."""

    email: str
    team: str | None
    source: str


@dataclass
class Rules:
    """One OWNERS version, indexed for resolution."""

    by_id: dict[str, Entry] = field(default_factory=dict)
    patterns: list[Entry] = field(default_factory=list)  # longest first
    documents: dict[str, Entry] = field(default_factory=dict)
    default: Entry | None = None
    teams: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @classmethod
    def build(cls, entries: Iterable[Entry], teams: Mapping[str, Sequence[str]] | None = None) -> Rules:
        """Index entries by kind; a repeated key keeps its first entry (TOML forbids repeats anyway)."""
        rules = cls(teams={k: tuple(v) for k, v in (teams or {}).items()})
        for e in entries:
            if e.kind == "default":
                rules.default = rules.default or e
            elif e.kind == "document":
                rules.documents.setdefault(e.key, e)
            elif e.kind == "pattern":
                rules.patterns.append(e)
            else:
                rules.by_id.setdefault(e.key, e)
        rules.patterns.sort(key=lambda e: -len(e.key))  # stable: equal lengths keep file order
        return rules

    def entry_for(self, key: str) -> Entry | None:
        """The clause's own entry: its id, else the longest matching pattern."""
        if key in self.by_id:
            return self.by_id[key]
        return next((p for p in self.patterns if id_matches(p.key, key)), None)


class Resolver:
    """Resolves clauses of one snapshot (nodes by id); results are memoized per clause."""

    def __init__(self, rules: Rules, nodes: Mapping[str, Node]) -> None:
        self.rules, self.nodes = rules, nodes
        self._memo: dict[str, list[Grant]] = {}

    def grants(self, key: str) -> list[Grant]:
        """The file's grants for a clause, most specific first."""
        if key not in self._memo:
            self._memo[key] = []  # a parent cycle (never expected) ends at nobody, not recursion
            self._memo[key] = self._resolve(self.nodes[key])
        return self._memo[key]

    def _resolve(self, node: Node) -> list[Grant]:
        entry = self.rules.entry_for(node.key)
        if entry is None:
            return self._inherited(node)
        own = [Grant(ref, "clause", node.key, entry.key) for ref in entry.owners]
        return own + (self._inherited(node) if entry.inherit else [])

    def _inherited(self, node: Node) -> list[Grant]:
        if node.parent is not None and node.parent in self.nodes:
            return self.grants(node.parent)
        default = self._default()
        doc = self.rules.documents.get(node.document)
        if doc is None:
            return default
        own = [Grant(ref, "document", doc.key, doc.key) for ref in doc.owners]
        return own + (default if doc.inherit else [])

    def _default(self) -> list[Grant]:
        d = self.rules.default
        return [Grant(ref, "default", "*", "*") for ref in d.owners] if d else []

    def owners(self, key: str, assigned: Sequence[str] = ()) -> list[Owner]:
        """Effective owners: file grants then registry assignments, teams expanded, one row a person."""
        extra = [Grant(ref, "registry", key, "") for ref in assigned]
        return expand(self.grants(key) + extra, self.rules.teams, key)


def source_label(grant: Grant, key: str) -> str:
    """Where an owner came from, as seen from clause `key` (the `source` field of the JSON)."""
    if grant.origin == "clause" and grant.where == key:
        return "explicit" if grant.entry == key else f"pattern:{grant.entry}"
    if grant.origin == "clause":
        return f"clause:{grant.where}"
    if grant.origin == "document":
        return f"document:{grant.where}"
    return "*" if grant.origin == "default" else "registry"


def expand(grants: Iterable[Grant], teams: Mapping[str, Sequence[str]], key: str) -> list[Owner]:
    """Grants to people: a team becomes its members; the first (most specific) grant of a person wins."""
    out: dict[str, Owner] = {}
    for g in grants:
        source = source_label(g, key)
        if g.ref.startswith(TEAM_PREFIX):
            team = g.ref[len(TEAM_PREFIX):]
            for email in teams.get(team, ()):
                out.setdefault(email, Owner(email, team, source))
        else:
            out.setdefault(g.ref, Owner(g.ref, None, source))
    return list(out.values())


def describe_source(source: str) -> str:
    """A source label in words, for people."""
    kind, _, rest = source.partition(":")
    return {
        "explicit": "explicit entry",
        "pattern": f"id pattern {rest}",
        "clause": f"inherited from clause {rest}",
        "document": f"inherited from document {rest}",
        "*": "repo default (*)",
        "registry": "registry assignment",
    }.get(kind, source)

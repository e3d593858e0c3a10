"""Read use cases for owners: who owns a clause (at a point), what someone owns, what nobody owns."""
from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from registry.audit.events import kept_while_standing
from registry.errors import UnknownVersion
from registry.history.queries import ClauseSummary, clause_summaries, find_clause
from registry.ledger.refs import Point, iso
from registry.owners.history import OwnershipChange, ownership_at, ownership_history, since_of
from registry.owners.owners_toml import TEAM_PREFIX
from registry.owners.resolution import Grant, Node, Owner, Resolver, Rules, source_label
from registry.owners.store import OwnerRef, OwnersStore, moment_of, owners_store
from registry.transaction.kept import KeptAnswers


def point_dict(point: Point) -> dict[str, str]:
    """The `at` field of every owners JSON answer."""
    return {"ref": point.ref, "commit": point.sha}


@dataclass(frozen=True)
class OwnerView:
    """One effective owner of a clause, with a display name and since when they own it."""

    name: str
    email: str
    team: str | None
    source: str
    since: datetime | None

    def as_dict(self) -> dict[str, Any]:
        """The JSON item: name, email, team, source, since."""
        return {"name": self.name, "email": self.email, "team": self.team, "source": self.source,
                "since": iso(self.since)}


@dataclass(frozen=True)
class ClauseOwners:
    """`who-owns`: a clause's effective owners at a point (and the history they were derived from)."""

    id: str
    at: Point
    owners: list[OwnerView]
    history: list[OwnershipChange]

    def as_dict(self) -> dict[str, Any]:
        """{"id", "at", "owners": [...]}."""
        return {"id": self.id, "at": point_dict(self.at), "owners": [o.as_dict() for o in self.owners]}


@dataclass(frozen=True)
class OwnedClause:
    """A clause someone owns, and how."""

    clause: ClauseSummary
    source: str
    team: str | None

    def as_dict(self) -> dict[str, Any]:
        """The JSON item."""
        return {"id": self.clause.id, "title": self.clause.title, "document": self.clause.document,
                "source": self.source, "team": self.team}


@dataclass(frozen=True)
class OwnedBy:
    """`owned-by`: every clause a person or a team owns at a point."""

    owner: OwnerRef
    display: str
    at: Point
    clauses: list[OwnedClause]

    def as_dict(self) -> dict[str, Any]:
        """{"owner", "kind", "name", "at", "clauses": [...]}."""
        return {"owner": self.owner.ref, "kind": self.owner.kind, "name": self.display,
                "at": point_dict(self.at), "clauses": [c.as_dict() for c in self.clauses]}


@dataclass(frozen=True)
class Unowned:
    """`unowned`: clauses with no owner at a point, and their share of the spec."""

    at: Point
    total: int
    clauses: list[ClauseSummary]
    text_share: float

    @property
    def share(self) -> float:
        """Unowned clauses as a fraction of all clauses."""
        return len(self.clauses) / self.total if self.total else 0.0

    def as_dict(self) -> dict[str, Any]:
        """{"at", "total", "unowned", "share", "text_share", "clauses": [...]}."""
        return {"at": point_dict(self.at), "total": self.total, "unowned": len(self.clauses),
                "share": round(self.share, 4), "text_share": round(self.text_share, 4),
                "clauses": [c.summary() for c in self.clauses]}


# A clause's owners at a point change only with an ingest (OWNERS.toml, the clause or an ancestor
# placed elsewhere, a rewrite), a registry assignment or an account change (a display name), and each
# of those moves audit.newest_standing_event: an answer holds until it moves (shared: read only).
_owners: KeptAnswers[ClauseOwners] = KeptAnswers(1024, budget=16 << 20)  # 16 MB


def who_owns(session: Session, key: str, point: Point) -> ClauseOwners:
    """The clause's effective owners at the point: sources, since-dates and the history behind them."""
    clause_id = find_clause(session, key).id
    moment = moment_of(session, point)
    return kept_while_standing(_owners, session, (clause_id, point, moment),
                               lambda: _who_owns(session, key, clause_id, point, moment))


def _who_owns(session: Session, key: str, clause_id: int, point: Point, moment: datetime | None) -> ClauseOwners:
    store = OwnersStore(session)
    # One resolution at the point serves the owners and the history's last state.
    ownership = ownership_at(session, clause_id, point.seq, moment, store)
    if ownership.at_point is None:
        raise UnknownVersion(f"clause {key!r} did not exist at {point.ref} ({point.sha[:12]})")
    current_key, owners = ownership.at_point
    history = ownership.history
    views = [OwnerView(store.name_of(o.email), o.email, o.team, o.source, since_of(history, o.email))
             for o in owners]
    return ClauseOwners(current_key, point, views, history)


def clause_ownership_history(session: Session, key: str, point: Point) -> list[OwnershipChange]:
    """Every change of the clause's effective owners up to the point, oldest first."""
    clause = find_clause(session, key)
    return ownership_history(session, clause.id, point.seq, moment_of(session, point))


@dataclass(frozen=True)
class Snapshot:
    """Every clause at a point with its file grants and effective owners (shared between requests: read only)."""

    views: list[ClauseSummary]
    grants: dict[str, list[Grant]]
    owners: dict[str, list[Owner]]
    # What the grants and owners were resolved from (`_resolve_all`): an answer derived from the
    # resolution and the views' outline alone may be kept under it, across heads, as the resolution is.
    inputs: Hashable


# Resolving every clause was most of each owner page's time at 3,000 clauses. A point's clauses and
# OWNERS.toml never change once ingested (a rewrite is audited), and assignments and people change only
# with an audited ingest or use case: a snapshot holds until audit.newest_standing_event moves.
_snapshots: KeptAnswers[Snapshot] = KeptAnswers(8)

Resolution = tuple[dict[str, list[Grant]], dict[str, list[Owner]]]  # grants and owners by clause id
# The resolution itself depends on the OWNERS version in force (its entries and teams never change), the
# registry assignments and the outline (each clause's lineage, id, document and parent), not on texts or
# on the audit chain. Most commits change none of those, so the snapshot of a new head reuses the last
# resolution: the key is those inputs themselves, compared by value (shared: read only).
_resolutions: KeptAnswers[Resolution] = KeptAnswers(4)


def snapshot(session: Session, point: Point, store: OwnersStore | None = None) -> Snapshot:
    """Resolve every clause in force at the point (or the same, kept from an earlier request)."""
    moment = moment_of(session, point)
    return kept_while_standing(_snapshots, session, (point.seq, moment),
                               lambda: _resolve_all(session, point, moment, store or owners_store(session)))


def _resolve_all(session: Session, point: Point, moment: datetime | None, store: OwnersStore) -> Snapshot:
    views = clause_summaries(session, point)
    assigned = store.assigned(moment)
    inputs = (store.version_key(point.seq), tuple(sorted((cid, tuple(refs)) for cid, refs in assigned.items())),
              tuple((v.clause_id, v.id, v.document, v.parent) for v in views))
    grants, owners = _resolutions.get(session, inputs, lambda: _resolve(views, store.rules_at(point.seq), assigned))
    return Snapshot(views, grants, owners, inputs)


def _resolve(views: list[ClauseSummary], rules: Rules, assigned: dict[int, list[str]]) -> Resolution:
    resolver = Resolver(rules, {v.id: Node(v.id, v.document, v.parent) for v in views})
    grants, owners = {}, {}
    for v in views:
        extra = assigned.get(v.clause_id, [])
        grants[v.id] = resolver.grants(v.id) + [Grant(r, "registry", v.id, "") for r in extra]
        owners[v.id] = resolver.owners(v.id, extra)
    return grants, owners


def owned_by(session: Session, who: str, point: Point) -> OwnedBy:
    """Every clause a person (directly or through a team) or a team owns at the point."""
    store = owners_store(session)
    owner = store.find_owner(who)
    snap = snapshot(session, point, store)
    found: list[OwnedClause] = []
    for v in snap.views:
        if owner.kind == "person":
            mine = [o for o in snap.owners[v.id] if o.email == owner.name]
            found += [OwnedClause(v, mine[0].source, mine[0].team)] if mine else []
        else:
            mine_g = [g for g in snap.grants[v.id] if g.ref == owner.ref]
            found += [OwnedClause(v, source_label(mine_g[0], v.id), owner.name)] if mine_g else []
    display = store.name_of(owner.name) if owner.kind == "person" else f"team {owner.name}"
    return OwnedBy(owner, display, point, found)


def unowned(session: Session, point: Point) -> Unowned:
    """Clauses nobody owns at the point, with their share of clauses and of the spec's text."""
    snap = snapshot(session, point)
    bare = [v for v in snap.views if not snap.owners[v.id]]
    text = sum(v.length for v in snap.views)
    share = sum(v.length for v in bare) / text if text else 0.0
    return Unowned(point, len(snap.views), bare, share)


@dataclass(frozen=True)
class OwnerSummary:
    """A person or team and how many clauses they own at a point."""

    ref: str  # email or team:NAME
    kind: str
    name: str
    active: bool
    clauses: int

    def as_dict(self) -> dict[str, Any]:
        """The JSON item of the owners index."""
        return {"owner": self.ref, "kind": self.kind, "name": self.name, "active": self.active,
                "clauses": self.clauses}


Counts = tuple[dict[str, int], dict[str, int]]  # clauses per person (by email) and per team (by team:NAME)
# The counts follow from the resolution and the outline alone, so they are kept by the resolution's
# inputs too: the owners index after a push that edits texts counts nothing again (shared: read only).
_counts: KeptAnswers[Counts] = KeptAnswers(4)


def owner_index(session: Session, point: Point) -> list[OwnerSummary]:
    """Every person and team ever known, with their clause counts at the point (people first)."""
    store = owners_store(session)
    snap = snapshot(session, point, store)
    per_person, per_team = _counts.get(session, snap.inputs, lambda: _count(snap))
    people = [OwnerSummary(p.email, "person", p.name, p.active, per_person.get(p.email, 0))
              for p in sorted(store.people().values(), key=lambda p: p.name.lower())]
    teams = [OwnerSummary(TEAM_PREFIX + name, "team", name, True, per_team.get(TEAM_PREFIX + name, 0))
             for name in store.team_names()]
    return people + teams


def _count(snap: Snapshot) -> Counts:
    per_person: dict[str, int] = {}
    per_team: dict[str, int] = {}
    for v in snap.views:
        for email in {o.email for o in snap.owners[v.id]}:
            per_person[email] = per_person.get(email, 0) + 1
        for ref in {g.ref for g in snap.grants[v.id] if g.ref.startswith(TEAM_PREFIX)}:
            per_team[ref] = per_team.get(ref, 0) + 1
    return per_person, per_team

"""Ownership history of one clause: every change of its effective owners, when and why.

Owners can change at a commit (OWNERS.toml changed, the clause or an ancestor moved or was renamed)
or at a registry assignment. We evaluate the clause at each such event and keep the ones where the
result differs from the one before.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from registry.ledger.refs import iso
from registry.models import ClauseVersion, Commit, OwnerAssignment, OwnersVersion, Person, Team
from registry.owners.owners_toml import TEAM_PREFIX
from registry.owners.resolution import Owner
from registry.owners.store import OwnersStore


@dataclass(frozen=True)
class OwnershipChange:
    """The clause's owners after one event that changed them."""

    date: datetime
    kind: str  # commit or assignment
    commit: str  # the commit (for an assignment: the commit in force when it was made)
    why: str  # the commit's subject, or what the assignment did and its reason
    by: str  # the commit's author, or the person who made the assignment
    id: str | None  # the clause's id then (None once it was removed)
    owners: tuple[Owner, ...]
    added: tuple[str, ...]
    removed: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        """The JSON item of an ownership history."""
        return {"date": iso(self.date), "kind": self.kind, "commit": self.commit, "why": self.why,
                "by": self.by, "id": self.id, "added": list(self.added), "removed": list(self.removed),
                "owners": [{"email": o.email, "team": o.team, "source": o.source} for o in self.owners]}


@dataclass(frozen=True)
class _Event:
    order: tuple[datetime, int, int]
    seq: int
    moment: datetime
    commit: Commit
    assignment: OwnerAssignment | None = None


def _lineages(session: Session, clause_id: int) -> set[int]:
    """The clause and every lineage that was ever its ancestor."""
    ids, frontier = {clause_id}, {clause_id}
    while frontier:
        parents = {p for p in session.scalars(
            select(ClauseVersion.parent_id).distinct()
            .where(ClauseVersion.clause_id.in_(frontier), ClauseVersion.parent_id.is_not(None),
                   ClauseVersion.live)) if p is not None}
        frontier = parents - ids
        ids |= frontier
    return ids


def _commit_events(session: Session, clause_id: int, seq: int) -> list[_Event]:
    lineages = _lineages(session, clause_id)
    # Resolution reads only ids, documents and parents: a body, title or attribute edit of the
    # clause or an ancestor cannot change its owners, and evaluating one costs several queries.
    placed = or_(*(ClauseVersion.changes.contains(kind) for kind in ("added", "removed", "renamed", "moved")))
    seqs = select(ClauseVersion.seq).where(ClauseVersion.clause_id.in_(lineages), ClauseVersion.live, placed)
    owners = select(OwnersVersion.seq).where(OwnersVersion.live)
    commits = session.scalars(select(Commit).where(
        Commit.seq <= seq, Commit.live, Commit.seq.in_(seqs.union(owners))
    ).order_by(Commit.seq))
    events, clock = [], None
    for c in commits:
        clock = c.committed_at if clock is None else max(clock, c.committed_at)  # dates can go back
        events.append(_Event((clock, 0, c.seq), c.seq, c.committed_at, c))
    return events


def _assignment_events(session: Session, clause_id: int, seq: int, moment: datetime | None) -> list[_Event]:
    q = select(OwnerAssignment).where(OwnerAssignment.clause_id == clause_id)
    if moment is not None:
        q = q.where(OwnerAssignment.created_at <= moment)
    events = []
    for a in session.scalars(q.order_by(OwnerAssignment.created_at, OwnerAssignment.id)):
        in_force = session.scalar(select(func.max(Commit.seq)).where(
            Commit.committed_at <= a.created_at, Commit.live, Commit.seq <= seq))
        if in_force is not None:
            events.append(_Event((a.created_at, 1, a.id), in_force, a.created_at,
                                 session.get_one(Commit, in_force), a))
    return events


def _assignment_why(session: Session, a: OwnerAssignment) -> tuple[str, str]:
    """(what the assignment did and why, who made it)."""
    owner = (session.get_one(Person, a.person_id).email if a.person_id
             else TEAM_PREFIX + session.get_one(Team, a.team_id).name)
    verb = "assigned" if a.action == "assign" else "unassigned"
    return f"{verb} {owner}: {a.reason}", session.get_one(Person, a.actor_id).email


@dataclass(frozen=True)
class ClauseOwnership:
    """A clause's ownership history up to a point and its (id, owners) at the point itself (None: absent)."""

    history: list[OwnershipChange]
    at_point: tuple[str, list[Owner]] | None


def ownership_at(session: Session, clause_id: int, seq: int, moment: datetime | None,
                 store: OwnersStore | None = None) -> ClauseOwnership:
    """Changes of a lineage's effective owners up to (seq, moment), oldest first, and its owners there.

    Owners change only at the events, so the last event is resolved at the point itself: that one
    resolution is both the history's last state and the answer at the point (a page needs both).
    """
    store = store or OwnersStore(session)
    events = sorted(_commit_events(session, clause_id, seq) + _assignment_events(session, clause_id, seq, moment),
                    key=lambda e: e.order)
    out: list[OwnershipChange] = []
    before: tuple[Owner, ...] | None = None
    found = None if events else store.owners_of(clause_id, seq, moment)
    for n, ev in enumerate(events):
        last = n == len(events) - 1
        found = store.owners_of(clause_id, seq, moment) if last else store.owners_of(clause_id, ev.seq, ev.moment)
        if found is None and before is None:
            continue  # not born yet, or still removed
        key, owners = found if found is not None else (None, [])
        now = tuple(owners)
        if now == before:
            continue
        if ev.assignment is not None:
            why, by = _assignment_why(session, ev.assignment)
        else:
            why, by = ev.commit.subject, ev.commit.author_email
        old = {o.email for o in before or ()}
        new = {o.email for o in now}
        out.append(OwnershipChange(ev.moment, "assignment" if ev.assignment else "commit", ev.commit.sha,
                                   why, by, key, now, tuple(sorted(new - old)), tuple(sorted(old - new))))
        before = now if found is not None else None
    return ClauseOwnership(out, found)


def ownership_history(session: Session, clause_id: int, seq: int, moment: datetime | None,
                      store: OwnersStore | None = None) -> list[OwnershipChange]:
    """Changes of a lineage's effective owners up to (seq, moment), oldest first."""
    return ownership_at(session, clause_id, seq, moment, store).history


def since_of(history: list[OwnershipChange], email: str) -> datetime | None:
    """When the person's current, unbroken run as an owner began."""
    since = None
    for change in reversed(history):
        if all(o.email != email for o in change.owners):
            break
        since = change.date
    return since


@dataclass(frozen=True)
class MembershipChange:
    """A team's members after a commit that changed them."""

    date: datetime
    commit: str
    why: str
    members: tuple[str, ...]
    added: tuple[str, ...]
    removed: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        """The JSON item of a team's membership history."""
        return {"date": iso(self.date), "commit": self.commit, "why": self.why, "members": list(self.members),
                "added": list(self.added), "removed": list(self.removed)}


def team_history(session: Session, team: str, seq: int) -> list[MembershipChange]:
    """Every change of a team's members up to seq, from the OWNERS.toml versions, oldest first."""
    store = OwnersStore(session)
    rows = session.execute(
        select(OwnersVersion, Commit).join(Commit, Commit.seq == OwnersVersion.seq)
        .where(OwnersVersion.seq <= seq, OwnersVersion.usable())
        .order_by(OwnersVersion.seq, OwnersVersion.id))
    out: list[MembershipChange] = []
    before: tuple[str, ...] = ()
    for version, commit in rows:
        now = tuple(store.members(version.id).get(team, [])) if version.status == "valid" else ()
        if now != before:
            out.append(MembershipChange(commit.committed_at, commit.sha, commit.subject, now,
                                        tuple(e for e in now if e not in before),
                                        tuple(e for e in before if e not in now)))
        before = now
    return out

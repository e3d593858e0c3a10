"""Use cases: the repo's releases (tags on the branch) and the changelog between two of them."""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from functools import cached_property
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.audit.events import chain_origin, kept_while_standing
from registry.errors import BadRequest
from registry.history.queries import outline_at
from registry.history.versions import VersionState, changed_states, current_ids
from registry.ledger.carry import may_carry, still_live
from registry.ledger.refs import Point, head_point, iso, resolve
from registry.models import Commit, Tag
from registry.transaction.kept import KeptAnswers

KINDS = ("added", "removed", "renamed", "moved", "modified")


@dataclass(frozen=True)
class Release:
    """A tag on the branch's first-parent history."""

    name: str
    commit: str
    seq: int
    date: datetime
    message: str

    def as_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {"name": self.name, "commit": self.commit, "date": iso(self.date), "message": self.message}


@dataclass(frozen=True)
class ChangelogEntry:
    """One clause that differs between two points, and how."""

    id: str  # the lineage's current id, for links
    kinds: list[str]
    old_id: str | None
    new_id: str | None
    title: str
    old_document: str | None
    new_document: str | None
    details: list[str]  # for "modified": which of title, attributes, body changed
    clause_id: int = 0  # the lineage
    authority: str | None = None  # at the newer point (the older one for a removed clause)

    @property
    def document(self) -> str:
        """The document it is listed under: where it is at the newer point, else where it was."""
        return self.new_document or self.old_document or ""

    def as_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {"id": self.id, "kinds": self.kinds, "old_id": self.old_id, "new_id": self.new_id,
                "title": self.title, "old_document": self.old_document,
                "new_document": self.new_document, "modified": self.details, "authority": self.authority}


@dataclass(frozen=True)
class Changelog:
    """Every clause that differs between two points, in document order."""

    old: Point
    new: Point
    entries: tuple[ChangelogEntry, ...]  # shared with other requests (kept): read only

    @property
    def span(self) -> tuple[int, str, int, str]:
        """Both ends' seqs and commits: with the ledger's state, all the entries depend on."""
        return self.old.seq, self.old.sha, self.new.seq, self.new.sha

    def section(self, kind: str) -> list[ChangelogEntry]:
        """Entries of one kind (a clause can be in several, e.g. renamed and modified)."""
        return [e for e in self.entries if kind in e.kinds]

    def as_dict(self) -> dict[str, Any]:
        """The JSON form."""
        side = lambda p: {"ref": p.ref, "commit": p.sha}  # noqa: E731
        return {"from": side(self.old), "to": side(self.new),
                "counts": {k: len(self.section(k)) for k in KINDS},
                "clauses": [e.as_dict() for e in self.entries]}


# Tags and commits change only in an ingest (tags moved: `ingest.tags`; a rewrite), which moves
# audit.newest_standing_event; every page's as-of picker lists them (shared: read only).
_releases: KeptAnswers[list[Release]] = KeptAnswers(8)


def list_releases(session: Session, point: Point | None = None) -> list[Release]:
    """Tags on the branch, newest first (only those at or before the point, when given)."""
    return kept_while_standing(_releases, session, point.seq if point else None, lambda: _list_releases(session, point))


def _list_releases(session: Session, point: Point | None) -> list[Release]:
    stmt = (select(Tag, Commit).join(Commit, Commit.sha == Tag.commit_sha)
            .where(Commit.live).order_by(Commit.seq.desc(), Tag.name.desc()))
    if point is not None:
        stmt = stmt.where(Commit.seq <= point.seq)
    return [Release(t.name, c.sha, c.seq, t.tagged_at or c.committed_at, t.message or t.name)
            for t, c in session.execute(stmt)]


def _kinds(old: VersionState | None, new: VersionState | None) -> tuple[list[str], list[str]]:
    """Net kinds of change from old to new, and which parts a modification touched."""
    if old is None:
        return (["added"] if new is not None else []), []
    if new is None:
        return ["removed"], []
    kinds = []
    if old.key != new.key:
        kinds.append("renamed")
    if (old.document, old.parent_id, old.level) != (new.document, new.parent_id, new.level):
        kinds.append("moved")
    details = [part for part, a, b in (("title", old.title, new.title),
                                       ("attributes", old.attributes, new.attributes),
                                       ("body", old.body_hash, new.body_hash)) if a != b]
    return kinds + (["modified"] if details else []), details


# What changed between two commits is fixed once both are ingested: while both are live (a rewrite sets
# aside only commits after its fork, so every commit before a live one is live too) their versions stay
# as they were. Only the current ids move with new commits, and only those of the lineages the new
# commits wrote, so a push reads those alone, not the whole span (~100 ms at 3,000 changed clauses) nor
# every lineage's id. Kept by the span and the audit chain's first event, so a database emptied and
# filled again (tests) never meets another's entries, with the head whose ids they carry.
@dataclass(frozen=True)
class _Span:
    entries: tuple[ChangelogEntry, ...]  # under each lineage's id when `head` was the head (shared: read only)
    head: tuple[int, str]  # (seq, sha)

    @cached_property
    def positions(self) -> dict[int, int]:
        """Each lineage's place in the entries (one entry a lineage)."""
        return {e.clause_id: i for i, e in enumerate(self.entries)}


_spans: KeptAnswers[_Span] = KeptAnswers(4)  # ~3 MB each with 3,000 changed clauses


def changelog(session: Session, from_ref: str | None, to_ref: str | None) -> Changelog:
    """Clauses added, removed, renamed, moved or modified between two refs (net of the span)."""
    if not from_ref or not to_ref:
        raise BadRequest("a changelog needs two refs: from and to (tags, commits or dates)")
    old, new = resolve(session, from_ref), resolve(session, to_ref)  # live commits only
    return Changelog(old, new, _current(session, old, new))


def _current(session: Session, old: Point, new: Point) -> tuple[ChangelogEntry, ...]:
    """The span's entries under each lineage's current id."""
    origin = chain_origin(session)
    if origin is None:
        return _entries(session, old, new)
    point = head_point(session)
    head, key = (point.seq, point.sha), (origin, old.seq, old.sha, new.seq, new.sha)
    kept = _spans.peek(session, key)
    if kept is not None and kept.head == head:
        return kept.entries
    entries = _entries(session, old, new) if kept is None else _renamed(session, kept, head[0])
    _spans.put(session, key, _Span(entries, head))
    return entries


def _renamed(session: Session, kept: _Span, now: int) -> tuple[ChangelogEntry, ...]:
    """The kept entries under the current ids: read for the lineages written after the kept head while it
    is live and near enough (`ledger.carry`), else for every lineage."""
    seq, sha = kept.head
    ids = current_ids(session, seq) if may_carry(seq, now) else None
    # Checked after the ids are read: a rewrite committed in between (PostgreSQL reads each statement's
    # own snapshot) then shows here. A rewrite gives lineages back the ids they had at its fork.
    if ids is None or not session.scalar(select(still_live(seq, sha))):
        ids = current_ids(session)
    entries = list(kept.entries)
    for cid, key in ids.items():  # after a push, a few: not every entry
        at = kept.positions.get(cid)
        if at is not None and entries[at].id != key:
            entries[at] = replace(entries[at], id=key)
    return tuple(entries)


def _entries(session: Session, old: Point, new: Point) -> tuple[ChangelogEntry, ...]:
    """The changelog's entries in document order (a removed clause where it was)."""
    changed = changed_states(session, old.seq, new.seq)
    order = _positions(session, old.seq) | _positions(session, new.seq)
    entries = []
    for cid in sorted(changed, key=lambda c: order.get(c, ("~", 0))):
        key, a, b = changed[cid]
        kinds, details = _kinds(a, b)
        shown = b or a
        if kinds and shown is not None:  # there are kinds only when the clause is at one point or both
            authority = shown.attributes.get("authority")
            entries.append(ChangelogEntry(key, kinds, a.key if a else None, b.key if b else None,
                                          shown.title, a.document if a else None,
                                          b.document if b else None, details, cid,
                                          None if authority is None else str(authority)))
    return tuple(entries)


def _positions(session: Session, seq: int) -> dict[int, tuple[str, int]]:
    """Each lineage's (document, index) in the outline at seq, for sorting."""
    return {cid: (path, i) for path, ids in outline_at(session, seq).items() for i, cid in enumerate(ids)}

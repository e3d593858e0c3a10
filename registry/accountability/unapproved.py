"""Use case: unapproved changes and history rewrites, the two ways the spec can change ungoverned.

An unapproved change is a commit on the branch (not set aside by a rewrite) that changed at least
one clause or governance file (OWNERS.toml, policy.toml, specreg.toml, frameworks.toml), or wrote a spec document
ingest could not read (its edits are hidden from the ledger), while no merged proposal names it as
its merge commit: a direct push. Commits before governance began (`[governance] start`,
registry.history.governance) are pre-governance, not unapproved: left out unless asked for. The flag is
computed, never stored, so nothing can clear it; an admin's acknowledgement (registry.accountability.acknowledge)
only adds a recorded reason next to it. A history rewrite is a run of ingested commits that left
the branch (ingest keeps their versions and records the rewrite).

Ranges are by commit seq, like git's `A..B`: after `since_seq` (exclusive) up to `until_seq`
(inclusive); None leaves that end open.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, SQLColumnExpression, case, exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from registry.audit.events import kept_while_standing
from registry.db import KeptAnswers
from registry.history.governance import governance_start
from registry.ledger.refs import iso, resolve, seq_of
from registry.models import (
    Acknowledgement,
    ClauseVersion,
    Commit,
    DocumentVersion,
    GovernanceFileVersion,
    HistoryRewrite,
    Person,
    Proposal,
)
from registry.paging import PAGE_SIZE
from registry.proposals.states import MERGED

PER_PAGE = PAGE_SIZE  # 100 rows of up to five clause links and a form each made the page 120 KB and slow to render

# Which commits are unapproved changes, and which of them are acknowledged, changes only in an ingest
# (commits, versions, policy.toml's start; a merge marks its proposal in the transaction of the ingest
# that reads its commit) and an acknowledgement, each of which moves audit.newest_standing_event.
# Each count and page scanned every commit: most of the report's SQL time. Shared: read only.
_counts: KeptAnswers[tuple[int, int]] = KeptAnswers(16)
_pages: KeptAnswers[tuple[int, ...]] = KeptAnswers(16)


@dataclass(frozen=True)
class AcknowledgementView:
    """An admin's recorded reason for accepting an unapproved change or a rewrite."""

    id: int
    name: str
    email: str
    at: datetime
    reason: str

    def as_dict(self) -> dict[str, Any]:
        """{"id", "name", "email", "at", "reason"}."""
        return {"id": self.id, "name": self.name, "email": self.email, "at": iso(self.at), "reason": self.reason}


@dataclass(frozen=True)
class UnapprovedChange:
    """A commit that changed clauses without a merged proposal behind it."""

    commit: str
    seq: int
    date: datetime
    author: str
    author_email: str
    subject: str
    clauses: list[str]
    acknowledgements: list[AcknowledgementView] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)  # spec documents it wrote that could not be read
    governance_files: list[str] = field(default_factory=list)
    pre_governance: bool = False  # before governance began: listed only when asked for

    @property
    def acknowledged(self) -> bool:
        """True once an admin recorded a reason (the change stays unapproved)."""
        return bool(self.acknowledgements)

    def as_dict(self) -> dict[str, Any]:
        """The `specreg unapproved --json` item: {"commit", "date", "author", "clauses", ...}."""
        return {"commit": self.commit, "date": iso(self.date), "author": self.author,
                "author_email": self.author_email, "subject": self.subject, "clauses": self.clauses,
                "unreadable": self.unreadable, "governance_files": self.governance_files,
                "pre_governance": self.pre_governance, "seq": self.seq, "acknowledged": self.acknowledged,
                "acknowledgements": [a.as_dict() for a in self.acknowledgements]}


@dataclass(frozen=True)
class SetAsideCommit:
    """An ingested commit a rewrite took off the branch (its versions are kept)."""

    commit: str
    seq: int
    date: datetime
    author: str
    subject: str

    def as_dict(self) -> dict[str, Any]:
        """{"commit", "seq", "date", "author", "subject"}."""
        return {"commit": self.commit, "seq": self.seq, "date": iso(self.date), "author": self.author,
                "subject": self.subject}


@dataclass(frozen=True)
class RewriteView:
    """A history rewrite ingest detected: the old head left the branch; `seq` is the old head's seq."""

    id: int
    seq: int
    detected_at: datetime
    old_head: str
    new_head: str
    fork: str | None
    set_aside: list[SetAsideCommit]
    acknowledgements: list[AcknowledgementView] = field(default_factory=list)

    @property
    def acknowledged(self) -> bool:
        """True once an admin recorded a reason."""
        return bool(self.acknowledgements)

    def as_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {"id": self.id, "seq": self.seq, "detected_at": iso(self.detected_at), "old_head": self.old_head,
                "new_head": self.new_head, "fork": self.fork, "set_aside": [c.as_dict() for c in self.set_aside],
                "acknowledged": self.acknowledged, "acknowledgements": [a.as_dict() for a in self.acknowledgements]}


def merged_shas() -> Select[str | None]:
    """The merge commits of merged proposals (a subquery)."""
    return select(Proposal.merged_sha).where(Proposal.state == MERGED, Proposal.merged_sha.is_not(None))


def _unapproved(since_seq: int | None, until_seq: int | None,
                from_seq: int | None = None) -> list[SQLColumnExpression[bool]]:
    """Conditions on Commit: on the branch, in range (from `from_seq` on: where governance began),
    changed a clause or a governance file or wrote an unreadable document, no merged proposal behind it."""
    v, d, g = aliased(ClauseVersion), aliased(DocumentVersion), aliased(GovernanceFileVersion)
    # A rewrite sets aside a commit and its versions together, so a commit on the branch has only
    # versions on the branch; not testing `v.live` keeps this a seek in the seq index (~4x faster).
    changed = or_(exists().where(v.seq == Commit.seq), exists().where(g.seq == Commit.seq),
                  exists().where(d.seq == Commit.seq, d.unreadable.is_not(None)))
    conditions = [Commit.live, Commit.sha.not_in(merged_shas()), changed]
    if from_seq is not None:
        conditions.append(Commit.seq >= from_seq)
    if since_seq is not None:
        conditions.append(Commit.seq > since_seq)
    if until_seq is not None:
        conditions.append(Commit.seq <= until_seq)
    return conditions


def _acknowledgements(session: Session, *conditions: ColumnElement[bool]) -> list[tuple[Acknowledgement, Person]]:
    return list(session.execute(select(Acknowledgement, Person).join(Person, Person.id == Acknowledgement.actor_id)
                                .where(*conditions).order_by(Acknowledgement.id)))


def _view(a: Acknowledgement, p: Person) -> AcknowledgementView:
    return AcknowledgementView(a.id, p.name, p.email, a.created_at, a.reason)


def _from_seq(session: Session, pre_governance: bool) -> int | None:
    """Where the report starts: where governance began, or the root when pre-governance is asked for."""
    return None if pre_governance else governance_start(session).seq


def unapproved_changes(session: Session, since_seq: int | None = None, until_seq: int | None = None,
                       pre_governance: bool = False) -> list[UnapprovedChange]:
    """Unapproved changes in the range, oldest first, each with its clause ids, governance files and
    acknowledgements; with `pre_governance`, the commits before governance began too (marked so)."""
    start = governance_start(session)
    conditions = _unapproved(since_seq, until_seq, None if pre_governance else start.seq)
    # The commits once each, and their clause ids as bare columns: a commit row per changed clause
    # (20 a commit here) was most of the report page's query time.
    commits = {c.seq: c for c in session.scalars(select(Commit).where(*conditions))}
    keys: dict[int, dict[str, None]] = {}
    for seq, key in session.execute(
            select(ClauseVersion.seq, ClauseVersion.key).join(Commit, Commit.seq == ClauseVersion.seq)
            .where(ClauseVersion.live, *conditions).order_by(ClauseVersion.seq, ClauseVersion.id)):
        keys.setdefault(seq, {})[key] = None
    unreadable: dict[int, list[str]] = {}
    for seq, path in session.execute(
            select(Commit.seq, DocumentVersion.path).join(DocumentVersion, DocumentVersion.seq == Commit.seq)
            .where(DocumentVersion.live, DocumentVersion.unreadable.is_not(None), *conditions)
            .order_by(Commit.seq, DocumentVersion.path)):
        unreadable.setdefault(seq, []).append(path)
    files: dict[int, dict[str, None]] = {}
    for seq, path in session.execute(
            select(Commit.seq, GovernanceFileVersion.path)
            .join(GovernanceFileVersion, GovernanceFileVersion.seq == Commit.seq)
            .where(GovernanceFileVersion.live, *conditions).order_by(Commit.seq, GovernanceFileVersion.path)):
        files.setdefault(seq, {})[path] = None
    acks: dict[str, list[AcknowledgementView]] = {}
    if commits:
        for a, p in _acknowledgements(session, Acknowledgement.commit_sha.is_not(None)):
            if a.commit_sha is not None:  # as the query asked (the others acknowledge rewrites)
                acks.setdefault(a.commit_sha, []).append(_view(a, p))
    return [UnapprovedChange(c.sha, c.seq, c.committed_at, c.author_name, c.author_email, c.subject,
                             list(keys.get(seq, {})), acks.get(c.sha, []), unreadable.get(seq, []),
                             list(files.get(seq, {})), start.pre_governance(seq))
            for seq, c in sorted(commits.items())]


def unapproved_page(session: Session, page: int, per_page: int = PER_PAGE) -> list[UnapprovedChange]:
    """One page of the report, newest first (page 1 holds the newest changes)."""
    seqs = kept_while_standing(_pages, session, (page, per_page), lambda: _page_seqs(session, page, per_page))
    return unapproved_changes(session, min(seqs) - 1, max(seqs))[::-1] if seqs else []


def _page_seqs(session: Session, page: int, per_page: int) -> tuple[int, ...]:
    return tuple(session.scalars(select(Commit.seq).where(*_unapproved(None, None, _from_seq(session, False)))
                                 .order_by(Commit.seq.desc()).offset((max(page, 1) - 1) * per_page).limit(per_page)))


def page_of(session: Session, sha: str, per_page: int = PER_PAGE) -> int:
    """The report page that lists this commit (1 when it is not an unapproved change)."""
    seq = seq_of(session, sha)
    if seq is None:
        return 1
    newer = session.scalar(select(func.count()).select_from(Commit)
                           .where(*_unapproved(seq, None, _from_seq(session, False)))) or 0
    return newer // per_page + 1


def seq_range(session: Session, since: str | None, until: str | None) -> tuple[int | None, int | None]:
    """REFs (tag, commit, ISO date) as a seq range: after `since`, up to `until`; None leaves an end open."""
    return (resolve(session, since).seq if since else None, resolve(session, until).seq if until else None)


def unapproved_count(session: Session, until_seq: int | None = None) -> tuple[int, int]:
    """(unapproved changes since governance began, of which not acknowledged) up to a seq, without loading them."""
    return kept_while_standing(_counts, session, until_seq, lambda: _count(session, until_seq))


def _count(session: Session, until_seq: int | None) -> tuple[int, int]:
    acked = case((exists().where(Acknowledgement.commit_sha == Commit.sha), 1))
    total, done = session.execute(select(func.count(), func.count(acked)).select_from(Commit)
                                  .where(*_unapproved(None, until_seq, _from_seq(session, False)))).one()
    return total, total - done


def pre_governance_count(session: Session) -> int:
    """How many commits before governance began would otherwise be unapproved changes."""
    start = governance_start(session).seq
    if start is None:
        return 0
    return session.scalar(select(func.count()).select_from(Commit).where(*_unapproved(None, start - 1))) or 0


def is_unapproved(session: Session, sha: str) -> bool:
    """True when this commit is an unapproved change (a pre-governance commit is not)."""
    return session.scalar(select(Commit.seq).where(
        Commit.sha == sha, *_unapproved(None, None, _from_seq(session, False)))) is not None


def history_rewrites(session: Session, since_seq: int | None = None,
                     until_seq: int | None = None) -> list[RewriteView]:
    """Rewrites whose old head's seq is in the range, oldest first, with the commits they set aside."""
    out: list[RewriteView] = []
    earlier: list[tuple[int, int]] = []  # (fork, head] ranges of earlier rewrites: their commits are theirs
    for r in session.scalars(select(HistoryRewrite).order_by(HistoryRewrite.id)):
        head, fork = _seq_before(session, r.old_head, r.run_id), _seq_before(session, r.fork_sha, r.run_id)
        mine = [c for c in session.scalars(select(Commit).where(Commit.seq > fork, Commit.seq <= head,
                                                                Commit.set_aside).order_by(Commit.seq))
                if not any(low < c.seq <= high for low, high in earlier)]
        earlier.append((fork, head))
        if (since_seq is not None and head <= since_seq) or (until_seq is not None and head > until_seq):
            continue
        aside = [SetAsideCommit(c.sha, c.seq, c.committed_at, c.author_name, c.subject) for c in mine]
        acks = [_view(a, p) for a, p in _acknowledgements(session, Acknowledgement.rewrite_id == r.id)]
        out.append(RewriteView(r.id, head, r.detected_at, r.old_head, r.new_head, r.fork_sha, aside, acks))
    return out


def _seq_before(session: Session, sha: str | None, run_id: int) -> int:
    """A commit's seq as it was on the branch before ingest run `run_id`; 0 (before the root) for None.

    A commit set aside and later restored has a newer row too; the rewrite means the older one.
    """
    return (session.scalar(select(func.max(Commit.seq)).where(
        Commit.sha == sha, or_(Commit.run_id < run_id, Commit.run_id.is_(None)))) or 0) if sha else 0

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

from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, SQLColumnExpression, false, func, or_, select, true, union_all
from sqlalchemy.orm import Session

from registry.accountability.spec_changes import CHANGED_SPEC, spec_changing_commits
from registry.audit.events import kept_while_standing
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
from registry.transaction.kept import KeptAnswers

PER_PAGE = PAGE_SIZE  # 100 rows of up to five clause links and a form each made the page 120 KB and slow to render


@dataclass(frozen=True)
class _Judged:
    """Every unapproved change from the root (pre-governance ones too) and which are acknowledged."""

    seqs: tuple[int, ...]  # oldest first
    acknowledged: frozenset[int]
    start: int | None  # where governance began (a seq)
    governed: int  # the index in `seqs` of the first commit since governance began


# Which commits are unapproved changes, and which of them are acknowledged, changes only in an ingest
# (commits, versions, policy.toml's start; a merge marks its proposal in the transaction of the ingest
# that reads its commit) and an acknowledgement, each of which moves audit.newest_standing_event; the
# counts and the pages are slices of it. Shared: read only.
_judged: KeptAnswers[_Judged] = KeptAnswers(4)


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
    conditions = [Commit.live, Commit.sha.not_in(merged_shas()), CHANGED_SPEC]
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
    judged = _judge(session)
    end = len(judged.seqs) - (max(page, 1) - 1) * per_page
    seqs = judged.seqs[max(judged.governed, end - per_page):max(judged.governed, end)]
    return unapproved_changes(session, seqs[0] - 1, seqs[-1])[::-1] if seqs else []


def page_of(session: Session, sha: str, per_page: int = PER_PAGE) -> int:
    """The report page that lists this commit (1 when it is not an unapproved change)."""
    seq = seq_of(session, sha)
    if seq is None:
        return 1
    judged = _judge(session)
    newer = len(judged.seqs) - max(judged.governed, bisect_right(judged.seqs, seq))
    return newer // per_page + 1


def seq_range(session: Session, since: str | None, until: str | None) -> tuple[int | None, int | None]:
    """REFs (tag, commit, ISO date) as a seq range: after `since`, up to `until`; None leaves an end open."""
    return (resolve(session, since).seq if since else None, resolve(session, until).seq if until else None)


def unapproved_count(session: Session, until_seq: int | None = None) -> tuple[int, int]:
    """(unapproved changes since governance began, of which not acknowledged) up to a seq, without loading them."""
    judged = _judge(session)
    end = len(judged.seqs) if until_seq is None else bisect_right(judged.seqs, until_seq)
    total = max(0, end - judged.governed)
    done = sum(1 for seq in judged.acknowledged
               if (judged.start is None or seq >= judged.start) and (until_seq is None or seq <= until_seq))
    return total, total - done


def pre_governance_count(session: Session) -> int:
    """How many commits before governance began would otherwise be unapproved changes."""
    return _judge(session).governed


def _judge(session: Session) -> _Judged:
    return kept_while_standing(_judged, session, "judged", lambda: _judged_now(session))


def _judged_now(session: Session) -> _Judged:
    """The commits that changed the spec (carried over new commits by spec_changes), less the merged
    proposals' commits; the merges, the acknowledgements and where governance began are read fresh."""
    changed = spec_changing_commits(session)
    acks = select(Acknowledgement.commit_sha).where(Acknowledgement.commit_sha.is_not(None))
    merged: set[int] = set()
    acked: set[int] = set()
    # Two seeks by sha (as one `OR`, PostgreSQL scanned every commit).
    for seq, is_merged in session.execute(union_all(
            select(Commit.seq, true()).where(Commit.live, Commit.sha.in_(merged_shas())),
            select(Commit.seq, false()).where(Commit.live, Commit.sha.in_(acks)))):
        (merged if is_merged else acked).add(seq)
    seqs = tuple(seq for seq in changed if seq not in merged) if merged else changed
    start = governance_start(session).seq
    return _Judged(seqs, frozenset(acked.intersection(seqs)), start,
                   0 if start is None else bisect_left(seqs, start))


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

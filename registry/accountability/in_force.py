"""Use case: the incident lookup. Which text of a clause was in force at a moment, who owned it,
which proposal put that text there (proposer, rationale, approvers, the policy that applied) or
that nothing did (an unapproved change), and what changed next. An approval is only as good as the
OWNERS.toml and policy.toml it was counted under: when an unapproved change wrote either, it is named.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from registry.accountability.unapproved import is_unapproved
from registry.errors import UnknownVersion
from registry.history.governance import governance_start
from registry.history.queries import find_clause
from registry.history.versions import version_at
from registry.ledger.refs import Point, iso, parse_moment, resolve
from registry.models import Acknowledgement, Clause, ClauseVersion, Commit, Proposal
from registry.owners.owners_toml import OWNERS_PATH
from registry.owners.queries import OwnerView, who_owns
from registry.owners.store import OwnersStore
from registry.proposals.counted import NotCounted, SignedApproval
from registry.proposals.merged_models import MergedProposal
from registry.proposals.reads import merged_by_commit
from registry.proposals.states import MERGED


@dataclass(frozen=True)
class NextChange:
    """The clause's first version after the moment."""

    commit: str
    date: datetime
    kinds: list[str]
    id: str
    proposal: int | None
    pre_governance: bool = False

    def as_dict(self) -> dict[str, Any]:
        """{"commit", "date", "kinds", "id", "proposal", "unapproved", "pre_governance"}."""
        return {"commit": self.commit, "date": iso(self.date), "kinds": self.kinds, "id": self.id,
                "proposal": self.proposal, "unapproved": self.proposal is None and not self.pre_governance,
                "pre_governance": self.pre_governance}


@dataclass(frozen=True)
class UnapprovedGovernance:
    """A governance file an approval was counted under, as an unapproved change wrote it."""

    path: str
    commit: str
    acknowledged: bool

    def as_dict(self) -> dict[str, Any]:
        """{"path", "commit", "acknowledged"}."""
        return {"path": self.path, "commit": self.commit, "acknowledged": self.acknowledged}


@dataclass(frozen=True)
class InForce:
    """A clause's text at a moment and the record behind it."""

    id: str  # the id the clause had at that moment
    current_id: str
    at: datetime
    point: Point
    title: str
    attributes: dict[str, Any]
    document: str
    text: str
    commit: str
    date: datetime  # when the version's commit landed
    author: str  # the version's commit author
    owners: list[OwnerView]
    proposal: MergedProposal | None  # the merged proposal that put this text there
    next_change: NextChange | None
    unapproved_governance: list[UnapprovedGovernance]
    pre_governance: bool  # the version's commit came before governance began

    @property
    def unapproved(self) -> bool:
        """No merged proposal put this text there since governance began: a direct push."""
        return self.proposal is None and not self.pre_governance

    @property
    def approvers(self) -> list[SignedApproval]:
        """The approvals the proposal's merge counted (none for an unapproved change)."""
        return list(self.proposal.approvers) if self.proposal else []

    @property
    def uncounted(self) -> list[NotCounted]:
        """The approvals the proposal's merge did not count, with why (none for an unapproved change)."""
        return list(self.proposal.uncounted) if self.proposal else []

    def as_dict(self) -> dict[str, Any]:
        """The `specreg in-force --json` object (exactly these keys)."""
        return {"id": self.id, "at": iso(self.at), "text": self.text, "commit": self.commit,
                "owners": [o.as_dict() for o in self.owners], "proposal": _proposal_json(self.proposal),
                "approvers": [a.as_dict() for a in self.approvers], "uncounted": [u.as_dict() for u in self.uncounted],
                "unapproved": self.unapproved, "pre_governance": self.pre_governance,
                "unapproved_governance": [g.as_dict() for g in self.unapproved_governance],
                "next_change": self.next_change.as_dict() if self.next_change else None}


def _proposal_json(p: MergedProposal | None) -> dict[str, Any] | None:
    """{"id", "title", "rationale", "proposer", "policy"} of the proposal's JSON, the policy with its text
    (the approvers stand beside it)."""
    if p is None:
        return None
    data = p.as_dict()
    return {k: data[k] for k in ("id", "title", "rationale", "proposer")} | {
        "policy": data["policy"] | {"text": p.policy.text}}


def moment_and_point(session: Session, when: str) -> tuple[datetime, Point]:
    """An ISO moment (or any REF: tag, commit) and the commit in force then."""
    point = resolve(session, when.strip())
    moment = parse_moment(when.strip()) if point.kind == "date" else None
    return moment or session.get_one(Commit, point.seq).committed_at, point


def lineage_at(session: Session, key: str, seq: int) -> Clause:
    """The lineage that had this id at seq (an id someone quotes from then), else the usual lookup."""
    candidate = session.scalar(
        select(ClauseVersion.clause_id).where(ClauseVersion.key == key, ClauseVersion.seq <= seq, ClauseVersion.live)
        .order_by(ClauseVersion.seq.desc(), ClauseVersion.id.desc()).limit(1))
    if candidate is not None:
        v = version_at(session, candidate, seq)
        if v is not None and v.key == key:
            return session.get_one(Clause, candidate)
    return find_clause(session, key)


def _next(session: Session, clause_id: int, seq: int) -> NextChange | None:
    row = session.execute(
        select(ClauseVersion, Commit).join(Commit, Commit.seq == ClauseVersion.seq)
        .where(ClauseVersion.clause_id == clause_id, ClauseVersion.seq > seq, ClauseVersion.live)
        .order_by(ClauseVersion.seq, ClauseVersion.id).limit(1)).first()
    if row is None:
        return None
    v, c = row
    number = session.scalar(select(Proposal.id).where(Proposal.merged_sha == c.sha, Proposal.state == MERGED))
    return NextChange(c.sha, c.committed_at, v.change_set, v.key, number,
                      governance_start(session).pre_governance(c.seq))


def _unapproved_governance(session: Session, proposal: MergedProposal | None, seq: int) -> list[UnapprovedGovernance]:
    """The OWNERS.toml in force at the merge and the policy.toml at its base, where an unapproved change wrote them."""
    if proposal is None:
        return []
    owners = OwnersStore(session).version_at(seq)
    sources = [(OWNERS_PATH, session.get_one(Commit, owners.seq).sha)] if owners else []
    if proposal.policy.commit:
        sources.append((proposal.policy.path, proposal.policy.commit))
    return [UnapprovedGovernance(path, sha, bool(session.scalar(select(exists().where(Acknowledgement.commit_sha == sha)))))
            for path, sha in sources if is_unapproved(session, sha)]


def _not_in_force(session: Session, clause: Clause, key: str, point: Point, moment: datetime) -> UnknownVersion:
    """Say why there was no text then: not added yet, or removed (and when)."""
    after = _next(session, clause.id, point.seq)
    later = f"; it was added on {iso(after.date)} in commit {after.commit[:12]}" if after else ""
    removed = session.scalar(select(ClauseVersion).where(
        ClauseVersion.clause_id == clause.id, ClauseVersion.seq <= point.seq, ClauseVersion.live)
        .order_by(ClauseVersion.seq.desc()).limit(1))
    if removed is not None:
        gone = session.get_one(Commit, removed.seq)
        later = f"; it was removed on {iso(gone.committed_at)} in commit {gone.sha[:12]}" + (
            f", and came back on {iso(after.date)}" if after else "")
    return UnknownVersion(f"clause {key!r} was not in force at {iso(moment)}{later}")


def in_force(session: Session, key: str, when: str) -> InForce:
    """The clause (by the id it had then, or now) at a moment; UnknownVersion when it had no text then."""
    moment, point = moment_and_point(session, when)
    clause = lineage_at(session, key, point.seq)
    v = version_at(session, clause.id, point.seq)
    if v is None:
        raise _not_in_force(session, clause, key, point, moment)
    commit = session.get_one(Commit, v.seq)
    proposal = merged_by_commit(session, commit.sha)
    owners = who_owns(session, clause.key, point).owners
    return InForce(v.key, clause.key, moment, point, v.title, dict(v.attributes), v.document, v.body,
                   commit.sha, commit.committed_at, commit.author_name, owners, proposal, _next(session, clause.id, point.seq),
                   _unapproved_governance(session, proposal, commit.seq), governance_start(session).pre_governance(commit.seq))

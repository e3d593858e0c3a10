"""Use cases: governance on every line. Which merged proposal made each version of a clause, the
approvals its merge counted (registry.proposals.counted, over approval_rules.counted_approvals) and the
policy rule that asked for them: for the history, the blame and the diff's header.

The approvals of every proposal on a page are loaded together (`counted.recorded_many`), never one
proposal at a time.
"""
from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from registry.history.blame import Blame, blame_clause
from registry.history.clause_history import HistoryEntry, clause_history, histories
from registry.history.diffs import VersionDiff, version_diff
from registry.history.queries import find_clause
from registry.ledger.refs import Point, iso
from registry.models import Proposal, Revision
from registry.proposals.counted import SignedApproval, recorded_many
from registry.proposals.policy_store import policies_at


@dataclass(frozen=True)
class VersionGovernance:
    """The governance behind one clause version: its proposal, the approvals counted, the rule."""

    proposal: int | None  # None: a direct commit
    approvers: tuple[SignedApproval, ...] = ()
    rule: str | None = None  # the policy rule at the proposal's base that decided how many approvals

    @property
    def line(self) -> str:
        """One line for people: "via #9, approved by Ada <ada@x>, rule authority.root" ("" for a direct commit)."""
        if self.proposal is None:
            return ""
        names = ", ".join(a.name for a in self.approvers) or "nobody recorded"
        return f"via #{self.proposal}, approved by {names}" + (f", rule {self.rule}" if self.rule else "")

    def approvers_json(self) -> list[dict[str, str]]:
        """[{"name", "email", "time", "meaning"}]: the counted approvals."""
        return [a.as_dict() for a in self.approvers]


DIRECT = VersionGovernance(None)


@dataclass(frozen=True)
class GovernedEntry:
    """A history entry with the governance behind it."""

    entry: HistoryEntry
    governance: VersionGovernance

    def as_dict(self) -> dict[str, Any]:
        """The `specreg history` JSON item: the history fields plus "approvers"."""
        return self.entry.as_dict() | {"approvers": self.governance.approvers_json()}


@dataclass(frozen=True)
class GovernedBlame:
    """A blame with the governance behind every version it names."""

    blame: Blame
    governance: dict[int, VersionGovernance]  # by version id

    def of(self, entry: HistoryEntry) -> VersionGovernance:
        """The governance behind one version of the blame."""
        return self.governance.get(entry.version_id, DIRECT)

    def as_dict(self) -> dict[str, Any]:
        """{"id", "lines": [{"text", "commit", "date", "author", "proposal", "approvers"}]}."""
        return {"id": self.blame.id, "lines": [
            {"text": b.text, "commit": b.version.commit, "date": iso(b.version.date), "author": b.version.author,
             "proposal": b.version.proposal, "approvers": self.of(b.version).approvers_json()}
            for b in self.blame.lines]}


@dataclass(frozen=True)
class GovernedDiff:
    """A version diff with the governance behind the version it compares to."""

    diff: VersionDiff
    governance: VersionGovernance  # of the newer side's version (DIRECT when the clause did not exist there)


def _bases(session: Session, proposal_ids: Collection[int]) -> dict[int, int]:
    """Each proposal's current revision's base commit (where its policy was read), in one query (none for none)."""
    if not proposal_ids:
        return {}
    rows = session.execute(select(Revision.proposal_id, Revision.base_seq).join(
        Proposal, and_(Proposal.id == Revision.proposal_id, Proposal.revision == Revision.number))
        .where(Proposal.id.in_(sorted(set(proposal_ids)))))
    return {pid: seq for pid, seq in rows}


def _authorities(*entries: HistoryEntry | None) -> set[str]:
    """The authority levels before and after a change, as the verdict judges them."""
    return {str(a) for a in (e.attributes.get("authority") if e else None for e in entries) if a}


def governance_of(session: Session, history: Sequence[HistoryEntry]) -> dict[int, VersionGovernance]:
    """By version id: the governance behind each version of one clause's history (oldest first)."""
    return governance_of_many(session, [history])


def governance_of_many(session: Session, histories: Sequence[Sequence[HistoryEntry]]) -> dict[int, VersionGovernance]:
    """By version id: the governance behind each version of several clauses' histories (each oldest first),
    the approvals and policies of all of them loaded together."""
    ids = {e.proposal for history in histories for e in history if e.proposal is not None}
    approvals, bases = recorded_many(session, ids), _bases(session, ids)
    policies = policies_at(session, set(bases.values()))
    out: dict[int, VersionGovernance] = {}
    for history in histories:
        for before, entry in zip([None, *history], history):
            if entry.proposal is None:
                continue
            base = bases.get(entry.proposal)
            rule = (policies[base].policy.required(entry.id, _authorities(before, entry))[1]
                    if base is not None else None)
            out[entry.version_id] = VersionGovernance(entry.proposal, approvals.get(entry.proposal, ()), rule)
    return out


def governed_history(session: Session, key: str) -> list[GovernedEntry]:
    """Every version of the clause, oldest first, with the proposal and approvals behind it."""
    history = clause_history(session, key)
    found = governance_of(session, history)
    return [GovernedEntry(e, found.get(e.version_id, DIRECT)) for e in history]


def governed_blame(session: Session, key: str, point: Point) -> GovernedBlame:
    """The clause's blame at the point with the governance behind every version it names."""
    blame = blame_clause(session, key, point)
    return GovernedBlame(blame, governance_of(session, blame.versions))


def governed_diff(session: Session, key: str, from_ref: str | None, to_ref: str | None,
                  default: Point) -> GovernedDiff:
    """The diff page's diff (registry.history.diffs.version_diff) with the governance behind its newer version."""
    d = version_diff(session, key, from_ref, to_ref, default)
    clause_id = find_clause(session, key).id
    # Only the newer version and the one before it: the governance line reads no more.
    history = histories(session, [clause_id], d.new.seq, newest=2).get(clause_id, [])
    newest = history[-1] if history and d.diff.new is not None else None
    return GovernedDiff(d, governance_of(session, history[-2:]).get(newest.version_id, DIRECT) if newest else DIRECT)

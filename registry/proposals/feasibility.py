"""Use case: the clauses the policy in force can never let merge (`specreg policy check`).

A clause is infeasible when its rule needs more approvals than there are people eligible to give
them (policy.shortfalls over approval_rules.eligible, the one definition of who counts): two approvals with
one owner, say. Eligibility is judged for a proposal by nobody in particular; a proposal by one of
the owners has one fewer, which proposing reports (the verdict's `infeasible`). With the policy's
`[fallback] admins_approve_when_short`, the enabled admins count for a clause that is short.
"""
from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from registry.audit.events import kept_while_standing
from registry.ledger.refs import Point
from registry.owners.queries import Snapshot, snapshot
from registry.owners.store import OwnersStore, moment_of, owners_store
from registry.proposals import store
from registry.proposals.policy import Shortfall, shortfalls, with_fallback
from registry.proposals.policy_facts import Approver, ClauseFacts, Facts
from registry.proposals.policy_store import PolicySource, policy_at
from registry.proposals.verdict import admins, verdict
from registry.transaction.kept import KeptAnswers


@dataclass(frozen=True)
class PolicyCheck:
    """Every clause at a point that can never get the approvals its rule needs."""

    at: Point
    source: PolicySource
    infeasible: tuple[Shortfall, ...]

    @property
    def ok(self) -> bool:
        """True when every clause can be approved."""
        return not self.infeasible

    def as_dict(self) -> dict[str, Any]:
        """{"ok", "infeasible": [{"id", "rule", "needed", "eligible"}]}."""
        return {"ok": self.ok, "infeasible": [s.as_dict() for s in self.infeasible]}


@dataclass(frozen=True)
class _Inputs:
    """What the facts of every clause at a point are made of, read once for the facts and for the key
    of the kept check alike."""

    snap: Snapshot
    store: OwnersStore
    made_by: dict[int, dict[str, str]]  # lineage -> owner ref -> who assigned it
    admins: tuple[Approver, ...]
    seq: int

    @classmethod
    def read(cls, session: Session, point: Point) -> _Inputs:
        """The point's snapshot, assignments (with who made them) and the enabled admins."""
        store = owners_store(session)
        return cls(snapshot(session, point, store), store, store.assignments(moment_of(session, point)),
                   admins(session), point.seq)

    def key(self) -> Hashable:
        """Every input the facts hold but the approvers' names, by value: the resolution's inputs (OWNERS
        version, assignments, outline), each clause's authority, who made each assignment, the admins."""
        return (self.snap.inputs, tuple(v.attributes.get("authority") for v in self.snap.views),
                tuple((cid, tuple(refs.items())) for cid, refs in sorted(self.made_by.items())), self.admins)

    def facts(self) -> Facts:
        """Every clause as policy sees it, for a proposal by nobody yet."""
        clauses = []
        for v in self.snap.views:
            approvers = tuple(Approver(o.email, self.store.name_of(o.email),
                                       self.store.assigners(o, self.made_by.get(v.clause_id, {}), self.seq))
                              for o in self.snap.owners[v.id])
            authority = v.attributes.get("authority")
            clauses.append(ClauseFacts(v.id, (authority,) if authority else (), approvers or self.admins,
                                       not approvers))
        return Facts("", frozenset(), 0, "", tuple(clauses), (), admins=self.admins)


def spec_facts(session: Session, point: Point) -> Facts:
    """Every clause at the point as policy sees it (authority, approvers), for a proposal by nobody yet."""
    return _Inputs.read(session, point).facts()


# Its inputs (the point's clauses, OWNERS.toml and policy.toml; assignments, admins, passwords) change
# only with an audited ingest or use case: the owners page keeps one answer per point until then.
_checks: KeptAnswers[PolicyCheck] = KeptAnswers(8)
# A push moves the head and the audit chain, but most commits change none of the inputs the
# shortfalls are computed from: the policy's text and `_Inputs.key` (approvers' names never reach a
# Shortfall). Kept by those inputs themselves, compared by value, a new head reuses the last answer.
_shortfalls: KeptAnswers[tuple[Shortfall, ...]] = KeptAnswers(4)


def policy_check(session: Session, point: Point) -> PolicyCheck:
    """The clauses whose rule (the policy.toml in force at the point) too few people may approve."""
    def check() -> PolicyCheck:
        source, inputs = policy_at(session, point.seq), _Inputs.read(session, point)
        return PolicyCheck(point, source, _shortfalls.get(session, (source.text, inputs.key()), lambda: shortfalls(
            source.policy, with_fallback(source.policy, inputs.facts()))))
    return kept_while_standing(_checks, session, (point, moment_of(session, point)), check)


def proposal_shortfalls(session: Session, number: int) -> tuple[Shortfall, ...]:
    """The touched clauses this proposal can never get approved as it stands (its proposer and authors
    do not count): what proposing warns about."""
    return verdict(session, store.get_proposal(session, number)).evaluation.infeasible

"""Use case: the clauses the policy in force can never let merge (`specreg policy check`).

A clause is infeasible when its rule needs more approvals than there are people eligible to give
them (policy.shortfalls over policy.eligible, the one definition of who counts): two approvals with
one owner, say. Eligibility is judged for a proposal by nobody in particular; a proposal by one of
the owners has one fewer, which proposing reports (the verdict's `infeasible`). With the policy's
`[fallback] admins_approve_when_short`, the enabled admins count for a clause that is short.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from registry.audit.events import kept_while_standing
from registry.db import KeptAnswers
from registry.ledger.refs import Point
from registry.owners.queries import snapshot
from registry.owners.store import OwnersStore, moment_of
from registry.proposals import store
from registry.proposals.policy import Approver, ClauseFacts, Facts, Shortfall, shortfalls, with_fallback
from registry.proposals.policy_store import PolicySource, policy_at
from registry.proposals.verdict import admins, verdict


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


def spec_facts(session: Session, point: Point) -> Facts:
    """Every clause at the point as policy sees it (authority, approvers), for a proposal by nobody yet."""
    store = OwnersStore(session)
    snap = snapshot(session, point, store)
    made_by = store.assignments(moment_of(session, point))
    fallback = admins(session)
    clauses = []
    for v in snap.views:
        approvers = tuple(Approver(o.email, store.name_of(o.email),
                                   store.assigners(o, made_by.get(v.clause_id, {}), point.seq))
                          for o in snap.owners[v.id])
        authority = v.attributes.get("authority")
        clauses.append(ClauseFacts(v.id, (authority,) if authority else (), approvers or fallback, not approvers))
    return Facts("", frozenset(), 0, "", tuple(clauses), (), admins=fallback)


# Its inputs (the point's clauses, OWNERS.toml and policy.toml; assignments, admins, passwords) change
# only with an audited ingest or use case: the owners page keeps one answer per point until then.
_checks: KeptAnswers[PolicyCheck] = KeptAnswers(8)


def policy_check(session: Session, point: Point) -> PolicyCheck:
    """The clauses whose rule (the policy.toml in force at the point) too few people may approve."""
    def check() -> PolicyCheck:
        source = policy_at(session, point.seq)
        return PolicyCheck(point, source,
                           shortfalls(source.policy, with_fallback(source.policy, spec_facts(session, point))))
    return kept_while_standing(_checks, session, (point, moment_of(session, point)), check)


def proposal_shortfalls(session: Session, number: int) -> tuple[Shortfall, ...]:
    """The touched clauses this proposal can never get approved as it stands (its proposer and authors
    do not count): what proposing warns about."""
    return verdict(session, store.get_proposal(session, number)).evaluation.infeasible

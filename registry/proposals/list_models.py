"""Typed read models of proposals in a list: the proposals list and the review queue.

`specreg proposals --json` and GET `/api/v1/proposals` print `ProposalSummary.as_dict()`, `specreg
queue --json` and GET `/api/v1/review-queue` `QueueItem.as_dict()`, with the keys in the order
docs/proposals.md lists them; the parts they share with one proposal in full are
registry.proposals.read_models'.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from registry.ledger.refs import iso
from registry.proposals.read_models import PolicyBox, Who


@dataclass(frozen=True)
class Approvals:
    """How far a proposal's approvals go: those that count and those its policy needs, over its clauses."""

    have: int
    need: int

    def as_dict(self) -> dict[str, Any]:
        """{"have", "need"}."""
        return {"have": self.have, "need": self.need}


@dataclass(frozen=True)
class ProposalSummary:
    """A proposal in a list: `specreg proposals` and the proposals page."""

    id: int
    title: str
    state: str
    proposer: Who
    created_at: datetime
    updated_at: datetime
    revision: int
    clauses: tuple[str, ...]  # the ids the current revision touches, in order
    commit: str | None  # the merge commit, once merged
    approvals: Approvals
    vetoed: bool  # a request for changes is pending
    waiting_on: tuple[str, ...]  # emails of those whose approval could still satisfy the policy (open, approved)

    def as_dict(self) -> dict[str, Any]:
        """{"id", "title", "state", "proposer", "created_at", "updated_at", "revision", "clauses", "commit",
        "approvals", "vetoed", "waiting_on"}."""
        return {"id": self.id, "title": self.title, "state": self.state, "proposer": self.proposer.as_dict(),
                "created_at": iso(self.created_at), "updated_at": iso(self.updated_at), "revision": self.revision,
                "clauses": list(self.clauses), "commit": self.commit, "approvals": self.approvals.as_dict(),
                "vetoed": self.vetoed, "waiting_on": list(self.waiting_on)}


@dataclass(frozen=True)
class QueueItem(ProposalSummary):
    """A proposal waiting for someone's approval: `specreg queue` and the review queue page."""

    as_owner_of: tuple[str, ...]  # the touched clauses this person may approve
    policy: PolicyBox

    def as_dict(self) -> dict[str, Any]:
        """The summary's fields, then {"as_owner_of", "policy"}."""
        return super().as_dict() | {"as_owner_of": list(self.as_owner_of),
                                    "policy": self.policy.as_dict()}

"""Typed read model of the proposal a commit merged, as the record shows it: the evidence report and in-force.

`MergedProposal.as_dict()` is the evidence report's `proposals` item (docs/evidence.md) and, in
part, its changes' `proposal` and `specreg in-force`'s `proposal` (docs/accountability.md); the
approvals are the ones the merge named (registry.proposals.counted), not the verdict of today.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from registry.ledger.refs import iso
from registry.proposals.counted import NotCounted, SignedApproval
from registry.proposals.policy_store import PolicySource
from registry.proposals.read_models import Who


@dataclass(frozen=True)
class DismissedVeto:
    """A request for changes an admin dismissed: whose it was and what it said, who dismissed it, when, why."""

    vetoer: Who
    comment: str
    by: Who | None
    at: datetime
    reason: str | None

    def as_dict(self) -> dict[str, Any]:
        """{"vetoer", "comment", "by", "at", "reason"}."""
        return {"vetoer": self.vetoer.as_dict(), "comment": self.comment,
                "by": None if self.by is None else self.by.as_dict(), "at": iso(self.at), "reason": self.reason}


@dataclass(frozen=True)
class MergedProposal:
    """The proposal a commit merged: who proposed it and why, the approvals it counted, the policy at its base.

    What "which proposal introduced this text" needs: the evidence report and the in-force lookup.
    """

    id: int
    title: str
    rationale: str
    proposer: Who
    approvers: tuple[SignedApproval, ...]  # as the merge named them (registry.proposals.counted)
    uncounted: tuple[NotCounted, ...]  # pending approvals the merge did not count, with the reasons
    policy: PolicySource  # the policy.toml in force at the current revision's base
    commit: str  # the merge commit
    date: datetime  # when the merge commit was made
    dismissals: tuple[DismissedVeto, ...] = ()  # the requests for changes an admin overrode
    checks: tuple[str, ...] = ()  # the required checks that passed, as the merge's Check trailers name them

    def as_dict(self) -> dict[str, Any]:
        """{"id", "title", "rationale", "proposer", "approvers", "uncounted", "dismissals", "checks", "policy",
        "commit", "date"}: the evidence report's `proposals` item; the report's changes and in-force show parts of it."""
        return {"id": self.id, "title": self.title, "rationale": self.rationale, "proposer": self.proposer.as_dict(),
                "approvers": [a.as_dict() for a in self.approvers], "uncounted": [u.as_dict() for u in self.uncounted],
                "dismissals": [d.as_dict() for d in self.dismissals], "checks": list(self.checks),
                "policy": self.policy.as_dict(), "commit": self.commit, "date": iso(self.date)}

"""What the policy judges about one proposal: its touched clauses, who may approve each, its pending reviews.

Plain facts, gathered from the database by registry.proposals.verdict (and by feasibility and the
permissions for their questions); the rules over them are registry.proposals.approval_rules and
registry.proposals.policy.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

from registry.proposals.check_rules import CheckFacts

ROOT_OWNERS = " (root owners)"  # a governance file's key plus this: the part its root clauses' owners approve


@dataclass(frozen=True)
class Approver:
    """A person as policy sees them (as an approver of one clause)."""

    email: str
    name: str
    # The admins whose registry assignments alone make them an approver of the clause (directly or
    # through a team); empty when OWNERS.toml (or, for an unowned clause, the admin role) does.
    assigned_by: tuple[str, ...] = ()


@dataclass(frozen=True)
class ClauseFacts:
    """A touched clause: its authority levels (before and after) and who may approve it."""

    key: str
    authorities: tuple[str, ...]
    approvers: tuple[Approver, ...]  # its owners; the admins when it has none (or it is a governance file)
    unowned: bool = False
    governance: bool = False  # a governance file (key: its path), approved under [governance]
    root_owners: bool = False  # with governance: the part the owners of root clauses approve (key: path + ROOT_OWNERS)
    fallback: tuple[str, ...] = ()  # admins the policy's fallback added as approvers (too few were eligible)
    editorial: bool = False  # the change is editorial (registry.spec.change_class): editorial_min_approvals apply


@dataclass(frozen=True)
class ReviewFacts:
    """A pending (not withdrawn, not dismissed) review."""

    reviewer: Approver
    kind: str  # approve or request_changes
    revision: int
    digest: str
    at: datetime
    id: int | None = None  # the review's row, so callers can name the approvals that counted
    # Why the audit chain does not back the review as it stands ("not in the audit record: ..." or "its row
    # is gone: ..."; None: it does); such a review is no approval and no veto
    # (registry.proposals.verdict.standing_reviews decides it).
    unrecorded: str | None = None

    @property
    def recorded(self) -> bool:
        """The audit chain backs the review: it may count."""
        return self.unrecorded is None


@dataclass(frozen=True)
class Facts:
    """Everything evaluation needs about one proposal."""

    proposer: str
    revision_authors: frozenset[str]
    revision: int
    digest: str
    clauses: tuple[ClauseFacts, ...]
    reviews: tuple[ReviewFacts, ...]
    # People whose current password someone else set (an admin creating or resetting the account),
    # by email: who set it. Reviewers and assigners; the holder setting their own takes them out.
    password_set_by: Mapping[str, str] = field(default_factory=dict)
    admins: tuple[Approver, ...] = ()  # enabled admins, whom the policy's fallback may call on
    checks: tuple[CheckFacts, ...] = ()  # every check report on the proposal, any revision

    @cached_property
    def approvers_of(self) -> Mapping[str, tuple[ClauseFacts, ...]]:
        """Each approver's clauses, in the facts' order: standing asks it per person, and scanning every
        clause for each was most of the owners page's feasibility check at 3,000 clauses."""
        out: dict[str, list[ClauseFacts]] = {}
        for c in self.clauses:
            for email in dict.fromkeys(a.email for a in c.approvers):
                out.setdefault(email, []).append(c)
        return {email: tuple(cs) for email, cs in out.items()}

"""Read use case: the proposals rejected in a stretch of time, each with who rejected it, when and why.

Read from the `proposal.reject` audit events (the proposal row keeps only the reason), so the
evidence report names the person behind every rejection, as it names the people behind every merge.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.ledger.refs import iso
from registry.models import AuditEvent, Person, Proposal
from registry.proposals import store
from registry.proposals.read_models import Who


@dataclass(frozen=True)
class RejectedProposal:
    """A proposal closed without merging: what it asked for, who rejected it, when and why."""

    id: int
    title: str
    proposer: Who
    clauses: tuple[str, ...]  # the ids its last revision touched
    by: Who
    at: datetime
    reason: str

    def as_dict(self) -> dict[str, Any]:
        """{"id", "title", "proposer", "clauses", "by", "at", "reason"}."""
        return {"id": self.id, "title": self.title, "proposer": self.proposer.as_dict(),
                "clauses": list(self.clauses), "by": self.by.as_dict(), "at": iso(self.at), "reason": self.reason}


def _person(session: Session, email: str) -> Who:
    """The person behind an audit actor (the email itself as the name when no account has it)."""
    return Who(session.scalar(select(Person.name).where(Person.email == email)) or email, email)


def rejections(session: Session, since: datetime | None, until: datetime | None) -> list[RejectedProposal]:
    """Proposals rejected after `since` up to and including `until` (None: unbounded), oldest first."""
    stmt = select(AuditEvent).where(AuditEvent.action == "proposal.reject").order_by(AuditEvent.seq)
    if since is not None:
        stmt = stmt.where(AuditEvent.at > since)
    if until is not None:
        stmt = stmt.where(AuditEvent.at <= until)
    out = []
    for event in session.scalars(stmt):
        kind, _, number = event.subject.partition(":")
        p = session.get(Proposal, int(number)) if kind == "proposal" and number.isdigit() else None
        if p is None:  # verify reports an event without its proposal; the report lists what exists
            continue
        reason = event.new.get("reason") if isinstance(event.new, dict) else None
        proposer = session.get_one(Person, p.proposer_id)
        out.append(RejectedProposal(p.id, p.title, Who(proposer.name, proposer.email), store.touched_keys(session, p),
                                    _person(session, event.actor), event.at, str(reason or "")))
    return out

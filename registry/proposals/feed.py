"""Use case: the proposals feed: proposals opened, approved, merged and rejected, newest first, from the audit events.

The audit chain is the record, as for a proposal's timeline (registry.proposals.timeline); an entry's id
is the proposal's number, the event and the audit event's hash, which a restore keeps (the chain would
not verify otherwise).
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.history.feeds import FEED_LIMIT, Feed, FeedEntry, newest, spec_root, unique, urn
from registry.models import AuditEvent, Person, Proposal, ProposalState

# The audit actions the feed reads; `_event` keeps the ones that opened or approved a proposal.
_ACTIONS = ("proposal.create", "proposal.submit", "proposal.state", "proposal.merge", "proposal.reject")
_BATCH = 200


def _event(e: AuditEvent) -> str | None:
    """What the event did to its proposal as the feed names it, None for an event the feed leaves out."""
    new: dict[str, Any] = e.new if isinstance(e.new, dict) else {}
    if e.action == "proposal.create":  # a draft opens later, on submit
        return "opened" if new.get("state") == ProposalState.OPEN else None
    if e.action == "proposal.state":  # the policy's verdict moved it; back to open is no news
        return "approved" if new.get("state") == ProposalState.APPROVED else None
    return {"proposal.submit": "opened", "proposal.merge": "merged", "proposal.reject": "rejected"}[e.action]


def _events(session: Session, limit: int) -> list[tuple[AuditEvent, int, str]]:
    """The newest `limit` events the feed shows: (event, proposal number, what happened), read in batches."""
    found: list[tuple[AuditEvent, int, str]] = []
    before: int | None = None
    while len(found) < limit:
        q = select(AuditEvent).where(AuditEvent.action.in_(_ACTIONS), AuditEvent.subject.startswith("proposal:"))
        batch = list(session.scalars((q if before is None else q.where(AuditEvent.seq < before))
                                     .order_by(AuditEvent.seq.desc()).limit(_BATCH)))
        for e in batch:
            number, what = e.subject.removeprefix("proposal:"), _event(e)
            if what is not None and number.isdigit():
                found.append((e, int(number), what))
        if len(batch) < _BATCH:
            break
        before = batch[-1].seq
    return found[:limit]


def _summary(what: str, name: str, new: Any) -> str:
    new = new if isinstance(new, dict) else {}
    if what == "merged":
        return f"merged by {name} as commit {new.get('commit', '')}"
    if what == "rejected":
        return f"rejected by {name}" + (f"; reason: {new['reason']}" if new.get("reason") else "")
    if what == "approved":
        return "approved: its policy is satisfied"
    return f"opened by {name}"


def proposals_feed(session: Session, limit: int = FEED_LIMIT) -> Feed:
    """Proposals opened, approved (the policy satisfied), merged and rejected, newest first."""
    events = _events(session, limit)
    titles = dict(session.execute(select(Proposal.id, Proposal.title)
                                  .where(Proposal.id.in_({n for _e, n, _w in events}))).all())
    names = dict(session.execute(select(Person.email, Person.name)
                                 .where(Person.email.in_({e.actor for e, _n, _w in events}))).all())
    entries = unique((FeedEntry(urn("proposal", str(n), what, e.hash), f"Proposal #{n} {what}: {titles.get(n, '')}",
                                e.at, names.get(e.actor, e.actor), f"/proposals/{n}",
                                _summary(what, names.get(e.actor, e.actor), e.new))
                      for e, n, what in events), limit)
    return Feed(urn("feed", spec_root(session), "proposals"), "Proposals", "/proposals", newest(entries, session),
                entries)

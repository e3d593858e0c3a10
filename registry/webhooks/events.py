"""The webhook events, and which audit events announce them (an audit listener installed by wiring).

Proposal events and history rewrites are read from the audit event each change appends, in its
transaction: every place that opens, revises, approves, merges or rejects a proposal already
records one, so no path can change a proposal without its webhook event being written too.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from registry.errors import BadRequest
from registry.models import AuditEvent, Proposal, ProposalState
from registry.webhooks.outbox import emit

EVENTS = ("proposal.opened", "proposal.revised", "proposal.approved", "proposal.merged", "proposal.rejected",
          "clause.changed", "unapproved.detected", "history.rewritten", "verify.failed")


def parse_events(text: str) -> list[str]:
    """`E1,E2` as a list of known events, each once; BadRequest naming an unknown one."""
    names = list(dict.fromkeys(n.strip() for n in text.split(",") if n.strip()))
    if not names:
        raise BadRequest(f"name at least one event: {', '.join(EVENTS)}")
    unknown = [n for n in names if n not in EVENTS]
    if unknown:
        raise BadRequest(f"unknown event {unknown[0]!r}: one of {', '.join(EVENTS)}")
    return names


def _proposal_event(action: str, new: Any, state: str) -> str | None:
    """The webhook event an audit action on a proposal announces, if any."""
    new_state = new.get("state") if isinstance(new, dict) else None
    if action == "proposal.create":
        return "proposal.opened" if state != ProposalState.DRAFT else None
    return {"proposal.submit": "proposal.opened", "proposal.revise": "proposal.revised",
            "proposal.merge": "proposal.merged", "proposal.reject": "proposal.rejected",
            "proposal.state": "proposal.approved" if new_state == ProposalState.APPROVED else None}.get(action)


def from_audit(session: Session, event: AuditEvent) -> None:
    """Write the webhook event an audit event announces (the audit listener; most announce none)."""
    if event.action == "ingest.rewrite":
        old, new = event.old or {}, event.new or {}
        emit(session, "history.rewritten", {"branch": event.subject.removeprefix("branch:"),
                                            "old_head": old.get("head"), "new_head": new.get("head"),
                                            "fork": new.get("fork"), "set_aside": new.get("set_aside")})
        return
    if not event.action.startswith("proposal.") or not event.subject.startswith("proposal:"):
        return
    proposal = session.get(Proposal, int(event.subject.removeprefix("proposal:")))
    if proposal is None:
        return
    name = _proposal_event(event.action, event.new, proposal.state)
    if name is not None:
        emit(session, name, {"proposal": {"number": proposal.id, "title": proposal.title, "state": proposal.state,
                                          "revision": proposal.revision, "path": f"/proposals/{proposal.id}",
                                          "merged_commit": proposal.merged_sha},
                             "actor": event.actor, "audit_seq": event.seq})

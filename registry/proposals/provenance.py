"""Every review and every proposal's state must be what the audit chain recorded.

The chain is hash-chained (and keyed), the rows are not: a review inserted with SQL, a request for
changes marked dismissed, or a proposal set to `approved` behind the registry's back leaves no
event. Verify names each such row, and merge refuses to write an `Approved-by:` trailer for an
approval no event recorded (registry.proposals.merge).
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.audit.events import Finding, by_subject
from registry.errors import IntegrityFailure
from registry.ledger.refs import iso
from registry.models import AuditEvent, Person, Proposal, Review, Revision
from registry.proposals.counted import SignedApproval

REVIEW_ACTIONS = ("review.approve", "review.request_changes")
SETTLE_ACTIONS = ("review.withdraw_veto", "review.dismiss")
# Every proposal event that records the state it left the proposal in (its `new.state`).
STATE_ACTIONS = ("proposal.create", "proposal.submit", "proposal.revise", "proposal.withdraw", "proposal.reject",
                 "proposal.state", "proposal.conflict", "proposal.merge")


def _new(e: AuditEvent) -> dict[str, Any]:
    return e.new if isinstance(e.new, dict) else {}


def _signed_as(session: Session, r: Review) -> dict[str, Any]:
    """What the review's own event must say about it."""
    revision = session.get_one(Revision, r.revision_id)
    signed = {"review": r.id, "revision": revision.number, "digest": r.digest, "meaning": r.meaning,
              "printed_name": r.printed_name, "at": iso(r.created_at)}
    # The classes the reviewer saw, kept since reviews keep them (older rows and events have none).
    return signed | ({"classes": r.classes} if r.classes is not None else {})


def review_mismatches(session: Session, r: Review, events: Iterable[AuditEvent]) -> list[str]:
    """Why the review row is not what the chain recorded (empty when it is).

    `events` are the proposal's review events, oldest first: the one that recorded the review
    must match its kind, giver, revision, digest, meaning, printed name and time; its withdrawal
    or dismissal must match the last event that settled it.
    """
    mine = [e for e in events if _new(e).get("review") == r.id]
    made = [e for e in mine if e.action in REVIEW_ACTIONS]
    if not made:
        return [f"no audit event recorded this {_what(r)} by {r.printed_name} (inserted behind the registry's back)"]
    email = session.get_one(Person, r.reviewer_id).email
    signed = _signed_as(session, r)
    recorded = {k: _new(made[0]).get(k) for k in signed}
    if (made[0].action, made[0].actor.lower(), recorded) != (f"review.{r.kind}", email.lower(), signed):
        return [f"the {_what(r)} by {r.printed_name} differs from what audit event {made[0].seq} recorded (edited)"]
    settled = [_new(e) for e in mine if e.action in SETTLE_ACTIONS]
    pending = settled[-1].get("pending", True) if settled else True
    if r.pending != pending:
        return [f"the {_what(r)} by {r.printed_name} is {_status(r.pending)} in the database, but the audit "
                f"events say {_status(pending)}"]
    if (r.dismiss_reason or None) != (settled[-1].get("reason") if settled else None):
        return [f"the {_what(r)} by {r.printed_name} was dismissed with a reason no audit event recorded (edited)"]
    return []


def _status(pending: bool) -> str:
    return "pending" if pending else "withdrawn or dismissed"


def _what(r: Review) -> str:
    return "approval" if r.kind == "approve" else "request for changes"


def _review_events(session: Session) -> dict[str, list[AuditEvent]]:
    return by_subject(session, "proposal:", REVIEW_ACTIONS + SETTLE_ACTIONS)


def check_recorded_reviews(session: Session) -> list[Finding]:
    """Every review row against the audit event that recorded it (check `review`)."""
    events = _review_events(session)
    return [Finding("review", f"proposal {r.proposal_id} review {r.id}", m)
            for r in session.scalars(select(Review).order_by(Review.proposal_id, Review.id))
            for m in review_mismatches(session, r, events.get(f"proposal:{r.proposal_id}", []))]


def check_proposal_states(session: Session) -> list[Finding]:
    """Every proposal's state (and merge commit) against the last event that set it (check `proposal`)."""
    events = by_subject(session, "proposal:", STATE_ACTIONS)
    findings = []
    for p in session.scalars(select(Proposal).order_by(Proposal.id)):
        said = [_new(e) for e in events.get(f"proposal:{p.id}", []) if "state" in _new(e)]
        merges = [_new(e) for e in events.get(f"proposal:{p.id}", []) if e.action == "proposal.merge"]
        where = f"proposal {p.id}"
        if not said:
            findings.append(Finding("proposal", where, "no audit event recorded this proposal (inserted behind "
                                                       "the registry's back)"))
        elif said[-1]["state"] != p.state:
            findings.append(Finding("proposal", where, f"is {p.state} in the database, but its last state event "
                                                       f"says {said[-1]['state']}"))
        elif p.merged_sha is not None and (not merges or merges[-1].get("commit") != p.merged_sha):
            findings.append(Finding("proposal", where, f"records merge commit {p.merged_sha[:12]}, which no "
                                                       "proposal.merge event names"))
    return findings


def unrecorded(session: Session, proposal_id: int, approvals: Iterable[SignedApproval]) -> list[str]:
    """Why each of these approvals of the proposal is not what the audit chain recorded (empty when all are)."""
    mine = by_subject(session, f"proposal:{proposal_id}", REVIEW_ACTIONS + SETTLE_ACTIONS).get(
        f"proposal:{proposal_id}", [])
    return [f"review {a.review}: {m}" for a in approvals
            for m in review_mismatches(session, session.get_one(Review, a.review), mine)]


def require_recorded(session: Session, proposal_id: int, approvals: Iterable[SignedApproval]) -> None:
    """IntegrityFailure when an approval a merge would name is not what the audit chain recorded."""
    wrong = unrecorded(session, proposal_id, approvals)
    if wrong:
        raise IntegrityFailure(f"proposal #{proposal_id} cannot merge: its Approved-by trailers would name an "
                               f"approval the audit trail does not back ({'; '.join(wrong)}); run `specreg verify`")

"""Every review, check report and proposal state must be what the audit chain recorded.

The chain is hash-chained (and keyed), the rows are not: a review or a check report inserted with
SQL, a request for changes marked dismissed, or a proposal set to `approved` behind the registry's
back leaves no event. Verify names each such row; the verdict (registry.proposals.verdict,
`standing_reviews` and its checks) counts only the reviews and check reports an event recorded as
they stand, so a forged approval or `success` neither approves nor merges anything, and the pages
mark such rows as not in the audit record.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.audit.events import Finding, by_subject
from registry.db import kept_or
from registry.ledger.refs import iso
from registry.models import AuditEvent, CheckReport, Person, Proposal, Review, Revision

if TYPE_CHECKING:  # counted imports the verdict, which imports this module
    from registry.proposals.counted import SignedApproval

REVIEW_ACTIONS = ("review.approve", "review.request_changes")
SETTLE_ACTIONS = ("review.withdraw_veto", "review.dismiss")
CHECK_ACTIONS = ("check.report",)
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


def _recorded(made: list[AuditEvent], what: str, action: str, email: str, signed: dict[str, Any]) -> str | None:
    """Why a row is not what the first event that made it recorded (None when it is): the event's
    action, actor and every field of `signed` must match the row."""
    if not made:
        return f"no audit event recorded this {what} (inserted behind the registry's back)"
    recorded = {k: _new(made[0]).get(k) for k in signed}
    if (made[0].action, made[0].actor.lower(), recorded) != (action, email.lower(), signed):
        return f"the {what} differs from what audit event {made[0].seq} recorded (edited)"
    return None


@dataclass(frozen=True)
class ReviewRecord:
    """A review row as the audit chain has it."""

    email: str  # the giver's
    made: bool  # the event that recorded the review says what the row says (kind, giver, revision, digest, ...)
    standing: bool  # neither withdrawn nor dismissed, by the chain's events (by the row when no event made it)
    wrong: str | None  # why the row is not what the chain recorded (None: it is)


def review_record(session: Session, r: Review, events: Iterable[AuditEvent], email: str | None = None) -> ReviewRecord:
    """The review row against the chain (`email`: the giver's, when the caller read it already).

    `events` are the proposal's review events, oldest first: the one that recorded the review
    must match its kind, giver, revision, digest, meaning, printed name and time; its withdrawal
    or dismissal must match the last event that settled it.
    """
    mine = [e for e in events if _new(e).get("review") == r.id]
    made = [e for e in mine if e.action in REVIEW_ACTIONS]
    email = email or session.get_one(Person, r.reviewer_id).email
    wrong = _recorded(made, f"{_what(r)} by {r.printed_name}", f"review.{r.kind}", email, _signed_as(session, r))
    if wrong is not None:
        return ReviewRecord(email, False, r.pending, wrong)
    settled = [_new(e) for e in mine if e.action in SETTLE_ACTIONS]
    pending = bool(settled[-1].get("pending", True)) if settled else True
    if r.pending != pending:
        wrong = (f"the {_what(r)} by {r.printed_name} is {_status(r.pending)} in the database, but the audit "
                 f"events say {_status(pending)}")
    elif (r.dismiss_reason or None) != (settled[-1].get("reason") if settled else None):
        wrong = f"the {_what(r)} by {r.printed_name} was dismissed with a reason no audit event recorded (edited)"
    return ReviewRecord(email, True, pending, wrong)


def review_records(session: Session, proposal_id: int, reviews: Iterable[Review]) -> dict[int, ReviewRecord]:
    """`review_record` of each of the proposal's reviews, by review id (its events and givers read once)."""
    reviews = list(reviews)
    if not reviews:
        return {}
    events = proposal_events(session, proposal_id, REVIEW_ACTIONS + SETTLE_ACTIONS)
    emails = givers(session, frozenset(r.reviewer_id for r in reviews))
    return {r.id: review_record(session, r, events, emails[r.reviewer_id]) for r in reviews}


def givers(session: Session, ids: frozenset[int]) -> dict[int, str]:
    """Person id -> email of these people (reviewers), read in one query."""
    return dict(kept_or(session, (givers, ids), lambda: {i: e for i, e in session.execute(
        select(Person.id, Person.email).where(Person.id.in_(ids)))}))


def _status(pending: bool) -> str:
    return "pending" if pending else "withdrawn or dismissed"


def _what(r: Review) -> str:
    return "approval" if r.kind == "approve" else "request for changes"


def _review_events(session: Session) -> dict[str, list[AuditEvent]]:
    return by_subject(session, "proposal:", REVIEW_ACTIONS + SETTLE_ACTIONS)


def check_recorded_reviews(session: Session) -> list[Finding]:
    """Every review row against the audit event that recorded it (check `review`)."""
    events = _review_events(session)
    records = ((r, review_record(session, r, events.get(f"proposal:{r.proposal_id}", [])))
               for r in session.scalars(select(Review).order_by(Review.proposal_id, Review.id)))
    return [Finding("review", f"proposal {r.proposal_id} review {r.id}", rec.wrong) for r, rec in records if rec.wrong]


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


def check_mismatch(session: Session, c: CheckReport, revision: int, events: Iterable[AuditEvent]) -> str | None:
    """Why the check report row (on revision number `revision`) is not what its `check.report` event
    recorded (None when it is): reporter, name, status, revision, url, summary and time must match."""
    made = [e for e in events if e.action in CHECK_ACTIONS and _new(e).get("report") == c.id]
    email = session.get_one(Person, c.reporter_id).email
    signed = {"report": c.id, "name": c.name, "status": c.status, "revision": revision, "url": c.url,
              "summary": c.summary, "at": iso(c.created_at)}
    return _recorded(made, f"{c.name} report by {email}", "check.report", email, signed)


def proposal_events(session: Session, proposal_id: int, actions: tuple[str, ...]) -> list[AuditEvent]:
    """The proposal's events with these actions, oldest first: by its exact subject (the verdict asks on
    every page, and a prefix would read proposal 1's tens, hundreds, ... too)."""
    return list(kept_or(session, (proposal_events, proposal_id, actions), lambda: session.scalars(
        select(AuditEvent).where(AuditEvent.subject == f"proposal:{proposal_id}", AuditEvent.action.in_(actions))
        .order_by(AuditEvent.seq))))


def check_records(session: Session, proposal_id: int, reports: Iterable[CheckReport],
                  numbers: dict[int, int]) -> dict[int, str | None]:
    """Why each report is not what its `check.report` event recorded (None: it is), by report id
    (`numbers`: revision id -> number)."""
    reports = list(reports)
    events = proposal_events(session, proposal_id, CHECK_ACTIONS) if reports else []
    return {c.id: check_mismatch(session, c, numbers[c.revision_id], events) for c in reports}


def check_recorded_checks(session: Session) -> list[Finding]:
    """Every check report row against the `check.report` event that recorded it (check `check`)."""
    events = by_subject(session, "proposal:", CHECK_ACTIONS)
    numbers = {rid: number for rid, number in session.execute(select(Revision.id, Revision.number))}
    findings = []
    for c in session.scalars(select(CheckReport).order_by(CheckReport.proposal_id, CheckReport.id)):
        wrong = check_mismatch(session, c, numbers[c.revision_id], events.get(f"proposal:{c.proposal_id}", []))
        if wrong is not None:
            findings.append(Finding("check", f"proposal {c.proposal_id} check report {c.id}", wrong))
    return findings


def unrecorded(session: Session, proposal_id: int, approvals: Iterable[SignedApproval]) -> list[str]:
    """Why each of these approvals of the proposal is not what the audit chain recorded (empty when all are)."""
    records = review_records(session, proposal_id, (session.get_one(Review, a.review) for a in approvals))
    return [f"review {i}: {rec.wrong}" for i, rec in records.items() if rec.wrong]


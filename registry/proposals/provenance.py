"""Reviews and check reports as the audit chain recorded them, and every row held to that record.

The chain is hash-chained and keyed, the rows are not: a review or a check report inserted, edited
or deleted with SQL, a request for changes marked dismissed, or a proposal set to `approved` behind
the registry's back leaves no event. `review_chain` and `report_chain` read what the proposal's
events the audit key vouches for (registry.audit.events.vouched) recorded, so an event inserted with
SQL is no record; the verdict (registry.proposals.verdict, `standing_reviews` and `standing_checks`)
starts from them, not from the rows. Verify names each row that is not what its event recorded and
each recorded review or report whose row is gone; the pages mark such rows as not in the audit record.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.audit.events import Finding, by_subject, vouched
from registry.ledger.refs import iso
from registry.models import AuditEvent, CheckReport, Person, Proposal, Review, Revision
from registry.proposals.check_rules import CheckFacts
from registry.transaction.tracking import kept_or, once_per_transaction

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


def _moment(e: AuditEvent) -> datetime:
    """The time the event's `new.at` signed (the row's time, to the second), else the event's own."""
    try:
        return datetime.fromisoformat(str(_new(e)["at"]))
    except (KeyError, ValueError):
        return e.at


@dataclass(frozen=True)
class ChainReview:
    """An approval or request for changes as the audit chain recorded it, and whether the chain has it standing."""

    id: int  # the review row the event names
    kind: str  # approve or request_changes
    email: str  # the giver's (the event's actor)
    event: AuditEvent  # the first event that recorded it
    pending: bool  # no withdrawal or dismissal recorded since (the last one's `pending` says)
    reason: str | None  # the dismissal's reason, as recorded

    @property
    def revision(self) -> int:
        """The revision number it was given for."""
        return int(_new(self.event).get("revision") or 0)

    @property
    def digest(self) -> str:
        """The digest of the text it was given for."""
        return str(_new(self.event).get("digest") or "")

    @property
    def printed_name(self) -> str:
        """The giver's printed name, as signed."""
        return str(_new(self.event).get("printed_name") or self.email)

    @property
    def at(self) -> datetime:
        """When it was given, as signed."""
        return _moment(self.event)

    @property
    def missing(self) -> str:
        """Why it has no row: deleted behind the registry's back."""
        what = "approval" if self.kind == "approve" else "request for changes"
        return (f"the {what} by {self.printed_name} that audit event {self.event.seq} recorded has no row in the "
                "database (deleted behind the registry's back)")


def chain_reviews(events: Iterable[AuditEvent]) -> dict[int, ChainReview]:
    """Every review the events recorded, by review id, standing as their withdrawals and dismissals say.

    `events`: one proposal's review events, oldest first, each vouched for (events.vouched)."""
    made: dict[int, AuditEvent] = {}
    settled: dict[int, dict[str, Any]] = {}
    for e in events:
        review = _new(e).get("review")
        if not isinstance(review, int):
            continue
        if e.action in REVIEW_ACTIONS:
            made.setdefault(review, e)
        elif e.action in SETTLE_ACTIONS:
            settled[review] = _new(e)
    return {i: ChainReview(i, e.action.removeprefix("review."), e.actor, e,
                           bool(settled[i].get("pending", True)) if i in settled else True,
                           settled[i].get("reason") if i in settled else None)
            for i, e in made.items()}


def _signed_as(session: Session, r: Review) -> dict[str, Any]:
    """What the review's own event must say about it."""
    revision = session.get_one(Revision, r.revision_id)
    signed = {"review": r.id, "revision": revision.number, "digest": r.digest, "meaning": r.meaning,
              "printed_name": r.printed_name, "at": iso(r.created_at)}
    # The classes the reviewer saw, kept since reviews keep them (older rows and events have none).
    return signed | ({"classes": r.classes} if r.classes is not None else {})


def _recorded(made: AuditEvent | None, what: str, action: str, email: str, signed: dict[str, Any]) -> str | None:
    """Why a row is not what the event that made it recorded (None when it is): the event's action,
    actor and every field of `signed` must match the row."""
    if made is None:
        return f"no audit event recorded this {what} (inserted behind the registry's back)"
    recorded = {k: _new(made).get(k) for k in signed}
    if (made.action, made.actor.lower(), recorded) != (action, email.lower(), signed):
        return f"the {what} differs from what audit event {made.seq} recorded (edited)"
    return None


@dataclass(frozen=True)
class ReviewRecord:
    """A review row as the audit chain has it."""

    email: str  # the giver's
    made: bool  # the event that recorded the review says what the row says (kind, giver, revision, digest, ...)
    standing: bool  # neither withdrawn nor dismissed, by the chain's events (by the row when no event made it)
    wrong: str | None  # why the row is not what the chain recorded (None: it is)


def review_record(session: Session, r: Review, chain: ChainReview | None, email: str | None = None) -> ReviewRecord:
    """The review row against the chain's record of it (`email`: the giver's, when the caller read it already).

    The event that recorded the review must match the row's kind, giver, revision, digest, meaning,
    printed name and time; its withdrawal or dismissal must match the last event that settled it.
    """
    email = email or session.get_one(Person, r.reviewer_id).email
    wrong = _recorded(chain.event if chain else None, f"{_what(r)} by {r.printed_name}", f"review.{r.kind}", email,
                      _signed_as(session, r))
    if chain is None or wrong is not None:
        return ReviewRecord(email, False, r.pending, wrong)
    if r.pending != chain.pending:
        wrong = (f"the {_what(r)} by {r.printed_name} is {_status(r.pending)} in the database, but the audit "
                 f"events say {_status(chain.pending)}")
    elif (r.dismiss_reason or None) != chain.reason:
        wrong = f"the {_what(r)} by {r.printed_name} was dismissed with a reason no audit event recorded (edited)"
    return ReviewRecord(email, True, chain.pending, wrong)


def review_chain(session: Session, proposal_id: int) -> dict[int, ChainReview]:
    """The proposal's reviews as the audit chain recorded them (only events the audit key vouches for)."""
    return chain_reviews(vouched(session, proposal_events(session, proposal_id, REVIEW_ACTIONS + SETTLE_ACTIONS)))


def review_records(session: Session, proposal_id: int, reviews: Iterable[Review],
                   chain: dict[int, ChainReview] | None = None) -> dict[int, ReviewRecord]:
    """`review_record` of each of the proposal's review rows, by review id (its events and givers read once;
    `chain`: review_chain, when the caller read it already)."""
    reviews = list(reviews)
    if not reviews:
        return {}
    chain = review_chain(session, proposal_id) if chain is None else chain
    emails = givers(session, frozenset(r.reviewer_id for r in reviews))
    return {r.id: review_record(session, r, chain.get(r.id), emails[r.reviewer_id]) for r in reviews}


def givers(session: Session, ids: frozenset[int]) -> dict[int, str]:
    """Person id -> email of these people (reviewers), read in one query."""
    return dict(kept_or(session, (givers, ids), lambda: {i: e for i, e in session.execute(
        select(Person.id, Person.email).where(Person.id.in_(ids)))}))


def _status(pending: bool) -> str:
    return "pending" if pending else "withdrawn or dismissed"


def _what(r: Review) -> str:
    return "approval" if r.kind == "approve" else "request for changes"


def _chains(session: Session, actions: tuple[str, ...]) -> dict[int, list[AuditEvent]]:
    """Every proposal's events with these actions that the audit key vouches for, by proposal id."""
    return {int(subject.split(":", 1)[1]): vouched(session, found)
            for subject, found in by_subject(session, "proposal:", actions).items()
            if subject.split(":", 1)[1].isdigit()}


def check_recorded_reviews(session: Session) -> list[Finding]:
    """Every review row against the audit event that recorded it, and every recorded review against its
    row (check `review`)."""
    chains = {p: chain_reviews(found) for p, found in _chains(session, REVIEW_ACTIONS + SETTLE_ACTIONS).items()}
    rows = list(session.scalars(select(Review).order_by(Review.proposal_id, Review.id)))
    findings = [(r.proposal_id, r.id, review_record(session, r, chains.get(r.proposal_id, {}).get(r.id)).wrong)
                for r in rows]
    have = {(r.proposal_id, r.id) for r in rows}
    findings += [(p, i, c.missing) for p, chain in chains.items() for i, c in chain.items() if (p, i) not in have]
    return [Finding("review", f"proposal {p} review {i}", wrong) for p, i, wrong in sorted(findings, key=_order)
            if wrong]


def _order(finding: tuple[int, int, str | None]) -> tuple[int, int]:
    return finding[0], finding[1]


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


@dataclass(frozen=True)
class ChainReport:
    """A check report as its `check.report` event recorded it."""

    id: int  # the report row the event names
    email: str  # the reporter's (the event's actor)
    event: AuditEvent

    def said(self, field: str) -> Any:
        """A field of what the event recorded."""
        return _new(self.event).get(field)

    @property
    def facts(self) -> CheckFacts:
        """The report as the policy judges it: name, status, revision, url and time as recorded."""
        url = self.said("url")
        return CheckFacts(self.id, str(self.said("name")), str(self.said("status")), int(self.said("revision") or 0),
                          None if url is None else str(url), _moment(self.event))

    @property
    def missing(self) -> str:
        """Why it has no row: deleted behind the registry's back."""
        return (f"the {self.said('name')} report by {self.email} that audit event {self.event.seq} recorded has no "
                "row in the database (deleted behind the registry's back)")


def chain_reports(events: Iterable[AuditEvent]) -> dict[int, ChainReport]:
    """Every check report the events recorded, by report id (`events`: one proposal's, vouched for)."""
    out: dict[int, ChainReport] = {}
    for e in events:
        report = _new(e).get("report")
        if e.action in CHECK_ACTIONS and isinstance(report, int) and report not in out:
            out[report] = ChainReport(report, e.actor, e)
    return out


def report_chain(session: Session, proposal_id: int) -> dict[int, ChainReport]:
    """The proposal's check reports as the audit chain recorded them (only events the audit key vouches for)."""
    return chain_reports(vouched(session, proposal_events(session, proposal_id, CHECK_ACTIONS)))


def check_mismatch(session: Session, c: CheckReport, revision: int, recorded: ChainReport | None) -> str | None:
    """Why the check report row (on revision number `revision`) is not what its `check.report` event
    recorded (None when it is): reporter, name, status, revision, url, summary and time must match."""
    email = session.get_one(Person, c.reporter_id).email
    signed = {"report": c.id, "name": c.name, "status": c.status, "revision": revision, "url": c.url,
              "summary": c.summary, "at": iso(c.created_at)}
    return _recorded(recorded.event if recorded else None, f"{c.name} report by {email}", "check.report", email, signed)


def proposal_events(session: Session, proposal_id: int, actions: tuple[str, ...]) -> list[AuditEvent]:
    """The proposal's events with these actions, oldest first: by its exact subject (the verdict asks on
    every page, and a prefix would read proposal 1's tens, hundreds, ... too). Read once per transaction
    until it writes or locks: the proposal page judges the verdict, the permissions and the listings over them."""
    return list(once_per_transaction(session, (proposal_events, proposal_id, actions), lambda: list(session.scalars(
        select(AuditEvent).where(AuditEvent.subject == f"proposal:{proposal_id}", AuditEvent.action.in_(actions))
        .order_by(AuditEvent.seq)))))


def check_records(session: Session, reports: Iterable[CheckReport], chain: dict[int, ChainReport],
                  numbers: dict[int, int]) -> dict[int, str | None]:
    """Why each report row is not what its `check.report` event recorded (None: it is), by report id
    (`chain`: report_chain of their proposal; `numbers`: revision id -> number)."""
    return {c.id: check_mismatch(session, c, numbers[c.revision_id], chain.get(c.id)) for c in reports}


def check_recorded_checks(session: Session) -> list[Finding]:
    """Every check report row against the `check.report` event that recorded it, and every recorded
    report against its row (check `check`)."""
    chains = {p: chain_reports(found) for p, found in _chains(session, CHECK_ACTIONS).items()}
    numbers = {rid: number for rid, number in session.execute(select(Revision.id, Revision.number))}
    rows = list(session.scalars(select(CheckReport).order_by(CheckReport.proposal_id, CheckReport.id)))
    findings = [(c.proposal_id, c.id, check_mismatch(session, c, numbers[c.revision_id],
                                                     chains.get(c.proposal_id, {}).get(c.id))) for c in rows]
    have = {(c.proposal_id, c.id) for c in rows}
    findings += [(p, i, c.missing) for p, chain in chains.items() for i, c in chain.items() if (p, i) not in have]
    return [Finding("check", f"proposal {p} check report {i}", wrong) for p, i, wrong in sorted(findings, key=_order)
            if wrong]


def unrecorded(session: Session, proposal_id: int, approvals: Iterable[SignedApproval]) -> list[str]:
    """Why each of these approvals of the proposal is not what the audit chain recorded (empty when all are)."""
    records = review_records(session, proposal_id, (session.get_one(Review, a.review) for a in approvals))
    return [f"review {i}: {rec.wrong}" for i, rec in records.items() if rec.wrong]


"""The approvals that counted for a proposal, as a merge names them: its trailers, evidence, in-force.

The policy alone decides which approvals count (registry.proposals.approval_rules.counted_approvals, read
here through the verdict). Until a proposal merges, that is the verdict now. A merge writes those
approvals into its `Approved-by:` trailers and into its `proposal.merge` audit event, and from then
on the event is the record: ownership moving after the merge does not change which approvals
counted, and the hash chain keeps the record from being edited. Merges recorded before the event
held the approvals name what the rule of that time counted, judged over the reviews the audit chain
recorded (see `_before_recording`): a review row forged or edited with SQL is no approval there either.
"""
from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.gitsource.trailers import approved_by
from registry.ledger.refs import iso
from registry.models import AuditEvent, Person, Proposal, Review
from registry.proposals import store
from registry.proposals.verdict import standing_reviews, verdict

MERGE_ACTION = "proposal.merge"


@dataclass(frozen=True)
class SignedApproval:
    """One approval that counted: the review, as signed, and the touched clauses it counted for."""

    review: int
    name: str  # the printed name, as signed
    email: str
    time: str  # when, ISO UTC to the second (as the trailer has it)
    meaning: str
    counts_for: tuple[str, ...]  # empty for a merge recorded before the event kept it

    @property
    def trailer(self) -> str:
        """The `Approved-by:` value: `Name <email>; time; meaning`."""
        return approved_by(self.name, self.email, self.time, self.meaning)

    def as_dict(self) -> dict[str, str]:
        """{"name", "email", "time", "meaning"}: an approver in evidence and in-force."""
        return {"name": self.name, "email": self.email, "time": self.time, "meaning": self.meaning}


@dataclass(frozen=True)
class NotCounted:
    """A pending approval the policy did not count for the proposal, as signed, and why."""

    review: int
    name: str  # the printed name, as signed
    email: str
    time: str
    meaning: str
    reason: str  # the policy's reason (registry.proposals.approval_rules.judge_approvals)

    def as_dict(self) -> dict[str, str]:
        """{"name", "email", "time", "meaning", "reason"}: an uncounted approval in evidence and in-force."""
        return {"name": self.name, "email": self.email, "time": self.time, "meaning": self.meaning,
                "reason": self.reason}


# The reason given for an approval a merge did not name, when the merge was recorded before it kept reasons.
UNRECORDED_REASON = "not named by the merge (recorded before merges kept the reasons)"


def _uncounted(session: Session, review: Review, reason: str) -> NotCounted:
    s = _signed(session, review, ())
    return NotCounted(s.review, s.name, s.email, s.time, s.meaning, reason)


def _signed(session: Session, review: Review, counts_for: tuple[str, ...]) -> SignedApproval:
    who = session.get(Person, review.reviewer_id)
    assert who is not None  # reviews.reviewer_id is a foreign key
    return SignedApproval(review.id, review.printed_name, who.email, iso(review.created_at) or "",
                          review.meaning, counts_for)


def _review(session: Session, review_id: int | None) -> Review | None:
    return session.get(Review, review_id) if review_id is not None else None


def counting(session: Session, proposal: Proposal, seq: int | None = None,
             moment: datetime | None = None) -> tuple[SignedApproval, ...]:
    """The approvals the policy counts for the proposal, in review order: with owners as they are
    now, or as they were at (`seq`, `moment`) (registry.proposals.verdict.clause_facts)."""
    evaluation = verdict(session, proposal, seq, moment).evaluation
    found = [(_review(session, a.review.id), a.clauses) for a in evaluation.counted]
    return tuple(_signed(session, r, clauses) for r, clauses in found if r is not None)


def not_counting(session: Session, proposal: Proposal, named: tuple[SignedApproval, ...]) -> tuple[NotCounted, ...]:
    """The pending approvals the policy does not count now, with its reasons, leaving out any the merge
    names (`named`)."""
    names = {a.review for a in named}
    found = [(_review(session, u.review.id), u.reason) for u in verdict(session, proposal).evaluation.uncounted]
    return tuple(_uncounted(session, r, why) for r, why in found if r is not None and r.id not in names)


def merge_fields(approvals: tuple[SignedApproval, ...],
                 uncounted: tuple[NotCounted, ...] = ()) -> dict[str, Any]:
    """What a `proposal.merge` event keeps about the approvals its commit names, and those it did not count."""
    return {"approvals": [{"review": a.review, "counts_for": list(a.counts_for)} for a in approvals],
            "uncounted": [{"review": u.review, "reason": u.reason} for u in uncounted]}


def _merge_event(session: Session, proposal: Proposal) -> AuditEvent | None:
    return session.scalars(select(AuditEvent).where(AuditEvent.action == MERGE_ACTION,
                                                    AuditEvent.subject == f"proposal:{proposal.id}")
                           .order_by(AuditEvent.seq.desc()).limit(1)).first()


def _before_recording(session: Session, proposal: Proposal) -> tuple[SignedApproval, ...]:
    """What merges named before their event kept the approvals: every approval the audit chain has
    standing (verdict.standing_reviews: recorded, its row as recorded) of the current revision's exact
    text by someone who wrote no revision (ownership was not consulted)."""
    revision = store.current_revision(session, proposal)
    excluded = store.revision_authors(session, proposal)
    found = (_review(session, f.id) for f in standing_reviews(session, proposal)
             if f.recorded and f.kind == "approve" and (f.revision, f.digest) == (revision.number, revision.digest)
             and f.reviewer.email not in excluded)
    return tuple(_signed(session, r, ()) for r in found if r is not None)


def recorded(session: Session, proposal: Proposal) -> tuple[SignedApproval, ...]:
    """The approvals a merged proposal's merge named, as its `proposal.merge` event recorded them."""
    return recorded_many(session, [proposal.id])[proposal.id]


def recorded_uncounted(session: Session, proposal: Proposal) -> tuple[NotCounted, ...]:
    """The approvals a merged proposal's merge did not count, and why, as its `proposal.merge` event
    recorded them; for a merge recorded before events kept them, every other pending approval the rule
    of reviews lists (verdict.standing_reviews), a row the audit chain does not back with why."""
    event = _merge_event(session, proposal)
    kept = (event.new or {}).get("uncounted") if event is not None else None
    if kept is None:
        named = {a.review for a in recorded(session, proposal)}
        found = [(_review(session, f.id), f.unrecorded or UNRECORDED_REASON) for f in standing_reviews(session, proposal)
                 if f.kind == "approve" and f.id not in named]
    else:
        found = [(_review(session, u["review"]), str(u["reason"])) for u in kept]
    return tuple(_uncounted(session, r, why) for r, why in found if r is not None)


def recorded_many(session: Session, proposal_ids: Collection[int]) -> dict[int, tuple[SignedApproval, ...]]:
    """`recorded` for many merged proposals at once: one query each for their merge events, reviews and
    reviewers, so a page of history or blame lines costs the same whatever its length."""
    ids = sorted(set(proposal_ids))
    if not ids:
        return {}
    events = session.scalars(select(AuditEvent).where(
        AuditEvent.action == MERGE_ACTION, AuditEvent.subject.in_([f"proposal:{i}" for i in ids]))
        .order_by(AuditEvent.seq))
    kept = {int(e.subject.split(":", 1)[1]): (e.new or {}).get("approvals") for e in events}  # the last wins
    review_ids = {a["review"] for approvals in kept.values() if approvals for a in approvals}
    reviews = {r.id: r for r in session.scalars(select(Review).where(Review.id.in_(review_ids)))} if review_ids else {}
    people = {r.reviewer_id for r in reviews.values()}
    # Held here, so _signed's session.get finds each reviewer in the session without a query.
    reviewers = list(session.scalars(select(Person).where(Person.id.in_(people)))) if people else []
    out: dict[int, tuple[SignedApproval, ...]] = {}
    for i in ids:
        approvals = kept.get(i)
        if approvals is None:  # merged before the event kept them (or not merged): the old rule, one by one
            proposal = session.get(Proposal, i)
            out[i] = _before_recording(session, proposal) if proposal is not None else ()
            continue
        found = [(reviews.get(a["review"]), tuple(a["counts_for"])) for a in approvals]
        # A review row deleted behind the registry's back drops out here, and verify names the trailer it leaves.
        out[i] = tuple(_signed(session, r, counts_for) for r, counts_for in found if r is not None)
    del reviewers
    return out

"""Use cases for reviews: approve, request changes (a veto), withdraw a veto, dismiss one (admins).

An approval is signed: it keeps the reviewer's printed name, the UTC time, what it means ("approved
as owner of respect_privacy") and the digest of the exact revision text it approves. A request for
changes blocks the merge until its author withdraws it or an admin dismisses it with a reason,
whatever revisions come in between. Who may do each is decided in registry.proposals.permissions.
"""
from __future__ import annotations

from sqlalchemy.orm import Session

from registry import limits
from registry.accounts.actors import Actor
from registry.audit import events as audit
from registry.errors import BadRequest
from registry.ledger.refs import iso
from registry.models import Proposal, Review, utcnow
from registry.proposals import permissions, store
from registry.proposals.policy_facts import ClauseFacts
from registry.proposals.reevaluation import follow_verdict
from registry.proposals.states import check_current
from registry.proposals.verdict import classes, meaning, standing_reviews


def _record(session: Session, proposal: Proposal, actor: Actor, kind: str, means: str, comment: str) -> Review:
    limits.check_text("comment", comment, limits.COMMENT)
    revision = store.current_revision(session, proposal)
    seen = classes(session, store.changes(session, revision))  # editorial or normative, as the reviewer saw it
    review = Review(proposal_id=proposal.id, revision_id=revision.id, reviewer_id=actor.person_id,
                    printed_name=actor.name, kind=kind, meaning=means, digest=revision.digest,
                    comment=comment.strip(), created_at=utcnow(), classes=seen)
    session.add(review)
    session.flush()
    audit.record(session, actor.email, f"review.{kind}", f"proposal:{proposal.id}", None,
                 {"review": review.id, "revision": revision.number, "digest": review.digest,
                  "meaning": means, "printed_name": review.printed_name, "at": iso(review.created_at),
                  "classes": seen})
    return review


def approve(session: Session, actor: Actor | None, number: int, comment: str = "",
            revision: int | None = None) -> Review:
    """Approve the current revision (`revision`: the one the reviewer saw) as an owner of the clauses it touches."""
    proposal = store.get_proposal(session, number, lock=True)
    facts = permissions.load_facts(session, proposal, ("approve",))
    actor = permissions.require("approve", actor, facts)
    check_current(proposal.id, proposal.revision, revision, "reviewed", "review it again")
    review = _record(session, proposal, actor, "approve", meaning(facts.touched(), actor.email), comment)
    _record_fallback(session, proposal, actor, review, facts.touched())
    follow_verdict(session, proposal, actor.email)
    return review


def _record_fallback(session: Session, proposal: Proposal, actor: Actor, review: Review,
                     clauses: tuple[ClauseFacts, ...]) -> None:
    """An admin approving a clause only because the policy's fallback lets them: its own audit event."""
    used = [c for c in clauses if actor.email in c.fallback]
    if used:
        audit.record(session, actor.email, "policy.fallback", f"proposal:{proposal.id}", None,
                     {"review": review.id, "fallback": "admins_approve_when_short",
                      "clauses": [{"id": c.key, "owners": [a.email for a in c.approvers if a.email not in c.fallback]}
                                  for c in used]})


def request_changes(session: Session, actor: Actor | None, number: int, comment: str,
                    revision: int | None = None) -> Review:
    """Veto: an owner of a touched clause, an editor or an admin blocks the merge until it is settled."""
    proposal = store.get_proposal(session, number, lock=True)
    facts = permissions.load_facts(session, proposal, ("request_changes",))
    actor = permissions.require("request_changes", actor, facts)
    check_current(proposal.id, proposal.revision, revision, "reviewed", "review it again")
    if not comment.strip():
        raise BadRequest("say what should change")
    owned = facts.approvable(actor.email)
    means = f"requested changes as owner of {', '.join(owned)}" if owned else f"requested changes as {actor.role}"
    review = _record(session, proposal, actor, "request_changes", means, comment)
    follow_verdict(session, proposal, actor.email)
    return review


def _veto(session: Session, proposal: Proposal, review_id: int | None, actor: Actor) -> Review:
    """The pending request for changes with this id, or else the actor's own (the rule made sure it exists),
    as the audit chain has it standing (registry.proposals.verdict.standing_reviews)."""
    rows = {r.id: r for r in store.reviews(session, proposal)}
    return next(rows[f.id] for f in standing_reviews(session, proposal)
                if f.kind == "request_changes" and f.recorded and f.id in rows
                and (f.id == review_id if review_id is not None else f.reviewer.email == actor.email))


def withdraw_veto(session: Session, actor: Actor | None, number: int) -> Review:
    """The author of a request for changes takes it back."""
    proposal = store.get_proposal(session, number, lock=True)
    actor = permissions.check(session, actor, proposal, "withdraw_veto")
    review = _veto(session, proposal, None, actor)
    review.withdrawn_at = utcnow()
    session.flush()
    audit.record(session, actor.email, "review.withdraw_veto", f"proposal:{proposal.id}",
                 {"review": review.id, "pending": True}, {"review": review.id, "pending": False})
    follow_verdict(session, proposal, actor.email)
    return review


def dismiss_veto(session: Session, actor: Actor | None, number: int, review_id: int, reason: str) -> Review:
    """An admin sets a request for changes aside, with a reason kept on the review."""
    proposal = store.get_proposal(session, number, lock=True)
    actor = permissions.check(session, actor, proposal, "dismiss", review_id)
    if not reason.strip():
        raise BadRequest("dismissing a request for changes needs a reason")
    limits.check_text("reason", reason, limits.REASON)
    review = _veto(session, proposal, review_id, actor)
    review.dismissed_at, review.dismissed_by_id, review.dismiss_reason = utcnow(), actor.person_id, reason.strip()
    session.flush()
    audit.record(session, actor.email, "review.dismiss", f"proposal:{proposal.id}",
                 {"review": review.id, "pending": True},
                 {"review": review.id, "pending": False, "reason": review.dismiss_reason})
    follow_verdict(session, proposal, actor.email)
    return review

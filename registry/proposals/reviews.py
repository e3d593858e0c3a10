"""Use cases for reviews: approve, request changes (a veto), withdraw a veto, dismiss one (admins).

An approval is signed: it keeps the reviewer's printed name, the UTC time, what it means ("approved
as owner of respect_privacy") and the digest of the exact revision text it approves. A request for
changes blocks the merge until its author withdraws it or an admin dismisses it with a reason,
whatever revisions come in between.
"""
from __future__ import annotations

from sqlalchemy.orm import Session

from registry.accounts.users import Actor, require_role
from registry.audit import events as audit
from registry.errors import BadRequest, Conflict, Forbidden, NotFound
from registry.ledger.refs import iso
from registry.models import Proposal, Review, utcnow
from registry.proposals import store
from registry.proposals.reevaluation import follow_verdict
from registry.proposals.states import allowed, check_current, transition
from registry.proposals.verdict import may_approve, meaning, verdict


def _open_for_review(session: Session, actor: Actor | None, number: int,
                     seen: int | None) -> tuple[Proposal, Actor]:
    proposal = store.get_proposal(session, number, lock=True)
    actor = require_role(actor, "viewer", "review")
    transition(proposal.state, "review")  # raises when the state does not take reviews
    if actor.person_id == proposal.proposer_id:
        raise Forbidden("nobody reviews their own proposal")
    check_current(proposal.id, proposal.revision, seen, "reviewed", "review it again")
    return proposal, actor


def _pending_by(session: Session, proposal: Proposal, actor: Actor, kind: str) -> list[Review]:
    return [r for r in store.reviews(session, proposal)
            if r.pending and r.kind == kind and r.reviewer_id == actor.person_id]


def _record(session: Session, proposal: Proposal, actor: Actor, kind: str, means: str, comment: str) -> Review:
    revision = store.current_revision(session, proposal)
    review = Review(proposal_id=proposal.id, revision_id=revision.id, reviewer_id=actor.person_id,
                    printed_name=actor.name, kind=kind, meaning=means, digest=revision.digest,
                    comment=comment.strip(), created_at=utcnow())
    session.add(review)
    session.flush()
    audit.record(session, actor.email, f"review.{kind}", f"proposal:{proposal.id}", None,
                 {"review": review.id, "revision": revision.number, "digest": review.digest,
                  "meaning": means, "printed_name": review.printed_name, "at": iso(review.created_at)})
    return review


def approve(session: Session, actor: Actor | None, number: int, comment: str = "",
            revision: int | None = None) -> Review:
    """Approve the current revision (`revision`: the one the reviewer saw) as an owner of the clauses it touches."""
    proposal, actor = _open_for_review(session, actor, number, revision)
    clauses = verdict(session, proposal).clauses
    if not may_approve(clauses, actor.email):
        raise Forbidden(f"{actor.email} owns none of the clauses this proposal touches "
                        f"({', '.join(c.key for c in clauses)}); approving follows ownership")
    if actor.email in store.revision_authors(session, proposal):
        raise Forbidden("an author of a revision cannot approve the proposal")
    if _pending_by(session, proposal, actor, "request_changes"):
        raise Conflict("withdraw your request for changes before approving")
    revision = store.current_revision(session, proposal)
    if any(r.revision_id == revision.id for r in _pending_by(session, proposal, actor, "approve")):
        raise Conflict(f"you already approved revision {revision.number}")
    review = _record(session, proposal, actor, "approve", meaning(clauses, actor.email), comment)
    follow_verdict(session, proposal, actor.email)
    return review


def request_changes(session: Session, actor: Actor | None, number: int, comment: str,
                    revision: int | None = None) -> Review:
    """Veto: an owner of a touched clause, an editor or an admin blocks the merge until it is settled."""
    proposal, actor = _open_for_review(session, actor, number, revision)
    clauses = verdict(session, proposal).clauses
    owned = may_approve(clauses, actor.email)
    if not owned and not actor.at_least("editor"):
        raise Forbidden("requesting changes needs the editor role or ownership of a touched clause")
    if not comment.strip():
        raise BadRequest("say what should change")
    if _pending_by(session, proposal, actor, "request_changes"):
        raise Conflict("you already requested changes; your request is still pending")
    means = f"requested changes as owner of {', '.join(owned)}" if owned else f"requested changes as {actor.role}"
    review = _record(session, proposal, actor, "request_changes", means, comment)
    follow_verdict(session, proposal, actor.email)
    return review


def _veto(session: Session, proposal: Proposal, review_id: int | None, actor: Actor) -> Review:
    pending = [r for r in store.reviews(session, proposal) if r.pending and r.kind == "request_changes"]
    if review_id is None:
        pending = [r for r in pending if r.reviewer_id == actor.person_id]
        if not pending:
            raise NotFound(f"you have no pending request for changes on proposal #{proposal.id}")
        return pending[0]
    found = [r for r in pending if r.id == review_id]
    if not found:
        raise NotFound(f"proposal #{proposal.id} has no pending request for changes with id {review_id}")
    return found[0]


def _settle(session: Session, number: int, actor: Actor | None) -> tuple[Proposal, Actor]:
    proposal = store.get_proposal(session, number, lock=True)
    actor = require_role(actor, "viewer", "settle a request for changes")
    if not allowed(proposal.state, "settle_veto"):
        transition(proposal.state, "settle_veto")
    return proposal, actor


def withdraw_veto(session: Session, actor: Actor | None, number: int) -> Review:
    """The author of a request for changes takes it back."""
    proposal, actor = _settle(session, number, actor)
    review = _veto(session, proposal, None, actor)
    review.withdrawn_at = utcnow()
    session.flush()
    audit.record(session, actor.email, "review.withdraw_veto", f"proposal:{proposal.id}",
                 {"review": review.id, "pending": True}, {"review": review.id, "pending": False})
    follow_verdict(session, proposal, actor.email)
    return review


def dismiss_veto(session: Session, actor: Actor | None, number: int, review_id: int, reason: str) -> Review:
    """An admin sets a request for changes aside, with a reason kept on the review."""
    proposal, actor = _settle(session, number, actor)
    require_role(actor, "admin", "dismiss a request for changes")
    if not reason.strip():
        raise BadRequest("dismissing a request for changes needs a reason")
    review = _veto(session, proposal, review_id, actor)
    review.dismissed_at, review.dismissed_by_id, review.dismiss_reason = utcnow(), actor.person_id, reason.strip()
    session.flush()
    audit.record(session, actor.email, "review.dismiss", f"proposal:{proposal.id}",
                 {"review": review.id, "pending": True},
                 {"review": review.id, "pending": False, "reason": review.dismiss_reason})
    follow_verdict(session, proposal, actor.email)
    return review

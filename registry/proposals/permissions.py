"""Who may do what on a proposal: the buttons a page offers (the use cases check again)."""
from __future__ import annotations

from sqlalchemy.orm import Session

from registry.accounts.users import Actor
from registry.proposals import store
from registry.proposals.states import ACTIVE, APPROVED, OPEN
from registry.proposals.verdict import may_approve, verdict


def allowed_actions(session: Session, number: int, actor: Actor | None) -> dict[str, bool]:
    """Which buttons the proposal page offers this user (the use cases check again)."""
    p = store.get_proposal(session, number)
    if actor is None:
        return {}
    mine, admin = actor.person_id == p.proposer_id, actor.at_least("admin")
    owner = bool(may_approve(verdict(session, p).clauses, actor.email))
    reviewable = p.state in (OPEN, APPROVED) and not mine
    return {"comment": True, "approve": reviewable and owner,
            "request_changes": reviewable and (owner or actor.at_least("editor")),
            "revise": p.state in ACTIVE and (mine or admin) and actor.at_least("editor"),
            "submit": p.state == "draft" and (mine or admin), "withdraw": p.state in ACTIVE and (mine or admin),
            "reject": p.state in (OPEN, APPROVED, "conflicted") and (owner or admin),
            "merge": p.state == APPROVED and (mine or owner or admin), "dismiss": admin and p.state in ACTIVE,
            "withdraw_veto": p.state in ACTIVE and any(
                r.pending and r.kind == "request_changes" and r.reviewer_id == actor.person_id
                for r in store.reviews(session, p))}

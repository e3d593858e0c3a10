"""Who may do what to a proposal: one rule per action, asked by the use case and by the page alike.

A rule is pure: it reads an actor (or None) and the proposal's facts and raises the named error a
use case raises when it refuses (Unauthorized, Forbidden, IllegalTransition, Conflict, NotFound,
PolicyNotSatisfied). `decide` turns that into a Decision for the page's buttons, so a button is
offered exactly when the use case would act, and a refused one carries the same reason. Checks on
what the user typed (an empty reason, a stale revision number) stay in the use cases: they come
after the rule and no button depends on them. `load_facts` is the thin loader that gathers facts.
"""
from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass

from sqlalchemy.orm import Session

from registry.accounts.actors import Actor, require_role
from registry.accounts.permissions import Decision, decision
from registry.errors import ChecksNotPassed, Conflict, Forbidden, NotFound, PolicyNotSatisfied, Unauthorized
from registry.models import Proposal
from registry.proposals import store
from registry.proposals.approval_rules import standing
from registry.proposals.policy_facts import ClauseFacts, Facts
from registry.proposals.states import APPROVED, FINAL, OPEN, transition
from registry.proposals.verdict import may_approve, standing_reviews, verdict

ACTIONS = ("comment", "approve", "request_changes", "withdraw_veto", "dismiss", "revise", "submit", "withdraw",
           "reject", "merge")
# Only these rules read who may approve the touched clauses, which costs a policy verdict to learn.
NEEDS_VERDICT = frozenset({"approve", "request_changes", "reject", "merge"})


@dataclass(frozen=True)
class PendingReview:
    """A review that still counts: an approval or a request for changes, and the revision it was for."""

    id: int
    kind: str
    reviewer: str  # the giver's email, as the audit chain recorded it (not the row's reviewer_id)
    revision: int


@dataclass(frozen=True)
class ProposalFacts:
    """What the rules read about a proposal; `clauses` and `missing` are None when not loaded."""

    number: int
    state: str
    proposer_id: int
    revision: int
    authors: frozenset[str]  # emails of everyone who wrote a revision
    pending: tuple[PendingReview, ...]
    clauses: tuple[ClauseFacts, ...] | None = None  # the touched clauses with who may approve each
    missing: tuple[str, ...] | None = None  # the policy's unmet rules (empty: satisfied)
    policy: Facts | None = None  # what the policy judges (loaded with the verdict)
    approved: bool = False  # approvals in order, no veto (loaded with the verdict)
    unpassed: tuple[str, ...] = ()  # required checks not passed on the current revision (loaded with the verdict)

    def approvable(self, email: str) -> list[str]:
        """The touched clauses this person may approve (as owner, or as admin of an unowned clause)."""
        return may_approve(self.touched(), email)

    def touched(self) -> tuple[ClauseFacts, ...]:
        """The touched clauses with who may approve each (loaded with the verdict)."""
        if self.clauses is None:
            raise ValueError("load the facts with the verdict for a rule that reads the touched clauses")
        return self.clauses

    def standing(self, email: str) -> tuple[tuple[str, ...], str | None]:
        """The touched clauses this person's approval would count for, or why none (approval_rules.standing)."""
        if self.policy is None:
            raise ValueError("load the facts with the verdict for a rule that reads who counts")
        return standing(self.policy, email)

    def pending_by(self, actor: Actor, kind: str) -> list[PendingReview]:
        """The actor's reviews of this kind that still count."""
        return [r for r in self.pending if r.kind == kind and r.reviewer == actor.email]


def _proposer_or_admin(actor: Actor, f: ProposalFacts, doing: str) -> None:
    if actor.person_id != f.proposer_id and not actor.at_least("admin"):
        raise Forbidden(f"only the proposer or an admin may {doing}")


def _logged_in(actor: Actor | None, doing: str) -> Actor:
    if actor is None:
        raise Unauthorized(f"log in to {doing}")
    return actor


def _comment(actor: Actor | None, f: ProposalFacts, target: int | None) -> Actor:
    return require_role(actor, "viewer", "comment")  # in any state, final ones too


def _reviewer(actor: Actor | None, f: ProposalFacts) -> Actor:
    actor = require_role(actor, "viewer", "review")
    transition(f.state, "review")  # raises when the state does not take reviews
    if actor.person_id == f.proposer_id:
        raise Forbidden("nobody reviews their own proposal")
    return actor


def _approve(actor: Actor | None, f: ProposalFacts, target: int | None) -> Actor:
    actor = _reviewer(actor, f)
    files = [c.key for c in f.touched() if c.governance and not c.root_owners]
    if files and not f.approvable(actor.email):
        also = " (or, as policy.toml's [governance] asks, an owner of a root clause)" if len(files) < len(
            f.touched()) else ""
        raise Forbidden(f"only an admin{also} approves a change to a governance file ({', '.join(files)})")
    if not f.approvable(actor.email):
        raise Forbidden(f"{actor.email} owns none of the clauses this proposal touches "
                        f"({', '.join(c.key for c in f.touched())}); approving follows ownership")
    if actor.email in f.authors:
        raise Forbidden("an author of a revision cannot approve the proposal")
    counts_for, why = f.standing(actor.email)
    if not counts_for:  # separation of duties: an approval that could not count is not offered
        raise Forbidden(f"your approval would not count: {why}")
    if f.pending_by(actor, "request_changes"):
        raise Conflict("withdraw your request for changes before approving")
    if any(r.revision == f.revision for r in f.pending_by(actor, "approve")):
        raise Conflict(f"you already approved revision {f.revision}")
    return actor


def _request_changes(actor: Actor | None, f: ProposalFacts, target: int | None) -> Actor:
    actor = _reviewer(actor, f)
    if not f.approvable(actor.email) and not actor.at_least("editor"):
        raise Forbidden("requesting changes needs the editor role or ownership of a touched clause")
    if f.pending_by(actor, "request_changes"):
        raise Conflict("you already requested changes; your request is still pending")
    return actor


def _settler(actor: Actor | None, f: ProposalFacts) -> Actor:
    actor = require_role(actor, "viewer", "settle a request for changes")
    transition(f.state, "settle_veto")
    return actor


def _withdraw_veto(actor: Actor | None, f: ProposalFacts, target: int | None) -> Actor:
    actor = _settler(actor, f)
    if not f.pending_by(actor, "request_changes"):
        raise NotFound(f"you have no pending request for changes on proposal #{f.number}")
    return actor


def _dismiss(actor: Actor | None, f: ProposalFacts, target: int | None) -> Actor:
    """`target`: the request for changes to dismiss (None: is there any to dismiss)."""
    actor = require_role(_settler(actor, f), "admin", "dismiss a request for changes")
    vetoes = [r.id for r in f.pending if r.kind == "request_changes"]
    if target is None and not vetoes:
        raise NotFound(f"proposal #{f.number} has no pending request for changes")
    if target is not None and target not in vetoes:
        raise NotFound(f"proposal #{f.number} has no pending request for changes with id {target}")
    return actor


def _editing(doing: str, action: str) -> Callable[[Actor | None, ProposalFacts, int | None], Actor]:
    """Revise and submit: an editor who proposed it, or an admin, in a state that takes the action."""
    def rule(actor: Actor | None, f: ProposalFacts, target: int | None) -> Actor:
        actor = require_role(actor, "editor", doing)
        _proposer_or_admin(actor, f, doing)
        transition(f.state, action)
        return actor
    return rule


def _withdraw(actor: Actor | None, f: ProposalFacts, target: int | None) -> Actor:
    actor = _logged_in(actor, "withdraw a proposal")  # a proposer who is now a viewer may still take it back
    _proposer_or_admin(actor, f, "withdraw a proposal")
    transition(f.state, "withdraw")
    return actor


def _reject(actor: Actor | None, f: ProposalFacts, target: int | None) -> Actor:
    actor = _logged_in(actor, "reject a proposal")
    if not actor.at_least("admin") and not f.approvable(actor.email):
        raise Forbidden("only an owner of a clause it touches, or an admin, may reject a proposal")
    transition(f.state, "reject")
    return actor


def merger(actor: Actor | None, f: ProposalFacts) -> Actor:
    """Who may merge at all: the proposer, an owner of a touched clause or an admin (any state)."""
    actor = _logged_in(actor, "merge")
    if actor.person_id != f.proposer_id and not actor.at_least("admin") and not f.approvable(actor.email):
        raise Forbidden("only the proposer, an owner of a touched clause or an admin may merge")
    return actor


def reporter(actor: Actor | None, f: ProposalFacts) -> Actor:
    """Who may report a check: anyone logged in but the proposer and the revision authors (a check counts
    like an approval, so nobody vouches for their own proposal), while the proposal is not final."""
    actor = require_role(actor, "viewer", "report a check")
    if actor.person_id == f.proposer_id or actor.email in f.authors:
        raise Forbidden("nobody reports checks on their own proposal (its proposer or an author of a revision)")
    if f.state in FINAL:
        raise Conflict(f"proposal #{f.number} is {f.state}: it takes no more check reports")
    return actor


def _merge(actor: Actor | None, f: ProposalFacts, target: int | None) -> Actor:
    actor = merger(actor, f)
    if f.state in (OPEN, APPROVED):
        # Open or approved follows the policy (the merge moves it first): the unmet rules are the reason.
        if f.missing is None:
            raise ValueError("load the facts with the verdict to decide a merge")
        if f.missing and f.approved and f.unpassed:  # only checks are missing
            raise ChecksNotPassed(list(f.unpassed), list(f.missing))
        if f.missing:
            raise PolicyNotSatisfied(list(f.missing))
        return actor
    transition(f.state, "merge")
    return actor


RULES: dict[str, Callable[[Actor | None, ProposalFacts, int | None], Actor]] = {
    "comment": _comment, "approve": _approve, "request_changes": _request_changes,
    "withdraw_veto": _withdraw_veto, "dismiss": _dismiss,
    "revise": _editing("revise this proposal", "revise"), "submit": _editing("submit this proposal", "submit"),
    "withdraw": _withdraw, "reject": _reject, "merge": _merge,
}


def require(action: str, actor: Actor | None, facts: ProposalFacts, target: int | None = None) -> Actor:
    """The actor, when they may take the action now; the use case's named error otherwise."""
    return RULES[action](actor, facts, target)


def decide(action: str, actor: Actor | None, facts: ProposalFacts, target: int | None = None) -> Decision:
    """The same rule as a value: allowed, or the error the use case would raise."""
    return decision(action, lambda: require(action, actor, facts, target))


def require_proposer(actor: Actor | None) -> Actor:
    """Who may propose a change (and open the editor for one): editors and admins."""
    return require_role(actor, "editor", "propose changes")


def load_facts(session: Session, proposal: Proposal, actions: Collection[str] = ACTIONS) -> ProposalFacts:
    """The facts the rules of these actions read (the policy's verdict only when one of them needs it)."""
    numbers = store.revision_numbers(session, proposal)
    v = verdict(session, proposal) if NEEDS_VERDICT.intersection(actions) else None
    # The reviews that count, by whom the audit chain says gave them: a forged row neither blocks its giver's
    # real review nor is there to withdraw or dismiss, and a row edited to name someone else settles nothing
    # for them. One whose row is gone cannot be marked withdrawn or dismissed, so it is not offered.
    rows = {r.id for r in store.reviews(session, proposal)}
    pending = tuple(PendingReview(f.id, f.kind, f.reviewer.email, f.revision)
                    for f in (v.facts.reviews if v else standing_reviews(session, proposal, numbers))
                    if f.recorded and f.id in rows)
    return ProposalFacts(proposal.id, proposal.state, proposal.proposer_id, proposal.revision,
                         frozenset(store.revision_authors(session, proposal)), pending,
                         None if v is None else v.clauses, None if v is None else tuple(v.evaluation.missing),
                         None if v is None else v.facts, v is not None and v.evaluation.approved,
                         () if v is None else v.evaluation.unpassed)


def check(session: Session, actor: Actor | None, proposal: Proposal, action: str, target: int | None = None) -> Actor:
    """For a use case: load the facts and `require` the action (the proposal as the caller read it)."""
    return require(action, actor, load_facts(session, proposal, (action,)), target)


def allowed_actions(session: Session, number: int, actor: Actor | None) -> dict[str, Decision]:
    """Every action's decision for this user: the buttons the proposal page offers."""
    facts = load_facts(session, store.get_proposal(session, number))
    return {action: decide(action, actor, facts) for action in ACTIONS}

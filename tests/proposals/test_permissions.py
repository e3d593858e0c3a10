"""The permission rules as pure functions of an actor and a proposal's facts, and the table in the docs."""
from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest

from registry.accounts.actors import Actor
from registry.errors import Conflict, Forbidden, IllegalTransition, NotFound, PolicyNotSatisfied, Unauthorized
from registry.models import STATES
from registry.proposals.permissions import ACTIONS, PendingReview, ProposalFacts, decide
from registry.proposals.policy_facts import Approver, ClauseFacts, Facts

PROPOSER = Actor(1, "ada@example.org", "Ada", "editor")
OWNER = Actor(2, "grace@example.org", "Grace", "viewer")
ADMIN = Actor(3, "root@example.org", "Root", "admin")
EDITOR = Actor(4, "barbara@example.org", "Barbara", "editor")
VIEWER = Actor(5, "vic@example.org", "Vic", "viewer")
CLAUSES = (ClauseFacts("respect_privacy", ("system",), (Approver(OWNER.email, OWNER.name),)),)


def facts(state: str = "open", *pending: PendingReview, **changes: object) -> ProposalFacts:
    """An open proposal by PROPOSER at revision 2 touching a clause OWNER owns; the policy is met."""
    policy = Facts(PROPOSER.email, frozenset({PROPOSER.email}), 2, "d2", CLAUSES, ())
    base = ProposalFacts(7, state, PROPOSER.person_id, 2, frozenset({PROPOSER.email}), pending, CLAUSES, (), policy)
    return replace(base, **changes)


def veto(by: Actor, review_id: int = 40) -> PendingReview:
    return PendingReview(review_id, "request_changes", by.email, 1)


def approval(by: Actor, revision: int = 2) -> PendingReview:
    return PendingReview(41, "approve", by.email, revision)


@pytest.mark.parametrize(("action", "actor", "f", "error", "message"), [
    ("approve", None, facts(), Unauthorized, "log in to review"),
    ("approve", OWNER, facts("draft"), IllegalTransition, "submit it first"),
    ("approve", PROPOSER, facts(), Forbidden, "nobody reviews their own proposal"),
    ("approve", VIEWER, facts(), Forbidden, "vic@example.org owns none of the clauses this proposal touches "
                                            "(respect_privacy); approving follows ownership"),
    ("approve", OWNER, facts(authors=frozenset({PROPOSER.email, OWNER.email})), Forbidden,
     "an author of a revision cannot approve the proposal"),
    ("approve", OWNER, facts("open", veto(OWNER)), Conflict, "withdraw your request for changes before approving"),
    ("approve", OWNER, facts("approved", approval(OWNER)), Conflict, "you already approved revision 2"),
    ("request_changes", VIEWER, facts(), Forbidden,
     "requesting changes needs the editor role or ownership of a touched clause"),
    ("request_changes", EDITOR, facts("open", veto(EDITOR)), Conflict,
     "you already requested changes; your request is still pending"),
    ("withdraw_veto", EDITOR, facts(), NotFound, "you have no pending request for changes on proposal #7"),
    ("withdraw_veto", EDITOR, facts("merged", veto(EDITOR)), IllegalTransition, "it is final"),
    ("dismiss", EDITOR, facts("open", veto(VIEWER)), Forbidden, "dismiss a request for changes needs the admin role"),
    ("dismiss", ADMIN, facts(), NotFound, "proposal #7 has no pending request for changes"),
    ("revise", EDITOR, facts(), Forbidden, "only the proposer or an admin may revise this proposal"),
    ("revise", replace(PROPOSER, role="viewer"), facts(), Forbidden, "revise this proposal needs the editor role"),
    ("submit", replace(PROPOSER, role="viewer"), facts("draft"), Forbidden,
     "submit this proposal needs the editor role; ada@example.org is a viewer"),
    ("submit", PROPOSER, facts(), IllegalTransition, "a proposal that is open cannot be submitted"),
    ("withdraw", None, facts(), Unauthorized, "log in to withdraw a proposal"),
    ("withdraw", EDITOR, facts(), Forbidden, "only the proposer or an admin may withdraw a proposal"),
    ("reject", EDITOR, facts(), Forbidden, "only an owner of a clause it touches, or an admin, may reject a proposal"),
    ("reject", ADMIN, facts("draft"), IllegalTransition, "a proposal that is draft cannot be rejected"),
    ("merge", EDITOR, facts("approved"), Forbidden,
     "only the proposer, an owner of a touched clause or an admin may merge"),
    ("merge", PROPOSER, facts(missing=("needs 1 more approval",)), PolicyNotSatisfied,
     "policy not satisfied: needs 1 more approval"),
    ("merge", PROPOSER, facts("conflicted"), IllegalTransition, "revise it first"),
    ("merge", PROPOSER, facts("merged"), IllegalTransition, "it is final"),
])
def test_a_refusal_names_the_error_and_reason_the_use_case_gives(action, actor, f, error, message):
    decision = decide(action, actor, f)
    assert not decision
    assert type(decision.error) is error
    assert message in decision.reason


@pytest.mark.parametrize(("action", "actor", "f"), [
    ("comment", VIEWER, facts("rejected")),
    ("approve", OWNER, facts("approved", approval(OWNER, revision=1))),  # an approval of an older revision is stale
    ("request_changes", OWNER, facts()),
    ("request_changes", EDITOR, facts("approved")),
    ("withdraw_veto", EDITOR, facts("open", veto(EDITOR))),
    ("dismiss", ADMIN, facts("conflicted", veto(EDITOR))),
    ("revise", ADMIN, facts("conflicted")),
    ("withdraw", replace(PROPOSER, role="viewer"), facts("approved")),
    ("reject", OWNER, facts()),
    ("merge", OWNER, facts("approved")),
    ("merge", PROPOSER, facts("open")),  # the policy is met: the merge moves it to approved first
])
def test_an_allowed_action_has_no_reason(action, actor, f):
    decision = decide(action, actor, f)
    assert decision and decision.reason is None


def test_dismissing_names_the_request_for_changes_it_dismisses():
    f = facts("open", veto(EDITOR, review_id=40))
    assert decide("dismiss", ADMIN, f, 40)
    assert decide("dismiss", ADMIN, f, 41).reason == "proposal #7 has no pending request for changes with id 41"


def test_a_rule_that_reads_ownership_refuses_to_guess_without_the_verdict():
    with pytest.raises(ValueError, match="verdict"):
        decide("approve", OWNER, facts(clauses=None))


def _documented() -> dict[str, set[str]]:
    text = (Path(__file__).parents[2] / "docs" / "proposals.md").read_text()
    section = text.split("### Who may do what", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| ([a-z ]+) \| .+ \| ([a-z, ]+) \|$", section, re.MULTILINE)
    names = {"withdraw a request for changes": "withdraw_veto", "dismiss a request for changes": "dismiss"}
    return {names.get(a, a.replace(" ", "_")): set(STATES) if s == "any" else set(s.split(", ")) for a, s in rows if a != "action"}


def _states_allowing(action: str) -> set[str]:
    found = set()
    for state in STATES:
        for actor in (PROPOSER, OWNER, ADMIN, EDITOR):
            if decide(action, actor, facts(state)) or decide(action, actor, facts(state, veto(actor))):
                found.add(state)
    return found


def test_the_docs_table_lists_every_action_with_the_states_the_rules_allow_it_in():
    documented = _documented()
    assert sorted(documented) == sorted(ACTIONS)
    assert {a: _states_allowing(a) for a in ACTIONS} == documented

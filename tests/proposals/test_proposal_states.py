"""The proposal state machine: every (state, action) pair, legal or refused by name."""
from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from registry.errors import BadRequest, IllegalTransition, StaleRevision
from registry.models import STATES, Proposal, ProposalState
from registry.proposals.states import (
    ACTIONS,
    ACTIVE,
    FINAL,
    TRANSITIONS,
    after_verdict,
    allowed,
    check_current,
    transition,
)

LEGAL = {
    ("draft", "submit"): "open",
    ("draft", "revise"): "draft",
    ("draft", "withdraw"): "withdrawn",
    ("draft", "settle_veto"): "draft",
    ("open", "revise"): "open",
    ("open", "review"): "open",
    ("open", "approve"): "approved",
    ("open", "conflict"): "conflicted",
    ("open", "withdraw"): "withdrawn",
    ("open", "reject"): "rejected",
    ("open", "settle_veto"): "open",
    ("approved", "revise"): "open",
    ("approved", "review"): "approved",
    ("approved", "unapprove"): "open",
    ("approved", "merge"): "merged",
    ("approved", "conflict"): "conflicted",
    ("approved", "withdraw"): "withdrawn",
    ("approved", "reject"): "rejected",
    ("approved", "settle_veto"): "approved",
    ("conflicted", "revise"): "open",
    ("conflicted", "withdraw"): "withdrawn",
    ("conflicted", "reject"): "rejected",
    ("conflicted", "settle_veto"): "conflicted",
}
PAIRS = list(itertools.product(STATES, sorted(ACTIONS)))


@pytest.mark.parametrize(("state", "action"), PAIRS, ids=[f"{s}-{a}" for s, a in PAIRS])
def test_transition(state, action):
    if (state, action) in LEGAL:
        assert allowed(state, action)
        assert transition(state, action) == LEGAL[(state, action)]
    else:
        assert not allowed(state, action)
        with pytest.raises(IllegalTransition) as err:
            transition(state, action)
        assert err.value.state == state and err.value.action == action
        assert f"a proposal that is {state} cannot be" in err.value.message


@pytest.mark.parametrize("state", ["merged", "rejected", "withdrawn"])
def test_final_states_take_no_action_at_all(state):
    assert not any(allowed(state, a) for a in ACTIONS)
    with pytest.raises(IllegalTransition, match="it is final"):
        transition(state, "revise")


def test_refusals_say_what_to_do_instead():
    with pytest.raises(IllegalTransition, match="submit it first"):
        transition("draft", "review")
    with pytest.raises(IllegalTransition, match="revise it first"):
        transition("conflicted", "merge")
    with pytest.raises(IllegalTransition, match="not approved"):
        transition("open", "merge")


def test_an_unknown_action_is_a_programming_error():
    with pytest.raises(ValueError):
        transition("open", "teleport")


@pytest.mark.parametrize(("state", "satisfied", "expected"), [
    ("open", True, "approved"), ("open", False, "open"), ("approved", False, "open"),
    ("approved", True, "approved"), ("draft", True, "draft"), ("conflicted", True, "conflicted"),
    ("merged", False, "merged"),
])
def test_the_verdict_moves_only_between_open_and_approved(state, satisfied, expected):
    assert after_verdict(state, satisfied) == expected


@pytest.mark.parametrize(("current", "seen", "error"), [
    (3, None, None), (3, 3, None), (1, 1, None),
    (3, 2, StaleRevision), (3, 4, StaleRevision),
    (3, 0, BadRequest), (3, -1, BadRequest), (3, "3", BadRequest), (3, 3.0, BadRequest), (1, True, BadRequest),
])
def test_an_action_on_a_revision_counts_only_when_that_revision_is_current(current, seen, error):
    if error is None:
        check_current(7, current, seen, "reviewed", "review it again")
        return
    with pytest.raises(error) as raised:
        check_current(7, current, seen, "started from", "make your change to it again")
    if error is StaleRevision:
        assert raised.value.message == (f"you started from revision {seen}, but proposal #7 is now at revision "
                                        f"{current}; read revision {current} and make your change to it again")


def _cli_state_choices() -> list[str]:
    from registry.cli import build_parser

    commands = next(a for a in build_parser("proposals")._actions if a.dest == "command")
    return list(next(a for a in commands.choices["proposals"]._actions if a.dest == "state").choices)


def _listed_states() -> dict[str, list[str]]:
    from registry.web.proposals import openapi, pages

    return {"models.STATES": list(STATES), "the list page's tabs": list(pages.STATES),
            "the OpenAPI enum": openapi.STATE["properties"]["state"]["enum"],
            "specreg proposals --state": _cli_state_choices(),
            "final and active": sorted(FINAL | ACTIVE),
            "the state machine": sorted({s for s, _a in TRANSITIONS} | set(TRANSITIONS.values()) | FINAL)}


@pytest.mark.parametrize("where", list(_listed_states()))
def test_every_place_that_lists_the_states_lists_each_defined_state_once(where):
    listed = _listed_states()[where]
    assert sorted(listed) == sorted(s.value for s in ProposalState), where


def test_final_and_active_states_do_not_overlap():
    assert not FINAL & ACTIVE


def test_the_check_constraint_allows_exactly_the_defined_states_as_the_migration_wrote_it():
    check = next(c for c in Proposal.__table__.constraints if c.name == "ck_proposals_state")
    text = str(check.sqltext)
    assert text == "state IN (" + ", ".join(f"'{s.value}'" for s in ProposalState) + ")"
    migration = Path(__file__).parents[2] / "migrations" / "versions" / "0006_proposals_and_accounts.py"
    assert f'sa.CheckConstraint("{text}"' in migration.read_text()

"""The proposal state machine: every (state, action) pair, legal or refused by name."""
from __future__ import annotations

import itertools

import pytest

from registry.errors import BadRequest, IllegalTransition, StaleRevision
from registry.models import STATES
from registry.proposals.states import ACTIONS, after_verdict, allowed, check_current, transition

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

"""Pure: the proposal state machine. Every state change goes through `transition`.

    draft --submit--> open --approve--> approved --merge--> merged
    open/approved --conflict--> conflicted --revise--> open
    approved --unapprove/revise--> open;  draft/open/approved/conflicted --withdraw--> withdrawn
    open/approved/conflicted --reject--> rejected

`approve` and `unapprove` are not user actions: they follow the policy's verdict after each
review, revision or veto change, and after ownership changes (registry.proposals.reevaluation). merged,
rejected and withdrawn are final.

The states themselves are defined once, as registry.models.ProposalState (the table's CHECK
constraint is built from it); the names below are its members, for short.
"""
from __future__ import annotations

from registry.errors import BadRequest, IllegalTransition, StaleRevision
from registry.models.proposals import ProposalState

DRAFT, OPEN, APPROVED, MERGED = ProposalState.DRAFT, ProposalState.OPEN, ProposalState.APPROVED, ProposalState.MERGED
REJECTED, WITHDRAWN, CONFLICTED = ProposalState.REJECTED, ProposalState.WITHDRAWN, ProposalState.CONFLICTED
FINAL = frozenset({MERGED, REJECTED, WITHDRAWN})
ACTIVE = frozenset({DRAFT, OPEN, APPROVED, CONFLICTED})

TRANSITIONS: dict[tuple[str, str], ProposalState] = {
    (DRAFT, "submit"): OPEN,
    (DRAFT, "revise"): DRAFT,
    (DRAFT, "withdraw"): WITHDRAWN,
    (DRAFT, "settle_veto"): DRAFT,
    (OPEN, "revise"): OPEN,
    (OPEN, "review"): OPEN,
    (OPEN, "approve"): APPROVED,
    (OPEN, "conflict"): CONFLICTED,
    (OPEN, "withdraw"): WITHDRAWN,
    (OPEN, "reject"): REJECTED,
    (OPEN, "settle_veto"): OPEN,
    (APPROVED, "revise"): OPEN,
    (APPROVED, "review"): APPROVED,
    (APPROVED, "unapprove"): OPEN,
    (APPROVED, "merge"): MERGED,
    (APPROVED, "conflict"): CONFLICTED,
    (APPROVED, "withdraw"): WITHDRAWN,
    (APPROVED, "reject"): REJECTED,
    (APPROVED, "settle_veto"): APPROVED,
    (CONFLICTED, "revise"): OPEN,
    (CONFLICTED, "withdraw"): WITHDRAWN,
    (CONFLICTED, "reject"): REJECTED,
    (CONFLICTED, "settle_veto"): CONFLICTED,
}
ACTIONS = frozenset(action for _state, action in TRANSITIONS)

_WHY: dict[tuple[str, str], str] = {
    (DRAFT, "review"): "a draft is not open for review yet; submit it first",
    (DRAFT, "merge"): "a draft must be submitted and approved before it can merge",
    (OPEN, "merge"): "it is not approved",
    (CONFLICTED, "merge"): "it conflicts with a change on the branch; revise it first",
    (CONFLICTED, "review"): "it conflicts with a change on the branch; it can be reviewed once revised",
}


def allowed(state: str, action: str) -> bool:
    """True when the action is legal in this state."""
    return (state, action) in TRANSITIONS


def transition(state: str, action: str) -> ProposalState:
    """The next state, or IllegalTransition naming the state and the action."""
    if action not in ACTIONS:
        raise ValueError(f"unknown proposal action {action!r}")
    try:
        return TRANSITIONS[(state, action)]
    except KeyError:
        why = _WHY.get((state, action)) or ("it is final" if state in FINAL else None)
        base = IllegalTransition(state, action)
        raise IllegalTransition(state, action, f"{base.message}{': ' + why if why else ''}") from None


def after_verdict(state: str, satisfied: bool) -> str:
    """The state once the policy's verdict is applied: open <-> approved, others unchanged."""
    if state == OPEN and satisfied:
        return transition(state, "approve")
    if state == APPROVED and not satisfied:
        return transition(state, "unapprove")
    return state


def check_current(number: int, current: int, seen: int | None, did: str, redo: str) -> None:
    """Refuse an action on a revision (`seen`) that is no longer the current one; None skips the check.

    `did` says what the user did with the revision they had ("reviewed", "started from"), `redo`
    what to do on the current one. Callers check under the proposal's lock, before writing anything.
    """
    if seen is None:
        return
    if isinstance(seen, bool) or not isinstance(seen, int) or seen < 1:
        raise BadRequest(f"the revision you {did} must be a revision number (1 or more), not {seen!r}")
    if seen != current:
        # Someone saved a newer revision after this user loaded theirs: acting now would count for,
        # or overwrite, text the user never saw.
        raise StaleRevision(f"you {did} revision {seen}, but proposal #{number} is now at revision {current}; "
                            f"read revision {current} and {redo}")

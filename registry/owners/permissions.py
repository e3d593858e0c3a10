"""Who may assign and unassign registry owners: one rule, asked by the use cases and the owners page alike."""
from __future__ import annotations

from functools import partial

from registry.accounts.actors import Actor, require_role
from registry.accounts.permissions import Decision, decision

ACTIONS = ("assign", "unassign")


def require(action: str, actor: Actor | None) -> Actor:
    """The actor, when they may assign (or unassign) owners: admins; Unauthorized or Forbidden otherwise."""
    return require_role(actor, "admin", f"{action} owners")


def clause_actions(actor: Actor | None) -> dict[str, Decision]:
    """What a clause's owners page offers this user (at the head: assignments always act on the current clause)."""
    return {action: decision(action, partial(require, action, actor)) for action in ACTIONS}

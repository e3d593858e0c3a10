"""Who may acknowledge an unapproved change or a history rewrite: one rule, asked by the use cases and the report."""
from __future__ import annotations

from functools import partial

from registry.accounts.actors import Actor, require_role
from registry.accounts.permissions import Decision, decision

ACTIONS = {"acknowledge_commit": "acknowledge unapproved changes",
           "acknowledge_rewrite": "acknowledge history rewrites"}


def require(action: str, actor: Actor | None) -> Actor:
    """The actor, when they may acknowledge: admins; Unauthorized or Forbidden otherwise."""
    return require_role(actor, "admin", ACTIONS[action])


def report_actions(actor: Actor | None) -> dict[str, Decision]:
    """What the unapproved-changes report offers this user on each row."""
    return {action: decision(action, partial(require, action, actor)) for action in ACTIONS}

"""Who may acknowledge an unapproved change or a history rewrite, and who may read the audit trail: one rule
each, asked by the use cases, the report and the audit trail browser."""
from __future__ import annotations

from functools import partial

from registry.accounts.actors import Actor, require_role
from registry.accounts.permissions import Decision, decision

ACTIONS = {"acknowledge_commit": "acknowledge unapproved changes",
           "acknowledge_rewrite": "acknowledge history rewrites",
           "read_audit": "read the audit trail"}
ACKNOWLEDGE = ("acknowledge_commit", "acknowledge_rewrite")


def require(action: str, actor: Actor | None) -> Actor:
    """The actor, when they may do the action (acknowledge, read the audit trail): admins; Unauthorized or
    Forbidden otherwise. The audit trail names who logged in, failed to and from where: not for everyone."""
    return require_role(actor, "admin", ACTIONS[action])


def report_actions(actor: Actor | None) -> dict[str, Decision]:
    """What the unapproved-changes report offers this user on each row."""
    return {action: decision(action, partial(require, action, actor)) for action in ACKNOWLEDGE}

"""Who may manage accounts: one rule per action, asked by the use case and by the Users page alike.

Also the Decision every area's permission rules answer with: allowed, or the named error its use
case raises (so a page shows a button exactly when the use case would act, and can say why not).
Rules are pure: an actor (or None) and plain facts in, the actor out or a named error raised.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from registry.accounts.actors import Actor, article, require_role
from registry.errors import BadRequest, Conflict, Forbidden, SpecregError, UnknownUser
from registry.models import ROLES


@dataclass(frozen=True)
class Decision:
    """May the actor take the action now; when not, the error the use case raises (and its reason)."""

    action: str
    error: SpecregError | None = None

    def __bool__(self) -> bool:
        return self.error is None

    @property
    def reason(self) -> str | None:
        """Why not, in the use case's words (None: allowed)."""
        return None if self.error is None else self.error.message


def decision(action: str, rule: Callable[[], object]) -> Decision:
    """Run a rule that raises its refusal; the answer as a value."""
    try:
        rule()
    except SpecregError as exc:
        return Decision(action, exc)
    return Decision(action)


@dataclass(frozen=True)
class AccountFacts:
    """The account an admin acts on: None role when there is no account with that email."""

    email: str
    role: str | None
    enabled: bool
    last_admin: bool  # the only enabled admin: nobody could manage users without them


def manager(actor: Actor | None, doing: str = "manage users") -> Actor:
    """Who manages users (the Users page, the user list, adding accounts once an admin exists): admins."""
    return require_role(actor, "admin", doing)


def add_user(actor: Actor | None, role: str, has_admin: bool, bootstrap: bool = False) -> None:
    """Add an account: an admin; only the command line (`bootstrap`) makes the first admin, with no actor.

    The web and the API never bootstrap, so on a fresh instance they answer 401 like anywhere else:
    whoever reaches the server first must not become its admin.
    """
    if actor is None and bootstrap and not has_admin:
        if role != "admin":
            raise BadRequest("the first account must be an admin (--role admin)")
        return
    manager(actor, "add users")


def _known(target: AccountFacts) -> None:
    if target.role is None:
        raise UnknownUser(f"no account has the email {target.email!r}")


def _keep_an_admin(target: AccountFacts, doing: str) -> None:
    """Refuse a change that would leave no enabled admin: nobody could manage users any more."""
    if target.last_admin:
        raise Conflict(f"{target.email} is the last active admin; make another account an admin before you {doing}")


def set_role(actor: Actor | None, target: AccountFacts, role: str) -> Actor:
    """Change a role: an admin, and never the last active admin's away from admin."""
    actor = manager(actor, "change roles")
    if role not in ROLES:
        raise BadRequest(f"unknown role {role!r}; one of {', '.join(ROLES)}")
    _known(target)
    if role != "admin":
        _keep_an_admin(target, f"make {target.email} {article(role)} {role}")
    return actor


def disable(actor: Actor | None, target: AccountFacts) -> Actor:
    """Disable an account: an admin, and never the last active admin."""
    actor = manager(actor, "disable users")
    _known(target)
    _keep_an_admin(target, f"disable {target.email}")
    return actor


def enable(actor: Actor | None, target: AccountFacts) -> Actor:
    """Enable an account: an admin."""
    actor = manager(actor, "enable users")
    _known(target)
    return actor


def _own_or_admin(actor: Actor | None, email: str, doing: str, others: str) -> Actor:
    actor = require_role(actor, "viewer", doing)
    if email != actor.email and not actor.at_least("admin"):
        raise Forbidden(f"only admins {others}")
    return actor


def set_password(actor: Actor | None, email: str) -> Actor:
    """Set a password: your own, or anyone's as an admin."""
    return _own_or_admin(actor, email, "set a password", "set other people's passwords")


def revoke_sessions(actor: Actor | None, email: str) -> Actor:
    """Log an account out everywhere: your own, or anyone's as an admin."""
    return _own_or_admin(actor, email, "revoke sessions", "revoke other people's sessions")


def account_actions(actor: Actor | None, target: AccountFacts) -> dict[str, Decision]:
    """What the Users page offers on one account: demote (a role other than admin), disable, enable, password, revoke."""
    return {"demote": decision("demote", lambda: set_role(actor, target, "viewer")),
            "disable": decision("disable", lambda: disable(actor, target)),
            "enable": decision("enable", lambda: enable(actor, target)),
            "password": decision("password", lambda: set_password(actor, target.email)),
            "revoke": decision("revoke", lambda: revoke_sessions(actor, target.email))}

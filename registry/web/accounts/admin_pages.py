"""The admin's user page: list accounts, add one, change a role, disable or enable, revoke sessions, set a password.

Every action is a POST with the CSRF token that calls the same use case as `specreg user ...`, so it is
checked and audited the same way. Bad input (a bad email, a duplicate, a short password, the last
admin) shows the page again with the error and, for a new account, the form as it was typed.
"""
from __future__ import annotations

from functools import partial

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from registry.accounts import permissions
from registry.accounts.actors import normalize_email
from registry.accounts.credentials import revoke_sessions
from registry.accounts.users import (
    add_user,
    all_account_facts,
    disable_user,
    enable_user,
    list_users_for,
    set_role,
)
from registry.db import get_session
from registry.errors import BadRequest, Conflict, NotFound, SpecregError
from registry.models import ROLES
from registry.web.accounts.account_pages import change_password
from registry.web.auth import current_actor

bp = Blueprint("admin", __name__, url_prefix="/admin")

# What each form was doing, for the error line ("Could not change the role of ada@...: ...").
DOING = {"admin.add": "add the account", "admin.role": "change the role of {email}",
         "admin.password": "set the password of {email}", "admin.disable": "disable {email}",
         "admin.enable": "enable {email}", "admin.revoke": "revoke the sessions of {email}"}


@bp.before_request
def admins_only() -> None:
    """Every page and form here needs an admin: others get a 403 page naming their role (401 when logged out)."""
    permissions.manager(current_actor())


@bp.app_context_processor
def user_permissions() -> dict[str, bool]:
    """`may_manage_users` for every page (the navigation links the Users page): the same rule as the use cases."""
    return {"may_manage_users": bool(permissions.decision("manage", partial(permissions.manager, current_actor())))}


def _page(error: str | None = None, status: int = 200) -> tuple[str, int]:
    # A new account's form is refilled after an error, never with the password.
    typed = {k: request.form.get(k, "") for k in ("email", "name", "role")} if request.endpoint == "admin.add" else {}
    actor, session = current_actor(), get_session()
    users = list_users_for(session, actor)
    can = {email: permissions.account_actions(actor, facts) for email, facts in all_account_facts(session).items()}
    return render_template("admin/users.html", users=users, can=can, roles=ROLES, error=error, typed=typed), status


@bp.errorhandler(BadRequest)
@bp.errorhandler(Conflict)
@bp.errorhandler(NotFound)
def refused(exc: SpecregError) -> tuple[str, int]:
    """The page again with what went wrong; nothing the failed action did is kept."""
    get_session().rollback()
    doing = DOING.get(request.endpoint or "", "do that").format(**(request.view_args or {}))
    return _page(f"Could not {doing}: {exc.message}", exc.status)


def _done(message: str, ended_for: str | None = None) -> Response:
    """Commit, say what happened, back to the list; to the login page when the admin just ended their own session."""
    get_session().commit()
    actor = current_actor()
    own = ended_for is not None and actor is not None and normalize_email(ended_for) == actor.email
    if own and current_app.config["AUTH"] == "local":
        session.clear()
        flash(f"{message} That included this session: log in again to go on.")
        return redirect(url_for("auth.login_form"))
    flash(message)
    return redirect(url_for("admin.users"))


@bp.get("/users")
def users() -> tuple[str, int]:
    """Every account with its role, status, last login and live tokens, and the forms to manage them."""
    return _page()


@bp.post("/users")
def add() -> Response:
    """Add an account; an empty password means none (SSO or tokens only, or one set later)."""
    form = request.form
    user = add_user(get_session(), current_actor(), form.get("email", ""), form.get("name", ""),
                    form.get("role", "viewer"), form.get("password") or None)
    how = "with a password" if form.get("password") else "without a password"
    return _done(f"Added {user.email} ({user.name}) as {user.role}, {how}.")


@bp.post("/users/<path:email>/role")
def role(email: str) -> Response:
    """Change an account's role."""
    user = set_role(get_session(), current_actor(), email, request.form.get("role", ""))
    return _done(f"{user.email}'s role is now {user.role}.")


@bp.post("/users/<path:email>/password")
def password(email: str) -> Response:
    """Set an account's password (your own with the current one); the account's tokens and other sessions end."""
    change_password(email, request.form.get("password", ""), request.form.get("current_password"), session.get("sid"))
    return _done(f"Password set for {normalize_email(email)}; their API tokens and other sessions are revoked.")


@bp.post("/users/<path:email>/disable")
def disable(email: str) -> Response:
    """Disable an account: its sessions and API tokens are revoked at once."""
    disable_user(get_session(), current_actor(), email)
    return _done(f"Disabled {normalize_email(email)}: their sessions and API tokens are revoked.", email)


@bp.post("/users/<path:email>/enable")
def enable(email: str) -> Response:
    """Enable a disabled account (its old sessions and tokens stay revoked)."""
    enable_user(get_session(), current_actor(), email)
    return _done(f"Enabled {normalize_email(email)}; their old sessions and API tokens stay revoked.")


@bp.post("/users/<path:email>/revoke-sessions")
def revoke(email: str) -> Response:
    """Log an account out everywhere."""
    count = revoke_sessions(get_session(), current_actor(), email)
    return _done(f"Revoked {count} session{'' if count == 1 else 's'} of {normalize_email(email)}.", email)

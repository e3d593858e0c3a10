"""The account page: who you are, your password, your API tokens (create one, shown once; revoke), log out everywhere."""
from __future__ import annotations

from flask import Blueprint, flash, make_response, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from registry.accounts.actors import Actor, require_role
from registry.accounts.credentials import create_token, list_tokens, revoke_sessions, revoke_token
from registry.accounts.users import passwords_set_by_others, set_password
from registry.db import get_session
from registry.errors import BadRequest, Forbidden, TooManyAttempts, WrongPassword
from registry.web.auth import current_actor

bp = Blueprint("account", __name__)


def _page(actor: Actor, new_token: str | None = None, password_error: str | None = None) -> str:
    return render_template("account.html", me=actor, tokens=list_tokens(get_session(), actor), new_token=new_token,
                           password_set_by=passwords_set_by_others(get_session()).get(actor.email),
                           password_error=password_error)


def change_password(email: str, password: str, current: str | None, keep_session: str | None) -> None:
    """set_password for this request's actor; a wrong current password is committed as a failed check first.

    The refusal would roll the request back, and the login throttle has to count the guess.
    """
    try:
        set_password(get_session(), current_actor(), email, password, current, keep_session)
    except WrongPassword:
        get_session().commit()
        raise


@bp.get("/account")
def show() -> str:
    """Your account and tokens."""
    return _page(require_role(current_actor(), "viewer", "see your account"))


@bp.post("/account/password")
def password() -> Response | tuple[str, int]:
    """Change your password (the current one first): your API tokens and other sessions end, this one stays.

    A password someone else set keeps your approvals from counting until you set your own.
    """
    actor = require_role(current_actor(), "viewer", "change your password")
    try:
        change_password(actor.email, request.form.get("password", ""), request.form.get("current_password"),
                        session.get("sid"))
    except (BadRequest, Forbidden, TooManyAttempts) as exc:  # short, a missing or wrong current one, throttled
        get_session().rollback()
        return _page(actor, password_error=exc.message), exc.status
    get_session().commit()
    flash("Your password is changed; your API tokens and your other sessions are revoked.")
    return redirect(url_for("account.show"))


@bp.post("/account/tokens")
def create() -> Response:
    """A new API token for yourself, shown once in this response."""
    # Checked here too: create_token's own refusal of nobody names the CLI's options
    actor = require_role(current_actor(), "viewer", "create a token")
    secret, _row = create_token(get_session(), actor, actor.email, request.form.get("name", ""))
    get_session().commit()
    # Rendered here rather than after a redirect: carrying the secret to the next page would put it in
    # the session cookie, which is signed but readable. no-store keeps it out of caches and history.
    response = make_response(_page(actor, secret))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/account/tokens/<int:token_id>/revoke")
def revoke(token_id: int) -> Response:
    """Revoke one of your tokens."""
    revoke_token(get_session(), current_actor(), token_id)
    get_session().commit()
    flash("Token revoked.")
    return redirect(url_for("account.show"))


@bp.post("/account/sessions/revoke")
def logout_everywhere() -> Response:
    """End every login session of yours, this one included."""
    actor = require_role(current_actor(), "viewer", "log out")
    revoke_sessions(get_session(), actor, actor.email)
    get_session().commit()
    session.clear()
    return redirect(url_for("pages.home"))

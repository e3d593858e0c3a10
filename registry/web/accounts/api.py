"""User endpoints of the JSON API, for admins' bearer tokens: the same use cases as `specreg user` and /admin/users."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify

from registry.accounts.actors import normalize_email
from registry.accounts.credentials import revoke_sessions
from registry.accounts.users import add_user, disable_user, enable_user, list_users_for, set_role
from registry.db import get_session
from registry.models import ROLES
from registry.web.accounts.account_pages import change_password
from registry.web.auth import current_actor
from registry.web.bodies import NOTHING, Field, Schema, json_body

bp = Blueprint("users_api", __name__, url_prefix="/api/v1")

CREATE: Schema = {"email": Field(str, required=True), "name": Field(str, required=True),
                  "role": Field(str, default="viewer", choices=ROLES), "password": Field(str)}
ROLE: Schema = {"role": Field(str, required=True, choices=ROLES)}
PASSWORD: Schema = {"password": Field(str, required=True), "current_password": Field(str)}


def _done(result: dict[str, Any], status: int = 200) -> tuple[Response, int]:
    get_session().commit()
    return jsonify(result), status


@bp.get("/users")
def index() -> Response:
    """{"users": [{"email", "name", "role", "enabled", "password", "last_login", "tokens"}]} (admins)."""
    return jsonify({"users": list_users_for(get_session(), current_actor())})


@bp.post("/users")
def create() -> tuple[Response, int]:
    """{"email", "name", "role", "password"} (role default viewer, password optional): 201 {"email", "name", "role"}."""
    data = json_body(CREATE)
    user = add_user(get_session(), current_actor(), data["email"], data["name"], data["role"], data["password"])
    return _done(user.as_dict(), 201)


@bp.post("/users/<path:email>/role")
def role(email: str) -> tuple[Response, int]:
    """{"role"}: {"email", "name", "role"}."""
    return _done(set_role(get_session(), current_actor(), email, json_body(ROLE)["role"]).as_dict())


@bp.post("/users/<path:email>/password")
def password(email: str) -> tuple[Response, int]:
    """{"password", "current_password"} (the current one for your own): {"email", "password": true}.

    Every API token of the account is revoked, the one of this request too, and every login session.
    """
    data = json_body(PASSWORD)
    change_password(email, data["password"], data["current_password"], None)
    return _done({"email": normalize_email(email), "password": True})


@bp.post("/users/<path:email>/disable", defaults={"enabled": False})
@bp.post("/users/<path:email>/enable", defaults={"enabled": True})
def switch(email: str, enabled: bool) -> tuple[Response, int]:
    """Disable (sessions and tokens revoked at once) or enable an account: {"email", "enabled"}."""
    json_body(NOTHING)
    (enable_user if enabled else disable_user)(get_session(), current_actor(), email)
    return _done({"email": normalize_email(email), "enabled": enabled})


@bp.post("/users/<path:email>/revoke-sessions")
def revoke(email: str) -> tuple[Response, int]:
    """Log an account out everywhere: {"email", "revoked": count}."""
    json_body(NOTHING)
    return _done({"email": normalize_email(email), "revoked": revoke_sessions(get_session(), current_actor(), email)})

"""The user endpoints of the JSON API: admins' bearer tokens only, the same use cases and JSON as `specreg user`."""
from __future__ import annotations

import pytest


def call(gov, who, method, path, json=None):
    client = gov.app.test_client()
    return getattr(client, method)(path, json=json, headers=gov.api(who))


def test_an_admin_lists_every_account_with_its_listing_fields(gov):
    response = call(gov, "root", "get", "/api/v1/users")
    users = response.get_json()["users"]
    assert response.status_code == 200 and len(users) == 6
    assert set(users[0]) == {"email", "name", "role", "enabled", "password", "last_login", "tokens"}
    assert {u["email"]: u["tokens"] for u in users}["ada@example.org"] == 1  # the fixture's token


@pytest.mark.parametrize(("who", "status", "error"), [(None, 401, "unauthorized"), ("ada", 403, "forbidden"),
                                                      ("vic", 403, "forbidden")])
@pytest.mark.parametrize(("method", "path", "json"), [
    ("get", "/api/v1/users", None),
    ("post", "/api/v1/users", {"email": "x@example.org", "name": "X"}),
    ("post", "/api/v1/users/grace@example.org/role", {"role": "admin"}),
    ("post", "/api/v1/users/grace@example.org/password", {"password": "a long passphrase"}),
    ("post", "/api/v1/users/grace@example.org/disable", None),
    ("post", "/api/v1/users/grace@example.org/enable", None),
    ("post", "/api/v1/users/grace@example.org/revoke-sessions", None),
])
def test_only_admins_manage_users_through_the_api(shared_gov, who, status, error, method, path, json):
    response = call(shared_gov, who, method, path, json)
    assert (response.status_code, response.get_json()["error"]) == (status, error)


def test_an_admin_adds_changes_disables_enables_and_logs_out_a_user(gov):
    created = call(gov, "root", "post", "/api/v1/users",
                   {"email": "Eve@Example.org", "name": "Eve", "role": "editor", "password": "a long passphrase"})
    assert (created.status_code, created.get_json()) == (201, {"email": "eve@example.org", "name": "Eve",
                                                               "role": "editor"})
    assert call(gov, "root", "post", "/api/v1/users/eve@example.org/role", {"role": "viewer"}).get_json()["role"] == \
        "viewer"
    assert call(gov, "root", "post", "/api/v1/users/eve@example.org/password",
                {"password": "another passphrase"}).get_json() == {"email": "eve@example.org", "password": True}
    assert call(gov, "root", "post", "/api/v1/users/eve@example.org/revoke-sessions").get_json() == {
        "email": "eve@example.org", "revoked": 0}
    assert call(gov, "root", "post", "/api/v1/users/eve@example.org/disable").get_json() == {
        "email": "eve@example.org", "enabled": False}
    assert call(gov, "root", "post", "/api/v1/users/eve@example.org/enable").get_json() == {
        "email": "eve@example.org", "enabled": True}
    listed = {u["email"]: u for u in call(gov, "root", "get", "/api/v1/users").get_json()["users"]}
    assert (listed["eve@example.org"]["role"], listed["eve@example.org"]["enabled"]) == ("viewer", True)


def test_a_user_can_revoke_their_own_sessions_and_set_their_own_password(gov):
    assert call(gov, "vic", "post", "/api/v1/users/vic@example.org/revoke-sessions").get_json()["revoked"] == 1
    # vic has no password yet: no current one to give; setting it revokes the token this request used
    assert call(gov, "vic", "post", "/api/v1/users/vic@example.org/password",
                {"password": "a long passphrase"}).status_code == 200
    assert call(gov, "vic", "post", "/api/v1/users/vic@example.org/revoke-sessions").status_code == 401


@pytest.mark.parametrize(("path", "json", "status", "message"), [
    ("/api/v1/users", {"email": "nope", "name": "X"}, 400, "'nope' is not an email address"),
    ("/api/v1/users", {"email": "ada@example.org", "name": "Ada"}, 409, "already has an account"),
    ("/api/v1/users", {"email": "x@example.org", "name": "X", "password": 12345678}, 400,
     '"password" must be a string, not an integer'),
    ("/api/v1/users", {"email": "x@example.org", "name": ["X"]}, 400, '"name" must be a string, not a list'),
    ("/api/v1/users", None, 400, '"email" is required'),
    ("/api/v1/users", {"email": "x@example.org", "name": "X", "password": "short"}, 400, "at least 8 characters"),
    ("/api/v1/users/root@example.org/role", {"role": "viewer"}, 409, "root@example.org is the last active admin"),
    ("/api/v1/users/root@example.org/disable", None, 409, "root@example.org is the last active admin"),
    ("/api/v1/users/nobody@example.org/role", {"role": "viewer"}, 404, "no account has the email"),
    ("/api/v1/users/ada@example.org/role", {"role": "owner"}, 400, '"role" must be one of'),
    ("/api/v1/users/ada@example.org/password", {}, 400, '"password" is required'),
])
def test_bad_requests_are_clear_errors_and_change_nothing(shared_gov, path, json, status, message):
    response = call(shared_gov, "root", "post", path, json)
    assert response.status_code == status and message in response.get_json()["message"]
    listed = {u["email"]: u for u in call(shared_gov, "root", "get", "/api/v1/users").get_json()["users"]}
    assert "x@example.org" not in listed and listed["root@example.org"]["role"] == "admin"
    assert listed["root@example.org"]["enabled"]


@pytest.fixture
def fresh_app(database_url, repo, tmp_path):
    """An app on an instance with no accounts at all."""
    from registry.app import create_app
    from registry.config import Settings

    app = create_app({"TESTING": True, "SECRET_KEY": "test-secret"},
                     settings=Settings(database_url, repo.path, tmp_path / "instance"))
    yield app
    app.extensions["specreg.engine"].dispose()


def _accounts(app) -> int:
    from sqlalchemy import func, select

    from registry.db import make_engine, session_scope
    from registry.models import Account

    engine = make_engine(app.config["DATABASE_URL"])
    with session_scope(engine) as s:
        count = s.scalar(select(func.count()).select_from(Account))
    engine.dispose()
    return count


@pytest.mark.parametrize("role", ["admin", "viewer"])
def test_on_a_fresh_instance_nobody_creates_an_account_through_the_api_without_a_token(fresh_app, role):
    response = fresh_app.test_client().post("/api/v1/users", json={
        "email": "mallory@example.org", "name": "Mallory", "role": role, "password": "a long passphrase"})
    assert (response.status_code, response.get_json()["error"]) == (401, "unauthorized")
    assert "log in to add users" in response.get_json()["message"]
    assert _accounts(fresh_app) == 0


def test_on_a_fresh_instance_the_admin_form_refuses_an_anonymous_first_admin(fresh_app):
    client = fresh_app.test_client()
    with client.session_transaction() as sess:
        sess["csrf"] = "csrf-token"
    response = client.post("/admin/users", data={"email": "mallory@example.org", "name": "Mallory",
                                                 "role": "admin", "csrf_token": "csrf-token"})
    # A browser is sent to log in (no dead ends); nothing is created either way.
    assert response.status_code == 303 and response.headers["Location"].startswith("/login")
    assert _accounts(fresh_app) == 0

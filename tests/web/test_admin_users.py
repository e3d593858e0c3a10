"""The admin's user page: every action a CSRF-checked POST through the same use cases as `specreg user`, audited."""
from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.pool import NullPool

from registry.db import make_engine, session_scope
from registry.models import AuditEvent

CSRF = {"csrf_token": "csrf-token"}


def last_event(gov) -> AuditEvent:
    engine = make_engine(gov.app.config["DATABASE_URL"], poolclass=NullPool)
    with session_scope(engine) as s:
        event = s.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1)).one()
    engine.dispose()
    return event


def users_json(gov) -> dict[str, dict]:
    users = gov.app.test_client().get("/api/v1/users", headers=gov.api("root")).get_json()["users"]
    return {u["email"]: u for u in users}


def test_the_page_lists_every_account_with_role_status_last_login_and_tokens(gov):
    page = gov.browser("root").get("/admin/users")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    for email in ("root@example.org", "ada@example.org", "vic@example.org"):
        assert f'<th scope="row">{email}' in html
    assert "Last login" in html and "API tokens" in html and "(you)" in html
    assert 'for="role-1"' in html and 'id="role-1"' in html and 'for="add-email"' in html
    assert html.count('name="csrf_token" value="csrf-token"') >= 3 * 6


@pytest.mark.parametrize(("who", "status", "message"), [
    (None, 401, "log in to manage users"),
    ("vic", 403, "manage users needs the admin role; vic@example.org is a viewer"),
    ("ada", 403, "manage users needs the admin role; ada@example.org is an editor"),
])
def test_only_admins_reach_the_page_and_others_get_a_page_that_says_why(gov, who, status, message):
    browser = gov.browser(who)
    for ask in (lambda: browser.get("/admin/users"),
                lambda: browser.post("/admin/users/vic@example.org/role", data={**CSRF, "role": "admin"})):
        response = ask()
        if status == 401:  # a logged-out browser goes to the login page, told why there
            assert response.status_code == 303 and response.headers["Location"].startswith("/login")
            response = browser.get(response.headers["Location"])
        else:
            assert response.status_code == status
        assert message in response.get_data(as_text=True).lower()
    assert users_json(gov)["vic@example.org"]["role"] == "viewer"


def test_the_nav_links_the_page_for_admins_only(gov):
    assert 'href="/admin/users"' in gov.browser("root").get("/").get_data(as_text=True)
    for who in (None, "vic", "ada"):
        assert 'href="/admin/users"' not in gov.browser(who).get("/").get_data(as_text=True)


@pytest.mark.parametrize("path", ["/admin/users", "/admin/users/vic@example.org/role",
                                  "/admin/users/vic@example.org/password", "/admin/users/vic@example.org/disable",
                                  "/admin/users/vic@example.org/enable",
                                  "/admin/users/vic@example.org/revoke-sessions"])
def test_every_action_needs_the_csrf_token(gov, path):
    response = gov.browser("root").post(path, data={"email": "x@example.org", "name": "X", "role": "admin",
                                                    "password": "a long passphrase"})
    assert response.status_code == 403 and "csrf" in response.get_data(as_text=True).lower()
    assert last_event(gov).action == "token.create"  # nothing happened since the fixture's setup


def test_no_action_happens_over_get(gov):
    assert gov.browser("root").get("/admin/users/vic@example.org/disable").status_code == 405
    assert users_json(gov)["vic@example.org"]["enabled"] is True


def test_an_admin_adds_a_user_with_a_password_who_can_then_log_in(gov):
    browser = gov.browser("root")
    done = browser.post("/admin/users", data={**CSRF, "email": "Eve@Example.org", "name": "Eve Example",
                                              "role": "editor", "password": "a long passphrase"})
    assert done.status_code == 302 and done.headers["Location"] == "/admin/users"
    html = browser.get("/admin/users").get_data(as_text=True)
    assert "Added eve@example.org (Eve Example) as editor, with a password." in html
    event = last_event(gov)
    assert (event.actor, event.action, event.subject) == ("root@example.org", "user.create", "user:eve@example.org")
    login = gov.app.test_client()
    with login.session_transaction() as sess:
        sess["csrf"] = "csrf-token"
    assert login.post("/login", data={**CSRF, "email": "eve@example.org",
                                      "password": "a long passphrase"}).status_code == 302


def test_a_user_added_without_a_password_has_none(gov):
    gov.browser("root").post("/admin/users", data={**CSRF, "email": "sso@example.org", "name": "Sso", "role": "viewer",
                                                   "password": ""})
    assert users_json(gov)["sso@example.org"]["password"] is False


@pytest.mark.parametrize(("form", "status", "message"), [
    ({"email": "not-an-email", "name": "X"}, 400, "Could not add the account: &#39;not-an-email&#39; is not an email address"),
    ({"email": "ada@example.org", "name": "Ada"}, 409, "Could not add the account: ada@example.org already has an account"),
    ({"email": "x@example.org", "name": "Mallory\nApproved-by: Root"}, 400, "may not contain a line break"),
    ({"email": "x@example.org", "name": "X", "password": "short"}, 400, "a password needs at least 8 characters"),
    ({"email": "x@example.org", "name": "X", "role": "owner"}, 400, "unknown role &#39;owner&#39;"),
])
def test_bad_input_shows_the_page_again_with_the_error_and_the_form_as_typed(gov, form, status, message):
    response = gov.browser("root").post("/admin/users", data={**CSRF, "role": "viewer", **form})
    html = response.get_data(as_text=True)
    assert response.status_code == status and message in html and 'role="alert"' in html
    assert f'value="{form["email"]}"' in html
    assert '<input id="add-password" name="password" type="password" autocomplete="new-password" minlength="8">' in html
    assert "x@example.org" not in users_json(gov)


def test_an_admin_changes_a_role_and_it_is_audited(gov):
    browser = gov.browser("root")
    done = browser.post("/admin/users/vic@example.org/role", data={**CSRF, "role": "editor"})
    assert "vic@example.org&#39;s role is now editor." in browser.get(done.headers["Location"]).get_data(as_text=True)
    event = last_event(gov)
    assert (event.action, event.subject, event.old, event.new) == ("user.role", "user:vic@example.org",
                                                                   {"role": "viewer"}, {"role": "editor"})


def test_the_last_admin_cannot_demote_or_disable_themselves_from_the_page(gov):
    browser = gov.browser("root")
    for path, data in (("role", {"role": "editor"}), ("disable", {})):
        response = browser.post(f"/admin/users/root@example.org/{path}", data={**CSRF, **data})
        assert response.status_code == 409
        assert "root@example.org is the last active admin" in response.get_data(as_text=True)
    root = users_json(gov)["root@example.org"]
    assert (root["role"], root["enabled"]) == ("admin", True)


def test_disable_enable_and_revoke_sessions_take_effect_at_once(gov):
    browser, ada = gov.browser("root"), gov.browser("ada")
    assert ada.get("/account").status_code == 200
    done = browser.post("/admin/users/ada@example.org/revoke-sessions", data=CSRF)
    assert "Revoked 1 session of ada@example.org." in browser.get(done.headers["Location"]).get_data(as_text=True)
    assert ada.get("/account").headers["Location"] == "/login?next=/account"
    browser.post("/admin/users/ada@example.org/disable", data=CSRF)
    assert gov.app.test_client().get("/api/v1/me", headers=gov.api("ada")).status_code == 401
    assert users_json(gov)["ada@example.org"]["enabled"] is False
    assert 'class="disabled"' in browser.get("/admin/users").get_data(as_text=True)
    done = browser.post("/admin/users/ada@example.org/enable", data=CSRF)
    assert "Enabled ada@example.org" in browser.get(done.headers["Location"]).get_data(as_text=True)
    assert users_json(gov)["ada@example.org"]["enabled"] is True and last_event(gov).action == "user.enable"


def test_an_admin_sets_a_password_and_a_short_one_is_refused_with_whose_it_was(gov):
    browser = gov.browser("root")
    refused = browser.post("/admin/users/vic@example.org/password", data={**CSRF, "password": "short"})
    assert refused.status_code == 400
    assert "Could not set the password of vic@example.org: a password needs at least 8" in refused.get_data(as_text=True)
    done = browser.post("/admin/users/vic@example.org/password", data={**CSRF, "password": "a long passphrase"})
    assert "Password set for vic@example.org; their API tokens and other sessions are revoked." in \
        browser.get(done.headers["Location"]).get_data(as_text=True)
    assert users_json(gov)["vic@example.org"]["password"] is True and last_event(gov).action == "user.password"


def test_an_unknown_account_is_named_in_the_error(gov):
    response = gov.browser("root").post("/admin/users/nobody@example.org/disable", data=CSRF)
    assert response.status_code == 404
    assert "Could not disable nobody@example.org: no account has the email" in response.get_data(as_text=True)


@pytest.mark.parametrize(("action", "said"), [("revoke-sessions", "Revoked 1 session of root@example.org."),
                                              ("disable", "Disabled root@example.org")])
def test_an_admin_who_ends_their_own_session_lands_on_the_login_page_told_why(gov, action, said):
    gov.app.test_client().post("/api/v1/users/ada@example.org/role", json={"role": "admin"}, headers=gov.api("root"))
    browser = gov.browser("root")
    done = browser.post(f"/admin/users/root@example.org/{action}", data=CSRF)
    assert done.status_code == 302 and done.headers["Location"] == "/login"
    page = browser.get("/login").get_data(as_text=True)
    assert said in page and "That included this session: log in again to go on." in page
    assert browser.get("/admin/users").headers["Location"] == "/login?next=/admin/users"

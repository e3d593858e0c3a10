"""Changing a password on the web, through the API and on the command line: your own needs the current one,
and every change ends the account's API tokens and its other sessions."""
from __future__ import annotations

import io

import pytest
from sqlalchemy.pool import NullPool

from registry.accounts.users import authenticate, set_password
from registry.db import make_engine, session_scope

CSRF = {"csrf_token": "csrf-token"}
OLD, NEW = "the old passphrase", "the new passphrase"


def given_password(gov, who: str) -> str:
    """Give `who` a password (root sets it), then a token and a session as the fixture had (that revoked them).

    Returns the key of a second session of theirs: another browser.
    """
    from registry.accounts.credentials import create_token, start_session

    engine = make_engine(gov.app.config["DATABASE_URL"], poolclass=NullPool)
    with session_scope(engine, write=True) as s:
        set_password(s, gov.users["root"], gov.users[who].email, OLD)
        gov.tokens[who] = create_token(s, gov.users[who], gov.users[who].email)[0]
        gov.keys[who] = start_session(s, gov.users[who])
        other = start_session(s, gov.users[who])
    engine.dispose()
    return other


def logs_in(gov, who: str, password: str) -> bool:
    engine = make_engine(gov.app.config["DATABASE_URL"], poolclass=NullPool)
    with session_scope(engine) as s:
        ok = authenticate(s, gov.users[who].email, password) is not None
    engine.dispose()
    return ok


def logged_in(browser) -> bool:
    return browser.get("/account").status_code == 200


def token_works(gov, who: str) -> bool:
    return gov.app.test_client().get("/api/v1/users", headers=gov.api(who)).status_code != 401


@pytest.mark.parametrize(("current", "status", "said"), [
    ("", 400, "give your current password"), ("a wrong guess", 403, "the current password is not right"),
    (OLD, 400, "a password needs at least 8 characters")])
def test_the_account_page_refuses_a_change_without_the_right_current_password_and_says_why(gov, current, status,
                                                                                          said):
    given_password(gov, "vic")
    browser = gov.browser("vic")
    refused = browser.post("/account/password", data={**CSRF, "current_password": current,
                                                      "password": "short" if current == OLD else NEW})
    assert refused.status_code == status
    assert f"Could not change your password: {said}" in refused.get_data(as_text=True)
    assert logs_in(gov, "vic", OLD) and token_works(gov, "vic") and logged_in(browser)


def test_changing_your_password_on_the_account_page_keeps_this_browser_and_ends_the_rest(gov):
    other = given_password(gov, "vic")
    here, elsewhere = gov.browser("vic"), gov.app.test_client()
    with elsewhere.session_transaction() as sess:
        sess["sid"] = other
    assert logged_in(elsewhere)
    page = here.get("/account").get_data(as_text=True)
    assert 'name="current_password"' in page
    done = here.post("/account/password", data={**CSRF, "current_password": OLD, "password": NEW})
    assert done.status_code == 302 and "Your password is changed" in here.get("/account").get_data(as_text=True)
    assert logs_in(gov, "vic", NEW) and not logs_in(gov, "vic", OLD)
    assert logged_in(here) and not logged_in(elsewhere) and not token_works(gov, "vic")


def test_an_admin_setting_someone_s_password_logs_them_out_everywhere(gov):
    given_password(gov, "vic")
    vic = gov.browser("vic")
    done = gov.browser("root").post("/admin/users/vic@example.org/password", data={**CSRF, "password": NEW})
    assert done.status_code == 302
    assert logs_in(gov, "vic", NEW) and not logged_in(vic) and not token_works(gov, "vic")


def test_an_admin_changing_their_own_password_on_the_users_page_gives_the_current_one_and_stays(gov):
    given_password(gov, "root")
    browser = gov.browser("root")
    page = browser.get("/admin/users").get_data(as_text=True)
    assert page.count('name="current_password"') == 1  # on their own row only
    refused = browser.post("/admin/users/root@example.org/password", data={**CSRF, "password": NEW})
    assert refused.status_code == 400 and "give your current password" in refused.get_data(as_text=True)
    done = browser.post("/admin/users/root@example.org/password",
                        data={**CSRF, "current_password": OLD, "password": NEW})
    assert done.status_code == 302 and done.headers["Location"] == "/admin/users"
    assert logs_in(gov, "root", NEW) and logged_in(browser) and not token_works(gov, "root")


def test_the_api_asks_for_the_current_password_of_your_own_and_then_revokes_your_tokens(gov):
    given_password(gov, "vic")
    client = gov.app.test_client()
    url = "/api/v1/users/vic@example.org/password"
    missing = client.post(url, json={"password": NEW}, headers=gov.api("vic"))
    wrong = client.post(url, json={"password": NEW, "current_password": "a wrong guess"}, headers=gov.api("vic"))
    assert (missing.status_code, missing.get_json()["error"]) == (400, "bad_request")
    assert (wrong.status_code, wrong.get_json()["error"]) == (403, "forbidden")
    ok = client.post(url, json={"password": NEW, "current_password": OLD}, headers=gov.api("vic"))
    assert (ok.status_code, ok.get_json()) == (200, {"email": "vic@example.org", "password": True})
    assert logs_in(gov, "vic", NEW) and not token_works(gov, "vic")


@pytest.mark.parametrize(("stdin", "code"), [(f"{OLD}\n{NEW}\n", 0), (f"a wrong guess\n{NEW}\n", 1)])
def test_the_command_line_reads_the_current_password_first_for_your_own(gov, monkeypatch, capsys, stdin, code):
    from registry.cli import main

    given_password(gov, "vic")
    monkeypatch.setenv("SPECREG_DATABASE_URL", gov.app.config["DATABASE_URL"])
    monkeypatch.setenv("SPECREG_REPO", str(gov.repo.path))
    monkeypatch.delenv("SPECREG_TOKEN", raising=False)
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    assert main(["user", "password", "vic@example.org", "--as", "vic@example.org", "--password-stdin"]) == code
    assert logs_in(gov, "vic", NEW) == (code == 0) and token_works(gov, "vic") == (code != 0)
    if code:
        assert "the current password is not right" in capsys.readouterr().err


def failures(gov) -> int:
    from sqlalchemy import func, select

    from registry.models import LoginFailure

    engine = make_engine(gov.app.config["DATABASE_URL"], poolclass=NullPool)
    with session_scope(engine) as s:
        count = s.scalar(select(func.count()).select_from(LoginFailure))
    engine.dispose()
    return count


def test_guessing_the_current_password_on_the_account_page_is_throttled_like_logging_in(gov):
    given_password(gov, "vic")
    browser = gov.browser("vic")
    for _ in range(5):
        wrong = browser.post("/account/password", data={**CSRF, "current_password": "a guess", "password": NEW})
        assert wrong.status_code == 403
    assert failures(gov) == 5  # kept, though each change was refused
    throttled = browser.post("/account/password", data={**CSRF, "current_password": OLD, "password": NEW})
    assert throttled.status_code == 429 and "too many failed attempts" in throttled.get_data(as_text=True)
    assert logs_in(gov, "vic", OLD)


def test_a_wrong_current_password_through_the_api_is_counted(gov):
    given_password(gov, "vic")
    wrong = gov.app.test_client().post("/api/v1/users/vic@example.org/password", headers=gov.api("vic"),
                                       json={"password": NEW, "current_password": "a guess"})
    assert (wrong.status_code, wrong.get_json()["error"], failures(gov)) == (403, "forbidden", 1)

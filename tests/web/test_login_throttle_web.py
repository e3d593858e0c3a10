"""The login page is throttled after repeated failures (a moved clock, never a sleep); API tokens are not."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from proposal_web import make_gov

CSRF = {"csrf_token": "csrf-token"}
START = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


@pytest.fixture(params=[0], ids=["direct"])
def clocked(request, databases, tmp_path: Path):
    """A governed world whose login throttle reads `clocked.now` (a list of one datetime)."""
    now = [START]
    for gov in make_gov(databases, tmp_path, request.param, CLOCK=lambda: now[0]):
        gov.now = now
        response = gov.app.test_client().post("/api/v1/users/vic@example.org/password",
                                              json={"password": "a long passphrase"}, headers=gov.api("root"))
        assert response.status_code == 200
        gov.tokens["vic"] = _new_token(gov, "vic")  # setting the password revoked vic's tokens
        yield gov


def _new_token(gov, who: str) -> str:
    from sqlalchemy.pool import NullPool

    from registry.accounts.credentials import create_token
    from registry.db import make_engine, session_scope

    engine = make_engine(gov.app.config["DATABASE_URL"], poolclass=NullPool)
    with session_scope(engine, write=True) as s:
        secret = create_token(s, gov.users[who], gov.users[who].email)[0]
    engine.dispose()
    return secret


def attempt(gov, password: str, email: str = "vic@example.org", client: str = "192.0.2.1",
            forwarded_for: str | None = None):
    browser = gov.app.test_client()
    with browser.session_transaction() as sess:
        sess["csrf"] = "csrf-token"
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    return browser.post("/login", data={**CSRF, "email": email, "password": password},
                        environ_base={"REMOTE_ADDR": client}, headers=headers)


def test_the_sixth_attempt_is_refused_even_with_the_right_password_and_succeeds_after_the_window(clocked):
    for _ in range(5):
        assert attempt(clocked, "wrong guess").status_code == 401
    refused = attempt(clocked, "a long passphrase")
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "900"
    assert "Too many failed attempts; try again in 15 minutes." in refused.get_data(as_text=True)
    assert "sid" not in (refused.headers.get("Set-Cookie") or "")
    clocked.now[0] = START + timedelta(minutes=14)
    assert attempt(clocked, "a long passphrase").status_code == 429
    clocked.now[0] = START + timedelta(minutes=15)
    done = attempt(clocked, "a long passphrase")
    assert done.status_code == 302


def test_the_refusal_for_an_unknown_email_is_the_same_page(clocked):
    pages = []
    for email in ("vic@example.org", "nobody@example.org"):
        for _ in range(5):
            attempt(clocked, "wrong guess", email)
        refused = attempt(clocked, "a long passphrase", email)
        pages.append((refused.status_code, refused.headers["Retry-After"],
                      refused.get_data(as_text=True).replace(email, "EMAIL")))
    assert pages[0] == pages[1]


def test_one_address_guessing_many_emails_is_refused_but_other_addresses_are_not(clocked):
    for n in range(20):
        attempt(clocked, "wrong guess", f"guess{n}@example.org", client="198.51.100.7")
    assert attempt(clocked, "a long passphrase", client="198.51.100.7").status_code == 429
    assert attempt(clocked, "a long passphrase", client="192.0.2.1").status_code == 302


def test_api_tokens_are_not_throttled(clocked):
    for _ in range(6):
        attempt(clocked, "wrong guess")
    assert attempt(clocked, "a long passphrase").status_code == 429
    me = clocked.app.test_client().get("/api/v1/me", headers=clocked.api("vic"))
    assert me.status_code == 200 and me.get_json()["email"] == "vic@example.org"


@pytest.mark.parametrize("clocked", [1], ids=["behind one proxy"], indirect=True)
def test_behind_a_trusted_proxy_the_forwarded_client_address_is_counted(clocked):
    proxy = "10.0.0.1"
    for n in range(20):
        attempt(clocked, "wrong guess", f"guess{n}@example.org", client=proxy, forwarded_for="198.51.100.7")
    assert attempt(clocked, "a long passphrase", client=proxy, forwarded_for="198.51.100.7").status_code == 429
    assert attempt(clocked, "a long passphrase", client=proxy, forwarded_for="192.0.2.1").status_code == 302


def test_without_a_trusted_proxy_a_forged_forwarded_address_changes_nothing(clocked):
    for n in range(20):
        attempt(clocked, "wrong guess", f"guess{n}@example.org", client="198.51.100.7", forwarded_for=f"203.0.113.{n}")
    forged = attempt(clocked, "a long passphrase", client="198.51.100.7", forwarded_for="192.0.2.99")
    assert forged.status_code == 429

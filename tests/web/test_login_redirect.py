"""Where a login sends the browser: only a path on this site, whatever the `next` parameter holds."""
from __future__ import annotations

import pytest
from sqlalchemy.pool import NullPool

from registry.accounts.users import add_user
from registry.db import make_engine, session_scope

PASSWORD = "a long passphrase"


@pytest.fixture(scope="module")
def site(shared_gov):
    """The shared app with an account that logs in with a password."""
    engine = make_engine(shared_gov.app.config["DATABASE_URL"], poolclass=NullPool)
    with session_scope(engine, write=True) as s:
        add_user(s, shared_gov.users["root"], "nell@example.org", "Nell", "viewer", PASSWORD)
    engine.dispose()
    return shared_gov.app


def log_in(app, next_: str):
    client = app.test_client()
    with client.session_transaction() as sess:
        sess["csrf"] = "csrf-token"
    return client.post("/login", data={"email": "nell@example.org", "password": PASSWORD,
                                       "csrf_token": "csrf-token", "next": next_})


@pytest.mark.parametrize("next_", [
    "//evil.example/", "/\t/evil.example", "/\n/x", "/\r\n/x", "\t//evil.example", "/\\evil.example",
    "\\\\evil.example", "https://evil.example/", "http:/evil.example", "javascript:alert(1)", "evil.example",
    " /proposals", "/\x0b/evil.example", "/\u2028/evil.example", "/\u00a0/evil.example", "",
])
def test_a_login_with_an_off_site_or_malformed_next_goes_home(site, next_):
    response = log_in(site, next_)
    assert (response.status_code, response.headers["Location"]) == (302, "/")


@pytest.mark.parametrize("next_", ["/proposals", "/clauses/tone?at=main", "/search?q=a%2F%2Fb", "/a/b//c"])
def test_a_login_with_a_same_site_path_goes_there(site, next_):
    response = log_in(site, next_)
    assert (response.status_code, response.headers["Location"]) == (302, next_)


@pytest.mark.parametrize("query", ["next=%2F%09%2Fevil.example", "next=/%0A/x"])
def test_the_login_page_keeps_a_bad_next_harmlessly_and_the_login_goes_home(site, query):
    # /login?next=... puts the decoded value into the form; the browser posts it back as typed
    from urllib.parse import parse_qs

    page = site.test_client().get(f"/login?{query}")
    assert page.status_code == 200
    response = log_in(site, parse_qs(query)["next"][0])
    assert (response.status_code, response.headers["Location"]) == (302, "/")

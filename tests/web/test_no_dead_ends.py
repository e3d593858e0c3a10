"""No dead ends: a page that needs a login goes to /login and back, a refused form keeps what was typed,
and every error page offers the ways on. The API keeps its JSON 401."""
from __future__ import annotations

from markupsafe import escape

from registry.accounts.users import set_password
from registry.db import make_engine, session_scope

CSRF = {"csrf_token": "csrf-token"}
PASSWORD = "a long passphrase"


def with_password(gov, who: str) -> str:
    """Give an account a password (as the account itself); its email."""
    from sqlalchemy.pool import NullPool

    engine = make_engine(gov.app.config["DATABASE_URL"], poolclass=NullPool)
    with session_scope(engine, write=True) as s:
        set_password(s, gov.users[who], gov.users[who].email, PASSWORD)
    engine.dispose()
    return gov.users[who].email


def test_propose_a_change_logged_out_goes_to_the_login_page_and_back_to_the_editor(gov):
    browser = gov.browser(None)
    asked = browser.get("/clauses/respect_privacy/propose?at=main")
    assert asked.status_code == 303
    assert asked.headers["Location"] == "/login?next=/clauses/respect_privacy/propose?at%3Dmain"
    login = browser.get(asked.headers["Location"]).get_data(as_text=True)
    assert "Log in to propose changes." in login
    assert 'name="next" value="/clauses/respect_privacy/propose?at=main"' in login
    back = browser.post("/login", data={**CSRF, "email": with_password(gov, "ada"), "password": PASSWORD,
                                        "next": "/clauses/respect_privacy/propose?at=main"})
    assert back.status_code == 302 and back.headers["Location"] == "/clauses/respect_privacy/propose?at=main"
    assert browser.get(back.headers["Location"]).status_code == 200


def test_a_logged_out_form_post_returns_to_the_page_the_form_was_on(gov):
    n = gov.propose()
    refused = gov.browser(None).post(f"/proposals/{n}/review", data={**CSRF, "kind": "approve"},
                                     headers={"Referer": f"http://localhost/proposals/{n}"})
    assert refused.status_code == 303 and refused.headers["Location"] == f"/login?next=/proposals/{n}"


def test_an_off_site_referer_is_never_where_a_login_returns(gov):
    n = gov.propose()
    refused = gov.browser(None).post(f"/proposals/{n}/review", data={**CSRF, "kind": "approve"},
                                     headers={"Referer": "http://evil.example/proposals/1"})
    assert refused.status_code == 303 and refused.headers["Location"] == "/login"


def test_the_api_still_answers_401_json_to_a_caller_without_a_token(gov):
    n = gov.propose()
    refused = gov.app.test_client().post(f"/api/v1/proposals/{n}/reviews", json={"kind": "approve"})
    assert refused.status_code == 401 and refused.get_json()["error"] == "unauthorized"


def test_a_second_approval_shows_the_proposal_page_with_the_reason_and_the_comment_kept(gov):
    n = gov.propose()
    grace = gov.browser("grace")
    assert grace.post(f"/proposals/{n}/review", data={**CSRF, "kind": "approve"}).status_code == 302
    again = grace.post(f"/proposals/{n}/review", data={**CSRF, "kind": "approve", "comment": "Looks <fine> to me"})
    html = again.get_data(as_text=True)
    assert again.status_code == 409 and "Not saved: you already approved revision 1" in html
    assert f">{escape('Looks <fine> to me')}</textarea>" in html


def test_an_empty_request_for_changes_keeps_the_form_and_says_why(gov):
    n = gov.propose()
    refused = gov.browser("grace").post(f"/proposals/{n}/review", data={**CSRF, "kind": "request_changes",
                                                                         "comment": "   "})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 400 and "Not saved: say what should change" in html
    assert 'id="review-comment"' in html


def test_error_pages_offer_the_way_back_home_search_and_login(gov):
    browser = gov.browser(None)
    for response in (browser.get("/clauses/no_such_clause", headers={"Referer": "http://localhost/search?q=x"}),
                     browser.post("/account/tokens", data={"name": "x"}),  # no CSRF token: 403
                     browser.get("/proposals/99999"),
                     browser.post("/proposals/1/comment", data={**CSRF, "text": "x" * 1_100_000})):
        html = response.get_data(as_text=True)
        assert response.status_code in (403, 404, 413), response.status_code
        assert "Where to go from here" in html and 'href="/search"' in html and 'href="/login' in html
    first = browser.get("/clauses/no_such_clause", headers={"Referer": "http://localhost/search?q=x"})
    assert 'href="/search?q=x" rel="prev"' in first.get_data(as_text=True)


def test_a_500_is_a_page_with_the_ways_on_not_a_traceback(gov):
    def boom():
        raise RuntimeError("secret internals")

    gov.app.add_url_rule("/boom-for-test", "boom_for_test", boom)
    gov.app.config["PROPAGATE_EXCEPTIONS"] = False
    response = gov.browser(None).get("/boom-for-test")
    html = response.get_data(as_text=True)
    assert response.status_code == 500 and "secret internals" not in html and "Traceback" not in html
    assert "Where to go from here" in html and 'href="/search"' in html


def test_the_login_page_does_not_link_to_itself_as_the_place_to_return_to(gov):
    html = gov.browser(None).get("/login?next=/proposals").get_data(as_text=True)
    assert "next=/login" not in html and 'name="next" value="/proposals"' in html

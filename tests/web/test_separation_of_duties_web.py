"""Issue 13 over HTTP: one admin cannot merge a root clause alone through accounts and owners they made."""
from __future__ import annotations

from flask.testing import FlaskClient
from proposal_helpers import HEADINGS

CSRF = {"csrf_token": "csrf-token"}
PASSWORD = "chosen-by-the-admin"


def _logged_in(gov, email: str, password: str) -> FlaskClient:
    client = gov.app.test_client()
    with client.session_transaction() as sess:
        sess["csrf"] = "csrf-token"
    assert client.post("/login", data={**CSRF, "email": email, "password": password}).status_code == 302
    with client.session_transaction() as sess:  # login starts a fresh session (and CSRF token)
        sess["csrf"] = "csrf-token"
    return client


def _puppet(gov, email: str, key: str) -> FlaskClient:
    """The admin makes an account with a password they chose and assigns it as an owner of the clause."""
    root = gov.api("root")
    client = gov.app.test_client()
    made = client.post("/api/v1/users", headers=root,
                       json={"email": email, "name": email.split("@")[0].title(), "role": "viewer", "password": PASSWORD})
    assert made.status_code == 201, made.get_json()
    assigned = client.post(f"/api/v1/clauses/{key}/owners/assign", headers=root, json={"owner": email, "reason": "more eyes"})
    assert assigned.status_code == 201, assigned.get_json()
    return _logged_in(gov, email, PASSWORD)


def test_an_admin_cannot_approve_a_root_clause_through_accounts_and_owners_they_made(gov):
    text = f"{HEADINGS['be_honest']}\n\nNever state what you believe to be false.\n"
    proposed = gov.app.test_client().post("/api/v1/proposals", headers=gov.api("root"), json={
        "title": "Loosen", "rationale": "Because I can.", "changes": [{"kind": "change", "id": "be_honest", "text": text}]})
    n = proposed.get_json()["id"]
    for email in ("mallory@example.org", "trudy@example.org"):
        puppet = _puppet(gov, email, "be_honest")
        refused = puppet.post(f"/proposals/{n}/review", data={**CSRF, "kind": "approve", "revision": "1"})
        assert refused.status_code == 403
        assert "your approval would not count" in refused.get_data(as_text=True)
        page = puppet.get(f"/proposals/{n}").get_data(as_text=True)
        assert "your approval would not count" in page
    merged = gov.app.test_client().post(f"/api/v1/proposals/{n}/merge", headers=gov.api("root"))
    assert merged.status_code == 409 and merged.get_json()["error"] == "policy_not_satisfied"


def test_the_account_page_says_whose_password_it_is_and_lets_the_holder_set_their_own(gov):
    puppet = _puppet(gov, "mallory@example.org", "respect_privacy")
    page = puppet.get("/account").get_data(as_text=True)
    assert "Your password was set by root@example.org" in page
    assert puppet.post("/account/password", data={**CSRF, "current_password": PASSWORD,
                                                 "password": "mallory-own-choice"}).status_code == 302
    assert "Your password was set by" not in puppet.get("/account").get_data(as_text=True)
    n = gov.propose("respect_privacy")
    approved = puppet.post(f"/proposals/{n}/review", data={**CSRF, "kind": "approve", "revision": "1"})
    assert approved.status_code == 302
    detail = gov.app.test_client().get(f"/api/v1/proposals/{n}").get_json()
    assert detail["state"] == "approved"


def test_setting_your_password_on_the_account_page_needs_the_csrf_token(gov):
    assert gov.browser("vic").post("/account/password", data={"password": "long-enough-1"}).status_code == 403


def test_the_proposal_page_and_json_say_which_approval_does_not_count_and_why(gov):
    puppet = _puppet(gov, "mallory@example.org", "respect_privacy")
    own = {**CSRF, "current_password": PASSWORD, "password": "mallory-own-choice"}
    assert puppet.post("/account/password", data=own).status_code == 302
    n = gov.propose("respect_privacy")
    assert puppet.post(f"/proposals/{n}/review", data={**CSRF, "kind": "approve", "revision": "1"}).status_code == 302
    reset = gov.app.test_client().post("/api/v1/users/mallory@example.org/password", headers=gov.api("root"),
                                       json={"password": "reset-by-root"})
    assert reset.status_code == 200
    reason = ("the password of mallory@example.org was set by root@example.org; an approval counts once its holder "
              "sets their own")
    detail = gov.app.test_client().get(f"/api/v1/proposals/{n}").get_json()
    [review] = detail["reviews"]
    assert detail["state"] == "open"
    assert detail["policy"]["uncounted"] == [{"review": review["id"], "name": "Mallory", "email": "mallory@example.org",
                                              "reason": reason}]
    page = gov.browser("grace").get(f"/proposals/{n}").get_data(as_text=True)
    assert f"(does not count: {reason})" in page

"""Registry owner assignments on the web: the admin's forms on a clause's owners page, and the API."""
from __future__ import annotations

import pytest

FORM = 'id="owners-assign"'


def test_only_an_admin_sees_the_assignment_forms_and_only_at_the_head(gov):
    page = gov.browser("root").get("/clauses/tone/owners").get_data(as_text=True)
    assert FORM in page and 'name="csrf_token" value="csrf-token"' in page
    assert "No registry assignments on this clause." in page
    for who in (None, "vic", "ada"):
        assert FORM not in gov.browser(who).get("/clauses/tone/owners").get_data(as_text=True)
    sha = gov.repo.head()
    assert FORM not in gov.browser("root").get(f"/clauses/tone/owners?at={sha}").get_data(as_text=True)
    link = "Assign or unassign registry owners"
    assert link in gov.browser("root").get("/clauses/tone").get_data(as_text=True)
    assert link not in gov.browser("ada").get("/clauses/tone").get_data(as_text=True)


def test_an_admin_assigns_and_unassigns_an_owner_from_the_owners_page(gov):
    browser = gov.browser("root")
    done = browser.post("/clauses/tone/owners/assign",
                        data={"owner": "grace@example.org", "reason": "covering", "csrf_token": "csrf-token"})
    assert done.status_code == 302 and done.headers["Location"] == "/clauses/tone/owners"
    page = browser.get("/clauses/tone/owners").get_data(as_text=True)
    assert "Assigned grace@example.org to tone." in page and "registry assignment" in page
    assert "Unassign grace@example.org" in page
    done = browser.post("/clauses/tone/owners/unassign",
                        data={"owner": "grace@example.org", "reason": "back", "csrf_token": "csrf-token"})
    page = browser.get(done.headers["Location"]).get_data(as_text=True)
    assert "Unassigned grace@example.org from tone." in page and "No registry assignments on this clause." in page
    history = gov.app.test_client().get("/api/v1/clauses/tone/owners/history").get_json()["history"]
    assert [(h["why"], h["by"]) for h in history[-2:]] == [
        ("assigned grace@example.org: covering", "root@example.org"),
        ("unassigned grace@example.org: back", "root@example.org")]


def test_a_refused_form_shows_an_error_page(gov):
    response = gov.browser("root").post("/clauses/tone/owners/assign",
                                        data={"owner": "grace@example.org", "csrf_token": "csrf-token"})
    assert response.status_code == 400 and "a reason is required" in response.get_data(as_text=True)


def test_the_api_assigns_and_unassigns_with_an_admin_token(gov):
    client, headers = gov.app.test_client(), gov.api("root")
    response = client.post("/api/v1/clauses/tone/owners/assign", headers=headers,
                           json={"owner": "Barbara@Example.org", "reason": "review"})
    assert response.status_code == 201
    data = response.get_json()
    assert {k: data[k] for k in ("id", "owner", "action", "reason", "by")} == {
        "id": "tone", "owner": "barbara@example.org", "action": "assign", "reason": "review", "by": "root@example.org"}
    assert isinstance(data["assignment"], int) and data["at"].endswith("Z")
    response = client.post("/api/v1/clauses/tone/owners/unassign", headers=headers,
                           json={"owner": "barbara@example.org", "reason": "done"})
    assert response.status_code == 201 and response.get_json()["action"] == "unassign"


@pytest.mark.parametrize("path, body, status, code", [
    ("/api/v1/clauses/tone/owners/unassign", {"owner": "grace@example.org", "reason": "r"}, 409, "conflict"),
    ("/api/v1/clauses/tone/owners/assign", {"owner": "grace@example.org"}, 400, "bad_request"),
    ("/api/v1/clauses/tone/owners/assign", {"reason": "r"}, 400, "bad_request"),
    ("/api/v1/clauses/tone/owners/assign", ["not", "an", "object"], 400, "bad_request"),
    ("/api/v1/clauses/nope/owners/assign", {"owner": "grace@example.org", "reason": "r"}, 404, "unknown_clause"),
    ("/api/v1/clauses/tone/owners/assign", {"owner": "nobody@example.org", "reason": "r"}, 404, "unknown_owner"),
])
def test_api_assignment_errors_are_json(gov, path, body, status, code):
    response = gov.app.test_client().post(path, headers=gov.api("root"), json=body)
    assert response.status_code == status and response.get_json()["error"] == code


def test_the_api_ignores_a_logged_in_browser_session(gov):
    response = gov.browser("root").post("/api/v1/clauses/tone/owners/assign",
                                        json={"owner": "grace@example.org", "reason": "r"})
    assert response.status_code == 401 and response.get_json()["error"] == "unauthorized"


def test_an_assignment_reason_over_its_limit_shows_the_owners_page_again_with_what_was_typed(gov):
    reason = "covering " + "r" * 2_000
    response = gov.browser("root").post("/clauses/tone/owners/assign",
                                        data={"owner": "grace@example.org", "reason": reason, "csrf_token": "csrf-token"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "Not saved: reason is too long: 2,009 characters, at most 2,000" in page
    assert 'value="grace@example.org"' in page and f'value="{reason}"' in page
    assert "No registry assignments on this clause." in page

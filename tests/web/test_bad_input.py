"""Input that used to crash a page (a 500) is a 400 or a 404 that says why, on SQLite and PostgreSQL."""
from __future__ import annotations

import html

import pytest

CSRF = {"csrf_token": "csrf-token"}
FAR_FUTURE = "9999-12-31T23:59:59-14:00"  # a valid moment in its own zone, past year 9999 in UTC
FAR_PAST = "0001-01-01T00:00:00+14:00"
HUGE = str(10**30)


@pytest.mark.parametrize("url", ["/", "/clauses/honesty", "/api/v1/clauses", "/api/v1/clauses/honesty",
                                 f"/report?from=v1.0&to={FAR_FUTURE}"])
def test_a_moment_past_what_utc_can_hold_is_after_every_commit_so_it_shows_the_head(client, url):
    response = client.get(url + ("&" if "?" in url else "?") + f"at={FAR_FUTURE}")
    assert response.status_code == 200, response.get_data(as_text=True)[:300]


def test_a_moment_before_what_utc_can_hold_is_before_the_first_commit(client):
    response = client.get(f"/api/v1/clauses?at={FAR_PAST.replace('+', '%2B')}")
    assert response.status_code == 404
    assert response.get_json()["error"] == "unknown_ref" and "before the spec's first commit" in response.get_json()["message"]


def test_the_report_api_takes_a_range_ending_past_what_utc_can_hold(client):
    response = client.get(f"/api/v1/report?from=v1.0&to={FAR_FUTURE}")
    assert response.status_code == 200


@pytest.mark.parametrize("url", ["/search?q=honest", "/proposals", "/unapproved", "/releases", "/prompts",
                                 "/unowned", "/documents/spec/rules.md", "/releases/v1.0...v3.0"])
def test_a_page_number_past_the_largest_is_a_400_that_names_the_page(client, url):
    response = client.get(url + ("&" if "?" in url else "?") + f"page={HUGE}")
    assert response.status_code == 400
    assert "page must be a whole number from 1 to 1,000,000" in response.get_data(as_text=True)


def test_the_largest_page_number_is_still_a_page_past_the_end(client):
    response = client.get("/proposals?page=1000000")
    assert response.status_code == 200 and "past the end" in response.get_data(as_text=True)


@pytest.mark.parametrize("url, named", [
    ("/clauses/hon%00esty", "the URL"),
    ("/api/v1/clauses/hon%00esty", "the URL"),
    ("/documents/spec%00/rules.md", "the URL"),
    ("/owners/a%00b", "the URL"),
    ("/prompts/a%00b", "the URL"),
    ("/?at=v1%00", "query argument 'at'"),
    ("/search?q=hon%00est", "query argument 'q'"),
    ("/api/v1/search?q=hon%00est", "query argument 'q'"),
    ("/proposals?clause=a%00b", "query argument 'clause'"),
    ("/api/v1/changelog?from=v1.0&to=v%00", "query argument 'to'"),
    ("/clauses/honesty/diff?from=a%00&to=b", "query argument 'from'"),
])
def test_a_nul_byte_in_an_id_or_a_query_is_a_400_naming_where_it_was(client, url, named):
    response = client.get(url)
    assert response.status_code == 400
    assert f"{named} contains a NUL byte" in html.unescape(response.get_data(as_text=True))


def _comments(gov, n: int) -> list[str]:
    detail = gov.app.test_client().get(f"/api/v1/proposals/{n}").get_json()
    return [c["text"] for c in detail["comments"]]


def test_a_nul_byte_in_a_comment_is_a_400_from_the_form_and_the_api_and_nothing_is_stored(shared_gov):
    n = shared_gov.propose()
    form = shared_gov.browser("vic").post(f"/proposals/{n}/comment", data={**CSRF, "text": "a\x00b"})
    assert form.status_code == 400 and "form field 'text' contains a NUL byte" in html.unescape(form.get_data(as_text=True))
    api = shared_gov.app.test_client().post(f"/api/v1/proposals/{n}/comments", json={"text": "a\x00b"},
                                            headers=shared_gov.api("vic"))
    assert api.status_code == 400 and api.get_json()["message"] == '"text" contains a NUL byte'
    assert _comments(shared_gov, n) == []


def test_a_nul_byte_deep_in_a_json_body_is_a_400_naming_the_field(shared_gov):
    body = {"title": "T", "rationale": "R", "changes": [{"kind": "change", "id": "respect_privacy\x00"}]}
    response = shared_gov.app.test_client().post("/api/v1/proposals", json=body, headers=shared_gov.api("ada"))
    assert response.status_code == 400
    assert response.get_json()["message"] == '"changes[0].id" contains a NUL byte'

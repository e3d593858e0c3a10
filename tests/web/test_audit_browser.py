"""The audit trail browser: /audit for admins and GET /api/v1/audit with filters, keyset paging and subject links."""
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from registry.accountability import audit_trail


def merged(gov) -> int:
    """Ada's proposal on respect_privacy, approved by its owner Grace and merged: its number."""
    n = gov.propose()
    client = gov.app.test_client()
    assert client.post(f"/api/v1/proposals/{n}/reviews", json={"kind": "approve"},
                       headers=gov.api("grace")).status_code == 201
    assert client.post(f"/api/v1/proposals/{n}/merge", headers=gov.api("ada")).status_code == 200
    return n


def events(gov, query: str = "") -> dict:
    response = gov.app.test_client().get(f"/api/v1/audit{query}", headers=gov.api("root"))
    assert response.status_code == 200, response.get_json()
    return response.get_json()


@pytest.mark.parametrize(("who", "page", "api"), [
    (None, 302, 401), ("vic", 403, 403), ("ada", 403, 403), ("grace", 403, 403), ("root", 200, 200),
])
def test_only_admins_read_the_audit_trail_and_anonymous_visitors_are_sent_to_log_in(gov, who, page, api):
    response = gov.browser(who).get("/audit?action=proposal.create")
    assert response.status_code == page
    if who is None:
        assert response.headers["Location"] == "/login?next=/audit?action%3Dproposal.create"
    assert gov.app.test_client().get("/api/v1/audit", headers=gov.api(who)).status_code == api


def test_the_navigation_links_the_audit_trail_for_admins_only(gov):
    assert 'href="/audit"' in gov.browser("root").get("/").get_data(as_text=True)
    assert 'href="/audit"' not in gov.browser("ada").get("/").get_data(as_text=True)


def test_events_come_newest_first_with_every_field_and_a_link_to_their_subject(gov):
    n = merged(gov)
    data = events(gov)
    assert list(data) == ["events", "next"] and data["next"] is None
    ids = [e["id"] for e in data["events"]]
    assert ids == sorted(ids, reverse=True)
    assert list(data["events"][0]) == ["id", "at", "actor", "action", "subject", "old", "new", "link"]
    links = {e["subject"]: e["link"] for e in data["events"]}
    assert links[f"proposal:{n}"] == f"/proposals/{n}"
    assert links["user:ada@example.org"] == "/admin/users"
    assert all(link is None for subject, link in links.items() if subject.startswith(("token:", "session:")))


def test_filters_by_actor_action_subject_and_time(gov):
    n = merged(gov)
    assert {e["actor"] for e in events(gov, "?actor=grace@example.org")["events"]} == {"grace@example.org"}
    [merge] = events(gov, "?action=proposal.merge")["events"]
    assert (merge["subject"], merge["actor"]) == (f"proposal:{n}", "ada@example.org")
    about = events(gov, f"?subject=proposal:{n}")["events"]
    assert {e["subject"] for e in about} == {f"proposal:{n}"}
    assert {"proposal.create", "review.approve", "proposal.merge"} <= {e["action"] for e in about}
    assert events(gov, "?until=2000-01-01")["events"] == []
    assert events(gov, "?since=2000-01-01")["events"] == events(gov)["events"]
    assert events(gov, f"?since={merge['at']}&action=proposal.merge")["events"] == [merge]
    assert events(gov, "?since=2999-01-01")["events"] == []


def test_pages_are_keyed_on_the_event_id_and_keep_the_filter(gov, monkeypatch):
    merged(gov)
    everything = [e["id"] for e in events(gov)["events"]]
    ada = [e["id"] for e in events(gov, "?actor=ada@example.org")["events"]]
    monkeypatch.setattr(audit_trail, "PER_PAGE", 2)
    seen, url = [], "/api/v1/audit?actor=ada@example.org"
    while url:
        response = gov.app.test_client().get(url, headers=gov.api("root")).get_json()
        assert len(response["events"]) <= 2
        seen += [e["id"] for e in response["events"]]
        url = response["next"]
        if url:
            assert parse_qs(urlsplit(url).query)["actor"] == ["ada@example.org"]
    assert seen == ada and len(ada) > 2 and set(ada) < set(everything)


@pytest.mark.parametrize(("query", "field"), [
    ("since=yesterday", "since"), ("until=2024-13-01", "until"), ("action=DROP%20TABLE", "action"),
    ("before=abc", "before"), ("before=-1", "before"), ("actor=" + "a" * 400, "actor"), ("subject=a%00b", "subject"),
])
def test_a_bad_filter_value_is_a_400_naming_the_field(gov, query, field):
    response = gov.app.test_client().get(f"/api/v1/audit?{query}", headers=gov.api("root"))
    assert response.status_code == 400
    assert response.get_json()["error"] == "bad_request" and field in response.get_json()["message"]
    assert gov.browser("root").get(f"/audit?{query}").status_code == 400


def test_the_page_lists_events_links_subjects_and_keeps_the_filter_in_its_form(gov):
    n = merged(gov)
    body = gov.browser("root").get(f"/audit?subject=proposal:{n}").get_data(as_text=True)
    assert f'<a class="subject" href="/proposals/{n}">proposal:{n}</a>' in body
    assert 'value="proposal:' + str(n) + '"' in body and "<code>proposal.merge</code>" in body
    assert "user.create" not in body  # filtered out


def test_the_page_escapes_what_users_wrote(gov):
    gov.propose(body="<script>alert(1)</script>")
    body = gov.browser("root").get("/audit?action=proposal.create").get_data(as_text=True)
    assert "<script>alert(1)" not in body

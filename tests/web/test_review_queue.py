"""The review experience: how far each proposal's approvals go, whether a veto blocks it, and whom it
waits on (CLI, API and pages alike, from the one verdict)."""
from __future__ import annotations

import json

from proposal_helpers import HEADINGS

from registry.cli import main as cli


def post(gov, who, url, data=None):
    response = gov.app.test_client().post(url, json=data if data is not None else {}, headers=gov.api(who))
    assert response.status_code in (200, 201), response.get_json()
    return response.get_json()


def listed(gov, n, monkeypatch, capsys):
    """Proposal n as `specreg proposals --json` lists it, checked equal to the API's item."""
    monkeypatch.setenv("SPECREG_DATABASE_URL", gov.app.config["DATABASE_URL"])
    assert cli(["proposals", "--json"]) == 0
    items = json.loads(capsys.readouterr().out)
    assert gov.app.test_client().get("/api/v1/proposals").get_json() == {"proposals": items}
    return next(i for i in items if i["id"] == n)


def test_a_new_proposal_on_a_root_clause_waits_on_both_owners_for_two_approvals(gov, monkeypatch, capsys):
    n = gov.propose("be_honest", "Never lie.")
    item = listed(gov, n, monkeypatch, capsys)
    assert item["approvals"] == {"have": 0, "need": 2} and item["vetoed"] is False
    assert sorted(item["waiting_on"]) == ["alan@example.org", "grace@example.org"]


def test_an_approval_that_counts_takes_its_giver_off_waiting_on_and_raises_have(gov, monkeypatch, capsys):
    n = gov.propose("be_honest", "Never lie.")
    post(gov, "grace", f"/api/v1/proposals/{n}/reviews", {"kind": "approve"})
    item = listed(gov, n, monkeypatch, capsys)
    assert item["approvals"] == {"have": 1, "need": 2} and item["waiting_on"] == ["alan@example.org"]


def test_a_satisfied_proposal_waits_on_nobody(gov, monkeypatch, capsys):
    n = gov.propose()
    post(gov, "grace", f"/api/v1/proposals/{n}/reviews", {"kind": "approve"})
    item = listed(gov, n, monkeypatch, capsys)
    assert (item["state"], item["approvals"], item["waiting_on"]) == ("approved", {"have": 1, "need": 1}, [])


def test_a_pending_request_for_changes_marks_the_proposal_vetoed_until_it_is_withdrawn(gov, monkeypatch, capsys):
    n = gov.propose()
    post(gov, "barbara", f"/api/v1/proposals/{n}/reviews", {"kind": "request_changes", "comment": "No"})
    assert listed(gov, n, monkeypatch, capsys)["vetoed"] is True
    post(gov, "barbara", f"/api/v1/proposals/{n}/withdraw-veto")
    assert listed(gov, n, monkeypatch, capsys)["vetoed"] is False


def test_a_withdrawn_proposal_waits_on_nobody(gov, monkeypatch, capsys):
    n = gov.propose()
    post(gov, "ada", f"/api/v1/proposals/{n}/withdraw", {"reason": "Not now."})
    item = listed(gov, n, monkeypatch, capsys)
    assert (item["state"], item["waiting_on"]) == ("withdrawn", [])


def test_an_approval_of_an_earlier_revision_puts_its_giver_back_on_waiting_on(gov, monkeypatch, capsys):
    n = gov.propose()
    post(gov, "grace", f"/api/v1/proposals/{n}/reviews", {"kind": "approve"})

    post(gov, "ada", f"/api/v1/proposals/{n}/revisions",
         {"changes": [{"id": "respect_privacy", "text": f"{HEADINGS['respect_privacy']}\n\nNever.\n"}]})
    item = listed(gov, n, monkeypatch, capsys)
    assert (item["approvals"], item["waiting_on"]) == ({"have": 0, "need": 1}, ["grace@example.org"])


def html(gov, who, url, status=200):
    response = gov.browser(who).get(url)
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    return response.get_data(as_text=True)


def test_the_list_page_tabs_count_the_proposals_in_each_state(gov):
    gov.propose()
    n = gov.propose("be_brief", "Short.")
    post(gov, "ada", f"/api/v1/proposals/{n}/withdraw", {"reason": "Not now."})
    page = html(gov, None, "/proposals")
    assert '<span class="count" data-state="open">1</span>' in page
    assert '<span class="count" data-state="withdrawn">1</span>' in page
    assert '<span class="count" data-state="merged">0</span>' in page
    assert '<span class="count" data-state="all">2</span>' in page


def test_the_list_page_shows_approvals_the_veto_and_whom_each_proposal_waits_on(gov):
    n = gov.propose("be_honest", "Never lie.")
    post(gov, "grace", f"/api/v1/proposals/{n}/reviews", {"kind": "approve"})
    post(gov, "barbara", f"/api/v1/proposals/{n}/reviews", {"kind": "request_changes", "comment": "No"})
    page = html(gov, None, "/proposals")
    assert '<td class="approvals">1/2 <span class="badge vetoed">vetoed</span></td>' in page
    assert '<td class="waiting">alan@example.org</td>' in page


def test_the_header_counts_what_waits_on_the_signed_in_user_and_links_to_that_list(gov):
    n = gov.propose()
    grace = html(gov, "grace", "/releases")
    assert 'href="/proposals?waiting_on=me"' in grace and 'aria-label="1 proposal waiting on you">1<' in grace
    assert 'aria-label="0 proposals waiting on you">0<' in html(gov, "alan", "/releases")
    assert "waiting_on=me" not in html(gov, None, "/releases")
    mine = html(gov, "grace", "/proposals?waiting_on=me")
    assert f'href="/proposals/{n}"' in mine and 'data-state="waiting">1<' in mine
    assert f'href="/proposals/{n}"' not in html(gov, "alan", "/proposals?waiting_on=me")


def test_waiting_on_me_needs_a_login(gov):
    response = gov.app.test_client().get("/proposals?waiting_on=me")
    assert response.status_code == 303  # to the login page, and back here afterwards
    assert response.headers["Location"].startswith("/login?next=")


def test_the_home_page_lists_the_proposals_waiting_on_the_signed_in_user(gov):
    n = gov.propose()
    home = html(gov, "grace", "/")
    assert "Waiting on you" in home and f'<a href="/proposals/{n}">#{n} Tighten</a>' in home
    assert "Nothing waits on your approval." in html(gov, "alan", "/")
    assert "Waiting on you" not in html(gov, None, "/")


def test_an_error_page_does_not_ask_for_the_signed_in_users_queue(gov, monkeypatch):
    from registry.web.proposals import pages

    def broken(*_args):
        raise AssertionError("the error page asked for the queue")
    monkeypatch.setattr(pages, "waiting_for", broken)
    assert "waiting_on=me" not in html(gov, "grace", "/proposals/999", 404)

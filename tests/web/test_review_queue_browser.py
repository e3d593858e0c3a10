"""The review queue in a real Chromium: the header's badge counts what waits on the signed-in owner,
leads to the list filtered to it, and the list's state tabs carry their counts."""
from __future__ import annotations

import pytest
from proposal_web import Gov
from test_proposals_browser import gov_url, logged_in  # noqa: F401 - the served app and the login
from test_web_browser import browser  # noqa: F401 - the system Chromium fixture

from registry.accounts.credentials import create_token
from registry.db import make_engine, session_scope

pytestmark = pytest.mark.browser


def test_an_owner_follows_the_header_badge_to_what_waits_on_them_and_switches_tabs(
        browser, gov_url, shared_gov: Gov, request):  # noqa: F811
    engine = make_engine(shared_gov.app.config["DATABASE_URL"])
    with session_scope(engine, write=True) as s:  # setting her password revoked Ada's tokens
        ada = shared_gov.users["ada"]
        shared_gov.tokens["ada"] = create_token(s, ada, ada.email)[0]
    engine.dispose()
    n = shared_gov.propose("be_honest", "Never lie, not even a little.")
    grace = logged_in(browser, gov_url, "grace@example.org", request)
    badge = grace.locator("header.site a.waiting-on-me .badge")
    assert badge.inner_text() == "1"
    assert grace.get_by_role("heading", name="Waiting on you").is_visible()
    grace.locator("header.site a.waiting-on-me").click()
    grace.wait_for_url("**/proposals?waiting_on=me")
    row = grace.locator("table.proposals tbody tr", has_text=f"#{n}")
    assert row.locator("td.approvals").inner_text() == "0/2"
    assert "grace@example.org" in row.locator("td.waiting").inner_text()
    tabs = grace.get_by_role("navigation", name="Proposal states")
    assert tabs.locator("[aria-current=page]").inner_text().startswith("waiting on me")
    tabs.get_by_role("link", name="withdrawn 0").click()
    grace.wait_for_url("**/proposals?state=withdrawn")  # count() does not wait for the next page
    assert "None." in grace.locator("table.proposals").inner_text()
    tabs.get_by_role("link", name="open 1").click()
    grace.wait_for_url("**/proposals?state=open")
    assert grace.locator("table.proposals tbody tr", has_text=f"#{n}").count() == 1
    grace.shot("review-queue-tabs")

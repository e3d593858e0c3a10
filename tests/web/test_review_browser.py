"""A reviewer's and an auditor's pages in a real Chromium (the system package): the audit trail browser
(filters, paging, subject links, refused to non-admins), a proposal's prose diff inline and side by
side, and the changelog between two points with its diffs and governance. Each at 1280 and 390 px,
never scrolling sideways, with screenshots kept in artifacts/screenshots/ (git-ignored)."""
from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from proposal_helpers import HEADINGS
from sqlalchemy.pool import NullPool
from test_no_dead_ends_browser import SCREENSHOTS, new_page
from test_proposals_browser import gov_url, logged_in  # noqa: F401 - the governed app over HTTP
from test_web_browser import browser  # noqa: F401 - the system Chromium fixture

from registry.accountability import audit_trail
from registry.db import make_engine, session_scope
from registry.gitsource import SpecSource
from registry.proposals import reviews
from registry.proposals.authoring import ChangeInput, propose
from registry.proposals.merge import merge

pytestmark = pytest.mark.browser
WIDTHS = [390, 1280]


def shot(page, name: str, width: int) -> None:
    """Save a full-page screenshot and check the page does not scroll sideways at this width."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}-{width}.png"), full_page=True)
    wide = page.evaluate("document.documentElement.scrollWidth")
    assert wide <= width, f"{page.url} is {wide} px wide at {width} px"


def proposed(gov, body: str) -> int:
    """Ada's proposal on respect_privacy, made through the use case (gov_url set the passwords, which revoked
    the API tokens): its number."""
    with session_scope(make_engine(gov.app.config["DATABASE_URL"], poolclass=NullPool), write=True) as s, \
            SpecSource(gov.repo.path) as source:
        change = ChangeInput("change", "respect_privacy", f"{HEADINGS['respect_privacy']}\n\n{body}\n")
        return propose(s, source, gov.users["ada"], "Tighten", "Clearer.", [change]).id


def merged_change(gov, body: str) -> tuple[int, str]:
    """Ada's proposal on respect_privacy, approved by Grace and merged by Ada: (number, the head before)."""
    before = gov.repo.head()
    n = proposed(gov, body)
    with session_scope(make_engine(gov.app.config["DATABASE_URL"], poolclass=NullPool), write=True) as s:
        reviews.approve(s, gov.users["grace"], n)
    with session_scope(make_engine(gov.app.config["DATABASE_URL"], poolclass=NullPool), write=True) as s:
        merge(s, gov.repo.path, "main", gov.users["ada"], n)
    return n, before


def at_width(page, width: int):
    page.set_viewport_size({"width": width, "height": 844 if width < 500 else 900})
    return page


def test_an_admin_filters_the_audit_trail_pages_through_it_and_follows_a_subject(browser, gov_url, shared_gov,  # noqa: F811
                                                                                  request, monkeypatch):
    n, _before = merged_change(shared_gov, "Never reveal personal data to anyone.")
    root = logged_in(browser, gov_url, "root@example.org", request)
    root.get_by_role("link", name="Audit trail").click()
    root.wait_for_url("**/audit")
    root.get_by_label("Action").fill("review.approve")
    root.get_by_role("button", name="Filter").click()
    root.wait_for_url(re.compile(r"/audit\?.*action=review\.approve"))
    actions = root.locator("table.audit-trail tbody tr td:nth-child(4)").all_inner_texts()
    assert actions and set(actions) == {"review.approve"}
    for width in WIDTHS:
        shot(at_width(root, width), "audit", width)

    monkeypatch.setattr(audit_trail, "PER_PAGE", 2)  # the server runs in this process: pages of two
    root.goto("/audit?actor=ada@example.org")
    first = [int(t) for t in root.locator("table.audit-trail tbody th").all_inner_texts()]
    root.get_by_role("link", name="Older events").click()
    root.wait_for_url(re.compile(r"before="))
    assert parse_qs(urlsplit(root.url).query)["actor"] == ["ada@example.org"]
    second = [int(t) for t in root.locator("table.audit-trail tbody th").all_inner_texts()]
    assert len(first) == 2 and second and max(second) < min(first)
    assert set(root.locator("table.audit-trail tbody td:nth-child(3)").all_inner_texts()) == {"ada@example.org"}

    root.goto(f"/audit?subject=proposal:{n}")
    root.get_by_role("link", name=f"proposal:{n}", exact=True).first.click()
    root.wait_for_url(f"**/proposals/{n}")
    assert root.get_by_role("heading", level=1).inner_text().startswith(f"#{n} ")


def test_the_audit_trail_is_refused_to_others_and_sends_a_logged_out_visitor_to_log_in(browser, gov_url,  # noqa: F811
                                                                                        request):
    ada = logged_in(browser, gov_url, "ada@example.org", request)
    assert ada.get_by_role("link", name="Audit trail").count() == 0
    response = ada.goto("/audit")
    assert response is not None and response.status == 403
    assert "admin" in ada.locator("main").inner_text().lower()
    page = new_page(browser, gov_url, 390)
    page.goto("/audit?action=proposal.merge")
    page.wait_for_url(re.compile(r"/login\?next=/audit"))
    page.context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_a_proposal_shows_its_prose_diff_inline_and_side_by_side(browser, gov_url, shared_gov, width):  # noqa: F811
    n = proposed(shared_gov, "Do not reveal personal data.\nNever sell it either.")
    page = new_page(browser, gov_url, width)
    page.goto(f"/proposals/{n}")
    inserted = page.locator(".prose-diff ins", has_text="sell it either").first
    assert re.search(r"\{\+[^{]*sell it either\.", inserted.inner_text())  # marked in text, not colour alone
    assert inserted.text_content().startswith("inserted: ")  # and for screen readers
    shot(page, "proposal-diff", width)
    page.get_by_role("link", name="Side by side").click()
    page.wait_for_url(re.compile(rf"/proposals/{n}\?view=split"))
    left, right = page.locator(".split > div").all()
    assert left.locator("ins").count() == 0 and right.locator("ins").count() >= 1
    a, b = left.bounding_box(), right.bounding_box()
    assert (b["x"] > a["x"]) if width > 800 else (b["y"] > a["y"])  # beside each other, or stacked on a phone
    shot(page, "proposal-diff-split", width)
    page.context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_the_changelog_shows_each_change_with_its_diff_governance_and_prompt_flag(browser, gov_url, shared_gov,  # noqa: F811
                                                                                  width):
    n, before = merged_change(shared_gov, f"Never reveal personal data ({width} px).")
    page = new_page(browser, gov_url, width)
    page.goto(f"/releases/{before}...main")
    change = page.locator("article#c-respect_privacy")
    assert change.locator(".prose-diff ins").count() >= 1 and change.locator(".prose-diff del").count() >= 1
    assert "No evaluation prompt: this clause cites none." in change.inner_text()
    assert page.get_by_role("heading", level=2).first.inner_text().startswith("spec/rules.md · authority")
    shot(page, "changelog", width)
    page.get_by_role("link", name="Side by side").click()
    page.wait_for_url(re.compile(r"view=split"))
    shot(page, "changelog-split", width)
    governance = page.locator("article#c-respect_privacy a.governance")
    assert re.fullmatch(rf"via #{n}, approved by Grace Hopper, rule \S+", governance.inner_text())
    governance.click()
    page.wait_for_url(f"**/proposals/{n}")
    page.context.close()

"""No dead ends and a usable phone screen, in a real Chromium (the system package).

Screenshots of the main pages at 1280 px and 390 px land in artifacts/screenshots/ (git-ignored).
"""
from __future__ import annotations

import re
from itertools import pairwise
from urllib.parse import urlsplit

import pytest
from test_proposals_browser import PASSWORD, gov_url, logged_in  # noqa: F401 - the governed app over HTTP
from test_web_browser import browser  # noqa: F401 - the system Chromium fixture

from registry.config import PROJECT_ROOT

pytestmark = pytest.mark.browser
SCREENSHOTS = PROJECT_ROOT / "artifacts" / "screenshots"
PAGES = {"home": "/", "clause": "/clauses/respect_privacy", "diff": "/clauses/respect_privacy/diff",
         "blame": "/clauses/respect_privacy/blame", "releases": "/releases", "search": "/search?q=data",
         "activity": "/activity", "prompts": "/prompts", "owners": "/owners", "proposals": "/proposals",
         "unapproved": "/unapproved", "incident": "/incident", "report": "/report", "api-docs": "/api/docs",
         "login": "/login", "not-found": "/clauses/no_such_clause"}


def new_page(browser, base_url: str, width: int):  # noqa: F811
    context = browser.new_context(base_url=base_url, viewport={"width": width, "height": 844 if width < 500 else 900})
    return context.new_page()


@pytest.mark.parametrize("width", [390, 1280])
def test_the_main_pages_never_scroll_sideways_and_are_saved_as_screenshots(browser, gov_url, width):  # noqa: F811
    page = new_page(browser, gov_url, width)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for name, url in PAGES.items():
        page.goto(url)
        wide = page.evaluate("document.documentElement.scrollWidth")
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{width}.png"), full_page=True)
        assert wide <= width, f"{url} is {wide} px wide at {width} px"
    page.context.close()


def test_propose_a_change_logged_out_goes_through_the_login_and_lands_in_the_editor(browser, gov_url):  # noqa: F811
    page = new_page(browser, gov_url, 390)
    page.goto("/clauses/respect_privacy")
    page.get_by_role("link", name="Propose a change").click()
    page.wait_for_url(re.compile(r"/login\?next=/clauses/respect_privacy/propose$"))
    assert "Log in to propose changes." in page.locator("main").inner_text()
    page.get_by_label("Email").fill("ada@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/clauses/respect_privacy/propose")
    assert "Do not reveal personal data." in page.get_by_label("Text of the clause").input_value()
    page.context.close()


def test_a_refused_approval_keeps_the_typed_comment_on_the_proposal_page(browser, gov_url, request):  # noqa: F811
    ada = logged_in(browser, gov_url, "ada@example.org", request)
    ada.goto("/clauses/respect_privacy")
    ada.get_by_role("link", name="Propose a change").click()
    ada.get_by_label("Title").fill("Warmer tone")
    ada.get_by_label("Rationale: why this change").fill("Kinder.")
    editor = ada.get_by_label("Text of the clause")  # the prose fields: the body alone
    editor.fill(editor.input_value().rstrip() + " Be warm about it.\n")
    ada.get_by_role("button", name="Propose", exact=True).click()
    ada.wait_for_url("**/proposals/*")
    url = urlsplit(ada.url).path
    grace = logged_in(browser, gov_url, "grace@example.org", request)
    stale = grace.context.new_page()  # a second tab, opened before the first approval
    grace.goto(url)
    stale.goto(url)
    grace.get_by_role("button", name=re.compile("Approve revision")).click()
    grace.wait_for_url(f"**{url}")
    stale.get_by_label("Comment (needed when requesting changes)").fill("Reads well to me")
    stale.get_by_role("button", name=re.compile("Approve revision")).click()
    assert "Not saved: you already approved revision 1" in stale.locator("#form-error").inner_text()
    assert stale.get_by_label("Comment (needed when requesting changes)").input_value() == "Reads well to me"


def test_an_error_page_leads_back_to_where_the_reader_came_from(browser, gov_url):  # noqa: F811
    page = new_page(browser, gov_url, 390)
    page.goto("/search?q=data")
    page.evaluate("location.href = '/clauses/no_such_clause'")
    page.wait_for_url("**/clauses/no_such_clause")
    assert page.get_by_role("heading", name="Where to go from here").is_visible()
    page.get_by_role("link", name="Back to the page you came from").click()
    page.wait_for_url("**/search?q=data")
    page.context.close()


def test_chart_labels_do_not_overlap_snippets_show_no_markup_and_times_have_one_format(browser, gov_url):  # noqa: F811
    page = new_page(browser, gov_url, 1280)
    page.goto("/activity")
    boxes = [t.bounding_box() for t in page.locator("svg text.tick").all()]
    assert boxes and all(a["x"] + a["width"] <= b["x"] for a, b in pairwise(boxes))
    page.goto("/search?q=data")
    for snippet in page.locator("p.snippet").all_inner_texts():
        assert "[^" not in snippet and "](" not in snippet and "**" not in snippet
    for url in ("/", "/clauses/respect_privacy", "/releases", "/proposals"):
        page.goto(url)
        for shown in page.locator("main time").all_text_contents():
            assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", shown), (url, shown)
    page.context.close()


def test_the_footer_opens_the_api_reference_which_loads_nothing_from_elsewhere(browser, gov_url):  # noqa: F811
    page = new_page(browser, gov_url, 1280)
    hosts: set[str] = set()
    page.on("request", lambda r: hosts.add(urlsplit(r.url).netloc))
    page.goto("/")
    page.locator("footer").get_by_role("link", name="JSON API").click()
    page.wait_for_url("**/api/docs")
    assert page.get_by_role("heading", level=1).inner_text() == "Specreg API reference"
    assert page.locator("article.api-op").count() >= 20
    assert hosts == {urlsplit(gov_url).netloc}
    page.context.close()

"""The incident lookup in a real Chromium: search for a clause, read what was in force before and after
a merged proposal, and follow the unapproved notice to the report."""
from __future__ import annotations

import pytest
from flask import Flask
from proposal_helpers import HEADINGS
from proposal_web import Gov
from test_web_browser import ARTIFACTS, base_url, browser  # noqa: F401 - Chromium, and the app over HTTP

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def app(shared_gov: Gov) -> Flask:
    """The governed app (served by `base_url`), with respect_privacy changed by a merged proposal."""
    client, gov = shared_gov.app.test_client(), shared_gov
    text = f"{HEADINGS['respect_privacy']}\n\nNever reveal personal data, such as a home address.\n"
    n = client.post("/api/v1/proposals", headers=gov.api("ada"), json={
        "title": "Say what private means", "rationale": "Readers asked what counts as personal data.",
        "changes": [{"kind": "change", "id": "respect_privacy", "text": text}]}).get_json()["id"]
    client.post(f"/api/v1/proposals/{n}/reviews", json={"kind": "approve"}, headers=gov.api("grace"))
    assert client.post(f"/api/v1/proposals/{n}/merge", headers=gov.api("ada")).status_code == 200
    return shared_gov.app


@pytest.fixture
def page(browser, base_url: str, request: pytest.FixtureRequest):  # noqa: F811
    context = browser.new_context(base_url=base_url, viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    backend = request.node.callspec.params.get("databases", "db")
    ARTIFACTS.mkdir(exist_ok=True)
    pg.shot = lambda name: pg.screenshot(path=str(ARTIFACTS / f"{backend}-{name}.png"), full_page=True)
    yield pg
    context.close()
    assert errors == []


def look_up(page, clause: str, moment: str) -> None:
    page.get_by_label("Clause id (as it was then, or now), or words to search for").fill(clause)
    page.get_by_label("Moment (UTC)").fill(moment)
    page.get_by_role("button", name="Look up").click()
    page.wait_for_url("**/incident?*")


def test_an_investigator_searches_a_clause_and_reads_what_was_in_force_and_who_approved_it(page):
    page.goto("/")
    page.get_by_role("link", name="Incident lookup").first.click()
    page.wait_for_url("**/incident")
    look_up(page, "personal data", "2100-01-01T00:00")
    page.get_by_role("link", name="Respect privacy").click()
    page.wait_for_url("**/incident?clause=respect_privacy*")
    answer = page.locator("article.incident")
    assert "such as a home address" in answer.locator(".prose").inner_text()
    assert "Say what private means" in answer.inner_text()
    assert "Readers asked what counts as personal data." in answer.inner_text()
    approver = answer.locator("table.approvers tbody tr").first.inner_text()
    assert "Grace Hopper" in approver and "approved as owner of respect_privacy" in approver
    assert "policy.toml" in answer.inner_text() and page.locator(".notice-unapproved").count() == 0
    page.shot("incident-approved")

    look_up(page, "respect_privacy", "2024-01-02T12:00")
    notice = page.locator(".notice-unapproved")
    assert "Unapproved change." in notice.inner_text()
    assert "Do not reveal personal data." in page.locator("article.incident .prose").inner_text()
    assert "Say what private means" not in page.locator("#text-h").inner_text()
    assert "Grace Hopper" in page.locator("section[aria-labelledby=owners-h]").inner_text()
    assert "by proposal" in page.locator("section[aria-labelledby=next-h]").inner_text()
    page.shot("incident-unapproved")
    notice.get_by_role("link").click()
    page.wait_for_url("**/unapproved?commit=*#c-*")
    assert page.get_by_role("heading", level=1).inner_text() == "Unapproved changes"
    page.shot("unapproved-report")


def test_a_moment_before_the_spec_is_explained_on_the_page(page):
    page.goto("/incident")
    look_up(page, "respect_privacy", "1999-01-01")
    assert "before the spec's first commit" in page.get_by_role("alert").inner_text()

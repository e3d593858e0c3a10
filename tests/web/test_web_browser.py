"""A reader's journey in a real Chromium (the system package, never a Playwright download).

Screenshots of the main pages land in test-artifacts/ for people to look at.
"""
from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from registry.config import PROJECT_ROOT

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
ARTIFACTS = PROJECT_ROOT / "test-artifacts"

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def base_url(app: Flask) -> Iterator[str]:
    """The app served over HTTP from a background thread, on a free port."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Chromium from /usr/bin; skipped with a reason when absent (failed if SPECREG_REQUIRE_BROWSER=1)."""
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is not installed (apt-get install chromium)"
        if os.environ.get("SPECREG_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{reason}; SPECREG_REQUIRE_BROWSER=1 makes this an error")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, base_url: str, request: pytest.FixtureRequest):
    """A fresh page whose screenshots are named after the backend."""
    context = browser.new_context(base_url=base_url, viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    backend = request.node.callspec.params.get("databases", "db") if hasattr(request.node, "callspec") else "db"
    ARTIFACTS.mkdir(exist_ok=True)
    pg.shot = lambda name: pg.screenshot(path=str(ARTIFACTS / f"{backend}-{name}.png"), full_page=True)
    yield pg
    context.close()


def test_a_reader_browses_a_clause_diffs_two_versions_goes_back_in_time_and_searches(page):
    page.goto("/")
    assert page.title() == "The spec · Specreg"
    page.shot("home")
    page.get_by_role("link", name="Be honest").first.click()
    page.wait_for_url("**/clauses/honesty")
    assert page.get_by_role("heading", level=1).inner_text() == "Be honest"
    page.shot("clause")

    page.locator("input[name=from]").nth(2).check()  # the first version
    page.locator("input[name=to]").nth(1).check()  # the reworded one
    page.get_by_role("button", name="Compare selected versions").click()
    page.wait_for_url("**/clauses/honesty/diff?*")
    assert page.locator("pre.diff del").first.text_content() == "deleted: [-state-]"
    assert "unsure" in page.locator("pre.diff ins").last.text_content()
    page.shot("diff")
    page.get_by_role("link", name="Side by side").click()
    page.wait_for_url("**view=split*")
    page.shot("diff-split")

    page.locator("details.asof summary").click()
    page.get_by_label("Date").fill("2024-01-02")
    page.locator("details.asof form").first.get_by_role("button", name="Show").click()
    page.wait_for_url("**at=2024-01-02*")
    banner = page.locator(".asof-banner")
    assert "as of 2024-01-02" in banner.inner_text()
    page.get_by_role("link", name="Spec", exact=True).first.click()
    page.wait_for_url("**/?at=2024-01-02")
    assert "spec/data.md" not in page.content()
    page.shot("home-as-of")

    page.get_by_label("Search clauses").fill("personal")
    page.get_by_label("Search clauses").press("Enter")
    page.wait_for_url("**/search?*")
    results = page.locator("ol.results > li")
    assert results.count() == 2 and "as of 2024-01-02" in page.locator(".asof-banner").inner_text()
    page.shot("search")


def test_the_site_navigation_works_from_the_keyboard(page):
    page.goto("/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent") == "Releases":
            break
    page.keyboard.press("Enter")
    page.wait_for_url("**/releases")
    assert page.get_by_role("heading", level=1).inner_text() == "Releases"


@pytest.mark.parametrize("name, url", [
    ("blame", "/clauses/honesty/blame"), ("releases", "/releases"), ("changelog", "/releases/v1.0...v3.0"),
    ("activity", "/activity"), ("prompts", "/prompts"), ("hostile", "/clauses/hostile"), ("not-found", "/clauses/honsety"),
])
def test_the_main_pages_render_without_script_errors(page, name, url):
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("dialog", lambda dialog: errors.append(f"dialog: {dialog.message}"))
    page.goto(url)
    page.shot(name)
    assert errors == []


def test_the_evidence_report_prints_without_the_site_chrome_one_section_a_page(page):
    page.goto("/report?release=v3.0")
    page.shot("report")
    page.emulate_media(media="print")
    assert not page.locator("header.site").is_visible() and not page.locator(".report-toolbar").is_visible()
    assert page.locator("#evidence-report").is_visible()
    page.shot("report-print")
    page.goto("/report/export?release=v3.0&format=html")
    pdf = page.pdf(format="A4")
    pages = pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages")
    assert pdf.startswith(b"%PDF") and pages >= 7  # the cover, then each of six sections on a new page

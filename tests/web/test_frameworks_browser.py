"""The framework pages in a real Chromium: usable at 390 px and 1280 px, the unmapped clauses one click away."""
from __future__ import annotations

import pytest
from test_frameworks_web import app  # noqa: F401 - the spec with frameworks.toml at v2
from test_web_browser import base_url, browser  # noqa: F401 - this module's app over HTTP; the system Chromium

from registry.config import PROJECT_ROOT

pytestmark = pytest.mark.browser
SCREENSHOTS = PROJECT_ROOT / "artifacts" / "screenshots"
PAGES = {"frameworks": "/frameworks", "framework": "/frameworks/demo-act", "clause-frameworks": "/clauses/be_honest"}


@pytest.mark.parametrize("width", [390, 1280])
def test_the_framework_pages_never_scroll_sideways(browser, base_url, width):  # noqa: F811
    context = browser.new_context(base_url=base_url, viewport={"width": width, "height": 844 if width < 500 else 900})
    page = context.new_page()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for name, url in PAGES.items():
        page.goto(url)
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{width}.png"), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= width, url
    context.close()


def test_a_reader_goes_from_the_index_to_an_uncovered_item_and_the_clauses_answering_none(browser, base_url):  # noqa: F811
    context = browser.new_context(base_url=base_url, viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto("/frameworks")
    page.get_by_role("link", name="demo-act").click()
    page.wait_for_url("**/frameworks/demo-act")
    assert "no clause answers it" in page.locator('tr[data-item="art-14"]').inner_text()
    assert not page.get_by_role("link", name="respect_privacy").is_visible()
    page.get_by_text("Show them").click()
    page.get_by_role("link", name="respect_privacy").click()
    page.wait_for_url("**/clauses/respect_privacy")
    assert "This clause answers no framework item" in page.locator(".clause-frameworks").inner_text()
    context.close()

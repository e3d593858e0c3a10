"""The admin's user page in a real Chromium: reached from the nav, every control found by its label."""
from __future__ import annotations

import pytest
from test_proposals_browser import gov_url, logged_in  # noqa: F401 - the app over HTTP, and logging in
from test_web_browser import browser  # noqa: F401 - the system Chromium fixture

pytestmark = pytest.mark.browser


def test_an_admin_adds_a_user_and_changes_their_role_from_the_users_page(browser, gov_url, request):  # noqa: F811
    root = logged_in(browser, gov_url, "root@example.org", request)
    root.get_by_role("link", name="Users").click()
    root.wait_for_url("**/admin/users")
    root.get_by_label("Email").fill("eve@example.org")
    root.get_by_label("Name (as it will appear").fill("Eve Example")
    root.get_by_label("Role", exact=True).select_option("editor")
    root.get_by_label("Initial password").fill("a long passphrase")
    root.get_by_role("button", name="Add user").click()
    root.wait_for_url("**/admin/users")
    assert "Added eve@example.org (Eve Example) as editor, with a password." in root.locator("p.flash").inner_text()
    root.get_by_label("Role of eve@example.org").select_option("viewer")
    root.locator("tr", has=root.get_by_label("Role of eve@example.org")).get_by_role(
        "button", name="Change role").click()
    root.wait_for_url("**/admin/users")
    assert "eve@example.org's role is now viewer." in root.locator("p.flash").inner_text()
    root.get_by_role("button", name="Disable eve@example.org").click()
    root.wait_for_url("**/admin/users")
    assert "Disabled eve@example.org" in root.locator("p.flash").inner_text()
    root.shot("admin-users")

    ada = logged_in(browser, gov_url, "ada@example.org", request)
    assert ada.get_by_role("link", name="Users").count() == 0
    ada.goto("/admin/users")
    assert "manage users needs the admin role; ada@example.org is an editor" in ada.content()

"""The session cookie: it never carries an API token, and it is HttpOnly, SameSite=Lax and (when configured) Secure."""
from __future__ import annotations

from pathlib import Path

import pytest

from registry.app import create_app
from registry.config import Settings, load_settings
from registry.errors import ConfigError

CSRF = {"csrf_token": "csrf-token"}


def _session_cookies(response) -> list[str]:
    return [h for h in response.headers.getlist("Set-Cookie") if h.startswith("session=")]


def test_a_new_token_is_shown_in_the_response_and_never_put_in_the_cookie(gov):
    browser = gov.browser("vic")
    created = browser.post("/account/tokens", data={**CSRF, "name": "laptop"})
    token = created.get_data(as_text=True).split('<code class="token">')[1].split("</code>")[0]
    assert token.startswith("srg_") and created.headers["Cache-Control"] == "no-store"
    cookie = browser.get_cookie("session").value
    serializer = gov.app.session_interface.get_signing_serializer(gov.app)
    assert token not in cookie and token not in repr(serializer.loads(cookie))
    assert all(token not in h for h in _session_cookies(created))
    assert token not in browser.get("/account").get_data(as_text=True)


def test_the_account_page_needs_the_csrf_token_to_create_a_token(gov):
    assert gov.browser("vic").post("/account/tokens", data={"name": "x"}).status_code == 403


def test_creating_a_token_logged_out_asks_to_log_in_not_for_command_line_options(gov):
    browser = gov.browser(None)
    refused = browser.post("/account/tokens", data={**CSRF, "name": "x"}, headers={"Referer": "http://localhost/account"})
    assert refused.status_code == 303 and refused.headers["Location"] == "/login?next=/account"
    page = browser.get(refused.headers["Location"]).get_data(as_text=True)
    assert "Log in to create a token." in page and "--as" not in page


@pytest.mark.parametrize(("secure", "flags"), [(False, {"HttpOnly", "SameSite=Lax"}),
                                               (True, {"HttpOnly", "SameSite=Lax", "Secure"})])
def test_the_session_cookie_is_httponly_and_samesite_lax_and_secure_when_configured(gov, tmp_path: Path, secure, flags):
    settings = Settings(gov.app.config["DATABASE_URL"], Path(gov.app.config["SPEC_REPO"]), tmp_path,
                        secure_cookies=secure)
    app = create_app({"TESTING": True, "SECRET_KEY": "test-secret"}, settings=settings)
    try:
        [cookie] = _session_cookies(app.test_client().get("/login"))  # the page's CSRF token starts a session
    finally:
        app.extensions["specreg.engine"].dispose()
    attributes = {part.strip() for part in cookie.split(";")[1:]}
    assert flags <= attributes and ("Secure" in attributes) == secure


@pytest.mark.parametrize(("value", "secure"), [(None, False), ("", False), ("0", False), ("1", True),
                                               ("true", True), ("False", False)])
def test_secure_cookies_are_switched_on_by_the_environment(tmp_path: Path, value, secure):
    env = {"SPECREG_INSTANCE": str(tmp_path)} | ({} if value is None else {"SPECREG_SECURE_COOKIES": value})
    assert load_settings(env).secure_cookies is secure


def test_a_secure_cookies_value_that_is_not_a_flag_is_a_clear_error(tmp_path: Path):
    with pytest.raises(ConfigError, match="SPECREG_SECURE_COOKIES must be 1 or 0, not 'yes please'"):
        load_settings({"SPECREG_INSTANCE": str(tmp_path), "SPECREG_SECURE_COOKIES": "yes please"})


@pytest.mark.parametrize(("value", "hops"), [(None, 0), ("", 0), ("0", 0), ("1", 1), ("2", 2)])
def test_proxy_hops_come_from_the_environment(tmp_path: Path, value, hops):
    env = {"SPECREG_INSTANCE": str(tmp_path)} | ({} if value is None else {"SPECREG_PROXY_HOPS": value})
    assert load_settings(env).proxy_hops == hops


@pytest.mark.parametrize("value", ["-1", "one", "11", "1.5"])
def test_proxy_hops_that_are_not_a_small_whole_number_are_a_clear_error(tmp_path: Path, value):
    with pytest.raises(ConfigError, match="SPECREG_PROXY_HOPS must be a whole number from 0 to 10"):
        load_settings({"SPECREG_INSTANCE": str(tmp_path), "SPECREG_PROXY_HOPS": value})

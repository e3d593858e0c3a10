"""The governance journey in a real Chromium: log in, propose with the live preview, a second user
approves from their review queue, the proposer merges, and the clause history shows the proposal."""
from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect
from proposal_web import Gov
from test_web_browser import ARTIFACTS, browser  # noqa: F401 - the system Chromium fixture

from registry.accounts.users import set_password
from registry.db import make_engine, session_scope

pytestmark = pytest.mark.browser
PASSWORD = "a long passphrase"


@pytest.fixture(scope="module")
def gov_url(shared_gov: Gov) -> Iterator[str]:
    """The governed app over HTTP, with passwords for Ada (proposer), Grace (owner) and Root (admin)."""
    from werkzeug.serving import make_server

    engine = make_engine(shared_gov.app.config["DATABASE_URL"])
    with session_scope(engine, write=True) as s:
        # Each holder sets their own password: one set by an admin would not count as an approval.
        for actor in shared_gov.users.values():
            if actor.email in ("ada@example.org", "grace@example.org", "root@example.org"):
                set_password(s, actor, actor.email, PASSWORD)
    engine.dispose()
    server = make_server("127.0.0.1", 0, shared_gov.app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


def logged_in(browser, base_url: str, email: str, request: pytest.FixtureRequest):  # noqa: F811
    """A page in its own browser context, logged in through the login form."""
    context = browser.new_context(base_url=base_url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    backend = request.node.callspec.params.get("databases", "db")
    ARTIFACTS.mkdir(exist_ok=True)
    page.shot = lambda name: page.screenshot(path=str(ARTIFACTS / f"{backend}-{name}.png"), full_page=True)
    page.goto("/")
    page.get_by_role("link", name="Log in").click()
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/")
    return page


def test_propose_approve_merge_and_the_history_shows_it(browser, gov_url, request):  # noqa: F811
    ada = logged_in(browser, gov_url, "ada@example.org", request)
    assert "Ada Byron" in ada.locator("header.site").inner_text()
    ada.goto("/clauses/respect_privacy")
    ada.get_by_role("link", name="Propose a change").click()
    ada.get_by_label("Title").fill("Say what private means")
    ada.get_by_label("Rationale: why this change").fill("Readers asked what counts as personal data.")
    editor = ada.get_by_label("Text of the clause")  # the prose fields: the body alone
    editor.fill(editor.input_value().replace("Do not reveal personal data.",
                                             "Do not reveal personal data, such as a home address."))
    ada.locator("#preview-diff ins").first.wait_for()  # the live preview answered
    assert "home address" in ada.locator("#preview-body").inner_text()
    ada.shot("propose")
    ada.get_by_role("button", name="Propose", exact=True).click()
    ada.wait_for_url("**/proposals/*")
    number = ada.url.rsplit("/", 1)[1]
    assert "needs 1 more approval from the owners of respect_privacy: Grace Hopper" in ada.content()

    grace = logged_in(browser, gov_url, "grace@example.org", request)
    grace.get_by_role("link", name="My review queue").click()
    grace.get_by_role("link", name="Say what private means").click()
    grace.get_by_role("button", name="Approve revision 1").click()
    grace.wait_for_url(f"**/proposals/{number}")
    assert "approved as owner of respect_privacy" in grace.content()
    grace.shot("proposal-approved")

    ada.reload()
    ada.get_by_role("button", name="Merge into the spec").click()
    ada.wait_for_url(f"**/proposals/{number}")
    assert "Merged as commit" in ada.locator("p.flash").inner_text()
    ada.goto("/clauses/respect_privacy")
    assert "such as a home address" in ada.locator(".clause-text").inner_text()
    ada.get_by_role("link", name=f"proposal #{number}").click()
    ada.wait_for_url(f"**/proposals/{number}")
    assert ada.locator("h1 .state").inner_text() == "merged"
    ada.shot("proposal-merged")


def test_propose_a_new_clause_with_the_live_preview(browser, gov_url, request):  # noqa: F811
    ada = logged_in(browser, gov_url, "ada@example.org", request)
    ada.goto("/clauses/be_brief")
    ada.get_by_role("link", name="Propose a new clause after this one").click()
    ada.get_by_label("Title").fill("Ask before guessing")
    ada.get_by_label("Rationale: why this change").fill("Guesses mislead.")
    ada.get_by_role("button", name="Markdown").click()  # the experts' mode
    editor = ada.locator("textarea#text")
    editor.wait_for(state="visible")
    editor.fill("## Ask first\n\nAsk a question when the request is unclear.")
    ada.locator("#preview-error", has_text="a new clause needs an id").wait_for()  # the live preview answered
    editor.fill("## Ask first {#ask_first}\n\nAsk a *question* when the request is unclear.")
    ada.locator("#preview-body em", has_text="question").wait_for()
    assert ada.locator("#preview-error").is_hidden()
    ada.shot("propose-new-clause")
    ada.get_by_role("button", name="Propose", exact=True).click()
    ada.wait_for_url("**/proposals/*")
    assert "ask_first" in ada.locator("main").inner_text() and "Proposal #" in ada.locator("p.flash").inner_text()


def test_propose_a_new_owners_toml_from_the_owners_page_an_admin_approves_and_it_merges(browser, gov_url,  # noqa: F811
                                                                                         request):
    ada = logged_in(browser, gov_url, "ada@example.org", request)
    ada.goto("/owners")
    ada.get_by_role("link", name="Propose a change to OWNERS.toml").click()
    ada.get_by_label("Title").fill("Barbara owns the tone")
    ada.get_by_label("Rationale: why this change").fill("She wrote the style guide.")
    editor = ada.locator("textarea#text")
    assert '"be_brief" = ["alan@example.org"]' in editor.input_value()
    editor.fill(editor.input_value() + '"tone" = ["barbara@example.org"]\n')
    ada.shot("propose-owners-toml")
    ada.get_by_role("button", name="Propose", exact=True).click()
    ada.wait_for_url("**/proposals/*")
    number = ada.url.rsplit("/", 1)[1]
    assert '"tone" = ["barbara@example.org"]' in ada.locator(".change pre.diff ins").first.inner_text()
    assert "needs 1 more approval from the admins (OWNERS.toml is a governance file)" in ada.content()

    root = logged_in(browser, gov_url, "root@example.org", request)
    root.goto(f"/proposals/{number}")
    root.get_by_role("button", name="Approve revision 1").click()
    root.wait_for_url(f"**/proposals/{number}")
    assert "approved as admin for governance file OWNERS.toml" in root.content()

    ada.reload()
    ada.get_by_role("button", name="Merge into the spec").click()
    ada.wait_for_url(f"**/proposals/{number}")
    assert "Merged as commit" in ada.locator("p.flash").inner_text()
    ada.goto("/clauses/tone/owners")
    assert "barbara@example.org" in ada.locator("main").inner_text()
    ada.shot("owners-toml-merged")


def test_the_editor_toggles_between_prose_fields_and_markdown_without_losing_a_word(browser, gov_url, request):  # noqa: F811
    ada = logged_in(browser, gov_url, "ada@example.org", request)
    ada.goto("/proposals/new?after=be_brief")
    ada.get_by_label("Heading", exact=True).fill("Be kind")
    ada.get_by_label("Authority").select_option("guideline")
    ada.get_by_label("Text of the clause").fill("Be kind to the user.")
    clause_id = ada.locator("#clause_id")
    expect(clause_id).to_have_value("be-kind")  # suggested from the heading
    expect(ada.locator("#preview-body")).to_have_text("Be kind to the user.")
    ada.get_by_role("button", name="Markdown").click()
    markdown = ada.locator("textarea#text")
    markdown.wait_for(state="visible")
    assert markdown.input_value() == "## Be kind {#be-kind authority=guideline}\n\nBe kind to the user.\n"
    assert ada.locator("#fields-pane").is_hidden()
    assert ada.get_by_role("button", name="Markdown").get_attribute("aria-pressed") == "true"
    markdown.fill("## Be very kind {#be-kind authority=user}\n\nBe kind to the user, always.\n")
    ada.get_by_role("button", name="Prose fields").click()
    ada.locator("#fields-pane").wait_for(state="visible")
    assert ada.get_by_label("Heading", exact=True).input_value() == "Be very kind"
    assert clause_id.input_value() == "be-kind"
    assert ada.get_by_label("Authority").input_value() == "user"
    assert ada.get_by_label("Text of the clause").input_value() == "Be kind to the user, always."
    ada.shot("prose-editor")
    ada.get_by_label("Title", exact=True).fill("Add kindness")
    ada.get_by_label("Rationale: why this change").fill("Missing.")
    ada.get_by_role("button", name="Propose", exact=True).click()
    ada.wait_for_url("**/proposals/*")
    assert "Be very kind" in ada.locator("dl.new-clause").inner_text()

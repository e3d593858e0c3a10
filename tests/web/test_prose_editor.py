"""The prose editor: fields for heading, id, authority, attributes and body, or the Markdown; one stored text."""
from __future__ import annotations

from html.parser import HTMLParser

import pytest
from proposal_helpers import HEADINGS

from registry.spec.clause_fields import ClauseFields, to_markdown

CSRF = {"csrf_token": "csrf-token"}
PROPOSAL = {**CSRF, "title": "Say what private means", "rationale": "Readers asked."}
PRIVACY = {"mode": "fields", "clause_title": "Respect privacy", "authority": "system", "attributes": "",
           "clause_body": "Do not reveal personal data, such as a home address.", "level": "2"}


def revisions(gov, n: int) -> list[dict]:
    return gov.app.test_client().get(f"/api/v1/proposals/{n}").get_json()["revisions"]


def opened(response) -> int:
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return int(response.headers["Location"].rsplit("/", 1)[1])


def test_the_change_editor_opens_in_prose_fields_with_the_clause_id_read_only(gov):
    html = gov.browser("ada").get("/clauses/respect_privacy/propose").get_data(as_text=True)
    assert 'name="mode" id="mode" value="fields"' in html
    assert 'id="clause_title" name="clause_title" value="Respect privacy"' in html
    assert 'id="clause_id" name="clause_id" value="respect_privacy" readonly' in html
    assert '<option value="system" selected>system</option>' in html
    assert '<div id="markdown-pane" class="stack" hidden>' in html  # the Markdown stays, one toggle away
    assert 'aria-pressed="true">Prose fields</button>' in html


def test_fields_and_markdown_propose_the_same_text_with_the_same_digest(gov):
    ada = gov.browser("ada")
    by_fields = opened(ada.post("/clauses/respect_privacy/propose",
                                data={**PROPOSAL, **PRIVACY, "clause_id": "someone_else"}))
    markdown = f"{HEADINGS['respect_privacy']}\n\nDo not reveal personal data, such as a home address.\n"
    by_markdown = opened(ada.post("/clauses/respect_privacy/propose", data={**PROPOSAL, "text": markdown}))
    [fields_rev], [markdown_rev] = revisions(gov, by_fields), revisions(gov, by_markdown)
    assert fields_rev["changes"][0]["text"] == markdown_rev["changes"][0]["text"] == markdown
    assert fields_rev["digest"] == markdown_rev["digest"]  # the posted clause_id of an existing clause is ignored


def test_a_new_clause_written_in_fields_takes_the_id_its_heading_suggests(gov):
    response = gov.browser("ada").post("/proposals/new", data={
        **PROPOSAL, "after": "be_brief", "mode": "fields", "clause_title": "Be kind", "clause_id": "",
        "authority": "guideline", "attributes": "owner_note=two words", "clause_body": "Be kind to the user.",
        "level": "2"})
    [rev] = revisions(gov, opened(response))
    [change] = rev["changes"]
    assert change["id"] == "be-kind"
    assert change["text"] == '## Be kind {#be-kind authority=guideline owner_note="two words"}\n\nBe kind to the user.\n'
    page = gov.browser("ada").get(response.headers["Location"]).get_data(as_text=True)
    assert "<dt>Heading</dt><dd><strong>Be kind</strong>" in page  # the summary shows heading and attributes
    assert "<code>authority=guideline</code>, <code>owner_note=two words</code>" in page


def test_the_toggle_without_script_turns_fields_into_markdown_and_back_and_saves_nothing(gov):
    ada = gov.browser("ada")
    to_md = ada.post("/clauses/respect_privacy/propose", data={**PROPOSAL, **PRIVACY, "action": "markdown"})
    html = to_md.get_data(as_text=True)
    assert to_md.status_code == 200 and 'name="mode" id="mode" value="markdown"' in html
    assert "## Respect privacy {#respect_privacy authority=system}\n\nDo not reveal personal data, such as" in html
    back = ada.post("/clauses/respect_privacy/propose", data={
        **PROPOSAL, "mode": "markdown", "action": "fields",
        "text": "## Respect privacy {#respect_privacy authority=root note=x}\n\nNew words.\n"})
    html = back.get_data(as_text=True)
    assert 'name="mode" id="mode" value="fields"' in html and '<option value="root" selected>root</option>' in html
    assert '>note=x</textarea>' in html and ">New words.</textarea>" in html
    assert gov.app.test_client().get("/api/v1/proposals?state=").get_json()["proposals"] == []


def test_fields_that_make_no_clause_are_refused_with_the_reason_and_kept_as_typed(gov):
    response = gov.browser("ada").post("/clauses/respect_privacy/propose", data={
        **PROPOSAL, **PRIVACY, "attributes": "just words", "clause_body": "Keep <this> typed."})
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "attribute line &#39;just words&#39; is not key=value" in html
    assert ">just words</textarea>" in html and ">Keep &lt;this&gt; typed.</textarea>" in html
    body = gov.browser("ada").post("/clauses/respect_privacy/propose", data={
        **PROPOSAL, **PRIVACY, "clause_body": "Text.\n\n## Another {#another}\n\nMore."})
    assert body.status_code == 400 and "the body holds a heading or a rule marker" in body.get_data(as_text=True)
    assert gov.app.test_client().get("/api/v1/proposals?state=").get_json()["proposals"] == []


def test_the_live_editor_gets_the_markdown_the_fields_and_the_suggested_id_from_one_answer(gov):
    answer = gov.browser("ada").post("/proposals/preview", headers={"X-CSRF-Token": "csrf-token"}, json={
        "id": "", "mode": "fields", "clause_title": "Be kind", "clause_id": "", "authority": "user",
        "attributes": "", "clause_body": "Be **kind**.", "level": "3", "body": ""}).get_json()
    expected = to_markdown(ClauseFields("Be kind", "be-kind", (("authority", "user"),), "Be **kind**.", 3))
    assert answer["text"] == expected and answer["suggested_id"] == "be-kind"
    assert answer["fields"] == {"clause_title": "Be kind", "clause_id": "be-kind", "authority": "user",
                                "attributes": "", "clause_body": "Be **kind**.", "level": 3}
    assert "<strong>kind</strong>" in answer["html"] and answer["error"] is None
    bad = gov.browser("ada").post("/proposals/preview", headers={"X-CSRF-Token": "csrf-token"}, json={
        "id": "", "mode": "fields", "clause_title": "", "clause_body": "x"}).get_json()
    assert bad["error"] == "the clause needs a title" and bad["text"] is None


def test_a_rule_marker_clause_is_edited_in_markdown_only(gov):
    html = gov.browser("ada").get("/proposals/new?document=spec/rules.md").get_data(as_text=True)
    assert 'id="fields-pane"' in html  # a heading place: fields
    revise = gov.browser("ada").post("/clauses/be_brief/propose", data={
        **PROPOSAL, "mode": "markdown", "action": "fields", "text": "r[be.brief]\nBe brief.\n"})
    html = revise.get_data(as_text=True)
    assert 'name="mode" id="mode" value="markdown"' in html and 'id="fields-pane"' not in html


def test_a_revision_written_in_fields_keeps_the_clause_id_and_stores_the_assembled_markdown(gov):
    n = gov.propose()
    html = gov.browser("ada").get(f"/proposals/{n}/revise").get_data(as_text=True)
    assert 'id="clause_id" name="clause_id" value="respect_privacy" readonly' in html
    response = gov.browser("ada").post(f"/proposals/{n}/revise", data={
        **CSRF, "id": "respect_privacy", "revision": "1", "note": "root now", **PRIVACY,
        "clause_id": "another_id", "authority": "root", "clause_body": "Never reveal\npersonal data."})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    latest = revisions(gov, n)[-1]["changes"][0]
    assert latest["text"] == "## Respect privacy {#respect_privacy authority=root}\n\nNever reveal\npersonal data.\n"


class _SubmitButtons(HTMLParser):
    """The submit buttons of the page's proposal form, in tree order: Enter in a field presses the first."""

    def __init__(self) -> None:
        super().__init__()
        self.in_form, self.buttons = False, []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "form" and "propose" in (a.get("class") or ""):
            self.in_form = True
        elif tag == "button" and self.in_form and a.get("type", "submit") == "submit":
            self.buttons.append(a)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.in_form = False


@pytest.mark.parametrize("url", ["/clauses/respect_privacy/propose", "/proposals/new?after=respect_privacy"])
def test_enter_in_a_field_saves_like_the_form_button_and_never_toggles_the_mode(gov, url):
    parser = _SubmitButtons()
    parser.feed(gov.browser("ada").get(url).get_data(as_text=True))
    assert parser.buttons, "the editor form has submit buttons"
    first = parser.buttons[0]
    assert first.get("value") not in ("fields", "markdown", "preview")
    assert "name" not in first  # no action: the route proposes, as the form's own Propose button does

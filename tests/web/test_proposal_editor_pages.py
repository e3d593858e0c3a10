"""The proposal editors on the web: adding a new clause, and a refused form that keeps what the user wrote."""
from __future__ import annotations

import pytest
from markupsafe import escape
from proposal_helpers import HEADINGS

CSRF = {"csrf_token": "csrf-token"}
NEW = "## Be kind {#be_kind authority=guideline}\n\nBe kind to the user.\n"


def page(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def proposals(gov) -> list[dict]:
    return gov.app.test_client().get("/api/v1/proposals?state=").get_json()["proposals"]


def current_changes(gov, n: int) -> list[dict]:
    detail = gov.app.test_client().get(f"/api/v1/proposals/{n}").get_json()
    return detail["revisions"][-1]["changes"]


def add(gov, **form: str):
    return gov.browser("ada").post("/proposals/new", data={**CSRF, "title": "Add kindness",
                                                           "rationale": "Missing.", **form})


def test_the_clause_page_and_the_home_page_offer_to_add_a_clause(gov):
    clause = page(gov.browser("ada"), "/clauses/be_brief")
    assert 'href="/proposals/new?after=be_brief">Propose a new clause after this one</a>' in clause
    home = page(gov.browser("ada"), "/")
    assert 'href="/proposals/new?document=spec/rules.md">add a clause to this document</a>' in home
    assert 'href="/proposals/new?document=spec/style.md">' in home


def test_the_new_clause_editor_starts_empty_with_an_example_at_the_right_heading_level(gov):
    after_lists = page(gov.browser("ada"), "/proposals/new?after=lists")
    assert 'name="after" value="lists"' in after_lists
    assert "Propose a new clause after <code>lists</code>" in after_lists
    assert 'placeholder="### Title {#new_id}' in after_lists and "propose.js" in after_lists
    at_end = page(gov.browser("ada"), "/proposals/new?document=spec/style.md")
    assert 'name="document" value="spec/style.md"' in at_end and "at the end of <code>spec/style.md</code>" in at_end


@pytest.mark.parametrize(("who", "status"), [(None, 303), ("vic", 403)])  # anonymous: to /login
def test_the_new_clause_editor_needs_an_editor(gov, who, status):
    assert gov.browser(who).get("/proposals/new?after=be_brief").status_code == status
    response = gov.browser(who).post("/proposals/new", data={**CSRF, "after": "be_brief", "title": "T",
                                                             "rationale": "R", "text": NEW})
    assert response.status_code == status and proposals(gov) == []


def test_the_new_clause_editor_must_be_told_where_the_clause_goes(gov):
    response = gov.browser("ada").get("/proposals/new")
    assert response.status_code == 400 and "say where the new clause goes" in response.get_data(as_text=True)
    assert gov.browser("ada").get("/proposals/new?after=no_such_clause").status_code == 404


def test_a_new_clause_after_a_clause_is_proposed_through_the_same_use_case_as_the_api(gov):
    response = add(gov, after="be_brief", text=NEW)
    assert response.status_code == 302
    n = int(response.headers["Location"].rsplit("/", 1)[1])
    [change] = current_changes(gov, n)
    assert (change["kind"], change["id"], change["document"], change["after"]) == \
        ("add", "be_kind", "spec/rules.md", "be_brief")
    assert (change["title"], change["attributes"], change["body"]) == \
        ("Be kind", {"authority": "guideline"}, "Be kind to the user.")
    assert "<code>be_kind</code>" in page(gov.browser("ada"), response.headers["Location"])


def test_a_new_clause_at_the_end_of_a_document_and_a_draft(gov):
    response = add(gov, document="spec/style.md", text="## Voice {#voice}\n\nActive.\n", draft="1")
    n = int(response.headers["Location"].rsplit("/", 1)[1])
    [change] = current_changes(gov, n)
    assert (change["kind"], change["id"], change["document"], change["after"]) == \
        ("add", "voice", "spec/style.md", None)
    assert proposals(gov)[0]["state"] == "draft"


@pytest.mark.parametrize(("form", "status", "message"), [
    ({"after": "be_brief", "text": "## Honest {#be_honest}\n\nAgain.\n"}, 409, "clause 'be_honest' already exists"),
    ({"after": "be_brief", "text": "Be kind to the user.\n"}, 400, "the text has no heading line"),
    ({"after": "be_brief", "text": "## Be kind\n\nBe kind.\n"}, 400, "a new clause needs an id"),
    ({"after": "be_brief", "text": "## Be kind {#be kind}\n\nBe kind.\n"}, 400,
     "block on the heading line ({#be kind}) is not an attribute block"),
    ({"after": "be_brief", "text": "## A {#a}\n\nx\n\n## B {#b}\n\ny\n"}, 400, "the text holds 2 clauses"),
    ({"after": "be_brief", "text": NEW, "title": " "}, 400, "a proposal needs a title and a rationale"),
    ({"document": "policy.toml", "text": NEW}, 400, "'policy.toml' is not a spec document"),
    ({"after": "be_honest", "text": "# Kind {#be_kind}\n\nKind.\n"}, 400, "the edit would also change clause"),
])
def test_a_refused_new_clause_keeps_everything_the_user_wrote_and_says_why(gov, form, status, message):
    response = add(gov, **{"rationale": "Because <users> & 'others'.", **form})
    body = response.get_data(as_text=True)
    assert response.status_code == status, body
    assert 'role="alert" id="form-error">Not saved: ' in body and escape(message) in body
    assert f">{escape(form['text'])}</textarea>" in body
    assert "Because &lt;users&gt; &amp; &#39;others&#39;." in body
    assert proposals(gov) == []


def test_the_preview_of_a_new_clause_renders_it_and_asks_for_an_id(gov):
    browser = gov.browser("ada")
    shown = browser.post("/proposals/new", data={**CSRF, "action": "preview", "after": "be_brief",
                                                 "text": "## Be kind {#be_kind}\n\nBe *kind*.\n"})
    assert shown.status_code == 200 and "<em>kind</em>" in shown.get_data(as_text=True)
    live = browser.post("/proposals/preview", json={"id": "", "text": "## Be kind\n\nx", "body": ""},
                        headers={"X-CSRF-Token": "csrf-token"}).get_json()
    assert "a new clause needs an id" in live["error"]
    assert proposals(gov) == []


def test_a_refused_change_keeps_the_text_title_and_rationale(gov):
    text = "## Respect privacy\n\nNever reveal personal data.\n"  # the {#id} block dropped
    response = gov.browser("ada").post("/clauses/respect_privacy/propose",
                                       data={**CSRF, "title": "Tighten", "rationale": "Clearer.", "text": text})
    body = response.get_data(as_text=True)
    assert response.status_code == 400 and "Not saved: the proposed text for &#39;respect_privacy&#39;" in body
    assert f">{escape(text)}</textarea>" in body and 'value="Tighten"' in body and ">Clearer.</textarea>" in body
    assert proposals(gov) == []


def test_a_removal_without_a_rationale_is_refused_and_the_form_kept(gov):
    text = f"{HEADINGS['lists']}\n\nUse lists sparingly.\n"
    response = gov.browser("ada").post("/clauses/lists/propose",
                                       data={**CSRF, "action": "remove", "title": "Drop lists", "text": text})
    body = response.get_data(as_text=True)
    assert response.status_code == 400 and "Not saved: a proposal needs a title and a rationale" in body
    assert 'value="Drop lists"' in body and proposals(gov) == []


def test_the_revise_form_sends_the_revision_it_started_from(gov):
    n = gov.propose()
    form = page(gov.browser("ada"), f"/proposals/{n}/revise").split('class="stack propose"')[1].split("</form>")[0]
    assert '<input type="hidden" name="revision" value="1">' in form


def test_a_revision_saved_meanwhile_is_not_overwritten_and_the_late_editor_keeps_their_text(gov):
    n = gov.propose()
    ada_text = f"{HEADINGS['respect_privacy']}\n\nKeep personal data private, says Ada.\n"
    root_text = f"{HEADINGS['respect_privacy']}\n\nGuard <personal> data, says Root.\n"
    saved = gov.browser("ada").post(f"/proposals/{n}/revise", data={**CSRF, "id": "respect_privacy",
                                                                     "text": ada_text, "revision": "1"})
    assert saved.status_code == 302
    late = gov.browser("root").post(f"/proposals/{n}/revise", data={**CSRF, "id": "respect_privacy", "note": "guard",
                                                                    "text": root_text, "revision": "1"})
    body = late.get_data(as_text=True)
    assert late.status_code == 409
    assert f"Not saved: you started from revision 1, but proposal #{n} is now at revision 2" in body
    assert f">{escape(root_text)}</textarea>" in body and 'name="note" value="guard"' in body  # all kept
    assert "Keep personal data private, says Ada." in body.split('class="current-text"')[1]  # and Ada's shown
    assert '<input type="hidden" name="revision" value="2">' in body
    current = current_changes(gov, n)[0]
    assert current["body"] == "Keep personal data private, says Ada."
    again = gov.browser("root").post(f"/proposals/{n}/revise", data={**CSRF, "id": "respect_privacy",
                                                                     "text": root_text, "revision": "2"})
    assert again.status_code == 302 and current_changes(gov, n)[0]["body"] == "Guard <personal> data, says Root."


def test_a_refused_revision_keeps_the_text_and_says_why(gov):
    n = gov.propose()
    text = "## Respect privacy\n\nNo id here.\n"
    response = gov.browser("ada").post(f"/proposals/{n}/revise", data={**CSRF, "id": "respect_privacy",
                                                                        "text": text, "revision": "1"})
    body = response.get_data(as_text=True)
    assert response.status_code == 400 and "Not saved: the proposed text for &#39;respect_privacy&#39;" in body
    assert f">{escape(text)}</textarea>" in body and 'class="current-text"' in body
    assert len(gov.app.test_client().get(f"/api/v1/proposals/{n}").get_json()["revisions"]) == 1


@pytest.mark.parametrize(("who", "status"), [
    (None, 303),        # anonymous: to /login first
    ("vic", 403),       # a viewer revises nothing
    ("alan", 403),      # an editor who is neither the proposer nor an admin
    ("ada", 200),       # the proposer
    ("root", 200),      # an admin
])
def test_the_revise_editor_opens_only_for_whoever_may_save_it(gov, who, status):
    n = gov.propose()
    assert gov.browser(who).get(f"/proposals/{n}/revise").status_code == status


def test_the_revise_editor_of_a_withdrawn_proposal_says_it_cannot_be_revised(gov):
    n = gov.propose()
    gov.browser("ada").post(f"/proposals/{n}/withdraw", data={**CSRF, "reason": "not needed"})
    response = gov.browser("ada").get(f"/proposals/{n}/revise")
    assert response.status_code == 409 and "withdrawn" in response.get_data(as_text=True)

"""The proposal pages: propose from a clause page, preview, the proposal page, lists, the queue."""
from __future__ import annotations

from proposal_helpers import HEADINGS, RULES

CSRF = {"csrf_token": "csrf-token"}


def page(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def test_the_clause_page_offers_to_propose_and_the_editor_starts_from_the_current_markdown(gov):
    browser = gov.browser("ada")
    assert "/clauses/respect_privacy/propose" in page(browser, "/clauses/respect_privacy")
    editor = page(browser, "/clauses/respect_privacy/propose")
    assert "## Respect privacy {#respect_privacy authority=system}\n\nDo not reveal personal data." in editor
    assert 'name="csrf_token" value="csrf-token"' in editor and "propose.js" in editor


def test_the_editor_needs_an_editor(gov):
    assert gov.browser(None).get("/clauses/respect_privacy/propose").status_code == 303  # to /login and back
    assert gov.browser("vic").get("/clauses/respect_privacy/propose").status_code == 403


def test_the_preview_button_shows_the_rendered_text_and_diff_without_proposing(gov):
    browser = gov.browser("ada")
    text = f"{HEADINGS['respect_privacy']}\n\nNever reveal *personal* data.\n"
    response = browser.post("/clauses/respect_privacy/propose",
                            data={**CSRF, "action": "preview", "title": "T", "rationale": "R", "text": text})
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "<em>personal</em>" in body
    assert "<del>" in body and "<ins>" in body
    assert page(browser, "/proposals?state=all").count("/proposals/") <= 2  # nothing was proposed


def test_the_live_preview_is_json_sanitized_and_needs_the_csrf_header(gov):
    browser = gov.browser("ada")
    data = {"id": "respect_privacy", "text": f"{HEADINGS['respect_privacy']}\n\n<script>x()</script> **Bold**",
            "body": "Do not reveal personal data."}
    assert browser.post("/proposals/preview", json=data).status_code == 403
    result = browser.post("/proposals/preview", json=data, headers={"X-CSRF-Token": "csrf-token"}).get_json()
    assert "<strong>Bold</strong>" in result["html"] and "<script>" not in result["html"]
    assert {"op": "insert", "text": "**Bold**"} in result["diff"] or any(o["op"] == "insert" for o in result["diff"])
    bad = browser.post("/proposals/preview", json={"id": "respect_privacy", "text": "## A {#a}\nx\n## B {#b}\ny"},
                       headers={"X-CSRF-Token": "csrf-token"}).get_json()
    assert "holds 2 clauses" in bad["error"]


def test_proposing_from_the_page_opens_the_proposal(gov):
    browser = gov.browser("ada")
    text = f"{HEADINGS['respect_privacy']}\n\nNever reveal personal data.\n"
    response = browser.post("/clauses/respect_privacy/propose",
                            data={**CSRF, "title": "Tighten <b>privacy</b>", "rationale": "Clearer.", "text": text})
    assert response.status_code == 302
    shown = page(browser, response.headers["Location"])
    assert "Tighten &lt;b&gt;privacy&lt;/b&gt;" in shown and "<b>privacy</b>" not in shown
    assert "needs 1 more approval from the owners of respect_privacy: Grace Hopper" in shown


def test_a_removal_can_be_proposed_from_the_editor(gov):
    browser = gov.browser("ada")
    response = browser.post("/clauses/lists/propose", data={**CSRF, "action": "remove", "title": "Drop lists",
                                                            "rationale": "Covered by be_brief.", "text": ""})
    shown = page(browser, response.headers["Location"])
    assert "This clause is removed." in shown


def test_the_proposal_page_shows_reviews_policy_and_only_the_buttons_you_may_use(gov):
    n = gov.propose()
    owner = page(gov.browser("grace"), f"/proposals/{n}")
    assert "Approve revision 1" in owner and "Merge into the spec" not in owner
    stranger = page(gov.browser("vic"), f"/proposals/{n}")
    assert "Approve revision" not in stranger and "Add a comment" in stranger
    anonymous = page(gov.browser(None), f"/proposals/{n}")
    assert "Log in</a> to comment" in anonymous
    gov.browser("grace").post(f"/proposals/{n}/review", data={**CSRF, "kind": "approve"})
    proposer = page(gov.browser("ada"), f"/proposals/{n}")
    assert "Merge into the spec" in proposer and "Satisfied." in proposer
    assert "Grace Hopper</strong> — approved as owner of respect_privacy" in proposer
    assert 'class="digest"' in proposer


def test_merging_from_the_page_and_the_clause_history_links_the_proposal(gov):
    n = gov.propose()
    gov.browser("grace").post(f"/proposals/{n}/review", data={**CSRF, "kind": "approve"})
    ada = gov.browser("ada")
    assert ada.post(f"/proposals/{n}/merge", data=CSRF).status_code == 302
    assert "Merged as commit" in page(ada, f"/proposals/{n}")
    assert f'href="/proposals/{n}">proposal #{n}</a>' in page(gov.browser(None), "/clauses/respect_privacy")


def test_a_conflicting_merge_from_the_page_is_recorded_and_explained(gov):
    n = gov.propose()
    gov.browser("grace").post(f"/proposals/{n}/review", data={**CSRF, "kind": "approve"})
    gov.repo.commit("Direct", {"spec/rules.md": RULES.replace("Do not reveal", "Never, ever reveal")})
    ada = gov.browser("ada")
    ada.post(f"/proposals/{n}/merge", data=CSRF)
    shown = page(ada, f"/proposals/{n}")
    assert "Not merged: respect_privacy: changed on the branch" in shown and "state-conflicted" in shown
    assert "Revise the text" in shown


def test_revising_from_the_page(gov):
    n = gov.propose()
    browser = gov.browser("ada")
    assert "Never reveal personal data." in page(browser, f"/proposals/{n}/revise")
    text = f"{HEADINGS['respect_privacy']}\n\nKeep personal data private.\n"
    browser.post(f"/proposals/{n}/revise", data={**CSRF, "id": "respect_privacy", "text": text, "note": "v2"})
    shown = page(browser, f"/proposals/{n}")
    assert "Revision 2 saved" in shown and "revision 2 of 2" in shown


def test_the_review_form_sends_the_revision_it_shows_and_a_replaced_one_is_refused_with_a_flash(gov):
    n = gov.propose()
    grace = gov.browser("grace")
    form = page(grace, f"/proposals/{n}").split('class="stack review-form"')[1].split("</form>")[0]
    assert '<input type="hidden" name="revision" value="1">' in form
    text = f"{HEADINGS['respect_privacy']}\n\nKeep personal data private.\n"
    gov.browser("ada").post(f"/proposals/{n}/revise", data={**CSRF, "id": "respect_privacy", "text": text})
    response = grace.post(f"/proposals/{n}/review", data={**CSRF, "kind": "approve", "revision": "1"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/proposals/{n}")
    shown = page(grace, f"/proposals/{n}")
    assert "Not recorded: you reviewed revision 1, but proposal" in shown and "No reviews yet." in shown
    assert grace.post(f"/proposals/{n}/review", data={**CSRF, "kind": "approve", "revision": "x"}).status_code == 400
    grace.post(f"/proposals/{n}/review", data={**CSRF, "kind": "approve", "revision": "2"})
    assert "Recorded: approved as owner of respect_privacy." in page(grace, f"/proposals/{n}")


def test_lists_by_state_and_the_review_queue(gov):
    n = gov.propose()
    listed = page(gov.browser(None), "/proposals")
    assert f"/proposals/{n}" in listed and 'aria-current="page">open' in listed
    assert f"/proposals/{n}" not in page(gov.browser(None), "/proposals?state=merged")
    assert f"/proposals/{n}" in page(gov.browser(None), "/proposals?state=all&clause=respect_privacy")
    queue = page(gov.browser("grace"), "/proposals/queue")
    assert f"/proposals/{n}" in queue and "<code>respect_privacy</code>" in queue
    assert f"/proposals/{n}" not in page(gov.browser("alan"), "/proposals/queue")


def test_comments_are_shown_escaped(gov):
    n = gov.propose()
    gov.browser("vic").post(f"/proposals/{n}/comment", data={**CSRF, "text": "<img src=x onerror=alert(1)>"})
    shown = page(gov.browser(None), f"/proposals/{n}")
    assert "&lt;img src=x onerror=alert(1)&gt;" in shown and "<img src=x" not in shown


def test_the_account_page_creates_shows_once_and_revokes_tokens(gov):
    browser = gov.browser("vic")
    created = browser.post("/account/tokens", data={**CSRF, "name": "laptop"})
    assert created.status_code == 200
    shown = created.get_data(as_text=True)
    token = shown.split('<code class="token">')[1].split("</code>")[0]
    assert token.startswith("srg_") and "laptop" in shown
    assert token not in page(browser, "/account")  # shown once
    me = gov.app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.get_json()["email"] == "vic@example.org"
    row = next(r for r in shown.split("<tr>") if "laptop" in r)
    token_id = row.split("/account/tokens/")[1].split("/revoke")[0]
    browser.post(f"/account/tokens/{token_id}/revoke", data=CSRF)
    assert gov.app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert gov.browser(None).get("/account").status_code == 303


def test_log_out_everywhere(gov):
    browser = gov.browser("vic")
    other = gov.browser("vic")
    browser.post("/account/sessions/revoke", data=CSRF)
    assert other.get("/account").headers["Location"] == "/login?next=/account"


def test_the_proposal_page_shows_whether_each_change_is_editorial_or_normative(gov):
    typo = gov.propose("respect_privacy", "Do not reveal  personal data")  # spacing and punctuation only
    meaning = gov.propose("respect_privacy", "Never reveal personal data.")
    assert 'class="badge class-editorial"' in page(gov.browser(None), f"/proposals/{typo}")
    assert 'class="badge class-normative"' in page(gov.browser(None), f"/proposals/{meaning}")
    classes = [gov.app.test_client().get(f"/api/v1/proposals/{n}").get_json()["revisions"][-1]["changes"][0]["class"]
               for n in (typo, meaning)]
    assert classes == ["editorial", "normative"]

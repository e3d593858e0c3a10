"""The unapproved-changes report, acknowledgements, the incident lookup page and their API endpoints."""
from __future__ import annotations

import pytest
from proposal_helpers import RULES
from repo_builder import GRACE

CSRF = {"csrf_token": "csrf-token"}


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def merged(gov, rationale: str = "Clearer.") -> tuple[int, str]:
    """A proposal by Ada approved by Grace and merged through the API: (number, commit)."""
    client = gov.app.test_client()
    data = {"title": "Tighten", "rationale": rationale, "changes": [{"kind": "change", "id": "respect_privacy",
            "text": "## Respect privacy {#respect_privacy authority=system}\n\nNever reveal personal data.\n"}]}
    n = client.post("/api/v1/proposals", json=data, headers=gov.api("ada")).get_json()["id"]
    assert client.post(f"/api/v1/proposals/{n}/reviews", json={"kind": "approve"},
                       headers=gov.api("grace")).status_code == 201
    response = client.post(f"/api/v1/proposals/{n}/merge", headers=gov.api("ada"))
    assert response.status_code == 200, response.get_json()
    return n, response.get_json()["commit"]


def direct(gov) -> str:
    """A direct push changing be_brief (ingested through the next merge or the report's API read)."""
    text = (gov.repo.path / "spec/rules.md").read_text() if (gov.repo.path / "spec/rules.md").exists() else RULES
    sha = gov.repo.commit("Tweak brevity", {"spec/rules.md": text.replace("Prefer short answers.",
                                                                            "Prefer very short answers.")},
                          author=GRACE)
    gov.ingest()
    return sha


def test_the_report_lists_direct_commits_newest_first_and_not_merges(gov):
    first = gov.repo.head()
    _n, merge_commit = merged(gov)
    push = direct(gov)
    body = page(gov.browser(None), "/unapproved")
    assert f'id="c-{push}"' in body and f'id="c-{first}"' in body and f'id="c-{merge_commit}"' not in body
    assert body.index(f'id="c-{push}"') < body.index(f'id="c-{first}"')
    assert "Tweak brevity" in body and "/clauses/be_brief?at=" in body
    assert "<strong>2</strong> in all, <strong>2</strong> not acknowledged" in body
    assert 'name="reason"' not in body  # only admins see the form


def test_the_home_page_counts_them_and_the_timeline_flags_each_version(gov):
    n, _merge = merged(gov)
    direct(gov)
    home = page(gov.browser(None), "/")
    assert "<strong>2</strong> unapproved changes</a>" in home and "(2 not acknowledged)" in home
    clause = page(gov.browser(None), "/clauses/respect_privacy")
    assert clause.count('class="badge unapproved"') == 1 and f"proposal #{n}" in clause
    assert page(gov.browser(None), "/clauses/be_brief").count('class="badge unapproved"') == 2


def test_an_admin_acknowledges_from_the_report_and_the_flag_stays(gov):
    push = direct(gov)
    browser = gov.browser("root")
    report = page(browser, "/unapproved")
    assert 'name="reason"' in report and f'action="/unapproved/{push}/acknowledge"' in report
    assert "/acknowledge" not in page(gov.browser(None), "/unapproved")  # no form, so no action, for a reader
    response = browser.post(f"/unapproved/{push}/acknowledge", data={**CSRF, "reason": "Hotfix <b>now</b>"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/unapproved?commit={push}#c-{push}")  # the page listing it
    body = page(browser, "/unapproved")
    assert "Acknowledged by Root Admin" in body and "Hotfix &lt;b&gt;now&lt;/b&gt;" in body
    assert "<strong>1</strong> not acknowledged" in body
    assert page(browser, "/clauses/be_brief").count('class="badge unapproved"') == 2


@pytest.mark.parametrize(("who", "form", "status"), [
    ("ada", {**CSRF, "reason": "x"}, 403), (None, {**CSRF, "reason": "x"}, 303),
    ("root", {"reason": "x"}, 403), ("root", {**CSRF, "reason": " "}, 400),
])
def test_acknowledging_needs_an_admin_the_csrf_token_and_a_reason(gov, who, form, status):
    push = direct(gov)
    assert gov.browser(who).post(f"/unapproved/{push}/acknowledge", data=form).status_code == status
    assert "Acknowledged by" not in page(gov.browser(None), "/unapproved")


def test_the_api_lists_and_acknowledges(gov):
    client = gov.app.test_client()
    push = direct(gov)
    data = client.get("/api/v1/unapproved").get_json()
    assert [c["commit"] for c in data["changes"]][-1] == push and data["rewrites"] == []
    assert [c["commit"] for c in client.get(f"/api/v1/unapproved?since={data['changes'][0]['commit']}")
            .get_json()["changes"]] == [push]
    assert client.get("/api/v1/unapproved?until=nonsense").status_code == 404
    url = f"/api/v1/unapproved/{push[:10]}/acknowledge"
    assert client.post(url, json={"reason": "x"}).status_code == 401
    assert client.post(url, json={"reason": "x"}, headers=gov.api("ada")).status_code == 403
    assert client.post(url, json={}, headers=gov.api("root")).status_code == 400
    response = client.post(url, json={"reason": "Agreed in the weekly review"}, headers=gov.api("root"))
    assert response.status_code == 201 and response.get_json()["commit"] == push
    assert response.get_json()["acknowledgement"]["email"] == "root@example.org"
    assert client.get("/api/v1/unapproved").get_json()["changes"][-1]["acknowledged"] is True
    _n, merge_commit = merged(gov)
    conflict = client.post(f"/api/v1/unapproved/{merge_commit}/acknowledge", json={"reason": "x"},
                           headers=gov.api("root"))
    assert conflict.status_code == 409 and conflict.get_json()["error"] == "conflict"
    assert client.post("/api/v1/rewrites/7/acknowledge", json={"reason": "x"},
                       headers=gov.api("root")).status_code == 404


def test_the_in_force_endpoint_answers_with_the_cli_json(gov):
    client = gov.app.test_client()
    n, _merge = merged(gov)
    data = client.get("/api/v1/clauses/respect_privacy/in-force?at=2024-01-02T12:00").get_json()
    assert list(data) == ["id", "at", "text", "commit", "owners", "proposal", "approvers", "uncounted", "unapproved",
                          "pre_governance", "unapproved_governance", "next_change"]
    assert data["unapproved"] is True and data["next_change"]["proposal"] == n
    now = client.get("/api/v1/clauses/respect_privacy/in-force?at=2100-01-01").get_json()
    assert now["proposal"]["id"] == n and now["approvers"][0]["name"] == "Grace Hopper"
    assert client.get("/api/v1/clauses/respect_privacy/in-force").status_code == 400
    assert client.get("/api/v1/clauses/nope/in-force?at=2025-01-01").get_json()["error"] == "unknown_clause"
    assert client.get("/api/v1/clauses/respect_privacy/in-force?at=1990-01-01").status_code == 404


def test_the_incident_page_shows_the_text_owners_proposal_and_next_change(gov):
    n, _merge_commit = merged(gov, rationale="<script>alert('x')</script> Readers asked.")
    browser = gov.browser(None)
    before = page(browser, "/incident?clause=respect_privacy&at=2024-01-02T12:00")
    assert "Do not reveal personal data." in before and "Unapproved change." in before
    assert "Grace Hopper &lt;grace@example.org&gt;" in before and f"#{n}</a>" in before
    after = page(browser, "/incident?clause=respect_privacy&at=2100-01-01")
    assert "Never reveal personal data." in after and "Unapproved change." not in after
    assert "approved as owner of respect_privacy" in after and "Grace Hopper" in after
    assert "&lt;script&gt;alert" in after and "<script>alert" not in after
    assert "None: this text is still in force." in after and "min_approvals" in after


@pytest.mark.parametrize(("query", "says"), [
    ("clause=personal+data&at=2024-01-02", "Clauses matching it at that moment"),
    ("clause=respect_privacy&at=1999-01-01", "before the spec&#39;s first commit"),
    ("clause=zzzqqq&at=2024-01-02", "no clause id, title or text matches"),
    ("", "Look up"),
])
def test_the_incident_page_searches_and_explains(gov, query, says):
    assert says in page(gov.browser(None), f"/incident?{query}")


def test_a_history_rewrite_is_listed_and_an_admin_acknowledges_it(gov):
    base = gov.repo.head()
    gone = direct(gov)
    gov.repo.reset(base)
    direct(gov)
    browser = gov.browser("root")
    # Not always 1: PostgreSQL sequences advance even in rolled-back tests on the template database.
    n = gov.app.test_client().get("/api/v1/unapproved").get_json()["rewrites"][0]["id"]
    body = page(browser, "/unapproved")
    assert f'id="r-{n}"' in body and gone[:10] in body and "1 commit left the branch" in body
    assert f'action="/rewrites/{n}/acknowledge"' in body
    response = browser.post(f"/rewrites/{n}/acknowledge", data={**CSRF, "reason": "Force-push to drop a secret"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/unapproved#r-{n}")
    assert "Force-push to drop a secret" in page(browser, "/unapproved")
    assert gov.app.test_client().get("/api/v1/unapproved").get_json()["rewrites"][0]["acknowledged"] is True


def test_a_commit_with_an_undecodable_byte_is_reported_shown_on_the_clause_page_and_refuses_proposals(gov):
    n = gov.propose("be_brief", "Prefer tiny answers.")
    assert gov.app.test_client().post(f"/api/v1/proposals/{n}/reviews", json={"kind": "approve"},
                                      headers=gov.api("alan")).status_code == 201
    text = RULES.replace("Prefer short answers.", "Prefer long answers.").encode() + b"\xff\n"
    sha = gov.repo.commit("Small fix", {"spec/rules.md": text}, author=GRACE)
    client = gov.app.test_client()
    merged = client.post(f"/api/v1/proposals/{n}/merge", headers=gov.api("ada"))  # ingests the push first
    assert merged.status_code == 409 and merged.get_json()["error"] == "document_unreadable"
    assert sha[:12] in merged.get_json()["message"]
    gov.ingest()  # the refused merge kept nothing, its catch-up ingest included
    item = client.get("/api/v1/unapproved").get_json()["changes"][-1]
    assert (item["commit"], item["clauses"], item["unreadable"]) == (sha, [], ["spec/rules.md"])
    assert "<code>spec/rules.md</code>: git holds a version" in page(gov.browser(None), "/unapproved")
    clause = page(gov.browser(None), "/clauses/be_brief")
    assert "spec/rules.md could not be read since commit" in clause and f"?commit={sha}#c-{sha}" in clause
    data = {"title": "T", "rationale": "R", "changes": [
        {"kind": "change", "id": "be_brief", "text": "## Be brief {#be_brief}\n\nShort.\n"}]}
    created = client.post("/api/v1/proposals", json=data, headers=gov.api("ada"))
    assert created.status_code == 409 and created.get_json()["error"] == "document_unreadable"
    editor = gov.browser("ada").get("/clauses/be_brief/propose")
    assert editor.status_code == 409 and "could not be read since commit" in editor.get_data(as_text=True)
    assert client.get(f"/api/v1/proposals/{n}").get_json()["state"] == "approved"  # nothing lost, nothing moved


def push_and_ingest(gov, message: str, files: dict, tag: str | None = None) -> str:
    """A direct commit of these files, ingested."""
    sha = gov.repo.commit(message, files, author=GRACE, tag=tag)
    gov.ingest()
    return sha


def test_a_direct_governance_change_is_on_the_report_page_and_in_the_api_with_its_files(gov):
    from proposal_helpers import OWNERS

    attack = push_and_ingest(gov, "Owners", {"OWNERS.toml": OWNERS + '"be_honest" = ["vic@example.org"]\n'})
    body = page(gov.browser(None), "/unapproved")
    row = body[body.index(f'id="c-{attack}"'):]
    row = row[:row.index("</tr>")]
    assert 'class="badge unapproved">governance</span>' in row and "<code>OWNERS.toml</code>" in row
    item = gov.app.test_client().get("/api/v1/unapproved").get_json()["changes"][-1]
    assert (item["commit"], item["clauses"], item["governance_files"]) == (attack, [], ["OWNERS.toml"])


def test_pre_governance_commits_are_left_out_of_the_page_and_api_and_badged_on_the_timeline(gov):
    from proposal_helpers import POLICY

    client = gov.app.test_client()
    first = gov.repo.head()
    begin = push_and_ingest(gov, "Tag", {"notes.txt": "x\n"}, tag="v1")
    setter = push_and_ingest(gov, "Start", {"policy.toml": POLICY + '\n[governance]\nstart = "v1"\n'})
    data = client.get("/api/v1/unapproved").get_json()
    assert [c["commit"] for c in data["changes"]] == [setter]
    assert data["governance"] == {"start": "v1", "commit": begin, "warnings": []}
    every = client.get("/api/v1/unapproved?pre_governance=1").get_json()["changes"]
    assert [(c["commit"], c["pre_governance"]) for c in every] == [(first, True), (setter, False)]
    bad = client.get("/api/v1/unapproved?pre_governance=maybe")
    assert bad.status_code == 400 and "pre_governance" in bad.get_json()["message"]
    report = page(gov.browser(None), "/unapproved")
    assert "Governance began at" in report and "1 earlier commit changed" in report
    clause = page(gov.browser(None), "/clauses/be_brief")
    assert "before governance began" in clause and 'class="badge unapproved"' not in clause


def test_an_unknown_start_is_a_warning_on_the_page_and_in_the_api_not_an_error(gov):
    from proposal_helpers import POLICY

    push_and_ingest(gov, "Start", {"policy.toml": POLICY + '\n[governance]\nstart = "nope"\n'})
    data = gov.app.test_client().get("/api/v1/unapproved").get_json()
    assert data["governance"]["commit"] is None and "'nope'" in data["governance"]["warnings"][0]
    assert "Warning: policy.toml&#39;s [governance] start" in page(gov.browser(None), "/unapproved")


def test_the_incident_page_names_the_unapproved_governance_change_an_approval_rests_on(gov):
    from proposal_helpers import OWNERS

    attack = push_and_ingest(gov, "Owners", {"OWNERS.toml": OWNERS + '"tone" = ["grace@example.org"]\n'})
    _n, merge_commit = merged(gov)
    body = page(gov.browser(None), f"/incident?clause=respect_privacy&at={merge_commit}")
    assert "Approved under ungoverned rules." in body and attack[:10] in body and "not acknowledged" in body


def test_an_acknowledgement_reason_over_its_limit_shows_the_report_again_with_the_reason_typed(gov):
    push = direct(gov)
    reason = "Hotfix " + "h" * 2_000
    response = gov.browser("root").post(f"/unapproved/{push}/acknowledge", data={**CSRF, "reason": reason})
    body = response.get_data(as_text=True)
    assert response.status_code == 400 and "Not saved: reason is too long: 2,007 characters, at most 2,000" in body
    assert f'id="reason-{push}" name="reason" required size="28" value="{reason}"' in body
    assert "Acknowledged by" not in page(gov.browser(None), "/unapproved")

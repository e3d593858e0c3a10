"""Governance files through the API and the pages: propose a new OWNERS.toml, policy.toml or specreg.toml."""
from __future__ import annotations

import git
import pytest
from proposal_helpers import POLICY

# TOML comments look like Markdown headings: a governance file is never checked as a clause.
GOVERNED = "# Approvals.\n# Who approves what.\n" + POLICY + "\n# Governance files.\n[governance]\nmin_approvals = 1\n"


def post(gov, who, url, data=None):
    response = gov.app.test_client().post(url, json=data if data is not None else {}, headers=gov.api(who))
    return response.status_code, response.get_json()


def file_change(path="policy.toml", text=GOVERNED):
    return {"title": "Governance", "rationale": "Needed.", "changes": [{"kind": "file", "id": path, "text": text}]}


def proposals(gov):
    return gov.app.test_client().get("/api/v1/proposals").get_json()["proposals"]


def test_the_api_proposes_a_governance_file_an_admin_approves_and_the_merge_writes_it(gov):
    status, data = post(gov, "ada", "/api/v1/proposals", file_change())
    assert (status, data["state"]) == (201, "open")
    n = data["id"]
    status, data = post(gov, "grace", f"/api/v1/proposals/{n}/reviews", {"kind": "approve"})
    assert (status, data["error"]) == (403, "forbidden")
    status, data = post(gov, "root", f"/api/v1/proposals/{n}/reviews", {"kind": "approve"})
    assert (status, data["state"]) == (201, "approved")
    status, data = post(gov, "ada", f"/api/v1/proposals/{n}/merge")
    assert (status, data["state"]) == (200, "merged")
    with git.Repo(gov.repo.path) as r:
        assert r.commit(data["commit"]).tree["policy.toml"].data_stream.read().decode() == GOVERNED
    detail = gov.app.test_client().get(f"/api/v1/proposals/{n}").get_json()
    assert detail["revisions"][0]["changes"][0]["base"]["body"] == POLICY


def test_the_api_refuses_an_invalid_governance_file_with_400_naming_the_problem(gov):
    status, data = post(gov, "ada", "/api/v1/proposals", file_change(text="[governance]\nmin_approvals = 0\n"))
    assert (status, data["error"]) == (400, "bad_request")
    assert "[governance] min_approvals must be a whole number of at least 1" in data["message"]
    status, data = post(gov, "ada", "/api/v1/proposals", file_change(path="spec/rules.md", text="# x\n"))
    assert (status, data["error"]) == (400, "bad_request") and "is not a governance file" in data["message"]
    assert proposals(gov) == []


def test_the_openapi_document_names_the_file_kind(gov):
    doc = gov.app.test_client().get("/api/v1/openapi.json").get_json()
    body = doc["paths"]["/api/v1/proposals"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert "file" in body["properties"]["changes"]["items"]["properties"]["kind"]["enum"]


# --- the editor page ------------------------------------------------------------------------------

CSRF = {"csrf_token": "csrf-token"}


def page(gov, who, url):
    response = gov.browser(who).get(url)
    return response.status_code, response.get_data(as_text=True)


def test_the_owners_page_and_a_proposal_page_link_to_the_governance_editor(gov):
    assert '/governance/OWNERS.toml/propose"' in page(gov, "ada", "/owners")[1]
    n = gov.propose()
    assert '/governance/policy.toml/propose"' in page(gov, "ada", f"/proposals/{n}")[1]


def test_the_editor_starts_from_the_file_at_the_head(gov):
    status, html = page(gov, "ada", "/governance/policy.toml/propose")
    assert status == 200
    assert "[authority.root]\nmin_approvals = 2\n</textarea>" in html
    assert f'title="Browse the spec at commit {gov.repo.head()}"' in html


@pytest.mark.parametrize(("who", "url", "status"), [
    (None, "/governance/policy.toml/propose", 303),  # to /login
    ("vic", "/governance/policy.toml/propose", 403),
    ("grace", "/governance/OWNERS.toml/propose", 403),
    ("ada", "/governance/README.md/propose", 400),
])
def test_the_editor_is_for_editors_and_governance_files_only(gov, who, url, status):
    assert page(gov, who, url)[0] == status
    assert gov.browser(who).post(url, data={**CSRF, "title": "T", "rationale": "R", "text": GOVERNED}).status_code == status
    assert proposals(gov) == []


def test_the_editor_opens_the_proposal_and_its_page_shows_the_diff(gov):
    crlf = GOVERNED.replace("\n", "\r\n")  # what a browser sends from a textarea
    response = gov.browser("ada").post("/governance/policy.toml/propose",
                                       data={**CSRF, "title": "Governance", "rationale": "Needed.", "text": crlf})
    assert response.status_code == 302
    n = proposals(gov)[0]["id"]
    assert response.headers["Location"].endswith(f"/proposals/{n}")
    detail = gov.app.test_client().get(f"/api/v1/proposals/{n}").get_json()
    assert detail["revisions"][0]["changes"][0]["text"] == GOVERNED
    html = page(gov, "root", f"/proposals/{n}")[1]
    assert "new <code>policy.toml</code>" in html and "<ins>" in html and "[governance]" in html
    assert "Approve revision 1" in html


def test_a_refused_file_keeps_what_the_user_wrote_and_says_why(gov):
    bad = "[governance]\nmin_approvals = 0\n"
    response = gov.browser("ada").post("/governance/policy.toml/propose",
                                       data={**CSRF, "title": "Looser", "rationale": "Faster.", "text": bad})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Not saved: the new policy.toml is refused: [governance] min_approvals must be a whole number" in html
    assert f">{bad}</textarea>" in html and 'value="Looser"' in html and ">Faster.</textarea>" in html
    assert proposals(gov) == []


def test_the_revise_page_of_a_governance_proposal_edits_the_file(gov):
    n = post(gov, "ada", "/api/v1/proposals", file_change())[1]["id"]
    status, html = page(gov, "ada", f"/proposals/{n}/revise")
    assert status == 200 and "The whole new <code>policy.toml</code>" in html and "propose.js" not in html
    assert '<input type="hidden" name="kind" value="file">' in html
    newer = GOVERNED.replace("min_approvals = 1\n", "min_approvals = 2\n", 1)
    response = gov.browser("ada").post(f"/proposals/{n}/revise", data={
        **CSRF, "id": "policy.toml", "kind": "file", "revision": "1", "text": newer})
    assert response.status_code == 302
    detail = gov.app.test_client().get(f"/api/v1/proposals/{n}").get_json()
    assert (detail["revision"], detail["revisions"][-1]["changes"][0]["text"]) == (2, newer)


FRAMEWORKS = ('[frameworks.demo-act]\ntitle = "Demo AI Act"\nitems = { "art-14" = "Human oversight" }\n\n'
              '[map]\n"be_honest" = ["demo-act:art-14"]\n')


def test_frameworks_toml_is_proposed_from_its_editor_and_a_bad_one_is_refused_naming_the_problem(gov):
    status, html = page(gov, "ada", "/governance/frameworks.toml/propose")
    assert status == 200 and "</textarea>" in html
    bad = FRAMEWORKS.replace('["demo-act:art-14"]', '["demo-act:art-99"]')
    response = gov.browser("ada").post("/governance/frameworks.toml/propose",
                                       data={**CSRF, "title": "Map", "rationale": "Audit.", "text": bad})
    assert response.status_code == 400
    assert "framework &#39;demo-act&#39; has no item &#39;art-99&#39;" in response.get_data(as_text=True)
    assert proposals(gov) == []
    status, data = post(gov, "ada", "/api/v1/proposals", file_change("frameworks.toml", FRAMEWORKS))
    assert (status, data["state"]) == (201, "open")

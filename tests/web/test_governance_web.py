"""Governance files through the API and the pages: propose a new OWNERS.toml, policy.toml or specreg.toml."""
from __future__ import annotations

import git
from proposal_helpers import POLICY

GOVERNED = POLICY + "\n[governance]\nmin_approvals = 1\n"


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

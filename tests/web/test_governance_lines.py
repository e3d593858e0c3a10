"""Governance on every line: history items, blame lines and diff headers name the proposal behind a version,
the approvals its merge counted and the rule that asked for them."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import event

from registry.cli import main


def merged(gov, body: str = "Never reveal personal data.") -> tuple[int, str]:
    """Ada proposes a new respect_privacy body, Grace (its owner) approves, Ada merges: (number, commit)."""
    n = gov.propose(body=body)
    client = gov.app.test_client()
    assert client.post(f"/api/v1/proposals/{n}/reviews", json={"kind": "approve"},
                       headers=gov.api("grace")).status_code == 201
    response = client.post(f"/api/v1/proposals/{n}/merge", headers=gov.api("ada"))
    assert response.status_code == 200, response.get_json()
    return n, response.get_json()["commit"]


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def test_history_items_name_the_counted_approvals_of_their_proposal_and_none_for_direct_commits(gov):
    n, sha = merged(gov)
    versions = gov.app.test_client().get("/api/v1/clauses/respect_privacy/history").get_json()["versions"]
    direct, via = versions
    assert (direct["proposal"], direct["approvers"]) == (None, [])
    assert (via["commit"], via["proposal"]) == (sha, n)
    [approver] = via["approvers"]
    assert list(approver) == ["name", "email", "time", "meaning"]
    assert (approver["name"], approver["email"]) == ("Grace Hopper", "grace@example.org")
    assert approver["meaning"] == "approved as owner of respect_privacy" and approver["time"].endswith("Z")


def test_the_blame_api_gives_each_line_its_commit_proposal_and_approvers(gov):
    first = gov.repo.head()
    n, sha = merged(gov, "Never reveal personal data.\nAsk before storing anything.")
    data = gov.app.test_client().get("/api/v1/clauses/respect_privacy/blame").get_json()
    assert list(data) == ["id", "lines"] and data["id"] == "respect_privacy"
    assert [list(line) for line in data["lines"]] == [["text", "commit", "date", "author", "proposal", "approvers"]] * 2
    assert [(line["text"], line["commit"], line["proposal"]) for line in data["lines"]] == [
        ("Never reveal personal data.", sha, n), ("Ask before storing anything.", sha, n)]
    assert [a["email"] for a in data["lines"][0]["approvers"]] == ["grace@example.org"]
    before = gov.app.test_client().get(f"/api/v1/clauses/respect_privacy/blame?at={first}").get_json()
    assert [(line["commit"], line["proposal"], line["approvers"]) for line in before["lines"]] == [(first, None, [])]


def test_the_blame_api_of_an_unknown_clause_is_a_404(gov):
    response = gov.app.test_client().get("/api/v1/clauses/nothing_like_it/blame")
    assert response.status_code == 404 and response.get_json()["error"] == "unknown_clause"


@pytest.mark.parametrize("url", ["/clauses/respect_privacy", "/clauses/respect_privacy/blame",
                                 "/clauses/respect_privacy/diff"])
def test_history_rows_blame_lines_and_diff_headers_say_via_which_proposal_approved_by_whom_under_which_rule(gov, url):
    n, _sha = merged(gov)
    assert f"via #{n}, approved by Grace Hopper, rule defaults" in page(gov.browser(None), url)


def test_a_direct_change_shows_no_approval_line(gov):
    assert "approved by" not in page(gov.browser(None), "/clauses/respect_privacy/blame")
    assert "approved by" not in page(gov.browser(None), "/clauses/respect_privacy/diff")


def test_a_root_clause_names_its_authority_rule(gov):
    data = {"title": "Honesty", "rationale": "Clearer.", "changes": [{"kind": "change", "id": "be_honest",
            "text": "## Be honest {#be_honest authority=root}\n\nNever state what you know to be false.\n"}]}
    client = gov.app.test_client()
    n = client.post("/api/v1/proposals", json=data, headers=gov.api("ada")).get_json()["id"]
    owners = [e for e in gov.app.test_client().get("/api/v1/clauses/be_honest/owners").get_json()["owners"]]
    approvers = [name for name, a in gov.users.items() if a.email in {o["email"] for o in owners} and name != "ada"]
    for who in approvers[:2] or ["root"]:
        assert client.post(f"/api/v1/proposals/{n}/reviews", json={"kind": "approve"},
                           headers=gov.api(who)).status_code == 201
    response = client.post(f"/api/v1/proposals/{n}/merge", headers=gov.api("ada"))
    assert response.status_code == 200, response.get_json()
    assert f"via #{n}, approved by " in page(gov.browser(None), "/clauses/be_honest/blame")
    assert ", rule authority.root" in page(gov.browser(None), "/clauses/be_honest/blame")


def test_the_history_and_blame_load_approvals_for_every_proposal_at_once(gov):
    def statements(url: str) -> int:
        seen: list[str] = []
        engine = gov.app.extensions["specreg.engine"]

        def record(_conn, _cursor, statement, _params, _context, _many) -> None:
            seen.append(statement)

        event.listen(engine, "before_cursor_execute", record)
        try:
            assert gov.app.test_client().get(url).status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", record)
        return len(seen)

    merged(gov, "Never reveal personal data.")
    one = {url: statements(url) for url in ("/api/v1/clauses/respect_privacy/history",
                                            "/api/v1/clauses/respect_privacy/blame")}
    merged(gov, "Never reveal personal data.\nAsk first.")
    merged(gov, "Never reveal personal data.\nAsk first.\nForget on request.")
    assert {url: statements(url) for url in one} == one


def test_specreg_history_prints_the_approvers_in_json_and_the_via_line_in_text(gov, monkeypatch, capsys):
    n, _sha = merged(gov)
    monkeypatch.setenv("SPECREG_DATABASE_URL", gov.app.config["DATABASE_URL"])
    monkeypatch.setenv("SPECREG_REPO", str(gov.repo.path))
    assert main(["history", "respect_privacy", "--json"]) == 0
    items = json.loads(capsys.readouterr().out)
    assert [[a["email"] for a in i["approvers"]] for i in items] == [[], ["grace@example.org"]]
    assert main(["history", "respect_privacy"]) == 0
    assert f"[via #{n}, approved by Grace Hopper, rule defaults]" in capsys.readouterr().out

"""Reporting checks through the API and the CLI, and token scopes: a `checks` token reports checks and
does nothing else, anywhere; a full token (every token made before scopes) still does everything."""
from __future__ import annotations

import json
import re

import pytest
from proposal_helpers import HEADINGS, POLICY
from sqlalchemy.pool import NullPool

from registry.accounts.credentials import create_token
from registry.cli import main as cli
from registry.db import make_engine, session_scope


def checks_token(gov, who: str = "vic") -> str:
    engine = make_engine(gov.app.config["DATABASE_URL"], poolclass=NullPool)
    with session_scope(engine, write=True) as s:
        secret = create_token(s, gov.users[who], gov.users[who].email, "ci", "checks")[0]
    engine.dispose()
    return secret


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def gated_proposal(gov) -> int:
    gov.repo.commit("Evals gate system rules", {"policy.toml": POLICY + '\n[authority.system]\nrequired_checks = ["evals"]\n'})
    gov.ingest()
    n = gov.propose()
    assert gov.app.test_client().post(f"/api/v1/proposals/{n}/reviews", json={"kind": "approve"},
                                      headers=gov.api("grace")).status_code == 201
    return n


def test_a_checks_token_reports_a_check_that_approves_the_proposal_and_the_page_lists_it(gov):
    n = gated_proposal(gov)
    client, token = gov.app.test_client(), checks_token(gov)
    assert client.get(f"/api/v1/proposals/{n}").get_json()["state"] == "open"
    response = client.post(f"/api/v1/proposals/{n}/checks", headers=bearer(token), json={
        "name": "evals", "status": "success", "revision": 1, "url": "https://ci.example.org/runs/9",
        "summary": "<b>all</b> passed"})
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["state"] == "approved" and isinstance(response.get_json()["check"], int)
    detail = client.get(f"/api/v1/proposals/{n}").get_json()
    assert [(c["name"], c["status"], c["revision"], c["url"]) for c in detail["checks"]] == [
        ("evals", "success", 1, "https://ci.example.org/runs/9")]
    assert detail["policy"]["checks"] == [{"name": "evals", "rules": ["authority.system"], "status": "success",
                                           "revision": 1, "url": "https://ci.example.org/runs/9", "passed": True}]
    page = gov.browser(None).get(f"/proposals/{n}").get_data(as_text=True)
    assert "Required check <code>evals</code>" in page and '<a href="https://ci.example.org/runs/9"' in page
    assert "&lt;b&gt;all&lt;/b&gt; passed" in page and "<b>all</b>" not in page


@pytest.mark.parametrize(("body", "says"), [
    ({"name": "evals", "status": "success"}, '"revision" is required'),
    ({"name": "evals", "status": "ok", "revision": 1}, "status"),
    ({"name": "evals", "status": "success", "revision": 5}, "revision must be a revision of proposal"),
    ({"name": "ev als", "status": "success", "revision": 1}, "a check's name must be"),
    ({"name": "evals", "status": "success", "revision": 1, "url": "javascript:alert(1)"}, "http:// or https://"),
    ({"name": "evals", "status": "success", "revision": 1, "url": 7}, '"url"'),
])
def test_a_bad_check_report_is_a_400_naming_the_problem(gov, body, says):
    n = gated_proposal(gov)
    response = gov.app.test_client().post(f"/api/v1/proposals/{n}/checks", headers=bearer(checks_token(gov)), json=body)
    assert response.status_code == 400 and response.get_json()["error"] == "bad_request"
    assert says in response.get_json()["message"]
    assert gov.app.test_client().get(f"/api/v1/proposals/{n}").get_json()["checks"] == []


def test_the_proposer_may_not_report_a_check_on_their_own_proposal_and_merge_is_409_checks_not_passed(gov):
    n = gated_proposal(gov)
    client = gov.app.test_client()
    response = client.post(f"/api/v1/proposals/{n}/checks", headers=gov.api("ada"),
                           json={"name": "evals", "status": "success", "revision": 1})
    assert response.status_code == 403 and "own proposal" in response.get_json()["message"]
    response = client.post(f"/api/v1/proposals/{n}/merge", headers=gov.api("ada"))
    assert response.status_code == 409 and response.get_json()["error"] == "checks_not_passed"
    assert "evals" in response.get_json()["message"]


def concrete(rule: str, n: int) -> str:
    return re.sub(r"<(?:\w+:)?\w+>", str(n), rule)


def api_calls(app, n: int) -> list[tuple[str, str]]:
    """Every (method, url) of the JSON API but the check report, with n for each path parameter (/api/docs is
    a page for people, read with the browser's session)."""
    return sorted({(method, concrete(rule.rule, n)) for rule in app.url_map.iter_rules()
                   if rule.rule.startswith("/api/v1/") and rule.endpoint != "proposals_api.check"
                   for method in rule.methods - {"HEAD", "OPTIONS"}})


CHANGE = {"id": "respect_privacy", "text": f"{HEADINGS['respect_privacy']}\n\nReveal nothing.\n"}
# Bodies that pass the checks these endpoints run before anyone is looked up (registry.web.bodies.checked_first).
BODIES = {"/api/v1/proposals": {"title": "T", "rationale": "R", "changes": [CHANGE]},
          "/api/v1/proposals/{n}/revisions": {"changes": [CHANGE]}}


def test_a_checks_token_is_refused_everywhere_else_in_the_api_reads_included(gov):
    n = gated_proposal(gov)
    token, client = checks_token(gov), gov.app.test_client()
    # The proposal's own number in every path (PostgreSQL's sequences are not reset between tests).
    calls = api_calls(gov.app, n)
    assert ("POST", f"/api/v1/proposals/{n}/merge") in calls and ("GET", "/api/v1/proposals") in calls
    bodies = {url.format(n=n): body for url, body in BODIES.items()}
    for method, url in calls:
        response = client.open(url, method=method, headers=bearer(token), json=bodies.get(url, {}))
        assert response.status_code == 403, (method, url, response.status_code)
        assert response.get_json()["error"] == "insufficient_scope", (method, url)
    assert client.get(f"/api/v1/proposals/{n}").get_json()["state"] == "open"  # nothing changed


def test_a_full_token_reports_checks_too_and_still_does_everything_else(gov):
    n = gated_proposal(gov)
    client = gov.app.test_client()
    assert client.get("/api/v1/me", headers=gov.api("vic")).status_code == 200
    response = client.post(f"/api/v1/proposals/{n}/checks", headers=gov.api("vic"),
                           json={"name": "evals", "status": "success", "revision": 1})
    assert response.status_code == 201 and response.get_json()["state"] == "approved"


def cli_run(monkeypatch, capsys, gov, token: str, *argv: str) -> tuple[int, str]:
    """The exit code, and the JSON printed (when it succeeded) or the error message (when it failed)."""
    monkeypatch.setenv("SPECREG_DATABASE_URL", gov.app.config["DATABASE_URL"])
    monkeypatch.setenv("SPECREG_REPO", str(gov.repo.path))
    monkeypatch.setenv("SPECREG_TOKEN", token)
    code = cli([*argv, "--json"])
    captured = capsys.readouterr()
    return code, captured.out if code == 0 else captured.out + captured.err


def test_the_cli_reports_a_check_on_the_current_revision_with_a_checks_token_and_refuses_it_for_anything_else(
        gov, monkeypatch, capsys):
    n = gated_proposal(gov)
    token = checks_token(gov)
    code, out = cli_run(monkeypatch, capsys, gov, token, "check", str(n), "evals", "--status", "success",
                        "--url", "https://ci.example.org/runs/3", "--summary", "ok")
    assert code == 0, out
    assert json.loads(out) | {"check": 0} == {"id": n, "state": "approved", "check": 0, "revision": 1}
    assert cli(["proposal", str(n)]) == 0
    text = capsys.readouterr().out
    assert "change respect_privacy in spec/rules.md (normative)" in text
    assert "check evals: success on r1 " in text and "https://ci.example.org/runs/3 - ok" in text
    for argv in (["review", str(n), "--request-changes", "--comment", "no"], ["comment", str(n), "hi"],
                 ["merge", str(n)], ["token", "create", "vic@example.org"], ["queue"]):
        code, out = cli_run(monkeypatch, capsys, gov, token, *argv)
        assert code != 0 and "may only report checks" in out, (argv, out)


def test_token_create_makes_a_checks_token_and_the_list_shows_each_scope(gov, monkeypatch, capsys):
    code, out = cli_run(monkeypatch, capsys, gov, gov.tokens["vic"], "token", "create", "vic@example.org",
                        "--scope", "checks", "--name", "ci")
    assert code == 0 and json.loads(out)["scope"] == "checks"
    code, out = cli_run(monkeypatch, capsys, gov, gov.tokens["vic"], "token", "list")
    assert code == 0 and [t["scope"] for t in json.loads(out)] == ["full", "checks"]
    code, out = cli_run(monkeypatch, capsys, gov, gov.tokens["vic"], "token", "create", "vic@example.org",
                        "--scope", "admin")
    assert code != 0 and "invalid choice" in out

"""The proposal API: the journey with tokens, its JSON matching the CLI, errors as {"error", "message"}."""
from __future__ import annotations

import json

from proposal_helpers import HEADINGS, RULES, forged_approval
from sqlalchemy import text
from sqlalchemy.pool import NullPool

from registry.cli import main as cli
from registry.db import make_engine


def post(gov, who, url, data=None):
    response = gov.app.test_client().post(url, json=data if data is not None else {}, headers=gov.api(who))
    return response.status_code, response.get_json()


def get(gov, url, who=None):
    response = gov.app.test_client().get(url, headers=gov.api(who))
    return response.status_code, response.get_json()


def test_the_journey_through_the_api(gov):
    n = gov.propose()
    assert get(gov, f"/api/v1/proposals/{n}")[1]["state"] == "open"
    status, review = post(gov, "grace", f"/api/v1/proposals/{n}/reviews", {"kind": "approve"})
    assert (status, review["state"], review["meaning"]) == (201, "approved", "approved as owner of respect_privacy")
    status, merged = post(gov, "ada", f"/api/v1/proposals/{n}/merge")
    assert status == 200 and merged == {"id": n, "state": "merged", "commit": gov.repo.head()}
    versions = get(gov, "/api/v1/clauses/respect_privacy/history")[1]["versions"]
    assert versions[-1]["proposal"] == n and versions[-1]["commit"] == merged["commit"]
    assert get(gov, "/api/v1/proposals?state=merged")[1]["proposals"][0]["id"] == n


def test_a_merge_whose_only_approval_was_forged_in_the_database_is_409_policy_not_satisfied_and_writes_nothing(gov):
    n = gov.propose()
    engine = make_engine(gov.app.config["DATABASE_URL"], poolclass=NullPool)
    with engine.begin() as conn:
        conn.execute(text(forged_approval(n)))
    engine.dispose()
    head = gov.repo.head()
    status, error = post(gov, "ada", f"/api/v1/proposals/{n}/merge")
    assert (status, error["error"]) == (409, "policy_not_satisfied"), error
    assert "respect_privacy: needs 1 more approval" in error["message"]
    assert gov.repo.head() == head and get(gov, f"/api/v1/proposals/{n}")[1]["state"] == "open"


def test_the_detail_is_what_the_cli_prints(gov, monkeypatch, capsys):
    n = gov.propose()
    post(gov, "barbara", f"/api/v1/proposals/{n}/comments", {"text": "Why now?"})
    monkeypatch.setenv("SPECREG_DATABASE_URL", gov.app.config["DATABASE_URL"])
    assert cli(["proposal", str(n), "--json"]) == 0
    assert get(gov, f"/api/v1/proposals/{n}")[1] == json.loads(capsys.readouterr().out)


def test_revisions_comments_vetoes_and_dismissal(gov):
    n = gov.propose()
    text = f"{HEADINGS['respect_privacy']}\n\nKeep personal data private.\n"
    status, data = post(gov, "ada", f"/api/v1/proposals/{n}/revisions",
                        {"changes": [{"kind": "change", "id": "respect_privacy", "text": text}], "note": "wording"})
    assert (status, data["revision"]) == (201, 2)
    status, veto = post(gov, "barbara", f"/api/v1/proposals/{n}/reviews", {"kind": "request_changes",
                                                                           "comment": "Too strict"})
    assert status == 201
    post(gov, "grace", f"/api/v1/proposals/{n}/reviews", {"kind": "approve"})
    assert get(gov, f"/api/v1/proposals/{n}")[1]["state"] == "open"
    status, data = post(gov, "root", f"/api/v1/proposals/{n}/reviews/{veto['review']}/dismiss", {"reason": "Answered"})
    assert (status, data["state"]) == (200, "approved")


def test_a_review_of_a_replaced_revision_is_409_stale_revision_and_the_current_one_is_accepted(gov):
    n = gov.propose()
    text = f"{HEADINGS['respect_privacy']}\n\nKeep personal data private.\n"
    post(gov, "ada", f"/api/v1/proposals/{n}/revisions",
         {"changes": [{"kind": "change", "id": "respect_privacy", "text": text}]})
    status, error = post(gov, "grace", f"/api/v1/proposals/{n}/reviews", {"kind": "approve", "revision": 1})
    assert (status, error["error"]) == (409, "stale_revision")
    assert "now at revision 2" in error["message"]
    assert get(gov, f"/api/v1/proposals/{n}")[1]["reviews"] == []
    status, review = post(gov, "grace", f"/api/v1/proposals/{n}/reviews", {"kind": "approve", "revision": 2})
    assert (status, review["state"]) == (201, "approved")


def test_a_revision_started_from_a_replaced_revision_is_409_stale_revision_and_records_nothing(gov):
    n = gov.propose()
    mine = {"changes": [{"kind": "change", "id": "respect_privacy",
                         "text": f"{HEADINGS['respect_privacy']}\n\nKeep personal data private.\n"}]}
    theirs = {"changes": [{"kind": "change", "id": "respect_privacy",
                           "text": f"{HEADINGS['respect_privacy']}\n\nGuard personal data.\n"}]}
    assert post(gov, "ada", f"/api/v1/proposals/{n}/revisions", {**mine, "revision": 1})[0] == 201
    status, error = post(gov, "root", f"/api/v1/proposals/{n}/revisions", {**theirs, "revision": 1})
    assert (status, error["error"]) == (409, "stale_revision")
    assert f"you started from revision 1, but proposal #{n} is now at revision 2" in error["message"]
    detail = get(gov, f"/api/v1/proposals/{n}")[1]
    assert detail["revision"] == 2 and detail["revisions"][-1]["changes"][0]["body"] == "Keep personal data private."
    status, error = post(gov, "root", f"/api/v1/proposals/{n}/revisions", {**theirs, "revision": "2"})
    assert (status, error["error"]) == (400, "bad_request") and '"revision" must be an integer' in error["message"]
    status, data = post(gov, "root", f"/api/v1/proposals/{n}/revisions", {**theirs, "revision": 2})
    assert (status, data["revision"]) == (201, 3)


def test_withdrawing_a_veto_and_closing(gov):
    n = gov.propose()
    post(gov, "barbara", f"/api/v1/proposals/{n}/reviews", {"kind": "request_changes", "comment": "No"})
    assert post(gov, "barbara", f"/api/v1/proposals/{n}/withdraw-veto")[0] == 200
    assert post(gov, "ada", f"/api/v1/proposals/{n}/withdraw", {"reason": "later"})[1]["state"] == "withdrawn"
    m = gov.propose("be_brief", "Short.")
    assert post(gov, "alan", f"/api/v1/proposals/{m}/reject", {"reason": "No"})[1]["state"] == "rejected"


def test_drafts_are_submitted(gov):
    text = f"{HEADINGS['tone']}\n\nWarm.\n"
    status, data = post(gov, "ada", "/api/v1/proposals", {"title": "T", "rationale": "R", "draft": True,
                                                          "changes": [{"id": "tone", "text": text}]})
    assert (status, data["state"]) == (201, "draft")
    assert post(gov, "ada", f"/api/v1/proposals/{data['id']}/submit")[1]["state"] == "open"


def test_a_refused_merge_names_the_rule_and_a_conflict_is_recorded(gov):
    n = gov.propose()
    status, data = post(gov, "ada", f"/api/v1/proposals/{n}/merge")
    assert (status, data["error"]) == (409, "policy_not_satisfied")
    assert "respect_privacy: needs 1 more approval" in data["message"]
    post(gov, "grace", f"/api/v1/proposals/{n}/reviews", {"kind": "approve"})
    gov.repo.commit("Direct", {"spec/rules.md": RULES.replace("Do not reveal", "Never, ever reveal")})
    status, data = post(gov, "ada", f"/api/v1/proposals/{n}/merge")
    assert (status, data["error"]) == (409, "merge_conflict")
    assert get(gov, f"/api/v1/proposals/{n}")[1]["state"] == "conflicted"


def test_the_queue_and_me_need_a_token(gov):
    n = gov.propose()
    assert [p["id"] for p in get(gov, "/api/v1/review-queue", "grace")[1]["proposals"]] == [n]
    assert get(gov, "/api/v1/me", "grace")[1] == {"email": "grace@example.org", "name": "Grace Hopper",
                                                  "role": "viewer"}
    assert get(gov, "/api/v1/me")[0] == 401


def test_bad_tokens_and_bad_bodies(gov):
    client = gov.app.test_client()
    for header in ("Bearer srg_nope", "Basic abc", "Bearer "):
        response = client.get("/api/v1/me", headers={"Authorization": header})
        assert response.status_code == 401 and response.get_json()["error"] == "unauthorized"
    response = client.post("/api/v1/proposals", data="not json", headers=gov.api("ada"))
    assert (response.status_code, response.get_json()["error"]) == (400, "bad_request")
    assert post(gov, "ada", "/api/v1/proposals", {"title": "T", "rationale": "R", "changes": "x"})[0] == 400
    assert post(gov, "grace", "/api/v1/proposals/1/reviews", {"kind": "maybe"})[0] == 400
    assert get(gov, "/api/v1/proposals/999")[1]["error"] == "unknown_proposal"
    assert get(gov, "/api/v1/proposals?state=pending")[0] == 400


def test_cookies_never_act_on_the_api(gov):
    browser = gov.browser("root")  # logged in, with a CSRF token: still no API writes without a token
    response = browser.post("/api/v1/proposals", json={"title": "T", "rationale": "R", "changes": []},
                            headers={"X-CSRF-Token": "csrf-token"})
    assert response.status_code == 401

"""Rules that can never be met, on the web: the owners page's policy check, proposing's warning, the fallback badge."""
from __future__ import annotations

from proposal_helpers import POLICY

CSRF = {"csrf_token": "csrf-token"}
STRICT = POLICY + '\n[clause."be_brief"]\nmin_approvals = 2\n'


def strict(gov, text: str = STRICT) -> None:
    """Commit and ingest a policy where be_brief (one owner) needs two approvals."""
    gov.repo.commit("Policy", {"policy.toml": text})
    gov.ingest()


def test_the_owners_page_lists_the_clauses_too_few_people_may_approve(gov):
    client = gov.app.test_client()
    assert "Every clause can be approved" in client.get("/owners").get_data(as_text=True)
    strict(gov)
    body = client.get("/owners").get_data(as_text=True)
    assert "1 clause can never be approved" in body and 'data-clause="be_brief"' in body
    assert "<code>clause.be_brief</code></td><td>2</td>" in body and "alan@example.org" in body


def test_proposing_through_the_api_answers_with_what_can_never_be_approved(gov):
    data = {"title": "T", "rationale": "R", "changes": [
        {"kind": "change", "id": "be_brief", "text": "## Be brief {#be_brief}\n\nShort.\n"}]}
    response = gov.app.test_client().post("/api/v1/proposals", json=data, headers=gov.api("alan"))
    assert response.status_code == 201
    assert response.get_json()["infeasible"] == [{"id": "be_brief", "rule": "defaults", "needed": 1, "eligible": []}]
    page = gov.browser("alan").get(f"/proposals/{response.get_json()['id']}").get_data(as_text=True)
    assert "This proposal can never merge as it stands" in page and "be_brief can never be approved" in page
    fine = gov.app.test_client().post("/api/v1/proposals", json=data, headers=gov.api("ada"))
    assert fine.get_json()["infeasible"] == []


def test_the_propose_form_warns_in_its_confirmation(gov):
    browser = gov.browser("alan")
    response = browser.post("/clauses/be_brief/propose", data={**CSRF, "title": "T", "rationale": "R",
                                                                "text": "## Be brief {#be_brief}\n\nShort.\n"})
    assert response.status_code == 302
    page = browser.get(response.headers["Location"]).get_data(as_text=True)
    assert "Warning: be_brief can never be approved" in page


def test_the_fallback_badge_shows_on_the_proposal_page(gov):
    strict(gov, STRICT + "\n[fallback]\nadmins_approve_when_short = true\n")
    n = gov.propose("be_brief", "Short.")
    page = gov.browser("root").get(f"/proposals/{n}").get_data(as_text=True)
    assert 'class="badge fallback"' in page and "can never merge" not in page

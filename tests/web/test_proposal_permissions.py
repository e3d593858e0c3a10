"""The proposal page offers an action exactly when its use case would take it (registry.proposals.permissions)."""
from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from registry.accounts.users import set_role
from registry.db import make_engine, session_scope

CSRF = {"csrf_token": "csrf-token"}


def page(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def committed(gov, work: Callable[[Session], object]) -> None:
    """Run a use case against the app's database and commit it, as another user's request would."""
    engine = make_engine(gov.app.config["DATABASE_URL"], poolclass=NullPool)
    with session_scope(engine, write=True) as s:
        work(s)
    engine.dispose()


def test_after_approving_the_page_offers_no_second_approval_and_says_why_as_the_use_case_does(gov):
    n = gov.propose()
    grace = gov.browser("grace")
    assert grace.post(f"/proposals/{n}/review", data={**CSRF, "kind": "approve", "revision": "1"}).status_code == 302
    shown = page(grace, f"/proposals/{n}")
    assert "Approve revision 1" not in shown
    assert "Approving: you already approved revision 1." in shown
    again = gov.app.test_client().post(f"/api/v1/proposals/{n}/reviews", json={"kind": "approve", "revision": 1},
                                       headers=gov.api("grace"))
    assert again.status_code == 409
    assert again.get_json() == {"error": "conflict", "message": "you already approved revision 1"}


def test_a_proposer_who_is_no_longer_an_editor_is_not_offered_submit_which_the_use_case_refuses(gov):
    data = {"title": "Later", "rationale": "Draft first.", "draft": True,
            "changes": [{"kind": "remove", "id": "lists"}]}
    created = gov.app.test_client().post("/api/v1/proposals", json=data, headers=gov.api("ada"))
    n = created.get_json()["id"]
    committed(gov, lambda s: set_role(s, gov.users["root"], "ada@example.org", "viewer"))
    ada = gov.browser("ada")
    shown = page(ada, f"/proposals/{n}")
    assert "Submit for review" not in shown
    assert "Withdraw" in shown  # taking it back needs no role
    refused = gov.app.test_client().post(f"/api/v1/proposals/{n}/submit", json={}, headers=gov.api("ada"))
    assert refused.status_code == 403
    assert refused.get_json()["message"] == "submit this proposal needs the editor role; ada@example.org is a viewer"

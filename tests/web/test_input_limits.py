"""Size limits on what people send (registry/limits.py), and proposal texts checked before the write lock."""
from __future__ import annotations

import html
from collections.abc import Iterator
from contextlib import contextmanager

from proposal_helpers import HEADINGS
from sqlalchemy import event

CSRF = {"csrf_token": "csrf-token"}
MANY = HEADINGS["respect_privacy"] + "\n\nNever.\n\n" + "".join(f"## Same\n\nbody {i}\n\n" for i in range(2000))


@contextmanager
def write_transactions(gov) -> Iterator[list[bool]]:
    """Records each transaction the app's engine begins that asks for the write lock (True)."""
    engine = gov.app.extensions["specreg.engine"]
    began: list[bool] = []

    def _begin(conn) -> None:
        if conn.get_execution_options().get("sqlite_immediate", False):
            began.append(True)

    event.listen(engine, "begin", _begin)
    try:
        yield began
    finally:
        event.remove(engine, "begin", _begin)


def _post_api(gov, url: str, body: dict, who: str = "ada"):
    return gov.app.test_client().post(url, json=body, headers=gov.api(who))


def test_a_proposal_text_of_many_clauses_is_refused_by_the_api_before_the_write_lock(shared_gov):
    body = {"title": "T", "rationale": "R", "changes": [{"kind": "change", "id": "respect_privacy", "text": MANY}]}
    with write_transactions(shared_gov) as began:
        response = _post_api(shared_gov, "/api/v1/proposals", body)
    assert response.status_code == 400
    assert response.get_json()["message"].startswith("the text of respect_privacy holds 2001 clauses; give exactly one")
    assert began == []


def test_a_revision_of_many_clauses_is_refused_by_the_api_before_the_write_lock(shared_gov):
    n = shared_gov.propose()
    body = {"changes": [{"kind": "change", "id": "respect_privacy", "text": MANY}]}
    with write_transactions(shared_gov) as began:
        response = _post_api(shared_gov, f"/api/v1/proposals/{n}/revisions", body)
    assert response.status_code == 400 and "holds 2001 clauses" in response.get_json()["message"]
    assert began == []


def test_the_editor_refuses_a_text_of_many_clauses_before_the_write_lock_and_keeps_what_was_typed(shared_gov):
    form = {**CSRF, "title": "My title", "rationale": "My reasons", "text": MANY}
    with write_transactions(shared_gov) as began:
        response = shared_gov.browser("ada").post("/clauses/respect_privacy/propose", data=form)
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 400 and "the text holds 2001 clauses" in page
    assert "body 1999" in page and 'value="My title"' in page and "My reasons" in page
    assert began == []


def test_the_editors_preview_button_takes_no_write_lock(shared_gov):
    form = {**CSRF, "action": "preview", "title": "T", "rationale": "R",
            "text": HEADINGS["respect_privacy"] + "\n\nNever *ever*.\n"}
    with write_transactions(shared_gov) as began:
        response = shared_gov.browser("ada").post("/clauses/respect_privacy/propose", data=form)
    assert response.status_code == 200 and "<em>ever</em>" in response.get_data(as_text=True)
    assert began == []


def test_a_valid_proposal_still_takes_the_write_lock_and_opens(shared_gov):
    body = {"title": "T", "rationale": "R",
            "changes": [{"kind": "change", "id": "be_brief", "text": HEADINGS["be_brief"] + "\n\nShort.\n"}]}
    with write_transactions(shared_gov) as began:
        response = _post_api(shared_gov, "/api/v1/proposals", body)
    assert response.status_code == 201 and began  # the check lets it through to the use case

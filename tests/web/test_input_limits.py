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


def _detail(gov, n: int) -> dict:
    return gov.app.test_client().get(f"/api/v1/proposals/{n}").get_json()


def test_a_body_over_one_megabyte_is_a_413_in_json_and_nothing_is_stored(shared_gov):
    n = shared_gov.propose()
    response = _post_api(shared_gov, f"/api/v1/proposals/{n}/comments", {"text": "x" * (1024 * 1024)}, "vic")
    assert response.status_code == 413
    assert response.get_json() == {"error": "too_large",
                                   "message": "the request body is larger than 1,048,576 bytes (1 MB); nothing was saved"}
    assert _detail(shared_gov, n)["comments"] == []


def test_a_form_over_one_megabyte_is_a_413_page(shared_gov):
    n = shared_gov.propose()
    response = shared_gov.browser("vic").post(f"/proposals/{n}/comment", data={**CSRF, "text": "x" * (1024 * 1024)})
    assert response.status_code == 413 and "larger than 1,048,576 bytes" in response.get_data(as_text=True)
    assert _detail(shared_gov, n)["comments"] == []


def test_the_api_refuses_a_title_and_a_comment_over_their_limits_naming_the_field(shared_gov):
    body = {"title": "T" * 201, "rationale": "R",
            "changes": [{"kind": "change", "id": "be_brief", "text": HEADINGS["be_brief"] + "\n\nShort.\n"}]}
    response = _post_api(shared_gov, "/api/v1/proposals", body)
    assert (response.status_code, response.get_json()["message"]) == (
        400, "title is too long: 201 characters, at most 200")
    n = shared_gov.propose()
    response = _post_api(shared_gov, f"/api/v1/proposals/{n}/comments", {"text": "x" * 20_001}, "vic")
    assert (response.status_code, response.get_json()["message"]) == (
        400, "comment is too long: 20,001 characters, at most 20,000")
    assert _detail(shared_gov, n)["comments"] == []


def test_the_comment_form_over_its_limit_shows_the_page_again_with_the_comment_typed(shared_gov):
    n = shared_gov.propose()
    typed = "My long comment " + "x" * 20_000
    response = shared_gov.browser("vic").post(f"/proposals/{n}/comment", data={**CSRF, "text": typed})
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "Not saved: comment is too long: 20,016 characters" in page
    assert f">{typed}</textarea>" in page and _detail(shared_gov, n)["comments"] == []


def test_the_withdraw_form_over_its_limit_keeps_the_reason_typed(shared_gov):
    n = shared_gov.propose()
    reason = "because " + "y" * 2_000
    response = shared_gov.browser("ada").post(f"/proposals/{n}/withdraw", data={**CSRF, "reason": reason})
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "reason is too long: 2,008 characters, at most 2,000" in page
    assert f'value="{reason}"' in page and _detail(shared_gov, n)["state"] == "open"


def test_the_proposals_list_shows_a_long_title_shortened(shared_gov):
    from sqlalchemy import update

    from registry.db import make_engine, session_scope
    from registry.models import Proposal

    n = shared_gov.propose()
    engine = make_engine(shared_gov.app.config["DATABASE_URL"])
    with session_scope(engine, write=True) as s:  # a title stored before titles had a limit
        s.execute(update(Proposal).where(Proposal.id == n).values(title="Long " + "z" * 100_000))
    engine.dispose()
    listed = shared_gov.browser(None).get("/proposals").get_data(as_text=True)
    assert "Long " + "z" * 295 + "…" in listed and "z" * 296 not in listed
    assert len(listed) < 50_000

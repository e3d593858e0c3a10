"""Every API write endpoint checks its body the same way: 400 bad_request naming the field that is wrong.

Each cell posts as root (an admin, so a refusal is never about who is asking) and expects the body
to be refused before any use case runs; nothing it names needs to exist.
"""
from __future__ import annotations

import json

import pytest

from registry.errors import BadRequest
from registry.web.bodies import Field, validate

ENDPOINTS = {
    "create": "/api/v1/proposals",
    "revise": "/api/v1/proposals/1/revisions",
    "comment": "/api/v1/proposals/1/comments",
    "review": "/api/v1/proposals/1/reviews",
    "withdraw-veto": "/api/v1/proposals/1/withdraw-veto",
    "dismiss": "/api/v1/proposals/1/reviews/1/dismiss",
    "submit": "/api/v1/proposals/1/submit",
    "withdraw": "/api/v1/proposals/1/withdraw",
    "reject": "/api/v1/proposals/1/reject",
    "merge": "/api/v1/proposals/1/merge",
    "assign": "/api/v1/clauses/tone/owners/assign",
    "unassign": "/api/v1/clauses/tone/owners/unassign",
    "acknowledge commit": "/api/v1/unapproved/abcd1234/acknowledge",
    "acknowledge rewrite": "/api/v1/rewrites/1/acknowledge",
    "add user": "/api/v1/users",
    "role": "/api/v1/users/nobody@example.org/role",
    "password": "/api/v1/users/nobody@example.org/password",
    "disable": "/api/v1/users/nobody@example.org/disable",
    "enable": "/api/v1/users/nobody@example.org/enable",
    "revoke sessions": "/api/v1/users/nobody@example.org/revoke-sessions",
}
CHANGE = {"kind": "change", "id": "tone", "text": "## Tone {#tone}\n\nWarm.\n"}
NEW = {"title": "T", "rationale": "R", "changes": [CHANGE]}
ASSIGN = {"owner": "grace@example.org", "reason": "cover"}

# (endpoint, body, what the message must name)
BAD_FIELDS = [
    ("create", {"rationale": "R", "changes": [CHANGE]}, '"title" is required'),
    ("create", {**NEW, "title": 5}, '"title" must be a string, not an integer'),
    ("create", {**NEW, "rationale": None}, '"rationale" is required'),
    ("create", {**NEW, "changes": "x"}, '"changes" must be a list, not a string'),
    ("create", {**NEW, "changes": [5]}, '"changes[0]" must be a JSON object, not an integer'),
    ("create", {**NEW, "changes": [CHANGE, {"kind": "change"}]}, '"changes[1].id" is required'),
    ("create", {**NEW, "changes": [{**CHANGE, "kind": "edit"}]}, '"changes[0].kind" must be one of'),
    ("create", {**NEW, "changes": [{**CHANGE, "text": 3}]}, '"changes[0].text" must be a string'),
    ("create", {**NEW, "draft": "yes"}, '"draft" must be true or false, not a string'),
    ("revise", {"note": "n"}, '"changes" is required'),
    ("revise", {"changes": [CHANGE], "note": []}, '"note" must be a string, not a list'),
    ("revise", {"changes": [CHANGE], "revision": "1"}, '"revision" must be an integer, not a string'),
    ("revise", {"changes": [CHANGE], "revision": 0}, '"revision" must be at least 1'),
    ("comment", {}, '"text" is required'),
    ("comment", {"text": {"a": 1}}, '"text" must be a string, not an object'),
    ("review", {"comment": "ok"}, '"kind" is required'),
    ("review", {"kind": "maybe"}, '"kind" must be one of'),
    ("review", {"kind": "approve", "comment": 1}, '"comment" must be a string'),
    ("review", {"kind": "approve", "revision": "2"}, '"revision" must be an integer, not a string'),
    ("review", {"kind": "approve", "revision": True}, '"revision" must be an integer, not true or false'),
    ("review", {"kind": "approve", "revision": 1.5}, '"revision" must be an integer, not a number'),
    ("review", {"kind": "approve", "revision": 0}, '"revision" must be at least 1'),
    ("dismiss", {}, '"reason" is required'),
    ("dismiss", {"reason": 1}, '"reason" must be a string'),
    ("withdraw", {"reason": ["later"]}, '"reason" must be a string, not a list'),
    ("reject", {}, '"reason" is required'),
    ("assign", {"reason": "cover"}, '"owner" is required'),
    ("unassign", {**ASSIGN, "reason": 3}, '"reason" must be a string'),
    ("acknowledge commit", {}, '"reason" is required'),
    ("acknowledge rewrite", {"reason": False}, '"reason" must be a string, not true or false'),
    ("add user", {"name": "X"}, '"email" is required'),
    ("add user", {"email": "x@example.org", "name": "X", "role": "owner"}, '"role" must be one of'),
    ("add user", {"email": "x@example.org", "name": "X", "password": 12345678}, '"password" must be a string'),
    ("role", {}, '"role" is required'),
    ("password", {"password": ["a long passphrase"]}, '"password" must be a string, not a list'),
]
NOT_OBJECTS = [([], "not a list"), ("text", "not a string"), (42, "not an integer"), (None, "not null")]
CELLS = [(e, body, f"the body must be a JSON object, {why}") for e in ENDPOINTS for body, why in NOT_OBJECTS]


def _post(gov, endpoint: str, **kwargs):
    response = gov.app.test_client().post(ENDPOINTS[endpoint], headers=gov.api("root"), **kwargs)
    return response.status_code, response.get_json()


@pytest.mark.parametrize(("endpoint", "body", "message"), BAD_FIELDS + CELLS,
                         ids=[f"{e}-{i}" for i, (e, _b, _m) in enumerate(BAD_FIELDS + CELLS)])
def test_a_malformed_write_body_is_400_bad_request_naming_the_field(shared_gov, endpoint, body, message):
    status, data = _post(shared_gov, endpoint, data=json.dumps(body), content_type="application/json")
    assert (status, data["error"]) == (400, "bad_request"), data
    assert message in data["message"]


@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
def test_a_write_body_that_is_not_json_is_400_bad_request(shared_gov, endpoint):
    status, data = _post(shared_gov, endpoint, data="{oops", content_type="application/json")
    assert (status, data["error"]) == (400, "bad_request")
    assert "not valid JSON" in data["message"]


def test_endpoints_that_read_no_body_still_accept_an_empty_one(shared_gov):
    n = shared_gov.propose()
    response = shared_gov.app.test_client().post(f"/api/v1/proposals/{n}/withdraw", headers=shared_gov.api("ada"))
    assert (response.status_code, response.get_json()["state"]) == (200, "withdrawn")


def test_fields_the_schema_does_not_name_are_ignored_and_defaults_filled_in():
    schema = {"kind": Field(str, required=True), "note": Field(str, default="")}
    assert validate({"kind": "a", "extra": [1]}, schema) == {"kind": "a", "note": ""}
    with pytest.raises(BadRequest, match='"items\\[2\\].kind" is required'):
        validate({"items": [{"kind": "a"}, {"kind": "b"}, {}]}, {"items": Field(list, items=schema)})

"""The proposal endpoints' part of the OpenAPI document (docs/proposals.md describes the bodies)."""
from __future__ import annotations

from typing import Any

from registry.models import STATES
from registry.web.openapi import BOOL, INT, NSTR, OBJ, STR, _array, _obj, _op, _param, _ref, _write

N = {"name": "n", "in": "path", "required": True, "description": "The proposal's number.", "schema": INT}
KIND = {"enum": ["change", "add", "remove", "file"],
        "description": "file replaces a governance file: id is OWNERS.toml, policy.toml, specreg.toml or frameworks.toml, "
                       "text its whole new content"}
CHANGE = _obj(kind=KIND, id=STR, text=NSTR, document=NSTR, after=NSTR)
STATE = _obj(id=INT, state={"enum": list(STATES)})
SHORTFALL = _obj(id=STR, rule=STR, needed=INT, eligible=_array(STR))
REASON = _obj(reason=STR)
CHECK_REPORT = _obj(name=STR, status={"enum": ["pending", "success", "failure"]}, revision=INT, url=NSTR,
                    summary=STR, time=STR, recorded=BOOL, unrecorded=NSTR)


def add_proposals(paths: dict[str, Any], schemas: dict[str, Any]) -> None:
    """Put the proposal endpoints and schemas into the document (idempotent)."""
    schemas.update(SCHEMAS)
    entry = schemas["HistoryEntry"]  # the shared base document's: changed as a copy, never in place
    schemas["HistoryEntry"] = {**entry, "properties": {**entry["properties"], "proposal": {"type": ["integer", "null"]}}}
    paths.update(PATHS)


SCHEMAS: dict[str, Any] = {}
SCHEMAS["ProposalSummary"] = _obj(id=INT, title=STR, state=STR, proposer=OBJ, created_at=STR, updated_at=STR,
                                  revision=INT, clauses=_array(STR), commit=NSTR)
SCHEMAS["Proposal"] = _obj(id=INT, title=STR, rationale=STR, state=STR, proposer=OBJ, created_at=STR,
                           updated_at=STR, revision=INT, closed_reason=NSTR, merge={"type": ["object", "null"]},
                           revisions=_array(OBJ), reviews=_array(OBJ), comments=_array(OBJ),
                           policy=_obj(satisfied=BOOL, missing=_array(STR), clauses=_array(OBJ), notes=_array(STR),
                                       infeasible=_array(SHORTFALL), source=OBJ, checks=_array(OBJ)),
                           drift=_array(STR), timeline=_array(OBJ), checks=_array(CHECK_REPORT))
PATHS: dict[str, Any] = {
    # Proposals (docs/proposals.md): reads are open; writes need `Authorization: Bearer TOKEN`.
    "/api/v1/proposals": {
        **_op("Proposals, newest first", _obj(proposals=_array(_ref("ProposalSummary"))),
              [_param("state", "query", "Only proposals in this state."),
               _param("clause", "query", "Only proposals touching this clause id.")], (400,)),
        **_write("Open a proposal (or a draft)", {**_obj(title=STR, rationale=STR, changes=_array(CHANGE)),
                                                  "properties": {"title": STR, "rationale": STR,
                                                                 "changes": _array(CHANGE), "draft": BOOL}},
                 _obj(id=INT, state={"enum": list(STATES)}, infeasible=_array(SHORTFALL)), [], 201)},
    "/api/v1/proposals/{n}": _op("One proposal: revisions, reviews, comments, policy status", _ref("Proposal"),
                                 [N], (404,)),
    "/api/v1/proposals/{n}/revisions": _write(
        "A new revision; earlier approvals become stale. 409 stale_revision when `revision` (the revision "
        "the author started from) is no longer the current one; nothing is recorded then",
        {**_obj(changes=_array(CHANGE)), "properties": {"changes": _array(CHANGE), "note": STR,
                                                        "revision": {**INT, "minimum": 1}}}, STATE, [N], 201),
    "/api/v1/proposals/{n}/comments": _write("Comment", _obj(text=STR), STATE, [N], 201),
    "/api/v1/proposals/{n}/reviews": _write(
        "Approve (as an owner of the clauses it touches) or request changes; 409 stale_revision when "
        "`revision` (the revision the reviewer read) is no longer the current one",
        {**_obj(kind={"enum": ["approve", "request_changes"]}), "properties": {
            "kind": {"enum": ["approve", "request_changes"]}, "comment": STR,
            "revision": {**INT, "minimum": 1}}}, STATE, [N], 201),
    "/api/v1/proposals/{n}/checks": _write(
        "Report a check (an evaluation run, a CI job) on a revision; a token with the `checks` scope suffices. "
        "400 for a bad name, status or url or a revision the proposal does not have; 403 for the proposer or "
        "a revision author; 409 once the proposal is merged, withdrawn or rejected",
        {**_obj(name=STR, status={"enum": ["pending", "success", "failure"]}, revision={**INT, "minimum": 1}),
         "properties": {"name": {**STR, "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"},
                        "status": {"enum": ["pending", "success", "failure"]},
                        "revision": {**INT, "minimum": 1}, "url": NSTR, "summary": STR}},
        _obj(id=INT, state={"enum": list(STATES)}, check=INT), [N], 201),
    "/api/v1/proposals/{n}/withdraw-veto": _write("Withdraw your own request for changes", None, STATE, [N]),
    "/api/v1/proposals/{n}/reviews/{review_id}/dismiss": _write(
        "Dismiss a request for changes (admins)", REASON, STATE,
        [N, {**N, "name": "review_id", "description": "The review's id."}]),
    "/api/v1/proposals/{n}/submit": _write("Open a draft for review", None, STATE, [N]),
    "/api/v1/proposals/{n}/withdraw": _write("The proposer (or an admin) withdraws it",
                                             {"type": "object", "properties": {"reason": STR}}, STATE, [N]),
    "/api/v1/proposals/{n}/reject": _write("An owner of a touched clause or an admin rejects it", REASON, STATE, [N]),
    "/api/v1/proposals/{n}/merge": _write(
        "Merge an approved proposal: one commit, policy re-checked; 409 names the unmet rule or the conflict",
        None, _obj(id=INT, state=STR, commit=NSTR), [N]),
    "/api/v1/review-queue": {"get": {**_op("Proposals waiting for the token owner's approval",
                                           _obj(proposals=_array(OBJ)), [], (401,))["get"],
                                     "security": [{"token": []}]}},
    "/api/v1/me": {"get": {**_op("The token's account", _obj(email=STR, name=STR, role=STR), [], (401,))["get"],
                           "security": [{"token": []}]}},
}

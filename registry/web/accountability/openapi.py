"""The accountability endpoints' part of the OpenAPI document (docs/accountability.md describes them)."""
from __future__ import annotations

from typing import Any

from registry.web.openapi import BOOL, INT, NSTR, OBJ, STR, _array, _obj, _op, _param, _ref, _write
from registry.web.proposals.openapi import REASON, N

ACK = _obj(id=INT, name=STR, email=STR, at=STR, reason=STR)
SCHEMAS: dict[str, Any] = {
    "Acknowledgement": ACK,
    "UnapprovedChange": _obj(commit=STR, date=STR, author=STR, author_email=STR, subject=STR, clauses=_array(STR),
                             unreadable=_array(STR), governance_files=_array(STR), pre_governance=BOOL,
                             seq=INT, acknowledged=BOOL, acknowledgements=_array(_ref("Acknowledgement"))),
    "AuditEvent": _obj(id=INT, at=STR, actor=STR, action=STR, subject=STR, old={}, new={}, link=NSTR),
    "GovernanceStart": _obj(start=NSTR, commit=NSTR, warnings=_array(STR)),
    "HistoryRewrite": _obj(id=INT, seq=INT, detected_at=STR, old_head=STR, new_head=STR, fork=NSTR,
                           set_aside=_array(_obj(commit=STR, seq=INT, date=STR, author=STR, subject=STR)),
                           acknowledged=BOOL, acknowledgements=_array(_ref("Acknowledgement"))),
    "InForce": _obj(id=STR, at=STR, text=STR, commit=STR, owners=_array(OBJ),
                    proposal={"oneOf": [{"type": "null"}, _obj(id=INT, title=STR, rationale=STR, proposer=OBJ,
                                                                policy=_obj(path=STR, commit=NSTR, defaults=BOOL,
                                                                            text=NSTR))]},
                    approvers=_array(_obj(name=STR, email=STR, time=STR, meaning=STR)), uncounted=_array(OBJ),
                    unapproved=BOOL, pre_governance=BOOL,
                    unapproved_governance=_array(_obj(path=STR, commit=STR, acknowledged=BOOL)),
                    next_change={"oneOf": [{"type": "null"}, _obj(commit=STR, date=STR, kinds=_array(STR), id=STR,
                                                                   proposal={"type": ["integer", "null"]},
                                                                   unapproved=BOOL, pre_governance=BOOL)]}),
}
COMMIT = _param("commit", "path", "The unapproved commit's sha (or a unique prefix of at least 4 hex digits).")
PATHS: dict[str, Any] = {
    "/api/v1/unapproved": _op("Commits that changed clauses or governance files without a merged proposal, and "
                              "history rewrites",
                              _obj(changes=_array(_ref("UnapprovedChange")), rewrites=_array(_ref("HistoryRewrite")),
                                   governance=_ref("GovernanceStart")),
                              [_param("since", "query", "Only changes after this REF (tag, commit or date)."),
                               _param("until", "query", "Only changes up to this REF."),
                               _param("pre_governance", "query", "1 (or true) also lists the commits before "
                                                                 "policy.toml's [governance] start.")], (400, 404)),
    "/api/v1/unapproved/{commit}/acknowledge": _write(
        "An admin records why an unapproved change is accepted (it stays flagged)", REASON,
        _obj(commit=STR, acknowledgement=_ref("Acknowledgement"), unapproved=BOOL), [COMMIT], 201),
    "/api/v1/rewrites/{n}/acknowledge": _write(
        "An admin records why a history rewrite is accepted", REASON,
        _obj(rewrite=INT, acknowledgement=_ref("Acknowledgement")), [{**N, "description": "The rewrite's number."}],
        201),
    "/api/v1/clauses/{id}/in-force": _op(
        "The clause's text in force at a moment, its owners then, and the proposal and approvals behind it",
        _ref("InForce"),
        [_param("id", "path", "The clause id as it was at that moment, or its id now."),
         _param("at", "query", "The moment: an ISO date (end of that day, UTC) or datetime (UTC unless it says), "
                               "or a tag or commit.", True)], (400, 404)),
    "/api/v1/audit": {"get": {**_op(
        "The audit trail, newest first, a page (100 events) at a time (admins only, with a bearer token)",
        _obj(events=_array(_ref("AuditEvent")), next=NSTR),
        [_param("actor", "query", "Only events by this actor (an email, exactly)."),
         _param("action", "query", "Only this action, e.g. proposal.merge."),
         _param("subject", "query", "Only events about this subject, e.g. proposal:9, clause:be_brief."),
         _param("since", "query", "Only events at or after this ISO date (from its start, UTC) or datetime."),
         _param("until", "query", "Only events at or before this ISO date (to its end, UTC) or datetime."),
         _param("before", "query", "Only events with a smaller id: the keyset `next` carries.")],
        (400, 401, 403))["get"], "security": [{"token": []}]}},
}


def add_accountability(paths: dict[str, Any], schemas: dict[str, Any]) -> None:
    """Put the accountability endpoints and schemas into the document (idempotent)."""
    schemas.update(SCHEMAS)
    paths.update(PATHS)

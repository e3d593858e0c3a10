"""The evidence endpoints' part of the OpenAPI document (docs/evidence.md describes the bodies)."""
from __future__ import annotations

from typing import Any

from registry.web.openapi import AT, BOOL, FROM, INT, NSTR, OBJ, STR, TO, _array, _obj, _op, _param, _ref

_PROMPT = _obj(name=STR, path=STR, exists=BOOL, title=STR)
_CLAUSE = _obj(id=STR, title=STR, document=STR)
_WITH = _obj(id=STR, title=STR, document=STR, prompts=_array(_PROMPT))
_BOUND = _obj(ref=STR, commit=STR, date=STR)

SCHEMAS: dict[str, Any] = {
    "Coverage": _obj(clauses=INT, covered=INT, uncovered=INT, share={"type": "number"},
                     with_prompts=_array(_WITH), without_prompts=_array(_CLAUSE), missing_files=_array(_WITH)),
    "ReportChange": _obj(seq=INT, commit=STR, date=STR, author=STR, author_email=STR, subject=STR, id=STR,
                         previous_id=NSTR, title=STR, document=STR, changes=_array(STR),
                         proposal={"type": ["object", "null"]},
                         approvers=_array(_obj(name=STR, email=STR, time=STR, meaning=STR)),
                         owners=_array(_obj(name=STR, email=STR, team=NSTR, source=STR)), unapproved=BOOL,
                         pre_governance=BOOL, prompts=_array(STR)),
    "EvidenceReport": _obj(
        report=STR, range=_obj(kind={"enum": ["release", "range"]}, release=NSTR,
                               **{"from": {"oneOf": [{"type": "null"}, _BOUND]}, "to": _BOUND}, commits=INT),
        generated_at=STR, repo=_obj(branch=NSTR, head=NSTR, date=NSTR), audit_head=_obj(seq=INT, hash=STR),
        counts=OBJ, changes=_array(_ref("ReportChange")), proposals=_array(OBJ),
        unapproved=_array(_ref("UnapprovedChange")), unowned=OBJ, coverage=_ref("Coverage"),
        governance=_ref("GovernanceStart"),
        verify=_obj(ok=BOOL, findings=_array(_obj(check=STR, where=STR, message=STR)))),
}
RELEASE = _param("release", "query", "A release tag: the report covers the commits after the previous tag up to it.")
PATHS: dict[str, Any] = {
    "/api/v1/report": _op(
        "The evidence report for a release, or for the commits after `from` up to `to` (default: the head)",
        _ref("EvidenceReport"), [RELEASE, {**FROM, "description": "Start after this ref (exclusive)."},
                                 {**TO, "description": "End at this ref (inclusive; default: the head)."}],
        (400, 401, 404)),
    "/api/v1/coverage": _op("Which clauses cite evaluation prompts, and which have none",
                            {"allOf": [_obj(at=_obj(ref=STR, commit=STR)), _ref("Coverage")]}, [AT], (404,)),
}


def add_evidence(paths: dict[str, Any], schemas: dict[str, Any]) -> None:
    """Put the evidence endpoints and schemas into the document (idempotent)."""
    schemas.update(SCHEMAS)
    paths.update(PATHS)

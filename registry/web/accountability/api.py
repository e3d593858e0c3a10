"""Accountability endpoints of the JSON API: unapproved changes, acknowledgements, in force at a moment, the
audit trail (admins).

Reads are open like the rest of the API; acknowledging needs `Authorization: Bearer TOKEN` (an admin).
"""
from __future__ import annotations

from flask import Blueprint, Response, jsonify, request, url_for

from registry.accountability.acknowledge import acknowledge_commit, acknowledge_rewrite, find_commit
from registry.accountability.audit_trail import audit_events, parse_filter
from registry.accountability.in_force import in_force as clause_in_force
from registry.accountability.unapproved import history_rewrites, seq_range, unapproved_changes
from registry.db import get_session
from registry.errors import BadRequest
from registry.history.governance import governance_start
from registry.web.accountability.pages import subject_url
from registry.web.auth import current_actor
from registry.web.bodies import REASON, json_body

bp = Blueprint("accountability_api", __name__, url_prefix="/api/v1")


def _reason() -> str:
    return json_body(REASON)["reason"]


@bp.get("/unapproved")
def unapproved() -> Response:
    """{"changes", "rewrites", "governance"}, oldest first; `since` and `until` (REFs) narrow the range,
    `pre_governance=1` lists the commits before governance began too."""
    session = get_session()
    since, until = seq_range(session, request.args.get("since"), request.args.get("until"))
    changes = unapproved_changes(session, since, until, _flag("pre_governance"))
    return jsonify({"changes": [c.as_dict() for c in changes],
                    "rewrites": [r.as_dict() for r in history_rewrites(session, since, until)],
                    "governance": governance_start(session).as_dict()})


def _flag(name: str) -> bool:
    """A yes/no query argument: 1/true or 0/false (absent: no); anything else is a 400."""
    value = request.args.get(name, "0").lower()
    if value not in ("0", "1", "true", "false"):
        raise BadRequest(f"{name} must be 1 or 0 (true or false), not {value!r}")
    return value in ("1", "true")


@bp.post("/unapproved/<commit>/acknowledge")
def acknowledge(commit: str) -> tuple[Response, int]:
    """An admin's reason for an unapproved commit: 201 {"commit", "acknowledgement", "unapproved"}."""
    session = get_session()
    reason = _reason()
    sha = find_commit(session, commit).sha
    ack = acknowledge_commit(session, current_actor(), sha, reason)
    session.commit()
    return jsonify({"commit": sha, "acknowledgement": ack.as_dict(), "unapproved": True}), 201


@bp.post("/rewrites/<int:n>/acknowledge")
def acknowledge_rewrite_api(n: int) -> tuple[Response, int]:
    """An admin's reason for a history rewrite: 201 {"rewrite", "acknowledgement"}."""
    ack = acknowledge_rewrite(get_session(), current_actor(), n, _reason())
    get_session().commit()
    return jsonify({"rewrite": n, "acknowledgement": ack.as_dict()}), 201


@bp.get("/clauses/<id>/in-force")
def in_force(id: str) -> Response:
    """The clause's text in force at `at` (required): the `specreg in-force --json` object."""
    at = request.args.get("at", "").strip()
    if not at:
        raise BadRequest("give the moment: ?at=2025-03-14T09:30Z (an ISO date or datetime, a tag or a commit)")
    return jsonify(clause_in_force(get_session(), id, at).as_dict())


@bp.get("/audit")
def audit() -> Response:
    """{"events", "next"}: audit events newest first, filtered by actor, action, subject, since and until;
    `next` is the URL of the page after (keyset on the event id), null on the last page. Admins only."""
    wanted = parse_filter(request.args.to_dict())
    page = audit_events(get_session(), current_actor(), wanted)
    after = url_for("accountability_api.audit", **wanted.after(page.next_before)) if page.next_before else None
    return jsonify({"events": [e.as_dict() | {"link": subject_url(e)} for e in page.events], "next": after})

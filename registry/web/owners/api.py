"""Owner endpoints of the JSON API: reads are open; assigning needs an admin's bearer token."""
from __future__ import annotations

from flask import Blueprint, Response, jsonify

from registry.db import get_session
from registry.owners import assignments
from registry.owners.history import team_history
from registry.owners.queries import clause_ownership_history, owned_by, owner_index, point_dict, unowned, who_owns
from registry.web.auth import current_actor
from registry.web.bodies import Field, Schema, json_body
from registry.web.owners.pages import as_of

bp = Blueprint("owners_api", __name__, url_prefix="/api/v1")
ASSIGN: Schema = {"owner": Field(str, required=True), "reason": Field(str, required=True)}


@bp.get("/clauses/<id>/owners")
def clause_owners(id: str) -> Response:
    """{"id", "at", "owners": [{"name", "email", "team", "source", "since"}]}."""
    return jsonify(who_owns(get_session(), id, as_of()).as_dict())


@bp.get("/clauses/<id>/owners/history")
def clause_owner_history(id: str) -> Response:
    """{"id", "at", "history": [...]}: every change of the clause's owners."""
    point = as_of()
    history = clause_ownership_history(get_session(), id, point)
    return jsonify({"id": id, "at": point_dict(point), "history": [c.as_dict() for c in history]})


@bp.post("/clauses/<id>/owners/assign", defaults={"action": "assign"})
@bp.post("/clauses/<id>/owners/unassign", defaults={"action": "unassign"})
def change_owner(id: str, action: str) -> tuple[Response, int]:
    """{"owner", "reason"}: add a registry owner or end an assignment (admins); 201 with the record."""
    data, session = json_body(ASSIGN), get_session()
    row = getattr(assignments, action)(session, current_actor(), id, data["owner"], data["reason"])
    result = assignments.assignment_dict(session, row)
    session.commit()
    return jsonify(result), 201


@bp.get("/owners")
def owners() -> Response:
    """{"at", "owners": [...]}: every person and team with their clause counts."""
    point = as_of()
    return jsonify({"at": point_dict(point), "owners": [o.as_dict() for o in owner_index(get_session(), point)]})


@bp.get("/owners/<who>")
def owner(who: str) -> Response:
    """The owned-by answer; a team's also carries its membership history."""
    session, point = get_session(), as_of()
    result = owned_by(session, who, point)
    data = result.as_dict()
    if result.owner.kind == "team":
        data["members"] = [c.as_dict() for c in team_history(session, result.owner.name, point.seq)]
    return jsonify(data)


@bp.get("/unowned")
def unowned_clauses() -> Response:
    """{"at", "total", "unowned", "share", "text_share", "clauses": [...]}."""
    return jsonify(unowned(get_session(), as_of()).as_dict())

"""Owner pages: the owners index, a page per person and team, the unowned report, a clause's owners.

Every page honours `?at=REF`. A clause's owners page carries, for admins at the head, the forms
that assign and unassign registry owners (POST with the CSRF token, then back to the page).
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from registry.db import get_session
from registry.errors import BadRequest
from registry.ledger.refs import Point
from registry.owners import assignments, permissions
from registry.owners.history import team_history
from registry.owners.queries import owned_by, owner_index, unowned, who_owns
from registry.owners.resolution import describe_source
from registry.paging import page_of
from registry.proposals.feasibility import policy_check
from registry.web.auth import current_actor
from registry.web.context import current_as_of, page_arg

bp = Blueprint("owners", __name__)


def as_of() -> Point:
    """The request's point: `?at=REF`, default the head (shared with every page: banner, links)."""
    return current_as_of().point


@bp.get("/owners")
def index() -> str:
    """People and teams with how many clauses each owns, and the clauses too few of them may approve."""
    point = as_of()
    return render_template("owners/index.html", point=point, owners=owner_index(get_session(), point),
                           check=policy_check(get_session(), point))


@bp.get("/owners/<who>")
def owner(who: str) -> str:
    """A person's or a team's clauses; a team also shows its membership history."""
    session, point = get_session(), as_of()
    result = owned_by(session, who, point)
    members = team_history(session, result.owner.name, point.seq) if result.owner.kind == "team" else []
    return render_template("owners/owner.html", point=point, result=result, members=members,
                           shown=page_of(result.clauses, page_arg()))


@bp.get("/unowned")
def unowned_report() -> str:
    """Clauses nobody owns and their share of the spec."""
    point = as_of()
    report = unowned(get_session(), point)
    return render_template("owners/unowned.html", point=point, report=report,
                           shown=page_of(report.clauses, page_arg()))


@bp.get("/clauses/<id>/owners")
def clause(id: str, **refused: Any) -> str:
    """A clause's owners, where each came from, its ownership history and (admins) the assignment forms."""
    session, point, actor = get_session(), as_of(), current_actor()
    # The forms act on the clause as it is now, so they are offered only on the page that shows it now.
    manage = point.is_head and all(permissions.clause_actions(actor).values())
    return render_template("owners/clause.html", point=point, owners=who_owns(session, id, point),
                           assigned=assignments.assigned_owners(session, id) if manage else None, **refused)


@bp.post("/clauses/<id>/owners/assign", defaults={"action": "assign"})
@bp.post("/clauses/<id>/owners/unassign", defaults={"action": "unassign"})
def change(id: str, action: str) -> Response | tuple[str, int]:
    """Assign a registry owner or end an assignment (admins), then back to the clause's owners."""
    form, session = request.form, get_session()
    try:
        row = getattr(assignments, action)(session, current_actor(), id, form.get("owner", ""),
                                           form.get("reason", ""))
    except BadRequest as exc:  # nothing was recorded: the page again, with the reason and what was typed
        session.rollback()
        kept = {"action": action, "owner": form.get("owner", ""), "reason": form.get("reason", "")}
        return clause(id, error=exc.message, kept=kept), exc.status
    done = assignments.assignment_dict(session, row)
    session.commit()
    flash(f"{action.capitalize()}ed {done['owner']} {'to' if action == 'assign' else 'from'} {done['id']}.")
    return redirect(url_for("owners.clause", id=done["id"]))


@bp.app_context_processor
def owner_permissions() -> dict[str, bool]:
    """`may_assign_owners` for every page (the clause page links the forms): the same rule as the use cases."""
    return {"may_assign_owners": all(permissions.clause_actions(current_actor()).values())}


@bp.app_template_filter("owner_source")
def owner_source(source: str) -> str:
    """An owner's source in words ("inherited from document spec/a.md")."""
    return describe_source(source)

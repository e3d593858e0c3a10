"""Clause pages: the clause, a diff between two of its versions, and its blame."""
from __future__ import annotations

from flask import Blueprint, render_template, request

from registry.accountability.governed import governance_of, governed_blame, governed_diff
from registry.db import get_session
from registry.frameworks.coverage import clause_items
from registry.history.clause_detail import clause_detail
from registry.owners.queries import who_owns
from registry.web.context import current_as_of, diff_view, redirect_former_id

bp = Blueprint("clauses", __name__, url_prefix="/clauses")
bp.before_request(redirect_former_id)


@bp.get("/<id>")
def show(id: str) -> str:
    """The clause at the as-of point: rendered text, neighbours, owners, prompts, framework items and history."""
    session, point = get_session(), current_as_of().point
    detail = clause_detail(session, id, point)
    return render_template("clause.html", detail=detail, clause_owners=who_owns(session, id, point),
                           governance=governance_of(session, detail.history),
                           framework_items=clause_items(session, detail.current_id, point))


@bp.get("/<id>/diff")
def diff(id: str) -> str:
    """A word-level diff between two versions (default: the latest change up to the as-of point)."""
    g = governed_diff(get_session(), id, request.args.get("from"), request.args.get("to"),
                      current_as_of().point)
    return render_template("diff.html", d=g.diff, governance=g.governance, id=id, view=diff_view())


@bp.get("/<id>/blame")
def blame(id: str) -> str:
    """Each line of the clause text with the version and commit that last changed it."""
    return render_template("blame.html", governed=governed_blame(get_session(), id, current_as_of().point), id=id)

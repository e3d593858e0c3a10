"""Owner pages: the owners index, a page per person and team, the unowned report, a clause's owners.

Every page honours `?at=REF`. Assigning owners from the web waits for accounts (issue 5).
"""
from __future__ import annotations

from datetime import datetime

from flask import Blueprint, render_template

from registry.db import get_session
from registry.owners import owned_by, owner_index, unowned, who_owns
from registry.owners_history import team_history
from registry.ownership import describe_source
from registry.refs import Point
from registry.web.context import current_as_of

bp = Blueprint("owners", __name__)


def as_of() -> Point:
    """The request's point: `?at=REF`, default the head (shared with every page: banner, links)."""
    return current_as_of().point


@bp.get("/owners")
def index() -> str:
    """People and teams with how many clauses each owns."""
    point = as_of()
    return render_template("owners/index.html", point=point, owners=owner_index(get_session(), point))


@bp.get("/owners/<who>")
def owner(who: str) -> str:
    """A person's or a team's clauses; a team also shows its membership history."""
    session, point = get_session(), as_of()
    result = owned_by(session, who, point)
    members = team_history(session, result.owner.name, point.seq) if result.owner.kind == "team" else []
    return render_template("owners/owner.html", point=point, result=result, members=members)


@bp.get("/unowned")
def unowned_report() -> str:
    """Clauses nobody owns and their share of the spec."""
    point = as_of()
    return render_template("owners/unowned.html", point=point, report=unowned(get_session(), point))


@bp.get("/clauses/<id>/owners")
def clause(id: str) -> str:
    """A clause's owners, where each came from, and its ownership history."""
    point = as_of()
    return render_template("owners/clause.html", point=point, owners=who_owns(get_session(), id, point))


@bp.app_template_filter("owner_source")
def owner_source(source: str) -> str:
    """An owner's source in words ("inherited from document spec/a.md")."""
    return describe_source(source)


@bp.app_template_filter("owner_date")
def owner_date(moment: datetime | None) -> str:
    """A date for owner pages: ISO, to the minute, UTC."""
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else ""

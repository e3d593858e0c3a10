"""Framework pages: every framework at the as-of point, and one framework's items with their clauses."""
from __future__ import annotations

from flask import Blueprint, render_template

from registry.db import get_session
from registry.frameworks.coverage import framework_coverage, framework_index
from registry.web.context import current_as_of

bp = Blueprint("frameworks", __name__, url_prefix="/frameworks")


@bp.get("")
def index() -> str:
    """The frameworks in frameworks.toml at the as-of point, with how many items clauses answer."""
    point = current_as_of().point
    return render_template("frameworks/index.html", frameworks=framework_index(get_session(), point), point=point)


@bp.get("/<name>")
def show(name: str) -> str:
    """One framework: each item with the clauses answering it, the uncovered items, the clauses answering none."""
    return render_template("frameworks/show.html", cov=framework_coverage(get_session(), name, current_as_of().point))

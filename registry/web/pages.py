"""HTML pages."""
from __future__ import annotations

from flask import Blueprint, render_template

from registry.db import get_session
from registry.queries import list_clauses
from registry.refs import resolve

bp = Blueprint("pages", __name__)


@bp.get("/")
def home() -> str:
    """The spec's documents and their clauses."""
    session = get_session()
    point = resolve(session, None)
    views = list_clauses(session, point)
    documents: dict[str, list] = {}
    for v in views:
        documents.setdefault(v.document, []).append(v)
    return render_template("home.html", point=point, documents=documents)

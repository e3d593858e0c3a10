"""The read-side JSON API under /api/v1: the same use cases as the pages, as JSON."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request
from werkzeug.wrappers import Response

from registry.accountability.changelog_review import reviewed_changelog
from registry.accountability.governed import governed_blame, governed_history
from registry.db import get_session
from registry.history.clause_detail import clause_detail
from registry.history.diffs import version_diff
from registry.history.documents import clauses_page
from registry.history.queries import clause_summaries
from registry.history.releases import changelog as build_changelog
from registry.history.releases import list_releases
from registry.history.search import search as run_search
from registry.ledger.refs import iso
from registry.web.context import current_as_of, page_arg, page_url, redirect_former_id
from registry.web.openapi import openapi_document

bp = Blueprint("api", __name__, url_prefix="/api/v1")
bp.before_request(redirect_former_id)


def _at() -> dict[str, Any]:
    a = current_as_of()
    return {"ref": a.point.ref, "commit": a.point.sha, "date": iso(a.date), "head": a.is_head}


@bp.get("/clauses")
def clauses() -> Response:
    """Every clause in force at `at` (default: the head); `?page=N` answers 500 a page with a `next` link."""
    if "page" not in request.args:  # the whole list, as before paging existed
        views = clause_summaries(get_session(), current_as_of().point)
        return jsonify({"at": _at(), "clauses": [v.summary() for v in views], "total": len(views),
                        "page": None, "pages": None, "next": None})
    page = clauses_page(get_session(), current_as_of().point, page_arg())
    w = page.window
    return jsonify({"at": _at(), "clauses": [v.summary() for v in page.items], "total": w.total,
                    "page": w.number, "pages": w.pages, "next": page_url(w.next) if w.next else None})


@bp.get("/clauses/<id>")
def clause(id: str) -> Response:
    """One clause at `at`: the `specreg show` fields plus neighbours, former ids and prompts."""
    return jsonify(clause_detail(get_session(), id, current_as_of().point).as_dict())


@bp.get("/clauses/<id>/history")
def history(id: str) -> Response:
    """Every version of the clause, oldest first: the `specreg history` fields."""
    entries = governed_history(get_session(), id)
    return jsonify({"id": id, "versions": [e.as_dict() for e in entries]})


@bp.get("/clauses/<id>/blame")
def blame(id: str) -> Response:
    """Each line of the clause text at `at` with the commit, proposal and approvals that last changed it."""
    return jsonify(governed_blame(get_session(), id, current_as_of().point).as_dict())


@bp.get("/clauses/<id>/diff")
def diff(id: str) -> Response:
    """Word-level diff between refs `from` and `to` (defaults: the clause's latest change)."""
    d = version_diff(get_session(), id, request.args.get("from"), request.args.get("to"),
                     current_as_of().point)
    return jsonify(d.as_dict())


@bp.get("/releases")
def releases() -> Response:
    """Tags on the branch, newest first."""
    return jsonify({"releases": [r.as_dict() for r in list_releases(get_session())]})


@bp.get("/changelog")
def changelog() -> Response:
    """Clauses added, removed, renamed, moved and modified between refs `from` and `to`; `?page=N` answers
    15 a page, each with its prose diff, the versions and governance behind it and its prompts."""
    if "page" not in request.args:  # every clause, without diffs, as before paging existed
        log = build_changelog(get_session(), request.args.get("from"), request.args.get("to"))
        return jsonify(log.as_dict() | {"total": len(log.entries), "page": None, "pages": None, "next": None,
                                        "no_prompt": None})
    r = reviewed_changelog(get_session(), request.args.get("from"), request.args.get("to"), page_arg())
    w = r.window
    return jsonify(r.log.as_dict() | {"clauses": [c.as_dict() for c in r.changes], "total": w.total,
                                      "page": w.number, "pages": w.pages,
                                      "next": page_url(w.next) if w.next else None, "no_prompt": r.unprompted})


@bp.get("/search")
def search() -> Response:
    """Full-text search `q` at `at`; `past=1` searches every earlier version too."""
    results = run_search(get_session(), request.args.get("q", ""), current_as_of().point,
                         request.args.get("past") == "1")
    return jsonify(results.as_dict())


@bp.get("/openapi.json")
def openapi() -> Response:
    """The OpenAPI 3.1 description of this API."""
    return jsonify(openapi_document())

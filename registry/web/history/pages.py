"""Spec-wide pages: home, search, releases and changelogs, activity, evaluation prompts."""
from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from registry.accountability.changelog_review import reviewed_changelog
from registry.accountability.overview import spec_overview
from registry.db import get_session
from registry.errors import BadRequest
from registry.history.activity import spec_activity
from registry.history.documents import document_page
from registry.history.prompts import prompt_coverage, prompt_file
from registry.history.releases import list_releases
from registry.history.search import search_page
from registry.paging import page_of
from registry.web.context import current_as_of, diff_view, page_arg
from registry.web.openapi import openapi_document, reference, schema_text

bp = Blueprint("pages", __name__)


@bp.get("/")
def home() -> str:
    """The spec's documents and clause trees, the latest releases and recent changes."""
    return render_template("home.html", overview=spec_overview(get_session(), current_as_of().point))


@bp.get("/api/docs")
def api_docs() -> str:
    """The JSON API reference, drawn on the server from the OpenAPI document (no scripts, no other hosts)."""
    doc = openapi_document()
    return render_template("api_docs.html", info=doc["info"], version=doc["openapi"], groups=reference(doc),
                           schemas=[(n, schema_text(s)) for n, s in doc["components"]["schemas"].items()],
                           errors=[(k[1:], r) for k, r in doc["components"]["responses"].items()])


@bp.get("/documents/<path:path>")
def document(path: str) -> str:
    """One document's whole clause tree at the as-of point, `?page=N` when it is huge."""
    page = document_page(get_session(), path, current_as_of().point, page_arg())
    return render_template("document.html", doc=page.document, window=page.window)


@bp.get("/search")
def search() -> str:
    """Full-text search; an empty query shows just the form."""
    q, past = request.args.get("q", "").strip(), request.args.get("past") == "1"
    found = search_page(get_session(), q, current_as_of().point, past, page_arg()) if q else None
    return render_template("search.html", q=q, past=past, found=found, results=found.results if found else None)


@bp.get("/releases")
def releases() -> str:
    """The repo's tags on the branch up to the as-of point, newest first, with links to compare them."""
    releases = list_releases(get_session(), current_as_of().point)
    return render_template("releases.html", releases=releases, shown=page_of(releases, page_arg()))


@bp.get("/releases/compare")
def compare() -> Response:
    """The compare form's target: redirect to the changelog's permanent URL."""
    old, new = request.args.get("from", ""), request.args.get("to", "")
    if not old or not new:
        raise BadRequest("choose two releases to compare")
    return redirect(url_for("pages.changelog", span=f"{old}...{new}"))


@bp.get("/releases/<path:span>")
def changelog(span: str) -> str:
    """What changed between two releases (`/releases/v1.0...v2.0`): each clause's diff, governance and prompts."""
    old, sep, new = span.partition("...")
    if not sep:
        raise BadRequest(f"compare two releases as OLD...NEW (three dots), not {span!r}")
    current_as_of()  # the span names its own points; an `at` only sets the banner and links
    reviewed = reviewed_changelog(get_session(), old, new, page_arg())
    return render_template("changelog.html", r=reviewed, view=diff_view())


@bp.get("/activity")
def activity() -> str:
    """Changes over time across the whole spec, up to the as-of point."""
    return render_template("activity.html", activity=spec_activity(get_session(), current_as_of().point))


@bp.get("/prompts")
def prompts() -> str:
    """Which clauses cite evaluation prompts, and which have none."""
    coverage = prompt_coverage(get_session(), current_as_of().point)
    return render_template("prompts.html", coverage=coverage, uncovered=page_of(coverage.uncovered, page_arg()))


@bp.get("/prompts/<name>")
def prompt(name: str) -> str:
    """One evaluation prompt at the as-of point, with the clauses that cite it."""
    return render_template("prompt.html", f=prompt_file(get_session(), name, current_as_of().point))

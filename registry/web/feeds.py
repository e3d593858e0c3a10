"""Atom feeds: the spec's clause changes, one clause, one document, the proposals (docs/web.md, "Feeds").

Anyone who may read the pages they mirror may read them: every reading page is open to anonymous
visitors, the proposals list included, so the feeds need no login either.
"""
from __future__ import annotations

from flask import Blueprint, request
from werkzeug.wrappers import Response

from registry.db import get_session
from registry.history.feeds import Feed, clause_feed, document_feed, spec_feed
from registry.proposals.feed import proposals_feed
from registry.web.atom import CONTENT_TYPE, render

bp = Blueprint("feeds", __name__, url_prefix="/feeds")


def atom(feed: Feed) -> Response:
    """The feed as an Atom response with an ETag and Last-Modified, so a polling reader gets a 304."""
    body = render(feed, request.url_root, request.base_url)
    response = Response(body, content_type=CONTENT_TYPE)
    response.add_etag()
    response.last_modified = feed.updated
    return response.make_conditional(request)


@bp.get("/spec.atom")
def spec() -> Response:
    """Every clause change on the branch, newest first."""
    return atom(spec_feed(get_session()))


@bp.get("/clauses/<id>.atom")
def clause(id: str) -> Response:
    """One clause's changes, across its former ids."""
    return atom(clause_feed(get_session(), id))


@bp.get("/documents/<path:path>.atom")
def document(path: str) -> Response:
    """Changes to one document's clauses."""
    return atom(document_feed(get_session(), path))


@bp.get("/proposals.atom")
def proposals() -> Response:
    """Proposals opened, approved, merged and rejected."""
    return atom(proposals_feed(get_session()))

"""Links pages print by the hundred (clause pages, the spec at a commit), built without a url_for each.

A list page linked every clause and commit through `url_for`, which walks the URL map, the url
defaults and the request's adapter per link: about 370 of them were most of `/unapproved`'s
template time. Here one `url_for` per request and endpoint gives the prefix (so a mount point or
SCRIPT_NAME still applies) and each link adds only its quoted id and `at`, quoted as Werkzeug does;
tests/web/test_links.py holds every link equal to `url_for`'s.
"""
from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from flask import current_app, g, url_for

# Werkzeug's query quoting (werkzeug.urls._urlencode: the WHATWG percent-encoded bytes).
_QUERY_SAFE = "!$'()*,/:;?@"
_PLACEHOLDER = "~"  # an unreserved character: no quoting changes it, so the prefix is what precedes it


def clause_href(id: str, at: str | None = None) -> str:
    """`url_for("clauses.show", id=id, at=at)`, keeping the page's as-of point when `at` is not given."""
    prefix, segment = _clause_base()
    # As registry.web.context._keep_at does for url_for: an as-of page's links stay at its point.
    return prefix + segment(id) + _query(at or g.get("at") or None)


def commit_href(sha: str) -> str:
    """`url_for("pages.home", at=sha)`: the spec browsed at a commit."""
    if "_home_base" not in g:
        g._home_base = url_for("pages.home", at=None)
    return str(g._home_base) + _query(sha)


def _clause_base() -> tuple[str, Callable[[str], str]]:
    """The clause page's URL up to its id, and the route's own quoting of the id (once per request)."""
    if "_clause_base" not in g:
        url = url_for("clauses.show", id=_PLACEHOLDER, at=None)
        to_url = current_app.url_map.converters["default"](current_app.url_map).to_url
        g._clause_base = (url[:-len(_PLACEHOLDER)], to_url)
    base: tuple[str, Callable[[str], str]] = g._clause_base
    return base


def _query(at: str | None) -> str:
    return "" if at is None else "?" + urlencode([("at", at)], safe=_QUERY_SAFE)

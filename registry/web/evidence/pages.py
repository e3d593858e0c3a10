"""The evidence report page: choose a release or a range, read it, print it, download it."""
from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, current_app, g, render_template, request, url_for
from markupsafe import Markup

from registry.accountability.verify import verify
from registry.audit.events import Finding
from registry.audit.events import head as audit_head
from registry.db import get_session
from registry.evidence.render import MEDIA_TYPES, check_format, render, render_html_body, report_css
from registry.evidence.report import EvidenceReport, evidence_report
from registry.evidence.span import report_range, require_affordable
from registry.history.releases import list_releases
from registry.models import Ledger
from registry.web.auth import current_actor
from registry.web.evidence.cache import LruCache
from registry.web.spec_repo import spec_repo

bp = Blueprint("evidence", __name__)
RANGE_ARGS = ("release", "from", "to")
VERIFY_TTL = 300.0  # seconds a report and verify's findings are kept: a SQL forgery moves no head
clock = time.monotonic  # tests move it instead of sleeping
_ENDPOINTS = {"clause": ("clauses.show", "id"), "proposal": ("proposals.show", "n"),
              "prompt": ("pages.prompt", "name")}


def chosen_range() -> dict[str, str]:
    """The release/from/to query arguments that are set."""
    return {k: v for k in RANGE_ARGS if (v := request.args.get(k, "").strip())}


def _cache() -> LruCache:
    return current_app.extensions.setdefault("specreg.report_cache", LruCache())


def _heads() -> tuple[object, ...]:
    """The database state a report and verify's findings depend on: the ledger head, the audit chain head,
    and the VERIFY_TTL window of the clock (a change made with SQL moves neither head).

    Read once per request: every key the request keeps its verify, report and renderings under names the
    same state, so a window or head that moves halfway never files an older build under a newer key."""
    if "specreg_report_heads" not in g:
        session = get_session()
        ledger = session.get(Ledger, 1)
        g.specreg_report_heads = ((ledger.head_seq, ledger.head_sha) if ledger else None, audit_head(session),
                                  int(clock() // VERIFY_TTL))
    heads: tuple[object, ...] = g.specreg_report_heads
    return heads


def _cache_key() -> tuple[object, ...]:
    """What the request's report depends on: the range as asked, the ledger head, the audit chain head."""
    args = chosen_range()
    return (args.get("release"), args.get("from"), args.get("to"), *_heads())


def verified() -> list[Finding]:
    """verify's findings, run once per ledger and audit head and VERIFY_TTL window whatever range readers
    ask for (every check reads the whole database and the spec repo: seconds of CPU on a large registry)."""
    return _cache().get_or_build(("verify", *_heads()), lambda: verify(get_session(), spec_repo()))


def report_from_request() -> EvidenceReport:
    """The report for the request's range, built once per ledger and audit state (anonymous: bounded range)."""
    args, session = chosen_range(), get_session()
    span = report_range(session, args.get("release"), args.get("from"), args.get("to"))
    require_affordable(span, current_actor() is not None)
    return _cache().get_or_build(_cache_key() + ("report",), lambda: evidence_report(
        session, args.get("release"), args.get("from"), args.get("to"), spec_repo(), findings=verified()))


def rendered(fmt: str, render_it: Callable[[EvidenceReport], str]) -> str:
    """The request's report rendered as `fmt`, kept beside it (keyed by the site's address: links are absolute)."""
    built = report_from_request()
    return _cache().get_or_build(_cache_key() + (fmt, request.host_url), lambda: render_it(built))


def links(kind: str, key: str) -> str:
    """Absolute URLs, so a printed page shows where each id can be looked up."""
    endpoint, arg = _ENDPOINTS[kind]
    # url_for's values are Any; a dict typed any narrower is checked against its _external, _anchor...
    values: dict[str, Any] = {arg: int(key) if arg == "n" else key}
    return url_for(endpoint, _external=True, **values)


def _filename(report: EvidenceReport, fmt: str) -> str:
    label = report.range.release or f"{report.range.start.ref if report.range.start else 'start'}..{report.range.end.ref}"
    return f"evidence-{re.sub(r'[^A-Za-z0-9._-]+', '-', label)}.{fmt}"


@bp.get("/report")
def report() -> str:
    """The form; with a release or from/to, the report itself and its downloads."""
    chosen = chosen_range()
    built = report_from_request() if chosen else None
    body = Markup(rendered("page", lambda r: str(render_html_body(r, links)))) if built else None
    return render_template("report.html", chosen=chosen, report=built, releases=list_releases(get_session()),
                           body=body, css=report_css())


@bp.get("/report/export")
def export() -> Response:
    """The report as a file: `format=html` (printable page), `json` or `csv`, for the same range."""
    fmt = check_format(request.args.get("format", "html"))
    built = report_from_request()
    response = Response(rendered(fmt, lambda r: render(r, fmt, links)), mimetype=MEDIA_TYPES[fmt].split(";")[0])
    if fmt != "html":
        response.headers["Content-Disposition"] = f'attachment; filename="{_filename(built, fmt)}"'
    return response

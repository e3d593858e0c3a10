"""The evidence report page: choose a release or a range, read it, print it, download it."""
from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, Response, current_app, render_template, request, url_for

from registry.db import get_session
from registry.evidence.render import MEDIA_TYPES, check_format, render, render_html_body, report_css
from registry.evidence.report import EvidenceReport, evidence_report
from registry.history.releases import list_releases

bp = Blueprint("evidence", __name__)
RANGE_ARGS = ("release", "from", "to")
_ENDPOINTS = {"clause": ("clauses.show", "id"), "proposal": ("proposals.show", "n"),
              "prompt": ("pages.prompt", "name")}


def chosen_range() -> dict[str, str]:
    """The release/from/to query arguments that are set."""
    return {k: v for k in RANGE_ARGS if (v := request.args.get(k, "").strip())}


def report_from_request() -> EvidenceReport:
    """The report for the request's range; verify reads the anchors of the app's spec repo."""
    args = chosen_range()
    return evidence_report(get_session(), args.get("release"), args.get("from"), args.get("to"),
                           current_app.config["SPEC_REPO"])


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
    return render_template("report.html", chosen=chosen, report=built, releases=list_releases(get_session()),
                           body=render_html_body(built, links) if built else None, css=report_css())


@bp.get("/report/export")
def export() -> Response:
    """The report as a file: `format=html` (printable page), `json` or `csv`, for the same range."""
    fmt = check_format(request.args.get("format", "html"))
    built = report_from_request()
    response = Response(render(built, fmt, links), mimetype=MEDIA_TYPES[fmt].split(";")[0])
    if fmt != "html":
        response.headers["Content-Disposition"] = f'attachment; filename="{_filename(built, fmt)}"'
    return response

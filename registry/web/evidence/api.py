"""Evidence endpoints of the JSON API: the evidence report and clause-to-prompt coverage."""
from __future__ import annotations

from flask import Blueprint, Response, jsonify

from registry.db import get_session
from registry.history.prompts import prompt_coverage
from registry.owners.queries import point_dict
from registry.web.context import current_as_of
from registry.web.evidence.pages import report_from_request

bp = Blueprint("evidence_api", __name__, url_prefix="/api/v1")


@bp.get("/report")
def report() -> Response:
    """The evidence report for `release=TAG` or `from=REF&to=REF`: the `specreg report --format json` object."""
    return jsonify(report_from_request().as_dict())


@bp.get("/coverage")
def coverage() -> Response:
    """Which clauses in force at `at` cite evaluation prompts, and which have none."""
    point = current_as_of().point
    return jsonify({"at": point_dict(point), **prompt_coverage(get_session(), point).as_dict()})

"""Framework endpoints of the JSON API: the frameworks at a point and one framework's coverage."""
from __future__ import annotations

from flask import Blueprint, Response, jsonify

from registry.db import get_session
from registry.frameworks.coverage import framework_coverage, framework_index
from registry.owners.queries import point_dict
from registry.web.context import current_as_of

bp = Blueprint("frameworks_api", __name__, url_prefix="/api/v1/frameworks")


@bp.get("")
def index() -> Response:
    """The frameworks in frameworks.toml at `at`, each with its item count and how many clauses answer."""
    point = current_as_of().point
    return jsonify({"at": point_dict(point),
                    "frameworks": [f.as_dict() for f in framework_index(get_session(), point)]})


@bp.get("/<name>/coverage")
def coverage(name: str) -> Response:
    """One framework at `at`: the `specreg coverage --framework NAME --json` object."""
    return jsonify(framework_coverage(get_session(), name, current_as_of().point).as_dict())

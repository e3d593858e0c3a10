"""Health checks for load balancers and orchestrators: no login, JSON, one short-lived session.

`/healthz` says the process answers (it touches nothing). `/readyz` says whether this process can
serve: the database answers and has the current schema, and the spec repo (or its clone) is there;
it names the ledger's head so a deploy can tell instances apart. Not ready is a 503. Neither page
reports why a check failed beyond a word (the reason goes to the log): they are open to anyone.
"""
from __future__ import annotations

import logging
from pathlib import Path

from flask import Blueprint, Response, current_app, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from registry.db import get_session
from registry.errors import SchemaError
from registry.gitsource import is_repository
from registry.ledger.refs import ledger_head
from registry.schema import require_current

bp = Blueprint("health", __name__)
log = logging.getLogger("specreg.health")


@bp.get("/healthz")
def healthz() -> Response:
    """The process is up."""
    return jsonify({"status": "ok"})


@bp.get("/readyz")
def readyz() -> tuple[Response, int]:
    """{"ready", "database", "repo", "ledger_head"}: 200 when ready, 503 when not."""
    database, head = "ok", None
    session = get_session()  # the request's session: closed at teardown, whatever happens here
    try:
        session.execute(text("SELECT 1"))
        require_current(session.connection())
        head = ledger_head(session)
    except SchemaError as exc:
        database = "schema_out_of_date"
        log.warning("not ready: %s", exc.message)
    except SQLAlchemyError as exc:
        database = "unreachable"
        log.warning("not ready: the database did not answer: %s", str(exc).splitlines()[0])
    finally:
        session.rollback()  # a read-only check: hand the connection back at once
    repo = "ok" if is_repository(Path(current_app.config["SPEC_REPO"])) else "missing"
    if repo != "ok":
        log.warning("not ready: no git repository at the spec repo path %s", current_app.config["SPEC_REPO"])
    ready = database == "ok" and repo == "ok"
    return jsonify({"ready": ready, "database": database, "repo": repo, "ledger_head": head}), 200 if ready else 503

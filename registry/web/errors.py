"""One error handler for the web edge: an HTML page, or a JSON body under /api/.

People never meet a dead end: a page that needs a login sends them to /login and back, and every
error page offers the ways on (back, log in, home, search).
"""
from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, current_app, flash, g, jsonify, redirect, render_template, request, url_for
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge
from werkzeug.wrappers import Response

from registry import limits
from registry.errors import SpecregError, Unauthorized, UnknownClause, UnknownVersion
from registry.web.auth import api_request, same_site_path


def _wants_json() -> bool:
    return api_request() or request.blueprint == "hooks"  # git hosts read JSON, never an error page


def came_from() -> str | None:
    """The same-site page this request came from (path and query of the Referer), else None."""
    referrer = urlsplit(request.referrer or "")
    if referrer.netloc != request.host:
        return None
    path = referrer.path + (f"?{referrer.query}" if referrer.query else "")
    return same_site_path(path) if path != request.full_path.rstrip("?") else None


def _return_to() -> str | None:
    """Where to come back after logging in: this page when it was a GET, else the page whose form posted."""
    if request.method in ("GET", "HEAD"):
        return same_site_path(request.full_path.rstrip("?"))
    return came_from()


def error_response(status: int, code: str, message: str, **help: Any) -> tuple[Response | str, int]:
    """Render an error as {"error", "message"} for the API or as a page for people."""
    if _wants_json():
        return jsonify({"error": code, "message": message}), status
    return render_template("error.html", status=status, code=code, message=message, back=came_from(),
                           return_to=_return_to(), **help), status


def _to_login(exc: Unauthorized) -> Response | None:
    """A page that needs a login sends a logged-out browser to /login?next=<this page> (local accounts only).

    Not the API, nor a page's script sending JSON (the editor's live preview): they get the 401.
    """
    if _wants_json() or request.is_json or current_app.config["AUTH"] != "local" or g.get("actor") is not None:
        return None
    flash(exc.message[:1].upper() + exc.message[1:] + ".")
    return redirect(url_for("auth.login_form", next=_return_to()), 303)


def _not_found_help(exc: SpecregError) -> dict[str, Any]:
    """Ways on from a 404 page: ids like the unknown one, or the clause without the as-of."""
    key = (request.view_args or {}).get("id")
    if isinstance(exc, UnknownClause) and key:
        from registry.db import get_session
        from registry.history.clause_detail import similar_ids

        return {"suggestions": similar_ids(get_session(), key)}
    if isinstance(exc, UnknownVersion) and key:
        return {"clause_id": key}
    return {}


def register_error_handlers(app: Flask) -> None:
    """Route SpecregErrors and HTTP errors through `error_response`."""

    @app.errorhandler(SpecregError)
    def _specreg(exc: SpecregError) -> Response | tuple[Response | str, int]:
        login = _to_login(exc) if isinstance(exc, Unauthorized) else None
        if login is not None:
            return login
        help = {} if _wants_json() else _not_found_help(exc)
        return error_response(exc.status, exc.code, exc.message, **help)

    @app.errorhandler(OperationalError)
    def _database_gone(exc: OperationalError) -> tuple[Response | str, int]:
        # A dropped connection (a restarted or failed-over server, a killed backend) or a database
        # that does not answer. SQLAlchemy has invalidated the connection (and the pool's older ones),
        # the request's session is closed at teardown, and the next request connects afresh.
        logging.getLogger("specreg.database").warning(
            "database unavailable (%s): %s", "connection lost" if exc.connection_invalidated else "error",
            str(exc.orig or exc).splitlines()[0])
        session = g.pop("db_session", None)
        if session is not None:
            session.close()  # its transaction is gone with the connection
        g.database_unavailable = True  # the error page renders without asking the database again
        return error_response(503, "database_unavailable",
                              "the database is unavailable right now, so this request was not completed; "
                              "try again in a moment")

    @app.errorhandler(RequestEntityTooLarge)
    def _too_large(_exc: RequestEntityTooLarge) -> tuple[Response | str, int]:
        return error_response(413, "too_large", f"the request body is larger than {limits.MAX_BODY_BYTES:,} bytes "
                                               "(1 MB); nothing was saved")

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> tuple[Response | str, int]:
        code = (exc.name or "error").lower().replace(" ", "_")
        return error_response(exc.code or 500, code, exc.description or exc.name)

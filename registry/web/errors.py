"""One error handler for the web edge: an HTML page, or a JSON body under /api/."""
from __future__ import annotations

from flask import Flask, Response, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from registry.errors import SpecregError


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def error_response(status: int, code: str, message: str) -> tuple[Response | str, int]:
    """Render an error as {"error", "message"} for the API or as a page for people."""
    if _wants_json():
        return jsonify({"error": code, "message": message}), status
    return render_template("error.html", status=status, code=code, message=message), status


def register_error_handlers(app: Flask) -> None:
    """Route SpecregErrors and HTTP errors through `error_response`."""

    @app.errorhandler(SpecregError)
    def _specreg(exc: SpecregError) -> tuple[Response | str, int]:
        return error_response(exc.status, exc.code, exc.message)

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> tuple[Response | str, int]:
        code = (exc.name or "error").lower().replace(" ", "_")
        return error_response(exc.code or 500, code, exc.description or exc.name)

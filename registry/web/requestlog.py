"""One JSON object per log line, and a request id on every request (and on every line it logs).

A request keeps the `X-Request-Id` it came with when that is sane (1 to 128 characters of letters,
digits and `._~:/+=@-`), else gets a new random one; the response echoes it, and the access line and
whatever the request logs carry it as `request_id`, so one request can be followed from a proxy's
log into Specreg's.
"""
from __future__ import annotations

import logging
import re
import time
import uuid
from typing import Any

from flask import Flask, Response, g, has_request_context, request

from registry import jsonlog

REQUEST_ID_HEADER = "X-Request-Id"
_SANE_ID = re.compile(r"[A-Za-z0-9._~:/+=@-]{1,128}")
access_log = logging.getLogger("specreg.access")


class JsonFormatter(jsonlog.JsonFormatter):
    """The shared JSON line, whose request id defaults to the current request's."""

    def request_id(self, record: logging.LogRecord) -> str | None:
        """The record's request id, else the request being served's."""
        given = super().request_id(record)
        if given is None and has_request_context():
            return g.get("request_id")
        return given


def logging_config(level: str = "INFO") -> dict[str, Any]:
    """The dictConfig of `specreg serve`: every logger (the server's own too) as JSON lines on stderr."""
    return jsonlog.logging_config(JsonFormatter, level)


def request_id() -> str:
    """The current request's id (set first thing in every request)."""
    return str(g.get("request_id") or _new_id())


def _new_id() -> str:
    return uuid.uuid4().hex


def _start() -> None:
    given = request.headers.get(REQUEST_ID_HEADER, "")
    g.request_id = given if _SANE_ID.fullmatch(given) else _new_id()
    g.request_started = time.perf_counter()


def _finish(response: Response) -> Response:
    response.headers[REQUEST_ID_HEADER] = request_id()
    started = g.get("request_started")
    access_log.info("%s %s %s", request.method, request.path, response.status_code, extra={
        "request_id": request_id(), "method": request.method, "path": request.path,
        "status": response.status_code, "remote_addr": request.remote_addr,
        "duration_ms": round((time.perf_counter() - started) * 1000, 1) if started is not None else None,
    })
    return response


def init_app(app: Flask) -> None:
    """Give every request an id first thing, and log one access line as its response leaves."""
    app.before_request(_start)  # create_app registers this before every other hook
    app.after_request(_finish)

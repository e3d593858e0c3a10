"""One JSON object per log line, and a request id on every request (and on every line it logs).

A request keeps the `X-Request-Id` it came with when that is sane (1 to 128 characters of letters,
digits and `._~:/+=@-`), else gets a new random one; the response echoes it, and the access line and
whatever the request logs carry it as `request_id`, so one request can be followed from a proxy's
log into Specreg's.
"""
from __future__ import annotations

import json
import logging
import re
import sys
import time
import traceback
import uuid
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, g, has_request_context, request

REQUEST_ID_HEADER = "X-Request-Id"
_SANE_ID = re.compile(r"[A-Za-z0-9._~:/+=@-]{1,128}")
access_log = logging.getLogger("specreg.access")

# The fields a record carries beyond the standard ones, in the order a line shows them.
_FIELDS = ("method", "path", "status", "duration_ms", "remote_addr")


class JsonFormatter(logging.Formatter):
    """{"time", "level", "logger", "message", "request_id"?, access fields?, "exception"?} on one line."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None)
        if request_id is None and has_request_context():
            request_id = g.get("request_id")
        if request_id is not None:
            line["request_id"] = request_id
        for name in _FIELDS:
            if hasattr(record, name):
                line[name] = getattr(record, name)
        if record.exc_info:
            line["exception"] = "".join(traceback.format_exception(*record.exc_info)).rstrip()
        return json.dumps(line, ensure_ascii=False, default=str)


def logging_config(level: str = "INFO") -> dict[str, Any]:
    """The dictConfig of `specreg serve`: every logger (the server's own too) as JSON lines on stderr."""
    handler = {"class": "logging.StreamHandler", "formatter": "json", "stream": sys.stderr}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonFormatter}},
        "handlers": {"stderr": handler},
        "root": {"level": level, "handlers": ["stderr"]},
        "loggers": {
            # The servers' own loggers: gunicorn's start-up and worker lines as JSON too; their access
            # lines are off, as specreg.access writes one per request with its request id.
            "gunicorn.error": {"level": level, "handlers": ["stderr"], "propagate": False},
            "gunicorn.access": {"level": "WARNING", "handlers": [], "propagate": False},
            "werkzeug": {"level": "WARNING", "handlers": ["stderr"], "propagate": False},
        },
    }


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

"""Log lines as one JSON object each, for every process (the web servers and the worker) alike.

{"time", "level", "logger", "message", "request_id"?, fields?, "exception"?}: the fields are the
access line's (method, path, status, duration_ms, remote_addr) or any a caller passes as
`extra={"fields": {...}}` (the worker's job, its outcome and figures).
"""
from __future__ import annotations

import json
import logging
import sys
import traceback
from datetime import UTC, datetime
from typing import Any

# The fields a record carries beyond the standard ones, in the order a line shows them.
ACCESS_FIELDS = ("method", "path", "status", "duration_ms", "remote_addr")


class JsonFormatter(logging.Formatter):
    """One log record as one line of JSON."""

    def request_id(self, record: logging.LogRecord) -> str | None:
        """The request id the line carries (the web's formatter also asks the current request)."""
        return getattr(record, "request_id", None)

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = self.request_id(record)
        if request_id is not None:
            line["request_id"] = request_id
        for name in ACCESS_FIELDS:
            if hasattr(record, name):
                line[name] = getattr(record, name)
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            line.update((k, v) for k, v in fields.items() if k not in line)
        if record.exc_info:
            line["exception"] = "".join(traceback.format_exception(*record.exc_info)).rstrip()
        return json.dumps(line, ensure_ascii=False, default=str)


def logging_config(formatter: type[JsonFormatter] = JsonFormatter, level: str = "INFO") -> dict[str, Any]:
    """A dictConfig sending every logger (the servers' own too) as JSON lines to stderr."""
    handler = {"class": "logging.StreamHandler", "formatter": "json", "stream": sys.stderr}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": formatter}},
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

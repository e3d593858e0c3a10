"""Every request has an id (a sane X-Request-Id is kept, else a new one), echoed in the response and
carried by its access line and by whatever it logs, each a JSON object on one line."""
from __future__ import annotations

import io
import json
import logging
import sys
from collections.abc import Iterator

import pytest

from registry.app import create_app
from registry.config import Settings
from registry.web.requestlog import JsonFormatter


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield out
    root.removeHandler(handler)
    root.setLevel(old_level)


def _lines(out: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_a_sane_request_id_is_kept_echoed_and_logged_on_the_access_line(client, log_lines):
    response = client.get("/clauses/honesty", headers={"X-Request-Id": "proxy:7f3a-01"})
    assert response.headers["X-Request-Id"] == "proxy:7f3a-01"
    access = [line for line in _lines(log_lines) if line["logger"] == "specreg.access"]
    assert access[-1]["request_id"] == "proxy:7f3a-01"
    assert access[-1]["path"] == "/clauses/honesty" and access[-1]["status"] == 200 and access[-1]["method"] == "GET"


@pytest.mark.parametrize("given", ["x" * 129, "two words", "quote\"d", "ünïcode", ""])
def test_an_insane_or_missing_request_id_is_replaced_by_a_new_one(client, log_lines, given):
    response = client.get("/healthz", headers={"X-Request-Id": given} if given else {})
    new = response.headers["X-Request-Id"]
    assert new != given and len(new) == 32 and int(new, 16) >= 0
    assert _lines(log_lines)[-1]["request_id"] == new


def test_each_request_gets_its_own_id_even_on_errors(client, log_lines):
    first = client.get("/clauses/no-such-clause").headers["X-Request-Id"]
    second = client.get("/api/v1/clauses/no-such-clause").headers["X-Request-Id"]
    assert first != second
    statuses = {line["request_id"]: line["status"] for line in _lines(log_lines) if line["logger"] == "specreg.access"}
    assert statuses[first] == 404 and statuses[second] == 404


def test_what_a_request_logs_carries_its_id(spec, tmp_path, log_lines):
    url, _shas, _repo = spec
    app = create_app({"TESTING": True}, settings=Settings(url, tmp_path / "no-repo", tmp_path / "instance"))
    response = app.test_client().get("/readyz", headers={"X-Request-Id": "rid-5"})
    app.extensions["specreg.engine"].dispose()
    assert response.status_code == 503
    warning = next(line for line in _lines(log_lines) if line["logger"] == "specreg.health")
    assert warning["request_id"] == "rid-5" and warning["level"] == "warning"
    assert "no git repository" in warning["message"]


def test_a_logged_exception_is_one_line_with_its_traceback_inside():
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.getLogger("x").makeRecord("x", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    line = JsonFormatter().format(record)
    assert "\n" not in line and "ValueError: boom" in json.loads(line)["exception"]

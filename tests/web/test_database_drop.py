"""A dropped database connection: a clean 503 (JSON for the API, a page for people), then the next
request works. On PostgreSQL, whose backends another connection can terminate."""
from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from pg_scratch import pg_admin
from sqlalchemy import event, make_url, text

from registry.app import create_app
from registry.config import Settings


@pytest.fixture
def pg_app(spec, databases, tmp_path) -> Iterator[Flask]:
    if databases.backend != "postgresql":
        pytest.skip("terminating a backend from another connection is PostgreSQL's")
    url, _shas, repo = spec
    app = create_app({"TESTING": True}, settings=Settings(url, repo, tmp_path / "instance"))
    yield app
    app.extensions["specreg.engine"].dispose()


def _terminate(pids: str, **params: object) -> int:
    with pg_admin().connect() as conn:
        return len(conn.execute(text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE {pids}"),
                                params).all())


def _drop_during_the_next_request(app: Flask) -> None:
    """Terminate the backend of the next statement's connection, from another connection, just before it runs."""
    engine, armed = app.extensions["specreg.engine"], [True]

    @event.listens_for(engine, "before_cursor_execute")
    def kill(conn, _cursor, _statement, _params, _context, _many) -> None:
        if armed:
            armed.clear()
            assert _terminate("pid = :pid", pid=conn.connection.dbapi_connection.info.backend_pid) == 1


def test_a_connection_dropped_between_requests_is_replaced_before_the_next_one(pg_app):
    client = pg_app.test_client()
    assert client.get("/api/v1/clauses").status_code == 200
    database = make_url(pg_app.config["DATABASE_URL"]).database
    assert _terminate("datname = :db AND pid <> pg_backend_pid()", db=database) >= 1
    assert client.get("/api/v1/clauses").status_code == 200


def test_a_connection_dropped_during_an_api_request_is_a_json_503_and_the_next_request_works(pg_app):
    client = pg_app.test_client()
    assert client.get("/api/v1/clauses").status_code == 200
    _drop_during_the_next_request(pg_app)
    response = client.get("/api/v1/clauses")
    assert response.status_code == 503
    assert response.get_json()["error"] == "database_unavailable"
    assert "try again" in response.get_json()["message"]
    again = client.get("/api/v1/clauses")
    assert again.status_code == 200 and again.get_json()


def test_a_connection_dropped_during_a_page_request_is_a_503_page_and_the_next_page_works(pg_app):
    client = pg_app.test_client()
    assert client.get("/").status_code == 200
    _drop_during_the_next_request(pg_app)
    response = client.get("/clauses/honesty")
    assert response.status_code == 503
    page = response.get_data(as_text=True)
    assert "<html" in page.lower() and "Database unavailable" in page and "Traceback" not in page
    assert client.get("/clauses/honesty").status_code == 200

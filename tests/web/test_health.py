"""/healthz and /readyz: JSON for load balancers, no login, 503 when this process cannot serve."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import event

from registry.app import create_app
from registry.config import Settings


def _app(url: str, repo: Path, instance: Path):
    return create_app({"TESTING": True}, settings=Settings(url, repo, instance))


def test_healthz_says_the_process_is_up_without_a_login_or_a_database_query(app, client):
    queries: list[str] = []
    engine = app.extensions["specreg.engine"]
    listen = lambda *args: queries.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listen)
    try:
        response = client.get("/healthz")
    finally:
        event.remove(engine, "before_cursor_execute", listen)
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}
    assert queries == []


def test_readyz_names_the_database_the_repo_and_the_ledger_head(client, shas):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {"ready": True, "database": "ok", "repo": "ok", "ledger_head": shas["move"]}


def test_readyz_answers_whoever_asks_even_with_a_bad_token_or_cookie(client):
    client.set_cookie("session", "not-a-signed-cookie")
    response = client.get("/readyz", headers={"Authorization": "Bearer nonsense"})
    assert response.status_code == 200 and response.get_json()["ready"] is True


def test_readyz_is_a_503_when_the_spec_repo_is_missing(spec, tmp_path):
    url, _shas, _repo = spec
    app = _app(url, tmp_path / "gone", tmp_path / "instance")
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["ready"] is False and response.get_json()["repo"] == "missing"
    assert response.get_json()["database"] == "ok"
    app.extensions["specreg.engine"].dispose()


def test_readyz_is_a_503_when_the_database_has_no_schema(spec, tmp_path):
    _url, _shas, repo = spec
    app = _app(f"sqlite:///{tmp_path / 'empty.db'}", repo, tmp_path / "instance")
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json() == {"ready": False, "database": "schema_out_of_date", "repo": "ok",
                                   "ledger_head": None}
    app.extensions["specreg.engine"].dispose()


def test_readyz_is_a_503_that_leaks_no_address_when_the_database_does_not_answer(spec, tmp_path):
    _url, _shas, repo = spec
    app = _app("postgresql+psycopg://postgres@127.0.0.1:1/nowhere?connect_timeout=2", repo, tmp_path / "instance")
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json() == {"ready": False, "database": "unreachable", "repo": "ok", "ledger_head": None}
    assert "127.0.0.1" not in response.get_data(as_text=True)
    app.extensions["specreg.engine"].dispose()

"""Specreg refuses a database older than its SQL needs (MATERIALIZED CTEs: SQLite 3.35, PostgreSQL 12) at the first
connection, naming the version found and the one needed: the app does not start and commands stop."""
from __future__ import annotations

import contextlib
import io
import json
import re
import sqlite3.dbapi2
from pathlib import Path

import pytest
from pg_scratch import PG_ADMIN_URL, pg_unavailable_reason
from sqlalchemy import text
from sqlalchemy.pool import NullPool

from registry.app import create_app
from registry.cli import main
from registry.config import Settings
from registry.db import MINIMUM_VERSIONS, make_engine
from registry.errors import ConfigError

README = Path(__file__).resolve().parents[2] / "README.md"
DEPLOY = Path(__file__).resolve().parents[2] / "docs" / "deploy.md"


def fake_sqlite(monkeypatch: pytest.MonkeyPatch, version: tuple[int, ...]) -> None:
    """The SQLite library Python's sqlite3 module reports (what SQLAlchemy reads as the server's version)."""
    monkeypatch.setattr(sqlite3.dbapi2, "sqlite_version_info", version)


def fake_postgresql(monkeypatch: pytest.MonkeyPatch, version: tuple[int, ...]) -> str:
    reason = pg_unavailable_reason()
    if reason:
        pytest.skip(reason)
    dialect = type(make_engine(PG_ADMIN_URL, poolclass=NullPool).dialect)
    monkeypatch.setattr(dialect, "_get_server_version_info", lambda _self, _conn: version)
    return PG_ADMIN_URL


def test_an_sqlite_library_older_than_3_35_is_refused_at_every_connection_naming_both_versions(tmp_path, monkeypatch):
    fake_sqlite(monkeypatch, (3, 34, 1))
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}", poolclass=NullPool)
    for _ in range(2):  # not only the first: no later connection slips through
        with pytest.raises(ConfigError, match=re.escape("the SQLite library Python uses is version 3.34.1; Specreg "
                                                        "needs 3.35.0 or newer")):
            engine.connect()


def test_an_sqlite_library_at_3_35_is_accepted(tmp_path, monkeypatch):
    fake_sqlite(monkeypatch, (3, 35, 0))
    engine = make_engine(f"sqlite:///{tmp_path / 'new.db'}", poolclass=NullPool)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT 1")).scalar() == 1
        assert conn.dialect.server_version_info == (3, 35, 0)


@pytest.mark.parametrize(("version", "refused"), [((11, 22), True), ((12, 0), False), ((16, 4), False)])
def test_a_postgresql_server_older_than_12_is_refused_naming_both_versions(version, refused, monkeypatch):
    engine = make_engine(fake_postgresql(monkeypatch, version), poolclass=NullPool)
    if refused:
        with pytest.raises(ConfigError, match=re.escape("the PostgreSQL server is version 11.22; Specreg needs 12 "
                                                        "or newer")):
            engine.connect()
        return
    with engine.connect() as conn:
        assert conn.execute(text("SELECT 1")).scalar() == 1


def test_the_web_app_refuses_to_start_on_an_old_database(tmp_path, monkeypatch):
    fake_sqlite(monkeypatch, (3, 31, 1))
    settings = Settings(f"sqlite:///{tmp_path / 'old.db'}", tmp_path / "spec", tmp_path / "instance")
    with pytest.raises(ConfigError, match="version 3.31.1; Specreg needs 3.35.0"):
        create_app({"TESTING": True}, settings=settings)


def test_a_command_stops_with_a_config_error_on_an_old_database(tmp_path, monkeypatch):
    fake_sqlite(monkeypatch, (3, 34, 0))
    monkeypatch.setenv("SPECREG_DATABASE_URL", f"sqlite:///{tmp_path / 'old.db'}")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(["init", "--json"])
    assert code != 0
    assert json.loads(out.getvalue()) == {
        "error": "config_error",
        "message": "the SQLite library Python uses is version 3.34.0; Specreg needs 3.35.0 or newer (MATERIALIZED "
                   "common table expressions): use a Python whose sqlite3 module is built with a newer SQLite"}


def test_the_minimum_versions_are_stated_in_the_readme_and_the_deploy_guide():
    assert MINIMUM_VERSIONS == {"sqlite": (3, 35, 0), "postgresql": (12,)}
    for doc in (README, DEPLOY):
        assert "SQLite 3.35" in doc.read_text() and "PostgreSQL 12" in doc.read_text(), doc

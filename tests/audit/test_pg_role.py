"""The least-privileged PostgreSQL role of docs/accountability.md: the app works as it, the triggers stay on."""
from __future__ import annotations

import os
import re
import uuid
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from registry.cli import main
from registry.db import make_engine, session_scope

DOC = Path(__file__).resolve().parents[2] / "docs" / "accountability.md"
ROLE, DATABASE, PASSWORD = "specreg_app", "specreg", "change me"


def role_sql() -> str:
    """The SQL block under the doc's least-privileged role heading, exactly as documented."""
    section = DOC.read_text().split("### A least-privileged PostgreSQL role", 1)[1]
    return re.search(r"```sql\n(.*?)```", section, re.S).group(1)


@pytest.fixture
def app_role(databases, database_url):
    """The documented role, made in this test's scratch database by its owner; dropped afterwards."""
    if databases.backend != "postgresql":
        pytest.skip("PostgreSQL only: SQLite has no roles")
    name = f"specreg_app_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    password = uuid.uuid4().hex
    sql = role_sql().replace(ROLE, name).replace(f"DATABASE {DATABASE} ", f'DATABASE "{make_url(database_url).database}" ')
    sql = sql.replace(f"'{PASSWORD}'", f"'{password}'")
    owner = make_engine(database_url, poolclass=NullPool)
    with owner.begin() as conn:
        for statement in filter(str.strip, sql.split(";")):
            conn.execute(text(statement))
    yield make_url(database_url).set(username=name, password=password).render_as_string(hide_password=False)
    owner.dispose()
    databases.release(database_url, roles=[name])  # the scratch database first: the role's grants go with it


def test_the_documented_role_is_not_a_superuser_and_owns_nothing(app_role):
    engine = make_engine(app_role, poolclass=NullPool)
    with engine.connect() as conn:
        assert conn.scalar(text("SELECT rolsuper OR rolcreaterole OR rolcreatedb FROM pg_roles "
                                "WHERE rolname = current_user")) is False
        assert conn.scalar(text("SELECT count(*) FROM pg_tables WHERE schemaname = 'public' "
                                "AND tableowner = current_user")) == 0
    engine.dispose()


def test_the_app_runs_as_the_documented_role_and_cannot_switch_the_audit_triggers_off(app_role, repo, monkeypatch,
                                                                                       capsys):
    from proposal_helpers import adopt, build_world

    from registry.proposals import reviews
    from registry.proposals.merge import merge

    monkeypatch.setenv("SPECREG_DATABASE_URL", app_role)
    monkeypatch.setenv("SPECREG_REPO", str(repo.path))
    engine = make_engine(app_role, poolclass=NullPool)
    with session_scope(engine, write=True) as s:  # ingest, accounts, a proposal, a review and a merge
        world = build_world(repo, s)
        adopt(world)  # an acknowledgement, too: its first commit wrote OWNERS.toml and policy.toml directly
        n = world.change("ada", "respect_privacy", "Never reveal personal data.")
        reviews.approve(s, world.users["grace"], n)
        assert merge(s, repo.path, "main", world.users["ada"], n).state == "merged"
    assert main(["audit", "anchor", "--json"]) == 0
    assert main(["verify", "--json"]) == 0, capsys.readouterr().out
    for statement in ("ALTER TABLE audit_events DISABLE TRIGGER USER",
                      "ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_change",
                      "DROP TRIGGER audit_events_no_change ON audit_events",
                      "DROP TRIGGER acknowledgements_no_change ON acknowledgements",
                      "UPDATE audit_events SET actor = 'mallory@example.org'",
                      "DELETE FROM audit_events",
                      "TRUNCATE audit_events",
                      "DELETE FROM acknowledgements"):
        with pytest.raises(DBAPIError, match="must be owner|permission denied"), engine.begin() as conn:
            conn.execute(text(statement))
    engine.dispose()

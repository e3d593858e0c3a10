"""docs/deploy.md's database section, run as written: the owner and app roles, init, the grants, a backup
as the app role, a restore as the owner into a second database, its grants, and the app role verifying it."""
from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from backup_helpers import build_governed_world, cli
from pg_scratch import PG_ADMIN_URL, SCRATCH_PREFIX, BackgroundDrops, pg_admin, pg_unavailable_reason
from repo_builder import RepoBuilder
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from registry.db import make_engine

DOCS = Path(__file__).resolve().parents[2] / "docs"


def blocks(doc: str, heading: str) -> list[list[str]]:
    """The statements of each SQL block under a heading of a doc."""
    section = (DOCS / doc).read_text().split(heading, 1)[1].split("\n## ", 1)[0]
    return [[s.strip() for s in block.split(";") if s.strip()] for block in re.findall(r"```sql\n(.*?)```", section, re.S)]


def test_the_guides_grants_are_the_accountability_docs_role_without_its_creation():
    _superuser, grants = blocks("deploy.md", "## The database and a least-privileged role")
    role = blocks("accountability.md", "### A least-privileged PostgreSQL role")[0]
    assert grants == [s for s in role if not s.startswith("CREATE ROLE")]


@pytest.fixture
def cluster(background_drops: BackgroundDrops) -> Iterator[dict[str, str]]:
    """Names for this test's roles and databases; everything made under them is dropped afterwards."""
    reason = pg_unavailable_reason()
    if reason:
        if os.environ.get("SPECREG_REQUIRE_POSTGRES"):
            pytest.fail(reason)
        pytest.skip(reason)
    tag = f"{os.getpid()}_{uuid.uuid4().hex[:8]}"
    names = {"specreg_owner": f"specreg_owner_{tag}", "specreg_app": f"specreg_app_{tag}",
             "first": f"{SCRATCH_PREFIX}{tag}_a", "second": f"{SCRATCH_PREFIX}{tag}_b"}
    yield names
    # the databases first: the roles' grants and default privileges go with them
    background_drops.drop(names["first"], names["second"], roles=[names["specreg_owner"], names["specreg_app"]])


def as_written(statement: str, names: dict[str, str], database: str) -> str:
    for role in ("specreg_owner", "specreg_app"):
        statement = statement.replace(role, f'"{names[role]}"')
    return re.sub(r"\bDATABASE specreg\b", f'DATABASE "{database}"', statement)


def url(names: dict[str, str], role: str, database: str) -> str:
    return make_url(PG_ADMIN_URL).set(username=names[role], database=database).render_as_string(hide_password=False)


def set_up(names: dict[str, str], database: str, roles: bool) -> None:
    """The guide's superuser block for one database (and the roles, when `roles`)."""
    superuser, _grants = blocks("deploy.md", "## The database and a least-privileged role")
    with pg_admin().connect() as conn:
        for statement in superuser:
            if roles or statement.startswith("CREATE DATABASE"):
                conn.execute(text(as_written(statement, names, database)))


def grant(names: dict[str, str], database: str) -> None:
    _superuser, grants = blocks("deploy.md", "## The database and a least-privileged role")
    owner = make_engine(url(names, "specreg_owner", database), poolclass=NullPool)
    with owner.begin() as conn:
        for statement in grants:
            conn.execute(text(as_written(statement, names, database)))
    owner.dispose()


def test_the_deploy_guides_roles_run_the_app_back_it_up_and_restore_it(cluster, tmp_path, monkeypatch):
    first, second = cluster["first"], cluster["second"]
    set_up(cluster, first, roles=True)
    monkeypatch.setenv("SPECREG_DATABASE_URL", url(cluster, "specreg_owner", first))
    assert cli(None, "init")[0] == 0
    grant(cluster, first)

    app = url(cluster, "specreg_app", first)
    build_governed_world(app, RepoBuilder(tmp_path / "spec"), monkeypatch)  # ingest, merges, anchor, verify as the app
    archive = tmp_path / "backup.tar.gz"
    code, made = cli(None, "backup", "-o", str(archive))
    assert code == 0, made

    set_up(cluster, second, roles=False)
    monkeypatch.setenv("SPECREG_DATABASE_URL", url(cluster, "specreg_owner", second))
    monkeypatch.setenv("SPECREG_REPO", str(tmp_path / "restored"))
    code, done = cli(None, "restore", str(archive))
    assert code == 0 and done["tables"] == made["tables"], done
    grant(cluster, second)

    restored = url(cluster, "specreg_app", second)
    monkeypatch.setenv("SPECREG_DATABASE_URL", restored)
    assert cli(None, "verify") == (0, {"ok": True, "findings": []})
    engine = make_engine(restored, poolclass=NullPool)
    for statement in ("ALTER TABLE audit_events DISABLE TRIGGER USER", "UPDATE audit_events SET actor = 'mallory'",
                      "TRUNCATE acknowledgements"):
        with pytest.raises(DBAPIError, match="must be owner|permission denied"), engine.begin() as conn:
            conn.execute(text(statement))
    engine.dispose()
    # The app role writes in the restored tables, with ids from the sequences the restore moved on.
    code, said = cli(None, "comment", "3", "Still relevant after the restore.", "--as", "ada@example.org")
    assert code == 0, said
    assert cli(None, "verify") == (0, {"ok": True, "findings": []})

"""Fixtures: migrated databases on SQLite and PostgreSQL, isolated sessions, deterministic repos."""
from __future__ import annotations

import os
import shutil
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

sys.path.insert(0, str(Path(__file__).parent))

from repo_builder import RepoBuilder

from registry.db import make_engine
from registry.schema import upgrade

PG_ADMIN_URL = os.environ.get("SPECREG_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
BACKENDS = ("sqlite", "postgresql")


def _pg_unavailable_reason() -> str | None:
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL.replace("+psycopg", ""), connect_timeout=3):
            return None
    except Exception as exc:  # any failure to connect means: no PostgreSQL here
        return f"PostgreSQL not reachable at {PG_ADMIN_URL}: {str(exc).splitlines()[0]}"


def _pg_admin() -> Engine:
    return create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", poolclass=NullPool)


SCRATCH_PREFIX = "specreg_test_"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _leftover(name: str) -> bool:
    """A scratch database whose creating process is gone (a killed run), or one from before pids were named."""
    pid = name[len(SCRATCH_PREFIX):].split("_")[0]
    return not pid.isdigit() or not _alive(int(pid))


def sweep_leftover_databases() -> list[str]:
    """Drop the scratch PostgreSQL databases that killed test runs left behind; their names."""
    with _pg_admin().connect() as conn:
        names = conn.execute(text("SELECT datname FROM pg_database WHERE datname LIKE :p"),
                             {"p": SCRATCH_PREFIX + "%"}).scalars().all()
        gone = [n for n in names if _leftover(n)]
        for name in gone:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    return gone


class Databases:
    """Makes fresh migrated databases of one backend by copying a migrated template."""

    def __init__(self, backend: str, root: Path) -> None:
        self.backend, self.root = backend, root
        self.created: list[str] = []
        self.template = self._new_name()
        self.template_url = self._url(self.template)
        if backend == "postgresql":
            with _pg_admin().connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{self.template}"'))
            self.created.append(self.template)
        engine = make_engine(self.template_url, poolclass=NullPool)
        upgrade(engine)
        engine.dispose()

    def _new_name(self) -> str:
        # The pid in the name lets a later run tell a killed run's leftovers from a live worker's.
        return f"{SCRATCH_PREFIX}{os.getpid()}_{uuid.uuid4().hex[:12]}"

    def _url(self, name: str) -> str:
        if self.backend == "sqlite":
            return f"sqlite:///{self.root / (name + '.db')}"
        return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"

    def fresh(self) -> str:
        """A new database with the schema in place; its URL."""
        name = self._new_name()
        if self.backend == "sqlite":
            shutil.copy(self.root / f"{self.template}.db", self.root / f"{name}.db")
        else:
            with _pg_admin().connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"'))
            self.created.append(name)
        return self._url(name)

    def drop_all(self) -> None:
        """Drop every PostgreSQL database these tests created."""
        if not self.created:
            return
        with _pg_admin().connect() as conn:
            for name in self.created:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session", params=BACKENDS)
def databases(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Databases]:
    """Migrated databases of one backend; PostgreSQL is skipped with a reason when absent."""
    if request.param == "postgresql":
        reason = _pg_unavailable_reason()
        if reason:
            if os.environ.get("SPECREG_REQUIRE_POSTGRES"):
                pytest.fail(f"{reason} (SPECREG_REQUIRE_POSTGRES is set, so this is an error)")
            pytest.skip(reason)
        sweep_leftover_databases()
    dbs = Databases(request.param, tmp_path_factory.mktemp(f"db-{request.param}"))
    yield dbs
    dbs.drop_all()


@pytest.fixture(scope="session")
def engine(databases: Databases) -> Iterator[Engine]:
    """An engine on the backend's template database, for transaction-isolated tests."""
    eng = make_engine(databases.template_url, poolclass=NullPool)
    yield eng
    eng.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session inside an outer transaction that is rolled back after the test."""
    conn = engine.connect()
    outer = conn.begin()
    s = Session(bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False)
    try:
        yield s
    finally:
        s.close()
        outer.rollback()
        conn.close()


@pytest.fixture
def database_url(databases: Databases) -> str:
    """A fresh migrated database of its own, for tests that commit (CLI, concurrency, crashes)."""
    return databases.fresh()


@pytest.fixture
def repo(tmp_path: Path) -> RepoBuilder:
    """An empty deterministic spec repo."""
    return RepoBuilder(tmp_path / "spec")


@pytest.fixture
def json_cli(repo: RepoBuilder, database_url: str, monkeypatch: pytest.MonkeyPatch,
             capsys: pytest.CaptureFixture[str]):
    """`run(*argv)`: `specreg ARGV --json` on this test's database and repo, giving (exit code, parsed stdout)."""
    import json

    from registry.cli import main

    monkeypatch.setenv("SPECREG_DATABASE_URL", database_url)
    monkeypatch.setenv("SPECREG_REPO", str(repo.path))
    monkeypatch.delenv("SPECREG_TOKEN", raising=False)

    def run(*argv: str) -> tuple[int, object]:
        code = main([*argv, "--json"])
        return code, json.loads(capsys.readouterr().out)

    return run

"""Fixtures: migrated databases on SQLite and PostgreSQL, isolated sessions, deterministic repos."""
from __future__ import annotations

import functools
import os
import shutil
import sys
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from types import CodeType
from typing import Any, TypeVar

import pytest
from flask import Flask
from jinja2.bccache import Bucket, BytecodeCache
from sqlalchemy import make_url, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool
from werkzeug.security import generate_password_hash

sys.path.insert(0, str(Path(__file__).parent))

from git_remote import Remote, spec_remote
from pg_scratch import (
    PG_ADMIN_URL,
    SCRATCH_PREFIX,
    BackgroundDrops,
    pg_admin,
    pg_unavailable_reason,
    sweep_leftover_databases,
)
from repo_builder import RepoBuilder

from registry import wiring
from registry.accounts import users
from registry.db import make_engine
from registry.schema import upgrade

# What the entry points do at start-up: the ingest watchers and signal handlers, in their order.
wiring.install()
# Every process of the run (and the servers the browser tests start) MACs audit events with one key,
# and none writes a key file into the checkout's instance folder; tests of the key file unset it.
os.environ.setdefault("SPECREG_AUDIT_KEY", "specreg-test-audit-key-0123456789abcdef0123456789abcdef")

# Werkzeug's default scrypt (N=2**15) costs 0.05-0.2 s a hash, and hashing took 45% of tests/accounts'
# time. In this process passwords are hashed by the same scrypt at N=2**10; the stored hash names its
# parameters and check_password_hash reads them, so the code paths are the same. The servers and CLI
# the tests start as processes use the default, and tests/accounts/test_accounts.py checks that the
# app stores the default (TEST_PASSWORD_HASH is what it replaces).
TEST_PASSWORD_HASH = "scrypt:1024:8:1"
users.generate_password_hash = functools.partial(generate_password_hash, method=TEST_PASSWORD_HASH)


class _SharedTemplateCode(BytecodeCache):
    """Jinja's compiled template code, kept for every app this process makes.

    Most tests make an app of their own, and an app's first request of a page compiled its template
    and the macros it imports (40-300 ms a page, the larger part of many web tests). An app made here
    takes the code another app compiled from the same source (the key holds the source's checksum);
    each app still builds its templates from that code in its own environment (`app.jinja_env.cache`),
    so what a page renders is the same. Every app comes from create_app, so every environment has the
    same options.
    """

    def __init__(self) -> None:
        self._code: dict[tuple[str, str], CodeType | None] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        bucket.code = self._code.get((bucket.key, bucket.checksum))

    def dump_bytecode(self, bucket: Bucket) -> None:
        self._code[(bucket.key, bucket.checksum)] = bucket.code


Flask.jinja_options = {**Flask.jinja_options, "bytecode_cache": _SharedTemplateCode()}

BACKENDS = ("sqlite", "postgresql")
T = TypeVar("T")


class Databases:
    """Makes fresh migrated databases of one backend by copying a migrated template."""

    # PostgreSQL runs a checkpoint for every DROP DATABASE and makes the dropping connection wait for it
    # (1-2 s apiece while other runs write); drops that wait at the same time share one. So a test's
    # database is dropped on a thread of its own while the next tests run, and what is left when the
    # run ends is dropped by a process of its own that the run does not wait for (pg_scratch.drop_later).
    DROPPERS = 4
    # A PostgreSQL copy takes 0.1-0.5 s (CREATE DATABASE ... TEMPLATE writes it all to the WAL): the
    # next copies of each template are made ahead on a thread while the tests run. Nothing connects to
    # a template once it is migrated (transaction-isolated tests use a copy of their own, `shared_url`)
    # or its world is built (`world`), so a copy can be made at any time, and every copy holds what
    # the template holds and nothing else.
    AHEAD = 2

    def __init__(self, backend: str, root: Path) -> None:
        self.backend, self.root = backend, root
        self.created: list[str] = []
        self._drops = BackgroundDrops(self.DROPPERS)
        self.template = self._new_name()
        self.template_url = self._url(self.template)
        if backend == "postgresql":
            with pg_admin().connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{self.template}"'))
            self.created.append(self.template)
        engine = make_engine(self.template_url, poolclass=NullPool)
        upgrade(engine)
        engine.dispose()
        self._maker = ThreadPoolExecutor(1, thread_name_prefix="copy-database")
        self._ahead: dict[str, deque[Future[str]]] = {}
        self._worlds: dict[str, tuple[str, Any]] = {}
        self.shared_url = self.template_url if backend == "sqlite" else self._url(self._copy(self.template))

    def _new_name(self) -> str:
        # The pid in the name lets a later run tell a killed run's leftovers from a live worker's.
        return f"{SCRATCH_PREFIX}{os.getpid()}_{uuid.uuid4().hex[:12]}"

    def _url(self, name: str) -> str:
        if self.backend == "sqlite":
            return f"sqlite:///{self.root / (name + '.db')}"
        return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"

    def _name(self, url: str) -> str:
        return Path(make_url(url).database).stem if self.backend == "sqlite" else url.rsplit("/", 1)[1]

    def _copy(self, source: str) -> str:
        """A new copy of the database named source (committed, nobody connected); its name."""
        name = self._new_name()
        if self.backend == "sqlite":
            shutil.copy(self.root / f"{source}.db", self.root / f"{name}.db")
            return name
        self.created.append(name)  # before it exists: a copy under way when the run ends is dropped too
        with pg_admin().connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{source}"'))
        return name

    def fresh(self, world: str | None = None) -> str:
        """A new database with the schema in place, or holding a world (its URL from world()); its URL."""
        source = self.template if world is None else self._name(world)
        if self.backend == "sqlite":
            return self._url(self._copy(source))
        ahead = self._ahead.setdefault(source, deque())
        while len(ahead) <= self.AHEAD:
            ahead.append(self._maker.submit(self._copy, source))
        return self._url(ahead.popleft().result())

    def world(self, key: str, build: Callable[[str], T]) -> tuple[str, T]:
        """(URL, what build returned): a database holding what build(url) committed to a fresh one, built once
        per process and key, for tests to take copies of with fresh(URL); build must leave nothing connected."""
        if key not in self._worlds:
            url = self.fresh()
            self._worlds[key] = (url, build(url))
        return self._worlds[key]

    def spec_world(self, key: str, build: Callable[[str, RepoBuilder], T], path: Path) -> tuple[str, RepoBuilder, T]:
        """(URL, repo, what build returned): a copy of a world of a database and a spec repo, which
        build(url, repo) commits to once per process and key. The repo is copied to path, and the copied
        database's ledger names it, as if the world had been built there."""
        def build_both(url: str) -> tuple[RepoBuilder, T]:
            repo = RepoBuilder(self.root / f"world-{key}" / "spec")
            return repo, build(url, repo)

        world, (repo, value) = self.world(key, build_both)
        url, copy = self.fresh(world), repo.copy(path)
        engine = make_engine(url, poolclass=NullPool)
        with engine.begin() as conn:
            conn.execute(text("UPDATE ledger SET repo_path = :path"), {"path": str(copy.path.resolve())})
        engine.dispose()
        return url, copy, value

    def copy(self, url: str) -> str:
        """A new database holding what the database at url (from fresh(), committed, nobody connected) holds."""
        return self._url(self._copy(self._name(url)))

    def release(self, url: str, roles: Iterable[str] = ()) -> None:
        """A database from fresh() or copy() that no test uses any more: dropped now, in the background,
        and then the roles given (a role with grants in it, made by the test)."""
        name = url.rsplit("/", 1)[1]
        if self.backend == "postgresql" and name in self.created:
            self.created.remove(name)
            self._drops.drop(name, roles=roles)

    def drop_all(self) -> None:
        """Drop every PostgreSQL database these tests created: the rest of them after this process.

        A background drop that failed fails the run here; one not yet done is handed on too.
        """
        self._maker.shutdown(wait=True, cancel_futures=True)
        left, self.created = self.created, []
        self._drops.finish(left)


@pytest.fixture(scope="session", params=BACKENDS)
def databases(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Databases]:
    """Migrated databases of one backend; PostgreSQL is skipped with a reason when absent."""
    if request.param == "postgresql":
        reason = pg_unavailable_reason()
        if reason:
            if os.environ.get("SPECREG_REQUIRE_POSTGRES"):
                pytest.fail(f"{reason} (SPECREG_REQUIRE_POSTGRES is set, so this is an error)")
            pytest.skip(reason)
        sweep_leftover_databases()
    dbs = Databases(request.param, tmp_path_factory.mktemp(f"db-{request.param}"))
    yield dbs
    dbs.drop_all()


@pytest.fixture(scope="session")
def background_drops() -> Iterator[BackgroundDrops]:
    """Drops, while the tests go on, of the PostgreSQL databases tests made for themselves (backup_helpers.Scratch)."""
    drops = BackgroundDrops(2)
    yield drops
    drops.finish()


@pytest.fixture(scope="session")
def engine(databases: Databases) -> Iterator[Engine]:
    """An engine on a migrated database that transaction-isolated tests share."""
    eng = make_engine(databases.shared_url, poolclass=NullPool)
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
def database_url(databases: Databases) -> Iterator[str]:
    """A fresh migrated database of its own, for tests that commit (CLI, concurrency, crashes)."""
    url = databases.fresh()
    yield url
    databases.release(url)


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


@pytest.fixture(params=["file", "http"])
def remote(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Remote]:
    """A spec remote (an author repo and its bare remote), over file:// and over http (git http-backend)."""
    with spec_remote(request.param, tmp_path) as found:
        yield found


@pytest.fixture
def committed_world(repo: RepoBuilder, database_url: str, monkeypatch: pytest.MonkeyPatch):
    """(engine, world): proposal_helpers' adopted world committed to a database the CLI finds."""
    from proposal_helpers import adopted_world

    with adopted_world(repo, database_url, monkeypatch) as (engine, world):
        pass
    yield engine, world
    engine.dispose()

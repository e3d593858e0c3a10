"""A host of one gunicorn worker with threads answers reads while a merge waits on the merge lock.

With one thread per worker a read queued in the listen backlog behind a merge that waited on the
database's merge lock (another host merging) or on git. The test holds that lock itself, so the
merge is certainly pending while the read is asked for: no timing is assumed, only the order.
"""
from __future__ import annotations

import os
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from proposal_helpers import World, build_world
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.pool import NullPool

from bench.hosts import ROOT, Host, call
from registry.accounts.credentials import create_token
from registry.db import make_engine, session_scope
from registry.proposals.reviews import approve
from registry.transaction.locks import writers_held

SECRET_KEY = "threaded-host-session-key-0123456789abcdef"


@pytest.fixture
def pg_engine(databases, database_url: str) -> Iterator[Engine]:
    """A fresh PostgreSQL database: the merge lock is a PostgreSQL advisory lock (SQLite has none to hold)."""
    if databases.backend != "postgresql":
        pytest.skip("the merge lock a test can hold from outside is PostgreSQL's advisory lock")
    engine = make_engine(database_url, poolclass=NullPool)
    yield engine
    engine.dispose()


@pytest.fixture
def approved(pg_engine: Engine, repo) -> tuple[int, dict[str, str]]:
    """The spec ingested, its people, and a proposal on be_brief its owner approved: (its number, tokens)."""
    with session_scope(pg_engine, write=True) as s:
        world: World = build_world(repo, s)
        tokens = {n: create_token(s, a, a.email)[0] for n, a in world.users.items()}
        number = world.change("ada", "be_brief", "Prefer answers of one paragraph.")
        approve(s, world.users["alan"], number)
    return number, tokens


def _host(pg_engine: Engine, repo, tmp_path: Path) -> Host:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SPECREG_")}
    return Host("threaded", clean | {
        "PYTHONPATH": str(ROOT), "SPECREG_INSTANCE": str(tmp_path / "instance"), "SPECREG_REPO": str(repo.path),
        "SPECREG_DATABASE_URL": pg_engine.url.render_as_string(hide_password=False),
        "SPECREG_SECRET_KEY": SECRET_KEY, "SPECREG_AUDIT_KEY": os.environ["SPECREG_AUDIT_KEY"]})


def _waiting_on_an_advisory_lock(engine: Engine) -> bool:
    with engine.connect() as conn:
        return bool(conn.execute(text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
                                      "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
                                      )).scalar())


def test_a_threaded_worker_answers_reads_while_a_merge_waits_on_the_merge_lock_then_the_merge_completes(
        pg_engine, repo, tmp_path, approved):
    number, tokens = approved
    host = _host(pg_engine, repo, tmp_path)
    host.start(workers=1, threads=4)  # one process: only its threads can answer the reads
    merger = {"Authorization": f"Bearer {tokens['ada']}"}
    try:
        with pg_engine.connect() as holder, ThreadPoolExecutor(1) as pool:
            with writers_held(holder, "merge"):  # as a merge on another host would
                merging = pool.submit(call, host.base, "POST", f"/api/v1/proposals/{number}/merge", {}, merger)
                deadline = time.monotonic() + 60
                while not _waiting_on_an_advisory_lock(pg_engine):
                    assert not merging.done(), merging.result().body
                    assert time.monotonic() < deadline, "the merge never reached the merge lock"
                    time.sleep(0.05)

                page = call(host.base, "GET", "/clauses/be_brief", timeout=30)
                shown = call(host.base, "GET", f"/api/v1/proposals/{number}", timeout=30)
                assert page.status == 200 and b"Prefer short answers." in page.body
                assert (shown.status, shown.json()["state"]) == (200, "approved")
                assert not merging.done()  # the lock is still held: the reads did not wait for it
            merged = merging.result(timeout=60)
        assert (merged.status, merged.json()["state"]) == (200, "merged"), merged.body
        page = call(host.base, "GET", "/clauses/be_brief")
        assert page.status == 200 and b"Prefer answers of one paragraph." in page.body
    finally:
        host.stop()

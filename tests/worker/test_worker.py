"""`specreg worker`: a sync at start, on request and on an interval; one at a time across processes; stops gracefully."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.pool import NullPool

from registry.config import Settings
from registry.db import make_engine, session_scope
from registry.models import Commit, IngestRun
from registry.transaction.locks import lock_writer
from registry.worker.loop import Worker
from registry.worker.requests import SYNC, pending, request_job

ROOT = Path(__file__).resolve().parents[2]
DOC = "spec/rules.md"


def _doc(n: int) -> str:
    return "# Rules\n\n" + "".join(f"## Rule {i} {{#rule_{i}}}\n\nSay {i}.\n\n" for i in range(n))


def _commits(repo, n: int, start: int = 0) -> None:
    for i in range(start, start + n):
        repo.commit(f"rule {i}", {DOC: _doc(i + 1)})


@pytest.fixture
def engine(database_url):
    eng = make_engine(database_url, poolclass=NullPool)
    yield eng
    eng.dispose()


def _wait_for(what: str, done: Callable[[], bool], seconds: float = 60) -> None:
    """Wait until `done()` (a synchronisation point, never a measured time); fail naming `what` after `seconds`."""
    deadline = time.monotonic() + seconds
    while not done():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.05)


def test_worker_once_syncs_and_answers_the_pending_requests(json_cli, repo, engine):
    _commits(repo, 3)
    with session_scope(engine, write=True) as s:
        request_job(s, SYNC, "hooks/push (github push)")
    code, out = json_cli("worker", "--once")
    assert code == 0
    [job] = [j for j in out["jobs"] if j["job"] == "sync"]
    assert job["job"] == "sync" and job["ok"] is True and job["reason"] == "requested"
    assert job["requested_by"] == ["hooks/push (github push)"] and job["commits"] == 3
    assert job["report"]["head"] == repo.head()
    with session_scope(engine) as s:
        assert pending(s) == []
        assert s.scalar(select(func.count()).select_from(Commit)) == 3


def test_a_failed_sync_exits_non_zero_and_keeps_the_request(json_cli, repo, engine, monkeypatch, tmp_path):
    with session_scope(engine, write=True) as s:
        request_job(s, SYNC, "cli")
    monkeypatch.setenv("SPECREG_REPO", str(tmp_path / "no-such-repo"))
    code, out = json_cli("worker", "--once")
    assert code == 1
    [job] = [j for j in out["jobs"] if j["job"] == "sync"]
    assert job["ok"] is False and "not a git repository" in job["error"]
    with session_scope(engine) as s:
        assert [p.source for p in pending(s)] == ["cli"]


@pytest.mark.parametrize(("option", "env", "value"), [
    ("--interval", "SPECREG_WORKER_INTERVAL", "0"),
    ("--interval", "SPECREG_WORKER_INTERVAL", "-5"),
    ("--interval", "SPECREG_WORKER_INTERVAL", "soon"),
    ("--interval", "SPECREG_WORKER_INTERVAL", "9999999"),
    ("--verify-interval", "SPECREG_VERIFY_INTERVAL", "0"),
    ("--verify-interval", "SPECREG_VERIFY_INTERVAL", "hourly"),
    ("--webhook-retention", "SPECREG_WEBHOOK_RETENTION_DAYS", "0"),
    ("--webhook-retention", "SPECREG_WEBHOOK_RETENTION_DAYS", "1.5"),
    ("--webhook-retention", "SPECREG_WEBHOOK_RETENTION_DAYS", "a month"),
])
def test_a_bad_worker_setting_is_refused_as_an_option_and_from_the_environment(json_cli, monkeypatch,
                                                                                 option, env, value):
    code, out = json_cli("worker", "--once", option, value)
    assert code == 2 and out["error"] == "usage"
    monkeypatch.setenv(env, value)
    code, out = json_cli("worker", "--once")
    assert code == 1 and env in out["message"]


def test_the_running_worker_syncs_when_asked_without_waiting_for_its_interval(repo, engine, database_url):
    _commits(repo, 1)
    worker = Worker(engine, Settings(database_url, repo.path, repo.path.parent / "instance"), interval=3600)
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(stop,))
    thread.start()
    try:
        _wait_for("the first sync", lambda: worker.next_sync is not None)
        _commits(repo, 1, start=1)
        with session_scope(engine, write=True) as s:
            request_job(s, SYNC, "hooks/push (gitea push)")

        def synced() -> bool:
            with session_scope(engine) as s:
                return s.scalar(select(func.count()).select_from(Commit)) == 2 and not pending(s)
        _wait_for("the requested sync", synced)
    finally:
        stop.set()
        thread.join(60)
    assert not thread.is_alive()


def _start_worker(database_url: str, repo: Path, log: Path, *args: str) -> subprocess.Popen[bytes]:
    env = dict(os.environ, PYTHONPATH=str(ROOT), SPECREG_DATABASE_URL=database_url, SPECREG_REPO=str(repo))
    return subprocess.Popen([sys.executable, "-m", "registry", "worker", *args], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=log.open("wb"))


def _log_lines(log: Path) -> list[dict]:
    return [json.loads(line) for line in log.read_text().splitlines() if line.strip()]


@pytest.fixture
def pg_engine(engine, database_url) -> Iterator:
    if not database_url.startswith("postgresql"):
        pytest.skip("the ingest lock across processes is PostgreSQL's advisory lock (SQLite has one writer)")
    yield engine


def _waiting_for_advisory_locks(engine) -> int:
    with engine.connect() as conn:
        return conn.scalar(text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
                                "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"))


def test_two_workers_at_once_ingest_each_commit_exactly_once(repo, pg_engine, database_url, tmp_path):
    _commits(repo, 30)
    with session_scope(pg_engine, write=True) as held:
        lock_writer(held, "ingest")  # both workers start while another ingest holds the lock
        workers = [_start_worker(database_url, repo.path, tmp_path / f"w{i}.log", "--once", "--json")
                   for i in range(2)]
        _wait_for("both workers to queue on the ingest lock", lambda: _waiting_for_advisory_locks(pg_engine) == 2)
    outs = [json.loads(w.communicate(timeout=120)[0]) for w in workers]
    assert [w.returncode for w in workers] == [0, 0]
    assert sorted(o["jobs"][0]["commits"] for o in outs) == [0, 30]
    with session_scope(pg_engine) as s:
        assert s.scalar(select(func.count()).select_from(Commit)) == 30
        assert s.scalar(select(func.count(func.distinct(Commit.sha)))) == 30
        assert {r.status for r in s.scalars(select(IngestRun))} == {"done"}


def test_sigterm_lets_the_sync_in_flight_finish_then_the_worker_exits(repo, pg_engine, database_url, tmp_path):
    _commits(repo, 5)
    log = tmp_path / "worker.log"
    with session_scope(pg_engine, write=True) as held:
        lock_writer(held, "ingest")
        worker = _start_worker(database_url, repo.path, log, "--interval", "3600")
        _wait_for("the worker's sync to queue on the ingest lock", lambda: _waiting_for_advisory_locks(pg_engine) == 1)
        worker.send_signal(signal.SIGTERM)  # mid-job: the sync is waiting for the lock
    assert worker.wait(120) == 0
    lines = _log_lines(log)
    finished = [line for line in lines if line["message"] == "sync finished"]
    assert len(finished) == 1 and finished[0]["commits"] == 5 and finished[0]["job"] == "sync"
    assert lines[-1]["message"] == "worker stopped" and lines[-1]["logger"] == "specreg.worker"
    assert all(set(line) >= {"time", "level", "logger", "message"} for line in lines)


def test_sigint_stops_an_idle_worker_cleanly_with_json_log_lines(repo, database_url, tmp_path):
    _commits(repo, 1)
    log = tmp_path / "worker.log"
    worker = _start_worker(database_url, repo.path, log, "--interval", "3600")
    try:
        _wait_for("the first sync", lambda: '"sync finished"' in log.read_text())
        worker.send_signal(signal.SIGINT)
        assert worker.wait(60) == 0
    finally:
        if worker.poll() is None:
            worker.kill()
    messages = [line["message"] for line in _log_lines(log)]
    assert messages == ["worker started", "sync started", "sync finished", "verify started",
                        "verify finished: every check holds", "worker stopped"]


def test_with_a_remote_the_worker_fetches_then_ingests_what_was_pushed(remote, database_url, tmp_path,
                                                                       monkeypatch, capsys):
    from registry.cli import main

    remote.author.commit("rules", {DOC: _doc(2)})
    remote.push()
    monkeypatch.setenv("SPECREG_DATABASE_URL", database_url)
    monkeypatch.setenv("SPECREG_REMOTE", remote.url)
    monkeypatch.setenv("SPECREG_INSTANCE", str(tmp_path / "instance"))
    monkeypatch.delenv("SPECREG_REPO", raising=False)
    assert main(["worker", "--once", "--json"]) == 0
    [job] = [j for j in json.loads(capsys.readouterr().out)["jobs"] if j["job"] == "sync"]
    assert job["ok"] is True and job["head"] == remote.head()
    assert job["report"]["fetched"] == remote.head() and job["commits"] == 2  # the remote's first commit and ours

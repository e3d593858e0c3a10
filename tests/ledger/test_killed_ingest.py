"""A killed ingest: its reader process and git children end with it, and a later run marks its row abandoned."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from ledger_helpers import run_ingest
from sqlalchemy import select

from registry.db import make_engine, session_scope
from registry.gitsource import SpecSource
from registry.ledger.ingest import ingest
from registry.ledger.options import IngestOptions
from registry.ledger.runs import mark_abandoned, process_started, this_process
from registry.models import IngestRun

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads processes from /proc (Linux)")

ROOT = Path(__file__).resolve().parents[2]
# An ingest of 5-commit batches with its reader process, which stops after the first checkpoint
# committed (commit 7), writes the pids of every process below it to READY, and sleeps to be killed.
SCRIPT = """
import json, os, sys, time
from pathlib import Path
from registry import wiring
from registry.db import make_engine, session_scope
from registry.gitsource import SpecSource
from registry.ledger.ingest import ingest
from registry.ledger.options import IngestOptions

def below(pid):
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            found += [int(child), *below(int(child))]
    return found

def progress(done, total):
    if done == 7:
        time.sleep(0.5)  # the reader process reads ahead until the pipe is full, git's children with it
        Path(sys.argv[3]).write_text(json.dumps(below(os.getpid())))
        time.sleep(600)

wiring.install()
engine = make_engine(sys.argv[1])
with SpecSource(sys.argv[2]) as source, session_scope(engine, write=True) as session:
    ingest(session, source, IngestOptions(batch_commits=5, reader_process_from=2), progress=progress,
           checkpoint=session.commit)
"""


def _alive(process: tuple[int, str | None]) -> bool:
    """Still running: neither gone, nor a zombie, nor its pid taken by a later process."""
    pid, started = process
    return started is not None and process_started(pid) == started


def _big_document(n: int) -> str:
    """~40 KB over 200 sections: every commit's parse is far more than a pipe holds."""
    return "\n".join(f"## Rule {n}.{k} {{#r{n}_{k}}}\n\n" + f"Clause {k} of document {n} says this. " * 5 + "\n"
                     for k in range(200))


def test_a_killed_ingest_leaves_no_reader_or_git_process_and_the_next_run_marks_it_abandoned(database_url, repo,
                                                                                          tmp_path):
    for n in range(30):
        repo.commit(f"c{n}", {f"spec/d{n}.md": _big_document(n)})
    ready = tmp_path / "ready.json"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "-c", SCRIPT, database_url, str(repo.path), str(ready)], env=env)
    try:
        deadline = time.monotonic() + 60
        while not ready.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert ready.exists(), f"the ingest never reached its first checkpoint (exit {proc.poll()})"
        time.sleep(0.1)  # the file is written in one call, but give the writer a moment to finish it
        below = [(pid, process_started(pid)) for pid in json.loads(ready.read_text())]
        assert below, "the ingest ran no reader process"
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        deadline = time.monotonic() + 10
        while any(map(_alive, below)) and time.monotonic() < deadline:
            time.sleep(0.05)
        left = [p for p in below if _alive(p)]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    for pid, _ in left:  # do not leave them behind for the other tests either
        os.kill(pid, signal.SIGKILL)
    assert left == [], "processes of the killed ingest still running"

    engine = make_engine(database_url)
    try:
        with session_scope(engine) as s:
            killed = s.scalars(select(IngestRun)).one()
            assert (killed.status, killed.pid, killed.host, killed.commits) == ("running", proc.pid,
                                                                               socket.gethostname(), 5)
        with SpecSource(repo.path) as source, session_scope(engine, write=True) as s:
            report = ingest(s, source, IngestOptions(batch_commits=5), checkpoint=s.commit)
        assert (report.abandoned_runs, report.commits) == ([killed.id], 25)
        assert report.as_dict()["abandoned_runs"] == [killed.id]
        with session_scope(engine) as s:
            runs = {r.id: r.status for r in s.scalars(select(IngestRun))}
            assert runs == {killed.id: "abandoned", report.run_id: "done"}
            assert s.get(IngestRun, killed.id).finished_at is not None
    finally:
        engine.dispose()


def _run(session, pid: int | None, host: str | None, started: str | None, status: str = "running") -> IngestRun:
    row = IngestRun(branch="main", status=status, pid=pid, host=host, pid_started=started)
    session.add(row)
    session.flush()
    return row


def test_only_runs_whose_process_has_ended_on_this_host_are_marked_abandoned(session):
    me = this_process()
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                               text=True, check=True)
        rows = {
            "alive (this process)": _run(session, me.pid, me.host, me.started),
            "alive (another process)": _run(session, sleeper.pid, me.host, process_started(sleeper.pid)),
            "ended": _run(session, int(ended.stdout), me.host, "boot:1"),
            "pid reused by a later process": _run(session, me.pid, me.host, "boot:1"),
            "on another host": _run(session, 1, "elsewhere.example.org", "boot:1"),
            "from before pids were recorded": _run(session, None, None, None),
            "already done": _run(session, 2**22 + 7, me.host, "boot:1", status="done"),
        }
        marked = mark_abandoned(session)
    finally:
        sleeper.kill()
        sleeper.wait()
    assert marked == [rows["ended"].id, rows["pid reused by a later process"].id]
    assert {name: r.status for name, r in rows.items()} == {
        "alive (this process)": "running", "alive (another process)": "running", "ended": "abandoned",
        "pid reused by a later process": "abandoned", "on another host": "running",
        "from before pids were recorded": "running", "already done": "done"}


def test_an_ingest_records_its_process_on_its_run(session, repo):
    repo.commit("one", {"spec/a.md": "# Alpha {#alpha}\n\nBody.\n"})
    report = run_ingest(session, repo)
    run = session.get(IngestRun, report.run_id)
    assert (run.pid, run.host, run.pid_started, run.status) == (os.getpid(), socket.gethostname(),
                                                               process_started(os.getpid()), "done")

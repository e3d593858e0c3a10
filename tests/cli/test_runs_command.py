"""`specreg runs`: the latest ingest runs, with those whose process is gone marked abandoned."""
from __future__ import annotations

import socket
import subprocess
import sys

from registry.db import make_engine, session_scope
from registry.models import IngestRun


def _dead_run(database_url: str) -> int:
    """A run row left "running" by a process that has ended (as a killed ingest leaves it)."""
    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                           check=True)
    engine = make_engine(database_url)
    with session_scope(engine, write=True) as s:
        row = IngestRun(branch="main", pid=int(ended.stdout), host=socket.gethostname(), pid_started="boot:1")
        s.add(row)
        s.flush()
        run_id = row.id
    engine.dispose()
    return run_id


def test_runs_marks_a_run_whose_process_is_gone_abandoned_and_lists_newest_first(json_cli, repo, database_url):
    repo.commit("one", {"spec/a.md": "# Alpha {#alpha}\n\nBody.\n"})
    dead = _dead_run(database_url)
    code, report = json_cli("ingest")
    assert code == 0 and report["abandoned_runs"] == [dead]
    code, runs = json_cli("runs")
    assert code == 0
    assert [(r["status"], r["commits"]) for r in runs] == [("done", 1), ("abandoned", 0)]
    assert runs[1]["id"] == dead < runs[0]["id"]
    assert runs[1]["finished_at"] is not None and runs[0]["host"] == socket.gethostname()


def test_runs_alone_marks_a_dead_run_and_refuses_a_limit_below_one(json_cli, database_url):
    dead = _dead_run(database_url)
    code, runs = json_cli("runs", "--limit", "1")
    assert code == 0 and [(r["id"], r["status"]) for r in runs] == [(dead, "abandoned")]
    code, error = json_cli("runs", "--limit", "0")
    assert code == 1 and error["error"] == "bad_request" and "--limit" in error["message"]

"""Which process an ingest run belongs to, and runs whose process is gone (marked abandoned).

A run row says "running" from its first checkpoint until it ends. A process killed mid-run (SIGKILL,
the machine's OOM killer, a power cut) never writes its end, so each run records the process that
runs it: its pid, the host, and when that process started (a pid is reused; a pid with another
start time is another process). A later ingest on the same host marks every "running" run whose
process is gone as "abandoned". A run recorded on another host cannot be checked from here and
stays "running" until an ingest on its own host looks.
"""
from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.models import IngestRun, utcnow

RUNNING, DONE, STOPPED, ABANDONED = "running", "done", "stopped", "abandoned"
FILLING_BOUND = timedelta(hours=1)  # how long a run's unfilled search vectors are taken for its filler's
# A run's started_at is its own host's clock, `now` the verifying host's: a start this far ahead is a clock
# a little fast, not a run still to come.
CLOCK_SKEW = timedelta(minutes=5)


@dataclass(frozen=True)
class ProcessId:
    """A process, told apart from a later one that reuses its pid: (pid, host, start)."""

    pid: int
    host: str
    started: str | None  # the kernel's boot id and the process's start time; None where unknown


def process_started(pid: int) -> str | None:
    """When process `pid` started, as '<boot id>:<clock ticks since boot>'; None if gone or unknown.

    Linux only (/proc): field 22 of /proc/PID/stat, after the command name in parentheses (which may
    itself hold spaces and parentheses, hence the split at the last one).
    """
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    if fields[0] == "Z":
        return None  # a zombie has ended; only its exit status waits to be collected
    return f"{boot}:{fields[19]}"


def this_process() -> ProcessId:
    """The running process's identity, recorded on its run row."""
    return ProcessId(os.getpid(), socket.gethostname(), process_started(os.getpid()))


def is_gone(run: IngestRun, host: str) -> bool:
    """True when the run's process has ended, as far as this host can tell (only its own runs)."""
    if run.pid is None or run.host != host:
        return False
    if run.pid_started is not None and Path("/proc").is_dir():
        return process_started(run.pid) != run.pid_started
    try:
        os.kill(run.pid, 0)  # no signal sent: only asks whether the pid exists
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # it exists, under another user
    return False


def _running(session: Session, gone: bool) -> list[IngestRun]:
    """The "running" runs whose process has ended (`gone`), or the others, oldest first."""
    host = socket.gethostname()
    return [run for run in session.scalars(select(IngestRun).where(IngestRun.status == RUNNING)
                                           .order_by(IngestRun.id)) if is_gone(run, host) == gone]


@dataclass(frozen=True)
class UnderWay:
    """The "running" runs not known to be gone, as verify's search check trusts them (ids, oldest first).

    `filling`: started within FILLING_BOUND (and at most CLOCK_SKEW ahead of `now`): their background
    filler may not have reached their versions yet. `overdue`: started longer ago, or at a time still to come. "Not
    known to be gone" is no proof of life (a run on another host, or a row written with SQL, is never
    known gone), so it only excuses a run's own versions, and only for a bounded time."""

    filling: list[int]
    overdue: list[int]


def runs_under_way(session: Session, now: datetime | None = None) -> UnderWay:
    """The "running" runs whose process is not known to be gone, split by how long they have run."""
    now = now or utcnow()
    runs = _running(session, gone=False)
    filling = [run.id for run in runs if now - FILLING_BOUND <= run.started_at <= now + CLOCK_SKEW]
    return UnderWay(filling, [run.id for run in runs if run.id not in filling])


def mark_abandoned(session: Session) -> list[int]:
    """Mark "running" runs whose process has ended as "abandoned"; their ids, oldest first."""
    gone = _running(session, gone=True)
    for run in gone:
        run.status, run.finished_at = ABANDONED, utcnow()
    session.flush()
    return [run.id for run in gone]


@dataclass(frozen=True)
class RunView:
    """One ingest run as `specreg runs` shows it."""

    id: int
    branch: str
    status: str
    started_at: datetime
    finished_at: datetime | None
    head_before: str | None
    head_after: str | None
    commits: int
    versions: int
    pid: int | None
    host: str | None

    def as_dict(self) -> dict[str, object]:
        """The JSON form."""
        return {"id": self.id, "branch": self.branch, "status": self.status,
                "started_at": self.started_at.isoformat(),
                "finished_at": self.finished_at.isoformat() if self.finished_at else None,
                "head_before": self.head_before, "head_after": self.head_after, "commits": self.commits,
                "versions": self.versions, "pid": self.pid, "host": self.host}


def check_runs(session: Session, limit: int) -> list[RunView]:
    """Mark runs whose process is gone as abandoned, then the latest `limit` runs, newest first."""
    mark_abandoned(session)
    rows = session.scalars(select(IngestRun).order_by(IngestRun.id.desc()).limit(limit))
    return [RunView(r.id, r.branch, r.status, r.started_at, r.finished_at, r.head_before, r.head_after, r.commits,
                    r.versions, r.pid, r.host) for r in rows]

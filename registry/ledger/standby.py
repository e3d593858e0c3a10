"""A history reader process that starts reading before the command knows what to read.

A long ingest runs as a pipeline: a reader process reads and parses the history while the command's
process writes the ledger, and the reader is the slower half. But the command spends its first
~0.4 s importing SQLAlchemy and the models and reading the ledger before it knows what to read, and
a reader started then starts that late. So `specreg ingest` forks one here, before those imports,
with a `Plan`: what the command line knows without the database (the repo, the options, the head
the last ingest on this instance reached). The reader guesses the job from it, the one ingest
will give it when the database is where that last ingest left it (or empty, on a first ingest),
and reads ahead on that guess while the command imports. `history_stream.parsed_history` then
hands it the real job: when it is the guess, what was read ahead is sent first and reading goes
on; when it is not, the reader drops it and reads the real job from the start. The guess never
decides what is read, only when reading starts. A command that ends without a job dismisses it.

This module imports nothing heavy: it runs before the imports it is there to overlap.
"""
from __future__ import annotations

import json
import os
import re
import stat
import threading
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from multiprocessing.connection import Connection
    from multiprocessing.process import BaseProcess

    from registry.ledger.history_stream import ReadJob
    from registry.ledger.options import IngestOptions

# What a reader reads ahead before the job arrives, pickled: messages (the wire hello, then batches of up
# to 50 commits) and bytes.
# Bounds the memory it holds while the command waits (for another ingest's lock, say).
READ_AHEAD = 20
READ_AHEAD_BYTES = 32 * 2**20
# The remembered head's file is a few hundred bytes; anything longer is not ours.
_REMEMBERED_MAX = 4096
# How long a dismissed reader may take to go before it is terminated (it only has to see EOF).
_DISMISS_WAIT = 2.0
_SHA = re.compile(r"[0-9a-f]{40}([0-9a-f]{24})?")


@dataclass(frozen=True)
class Plan:
    """What the command line knows before the database: the repo, the options, the remembered head's file."""

    repo: Path
    options: IngestOptions
    remembered: Path


@dataclass
class Standby:
    """A forked reader process; `jobs` sends it its job, `batches` receives what it reads."""

    process: BaseProcess
    jobs: Connection
    batches: Connection

    def start(self, job: ReadJob) -> bool:
        """Give the reader its job (its batches then arrive on `batches`); False: it ended meanwhile."""
        try:
            self.jobs.send(job)
        except OSError:  # BrokenPipeError: it died after `take` found it alive
            self.dismiss()
            return False
        self.jobs.close()
        return True

    def dismiss(self) -> None:
        """Let a reader that got no job go (it sees its job pipe close), and wait for it."""
        for conn in (self.jobs, self.batches):
            conn.close()
        self.process.join(_DISMISS_WAIT)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join()


_waiting: Standby | None = None


@contextmanager
def standing_by(plan: Plan | None) -> Iterator[None]:
    """Fork a reader reading ahead on `plan` for the duration of the block; dismiss it if nobody took it.

    Nothing is forked without a plan, when other threads run (a forked child inherits their locks,
    held or not), where fork is not available, or when a reader already waits: `parsed_history` then
    starts its own reader as it would without one.
    """
    global _waiting
    import multiprocessing

    if plan is None or _waiting is not None or threading.active_count() > 1 \
            or "fork" not in multiprocessing.get_all_start_methods():
        yield
        return
    context = multiprocessing.get_context("fork")
    job_out, job_in = context.Pipe(duplex=False)
    batch_out, batch_in = context.Pipe(duplex=False)
    process = context.Process(target=_read_ahead, args=(plan, job_out, batch_in, os.getpid(), (job_in, batch_out)),
                              name="specreg-history-reader", daemon=True)
    process.start()
    job_out.close()
    batch_in.close()
    mine = _waiting = Standby(process, job_in, batch_out)
    try:
        yield
    finally:
        if _waiting is mine:
            _waiting = None
            mine.dismiss()


def take() -> Standby | None:
    """The waiting reader, handed out once; None when there is none or it has died."""
    global _waiting
    found, _waiting = _waiting, None
    if found is not None and not found.process.is_alive():
        found.dismiss()
        return None
    return found


def waiting() -> bool:
    """Whether a reader is waiting for a job (so giving it one costs no new process)."""
    return _waiting is not None


def guess(plan: Plan) -> ReadJob | None:
    """The job ingest gives when the database is where this instance's last ingest left it (None: nothing new).

    The job as ingest forms it (`history_stream.job_for`), on the branch the options name, else the
    repo's checked-out branch; from the remembered head when it was remembered for this repo and branch.
    """
    from registry.gitsource import SpecSource
    from registry.ledger.history_stream import for_reader, job_for

    options = plan.options
    with SpecSource(plan.repo) as source:
        branch = options.branch or source.checked_out_branch()
        head = source.resolve(branch)
        since = _remembered(plan.remembered, source.path, branch)
        if since == head:
            return None
        job = job_for(source, head, since, options.includes, options.max_file_bytes, options.batch_commits)
    return for_reader(job)


def remember(path: Path, repo: Path, branch: str, head: str) -> None:
    """Keep the head an ingest of `repo`'s `branch` reached, for the next command's guess."""
    record = {"repo": str(repo.resolve()), "branch": branch, "head": head}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        scratch = path.with_name(f".{path.name}.{os.getpid()}")
        scratch.write_text(json.dumps(record))
        scratch.replace(path)  # whole or not at all: two commands may finish at once
    except OSError:
        pass  # a read-only instance folder: the next command only guesses less well


def _remembered(path: Path, repo: Path, branch: str) -> str | None:
    """The remembered head for this repo and branch; None when there is none (or it is not a sha)."""
    try:
        # Not blocking on a FIFO, nor reading a huge file: the instance folder is not the database.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                return None
            data = os.read(fd, _REMEMBERED_MAX + 1)
        finally:
            os.close(fd)
        record: Any = json.loads(data) if len(data) <= _REMEMBERED_MAX else None
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or record.get("repo") != str(repo.resolve()) or record.get("branch") != branch:
        return None
    head = record.get("head")
    # Only ever a sha: the file is outside the database's protection, and this goes to git's command line.
    return head if isinstance(head, str) and _SHA.fullmatch(head) else None


def _read_ahead(plan: Plan, jobs: Connection, batches: Connection, parent: int,
                inherited: tuple[Connection, ...]) -> None:
    """The reader process: read ahead on the guess until the job arrives, then serve the job."""
    # A forked child holds copies of the parent's ends, which it closes: while it held the job pipe's
    # sending end, it would never see that pipe close when the parent dismissed it or died.
    for conn in inherited:
        conn.close()
    try:
        from registry.ledger import history_stream

        history_stream.die_with_parent(parent)
        guessed, rest, ahead = _ahead(plan, jobs)
        try:
            job = jobs.recv()
        except (EOFError, OSError):
            return  # dismissed: the command read nothing, or ended before it knew what
        finally:
            jobs.close()
        if rest is not None and job == guessed:
            history_stream.serve(job, batches, ahead, rest)
        else:
            if rest is not None:
                rest.close()
            history_stream.serve(job, batches)
    except KeyboardInterrupt:
        pass  # the command was interrupted too; it says so


def _ahead(plan: Plan, jobs: Connection) -> tuple[ReadJob | None, Generator[tuple[str, Any]] | None,
                                                 list[memoryview]]:
    """Read on the guess until the job arrives or the read-ahead is full: (guess, the rest of its messages,
    the ones read, pickled)."""
    import gc

    from registry.ledger.history_stream import messages
    from registry.ledger.reader_outbox import pickled

    gc.disable()  # as in history_stream.serve: what a reader allocates holds no cycles
    ahead: list[memoryview] = []
    held = 0
    try:
        guessed = guess(plan)
        if guessed is None:
            return None, None, ahead
        rest = messages(guessed)
        while len(ahead) < READ_AHEAD and held < READ_AHEAD_BYTES and not jobs.poll():
            message = next(rest)
            ahead.append(pickled(message))
            held += len(ahead[-1])
            if message[0] == "end":
                break
    except Exception:
        # A guess that cannot be read (a branch or repo the real job will not name, or will and then
        # report properly) is dropped: the job is then read from the start, errors and all.
        return None, None, []
    return guessed, rest, ahead

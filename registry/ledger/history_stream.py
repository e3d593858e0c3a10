"""The branch's new commits with their spec documents parsed, batch by batch.

Reading (git log and cat-file) and parsing are about half of a full ingest's work and need nothing
from the database, so a long run does them in a second process while this one writes the ledger:
the reader works on batch N+1 while the writer applies batch N. A short run (one new commit, say)
reads in this process, which is cheaper than starting another.
"""
from __future__ import annotations

import gc
import os
import signal
import sys
import threading
import traceback
from collections.abc import Generator, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from itertools import islice
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from registry.errors import SourceError
from registry.gitsource import RawCommit, SpecSource
from registry.gitsource.blobs import Answers
from registry.ledger import standby
from registry.ledger.documents import CommitDocs, DocumentReader
from registry.ledger.reader_outbox import Outbox, pickled
from registry.ledger.wire import Decoder, Encoder, hello
from registry.spec.specfiles import SpecFiles, from_options

if TYPE_CHECKING:  # multiprocessing is imported only when a reader process starts (not for one commit)
    from multiprocessing.connection import Connection
    from multiprocessing.process import BaseProcess

T = TypeVar("T")
# Commits per message from a reader process: the writer starts (and ends) soon after the reader, and
# a message's blobs fit git's 1 MiB pipe. The writer still commits every `ReadJob.batch` commits.
READER_BATCH = 50
_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


@dataclass(frozen=True)
class ReadJob:
    """What to read: the repo, the first-parent range (since, head], the spec file rule, limits.

    `batch` is how many commits the writer applies between commits to the database.
    """

    repo: str
    head: str
    since: str | None
    files: SpecFiles
    max_bytes: int
    batch: int


def job_for(source: SpecSource, head: str, since: str | None, includes: tuple[str, ...], max_bytes: int,
            batch: int) -> ReadJob:
    """The job reading (since, head]: spec files by `includes` if given, else by `specreg.toml` at the head."""
    toml = source.read_file(head, "specreg.toml")
    files = from_options(includes, toml.decode("utf-8", "replace") if toml is not None else None)
    return ReadJob(str(source.path), head, since, files, max_bytes, batch)


def for_reader(job: ReadJob) -> ReadJob:
    """The job as a reader process gets it: its messages carry at most READER_BATCH commits."""
    return replace(job, batch=min(job.batch, READER_BATCH))


def chunks(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """Lists of up to `size` items, in order."""
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk


def read_batches(source: SpecSource, job: ReadJob) -> Generator[list[CommitDocs]]:
    """Batches of commits, oldest first, each commit with its spec documents read and parsed.

    The next batch's blobs are asked for before this batch is parsed, so git reads them meanwhile.
    """
    reader = DocumentReader(job.files, job.max_bytes)
    log = chunks(source.log(job.head, job.since), job.batch)

    def ask(chunk: list[RawCommit] | None) -> Iterator[tuple[str, bytes]] | None:
        return source.blobs(dict.fromkeys(b for c in chunk for b in reader.wanted_blobs(c))) if chunk else None

    chunk = next(log, None)
    ahead = ask(chunk)
    try:
        while chunk is not None and ahead is not None:
            blobs = dict(ahead)
            following = next(log, None)
            ahead = ask(following)
            yield [reader.read(c, blobs) for c in chunk]
            chunk = following
    finally:
        if isinstance(ahead, Answers):
            ahead.close()  # stopped early: answers nobody will read must not wait in git's pipe


@contextmanager
def parsed_history(source: SpecSource, job: ReadJob, in_process: bool) -> Iterator[Iterator[list[CommitDocs]]]:
    """The batches of `read_batches`, read here or in a reader process (stopped on leaving).

    A reader the command started on standby (see `standby`) reads the job, however short: it is
    already there and may have read it ahead. Else `in_process` says whether to read here or in a
    reader process started now.
    """
    small = for_reader(job)
    waiting = standby.take()
    if waiting is not None and waiting.start(small):
        receiver, process = waiting.batches, waiting.process
    elif in_process:
        batches = read_batches(source, job)
        try:
            yield batches
        finally:
            batches.close()
        return
    else:
        receiver, process = _started(small)
    try:
        yield _received(receiver, process)
    finally:
        receiver.close()
        if process.is_alive():
            process.terminate()  # the writer stopped early: the reader's work is not needed
        process.join()


def _started(job: ReadJob) -> tuple[Connection, BaseProcess]:
    """A reader process started now for `job`: the end its batches arrive on, and the process."""
    import multiprocessing

    # one literal per call: the contexts typeshed gives for "fork" and "spawn" have Process, BaseContext has not
    context = multiprocessing.get_context("fork") if _start_method() == "fork" else multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    # A forked child holds a copy of our end of the pipe, which it closes: while it held it, a killed
    # writer left the reader blocked forever on a full pipe that nobody else could read.
    inherited = receiver if context.get_start_method() == "fork" else None
    process = context.Process(target=_serve_child, args=(job, sender, os.getpid(), inherited),
                              name="specreg-history-reader", daemon=True)
    process.start()
    sender.close()
    return receiver, process


def _start_method() -> Literal["fork", "spawn"]:
    # fork starts at once and shares what is already imported, but it is only safe while this
    # process has a single thread (a forked child inherits other threads' locks, held or not).
    single = threading.active_count() == 1
    import multiprocessing

    return "fork" if single and "fork" in multiprocessing.get_all_start_methods() else "spawn"


def _serve_child(job: ReadJob, conn: Connection, parent: int, inherited: Connection | None) -> None:
    """A reader process started for its job: `serve` it, dying with the parent."""
    if inherited is not None:
        inherited.close()
    die_with_parent(parent)
    serve(job, conn)


def messages(job: ReadJob) -> Generator[tuple[str, Any]]:
    """What a reader process sends for `job`: its wire version, ("batch", commits) messages in order, then ("end", None)."""
    yield hello()
    encoder = Encoder()
    with SpecSource(job.repo) as source:
        for batch in read_batches(source, job):
            yield "batch", [encoder.commit(docs) for docs in batch]
    yield "end", None


def serve(job: ReadJob, conn: Connection, ahead: Iterable[memoryview] = (),
          rest: Iterator[tuple[str, Any]] | None = None) -> None:
    """The reader process's work: send `messages(job)`, or the error that stopped it.

    `ahead` and `rest` are those messages already begun: the first ones pickled, and the others.
    """
    # What this process allocates (parses: tuples and strings, kept per path until replaced) holds no
    # reference cycles, yet the collector kept walking it: 1.5% of the process's instructions on the
    # reference shape. The process ends with the run, so nothing cyclic can pile up for long.
    gc.disable()
    outbox = Outbox(conn)
    try:
        for data in ahead:
            outbox.put(data)
        for message in messages(job) if rest is None else rest:
            outbox.put(pickled(message))
    except (BrokenPipeError, KeyboardInterrupt):
        pass  # the writer stopped reading or was interrupted: nothing to report
    except SourceError as exc:
        outbox.last(("source_error", exc.message))
    except Exception:  # a bug: the writer re-raises it with the reader's traceback
        outbox.last(("error", traceback.format_exc()))
    finally:
        outbox.close()


def die_with_parent(parent: int) -> None:
    """Linux: have the kernel kill this process when its parent ends; leave now if it already has.

    A writer killed outright (SIGKILL, the OOM killer) runs no clean-up, so its reader process must
    not depend on being told. Its git children end with it: git's input reaches its end, or its
    output has nobody left to read it.
    """
    if sys.platform.startswith("linux"):
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent ended before the line above took effect
        os._exit(1)


def _received(conn: Connection, process: BaseProcess) -> Iterator[list[CommitDocs]]:
    """Decode the reader's batches until it ends; its errors are raised here."""
    decoder: Decoder | None = None  # made from the reader's first message, which names its wire version
    while True:
        try:
            kind, payload = conn.recv()
        except EOFError:
            process.join(timeout=5)
            raise SourceError(f"the history reader process ended unexpectedly (exit code {process.exitcode}); "
                              "batches written before it are kept, run ingest again to continue") from None
        if kind == "end":
            return
        if kind == "source_error":
            raise SourceError(payload)
        if kind == "error":
            raise RuntimeError(f"the history reader process failed:\n{payload}")
        if decoder is None:
            decoder = Decoder.from_hello((kind, payload))
            continue
        yield [decoder.commit(wire) for wire in payload]

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
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from functools import partial
from itertools import islice
from typing import TYPE_CHECKING, Any, Literal, TypeVar, cast

from registry.errors import SourceError
from registry.gitsource import RawCommit, SpecSource
from registry.gitsource.blobs import Answers
from registry.ledger import standby
from registry.ledger.documents import CommitDocs, DocEdit, DocumentReader
from registry.spec.clause_builder import Clause, shifted
from registry.spec.parser import ParsedDocument
from registry.spec.specfiles import SpecFiles, from_options

if TYPE_CHECKING:  # multiprocessing is imported only when a reader process starts (not for one commit)
    from multiprocessing.connection import Connection
    from multiprocessing.process import BaseProcess

T = TypeVar("T")
# Commits per message from a reader process: the writer starts (and ends) soon after the reader, and
# a message's blobs fit git's 1 MiB pipe. The writer still commits every `ReadJob.batch` commits.
READER_BATCH = 50
# Bytes of pickled messages the reader parses ahead of what the pipe has taken (see _Outbox).
SEND_AHEAD_BYTES = 32 * 2**20
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
    """What a reader process sends for `job`: ("batch", commits) messages in order, then ("end", None)."""
    encoder = _Encoder()
    with SpecSource(job.repo) as source:
        for batch in read_batches(source, job):
            yield "batch", [encoder.commit(docs) for docs in batch]
    yield "end", None


def pickled(message: tuple[str, Any]) -> memoryview:
    """A message as the pipe carries it: what `Connection.recv` unpickles."""
    from multiprocessing.reduction import ForkingPickler  # only reader processes get here

    return ForkingPickler.dumps(message)


def serve(job: ReadJob, conn: Connection, ahead: Iterable[memoryview] = (),
          rest: Iterator[tuple[str, Any]] | None = None) -> None:
    """The reader process's work: send `messages(job)`, or the error that stopped it.

    `ahead` and `rest` are those messages already begun: the first ones pickled, and the others.
    """
    # What this process allocates (parses: tuples and strings, kept per path until replaced) holds no
    # reference cycles, yet the collector kept walking it: 1.5% of the process's instructions on the
    # reference shape. The process ends with the run, so nothing cyclic can pile up for long.
    gc.disable()
    outbox = _Outbox(conn)
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


class _Outbox:
    """Sends the reader's pickled messages from a thread of its own, up to SEND_AHEAD_BYTES behind the parse.

    Sent from the parsing thread, a message waited whenever the writer was busy writing a batch
    (the pipe holds less than one message), and with it the parse: one core idle while the other
    wrote. The thread only writes, which lets go of the GIL, while parsing goes on. Bytes, not
    messages, are counted: one message of rewritten 2 MB documents can hold a hundred MB.
    """

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.waiting: deque[memoryview | None] = deque()  # None: the end
        self.held = 0  # bytes waiting
        self.changed = threading.Condition()
        self.broken = False  # the pipe failed (the writer is gone): what waits is dropped, nothing more is taken
        self.thread = threading.Thread(target=self._send, name="specreg-reader-outbox", daemon=True)
        self.thread.start()

    def put(self, data: memoryview) -> None:
        """Queue a pickled message, waiting while SEND_AHEAD_BYTES wait; BrokenPipeError once the pipe failed."""
        with self.changed:
            while self.held and self.held + len(data) > SEND_AHEAD_BYTES and not self.broken:
                self.changed.wait()
            if self.broken:
                raise BrokenPipeError("the writer stopped reading")
            self.waiting.append(data)
            self.held += len(data)
            self.changed.notify_all()

    def last(self, message: tuple[str, str]) -> None:
        """Queue the message that ends the stream (an error), unless nobody is left to read it."""
        try:
            self.put(pickled(message))
        except BrokenPipeError:
            pass  # the writer is gone; nobody to tell

    def close(self) -> None:
        """Send what is queued, then close the connection."""
        with self.changed:
            self.waiting.append(None)
            self.changed.notify_all()
        self.thread.join()
        self.conn.close()

    def _send(self) -> None:
        while True:
            with self.changed:
                while not self.waiting:
                    self.changed.wait()
                data = self.waiting[0]  # counted until it is sent, so `put` waits for the pipe
            if data is None:
                return
            if not self.broken:
                try:
                    self.conn.send_bytes(data)
                except Exception:  # the writer is gone or the pipe failed: say so to `put`, and drain
                    self.broken = True
            with self.changed:
                self.waiting.popleft()
                self.held -= len(data)
                self.changed.notify_all()


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
    decoder = _Decoder()
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
        yield [decoder.commit(wire) for wire in payload]


# The wire form of a parse. The writer keeps each path's last parse it received, so a parse the
# parser built from that one (its unchanged prefix and suffix reused) travels as the changed clauses
# only: sending every clause of every version would cost more than parsing them. Clauses travel as
# plain tuples, which pickle several times faster than named tuples.
UNREADABLE = "unreadable"  # first item of an unreadable version's wire form (a parse's is a blob sha)


class _Encoder:
    def __init__(self) -> None:
        self.sent: dict[str, int] = {}  # path -> serial of the parse last sent for it

    def commit(self, docs: CommitDocs) -> tuple[Any, ...]:
        return docs.commit, [self._edit(e) for e in docs.edits], docs.renames, docs.warnings

    def _edit(self, e: DocEdit) -> tuple[Any, ...]:
        p = e.parsed
        previous = e.previous.serial if e.previous is not None else None
        if p is None:
            return e.path, None if e.unreadable is None else (UNREADABLE, e.blob, e.unreadable), previous
        sent = self.sent.get(e.path)
        self.sent[e.path] = p.serial
        if p.serial == sent:
            body: tuple[Any, ...] = ("same",)
        elif p.reused is not None and e.previous is not None and p.base == e.previous.serial == sent:
            k0, j1, k1 = p.reused
            body = ("delta", _window(p.clauses[k0:j1], e.previous.clauses, k0, k1), len(p.lines) - len(e.previous.lines))
        else:
            body = ("full", [tuple(c) for c in p.clauses])
        return e.path, (e.blob, p.serial, p.reused, p.base, body), previous


# A wire tuple as a Clause without a Python call per clause (Clause._make is one): tuples of the
# right length are all the encoder sends.
_clause = cast(Callable[[tuple[Any, ...]], Clause], partial(tuple.__new__, Clause))


def _window(clauses: Sequence[Clause], previous: Sequence[Clause], k0: int, k1: int) -> list[Any]:
    """The re-scanned clauses as they travel: most read as before, so those go as a reference.

    A clause the same as the previous parse's clause of its id goes as that clause's index; one
    only moved up or down goes as (index, line shift); any other as its tuple. Unchanged clauses
    were most of a window's bytes on the reference shape (its edits touch clauses here and there).
    """
    at = {c[0]: m for m, c in enumerate(previous[k0:k1], k0)}  # ids are unique in a parse
    out: list[Any] = []
    for c in clauses:
        m = at.get(c[0])
        if m is not None:
            old = previous[m]
            if old == c:
                out.append(m)
                continue
            shift = c[6] - old[6]
            if c[7] - old[7] == shift and old[:6] == c[:6] and old[8:] == c[8:]:
                out.append((m, shift))
                continue
        out.append(tuple(c))
    return out


def _received_clause(wire: Any, previous: Sequence[Clause]) -> Clause:
    """A clause of a re-scanned window from `_window`'s form, against the parse it refers to."""
    if type(wire) is int:
        return previous[wire]
    if len(wire) == 2:
        old, shift = previous[wire[0]], wire[1]
        return _clause((old[0], old[1], old[2], old[3], old[4], old[5], old[6] + shift, old[7] + shift, old[8],
                        old[9]))
    return _clause(wire)


class _Decoder:
    def __init__(self) -> None:
        self.latest: dict[str, ParsedDocument] = {}  # path -> the last parse received for it

    def commit(self, wire: tuple[Any, ...]) -> CommitDocs:
        commit, edits, renames, warnings = wire
        return CommitDocs(commit, [self._edit(*e) for e in edits], renames, warnings)

    def _edit(self, path: str, parse: tuple[Any, ...] | None, previous_serial: int | None) -> DocEdit:
        have = self.latest.get(path)
        previous = have if have is not None and have.serial == previous_serial else None
        if parse is None:
            return DocEdit(path, None, None)
        if parse[0] == UNREADABLE:
            return DocEdit(path, None, parse[1], previous, unreadable=parse[2])
        blob, serial, reused, base, body = parse
        if body[0] == "same":
            assert have is not None  # the encoder sends "same" only for the parse it sent here last
            parsed = have
        else:
            if body[0] == "delta":  # the encoder sent a delta only against the parse we hold
                assert have is not None
                k0, _, k1 = reused
                tail = have.clauses[k1:]
                held = have.clauses  # an index (most clauses) is looked up here, without a call
                window = tuple([held[x] if type(x) is int else _received_clause(x, held) for x in body[1]])
                clauses = have.clauses[:k0] + window + (tuple(shifted(tail, body[2])) if body[2] else tail)
            else:
                clauses = tuple(map(_clause, body[1]))
            parsed = ParsedDocument(path, clauses, reused=reused, serial=serial, base=base)
        self.latest[path] = parsed
        return DocEdit(path, parsed, blob, previous)

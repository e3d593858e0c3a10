"""Blob contents through one long-lived `git cat-file --batch` process, with requests answered ahead.

A request is sent to git when it is made, and git answers requests in order into a pipe made as
large as the system allows, so git reads the next batch's blobs while the caller works on this one.
One writer thread feeds git's input, so neither pipe can deadlock the other.
"""
from __future__ import annotations

import fcntl
import os
import queue
import subprocess
import threading
from collections import deque
from collections.abc import Iterable, Iterator
from pathlib import Path

from registry.errors import SourceError
from registry.gitsource.process import reap, stream

# git's output pipe: room for a batch or two of answers. Linux lets an unprivileged process ask for
# up to /proc/sys/fs/pipe-max-size (1 MiB by default).
_PIPE_BYTES = (4 << 20, 1 << 20)
_SETPIPE_SZ: int | None = getattr(fcntl, "F_SETPIPE_SZ", None)  # Linux only


class BlobReader:
    """The source's cat-file process: `read` asks at once and returns the answers as an iterator."""

    def __init__(self, repo: Path) -> None:
        self._repo = repo
        self._proc: subprocess.Popen[bytes] | None = None
        self._inbox: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
        self._writer: threading.Thread | None = None
        self._pending: deque[Answers] = deque()  # requests not yet read to the end, oldest first

    def read(self, shas: Iterable[str]) -> Iterator[tuple[str, bytes]]:
        """(sha, content) for each blob in order; read requests to their end in the order made."""
        wanted = list(shas)
        if not wanted:
            return iter(())
        if self._pending:
            # Earlier answers are still queued (a batch asked for ahead): this request, made out of
            # turn, gets a process of its own rather than waiting behind them.
            side = BlobReader(self._repo)
            try:
                return iter(list(side.read(wanted)))
            finally:
                side.close()
        proc = self._proc or self._start()
        answers = Answers(self, proc, wanted)
        self._pending.append(answers)
        self._inbox.put(b"".join(sha.encode() + b"\n" for sha in wanted))
        return answers

    def read_named(self, name: str) -> bytes | None:
        """The blob `name` names (`<commit>:<path>`, without a newline), or None when it names no blob."""
        if self._pending:  # answers asked ahead wait in git's pipe: this one gets a process of its own
            side = BlobReader(self._repo)
            try:
                return side.read_named(name)
            finally:
                side.close()
        proc = self._proc or self._start()
        out = proc.stdout
        assert out is not None
        self._inbox.put(os.fsencode(name) + b"\n")
        try:
            header = out.readline()
            if header.endswith(b" missing\n"):
                return None
            parts = header.split()
            if len(parts) != 3:
                raise SourceError(f"git cannot read {name}: {header.decode('utf-8', 'replace').strip()}")
            data = out.read(int(parts[2]))
            out.read(1)  # the newline after each object
        except BaseException:
            self.close()  # what is left in the pipe must not be taken for the next request's answer
            raise
        return data if parts[1] == b"blob" else None

    def _next_in_line(self, answers: Answers) -> bool:
        return bool(self._pending) and self._pending[0] is answers and answers.proc is self._proc

    def _done(self, answers: Answers) -> None:
        if self._pending and self._pending[0] is answers:
            self._pending.popleft()

    def _start(self) -> subprocess.Popen[bytes]:
        proc = stream(self._repo, "cat-file", "--batch", stdin=True)
        assert proc.stdout is not None
        if _SETPIPE_SZ is not None:
            for size in _PIPE_BYTES:
                try:
                    fcntl.fcntl(proc.stdout.fileno(), _SETPIPE_SZ, size)
                    break
                except OSError:
                    continue  # a smaller pipe only means git works less far ahead
        self._inbox = queue.SimpleQueue()
        self._writer = threading.Thread(target=self._feed, args=(proc, self._inbox), name="cat-file-feed",
                                        daemon=True)
        self._writer.start()
        self._proc = proc
        return proc

    @staticmethod
    def _feed(proc: subprocess.Popen[bytes], inbox: queue.SimpleQueue[bytes | None]) -> None:
        """Write each request to git's input; None (or a gone git) ends it and closes the input."""
        assert proc.stdin is not None
        try:
            while (payload := inbox.get()) is not None:
                proc.stdin.write(payload)
                proc.stdin.flush()
        except (BrokenPipeError, ValueError, OSError):
            pass  # git is gone (the reader stopped it); nothing left to feed
        finally:
            try:
                proc.stdin.close()
            except (BrokenPipeError, OSError):
                pass

    def close(self) -> None:
        """Stop the cat-file process; requests not read yet are dropped."""
        proc, writer, self._proc, self._writer = self._proc, self._writer, None, None
        self._pending.clear()
        if proc is None:
            return
        # Our end of git's output first: a git blocked on a full pipe then exits, which frees a
        # writer blocked on git's input.
        assert proc.stdout is not None
        proc.stdout.close()
        self._inbox.put(None)
        if writer is not None:
            writer.join()
        reap(proc)


class Answers:
    """git's answers to one request, read from the pipe as they are iterated.

    `close()` before the end (or an error) stops the process: answers left in the pipe would
    otherwise be taken for the next request's.
    """

    def __init__(self, reader: BlobReader, proc: subprocess.Popen[bytes], wanted: list[str]) -> None:
        self.reader, self.proc, self.wanted = reader, proc, wanted
        self.done = 0

    def __iter__(self) -> Iterator[tuple[str, bytes]]:
        return self

    def __next__(self) -> tuple[str, bytes]:
        if self.done == len(self.wanted):
            raise StopIteration
        if not self.reader._next_in_line(self):
            raise RuntimeError("blob requests must be read in the order they were made")
        sha, out = self.wanted[self.done], self.proc.stdout
        assert out is not None
        try:
            header = out.readline().split()
            if len(header) != 3:
                raise SourceError(f"blob {sha} missing from the repository")
            data = out.read(int(header[2]))
            out.read(1)  # the newline after each object
        except BaseException:
            self.close()
            raise
        self.done += 1
        if self.done == len(self.wanted):
            self.reader._done(self)
        return sha, data

    def close(self) -> None:
        """Give up on the answers not read yet."""
        if self.done < len(self.wanted):
            self.done = len(self.wanted)
            if self.proc is self.reader._proc:  # (a process stopped earlier is not this one's to stop)
                self.reader.close()

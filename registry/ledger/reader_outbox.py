"""A reader process's pickled messages, sent to the writer from a thread of their own."""
from __future__ import annotations

import threading
from collections import deque
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # multiprocessing is imported only when a reader process starts (not for one commit)
    from multiprocessing.connection import Connection

# Bytes of pickled messages the reader parses ahead of what the pipe has taken.
SEND_AHEAD_BYTES = 32 * 2**20


def pickled(message: tuple[str, Any]) -> memoryview:
    """A message as the pipe carries it: what `Connection.recv` unpickles."""
    from multiprocessing.reduction import ForkingPickler  # only reader processes get here

    return ForkingPickler.dumps(message)


class Outbox:
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

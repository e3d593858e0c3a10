"""The reader process sends its messages from a thread of its own: in order, whole, and never stuck.

The parse goes on while the writer is busy; a writer that goes away must not leave the reader
waiting on a full outbox, and a message that cannot be sent must reach the writer as an error.
"""
from __future__ import annotations

import gc
import multiprocessing
import threading
from collections.abc import Iterator

import pytest

from registry.ledger import reader_outbox
from registry.ledger.history_stream import ReadJob, serve
from registry.spec.specfiles import SpecFiles

JOB = ReadJob("/nowhere", "0" * 40, None, SpecFiles(), 1_000, 50)  # unread: the tests give the messages


@pytest.fixture(autouse=True)
def collector_back_on() -> Iterator[None]:
    yield
    gc.enable()  # serve turns it off, for a reader process that ends with its run


def _serving(conn, messages) -> threading.Thread:
    thread = threading.Thread(target=serve, args=(JOB, conn, (), iter(messages)), daemon=True)
    thread.start()
    return thread


def test_messages_arrive_in_order_and_whole_even_when_one_is_larger_than_the_outbox(monkeypatch):
    monkeypatch.setattr(reader_outbox, "SEND_AHEAD_BYTES", 1_000)
    receiver, sender = multiprocessing.Pipe(duplex=False)
    messages = [("batch", [n, "x" * (n * 20_000)]) for n in range(30)] + [("end", None)]
    thread = _serving(sender, messages)
    assert [receiver.recv() for _ in messages] == messages
    thread.join(10)
    assert not thread.is_alive()


def test_a_message_that_cannot_be_pickled_reaches_the_writer_as_an_error_after_the_ones_before_it():
    receiver, sender = multiprocessing.Pipe(duplex=False)
    thread = _serving(sender, [("batch", [1]), ("batch", [lambda: None]), ("batch", [3])])
    assert receiver.recv() == ("batch", [1])
    kind, text = receiver.recv()
    assert kind == "error" and "pickle" in text.lower()
    thread.join(10)
    assert not thread.is_alive()
    with pytest.raises(EOFError):
        receiver.recv()


def test_a_writer_that_goes_away_never_leaves_the_reader_waiting_on_a_full_outbox(monkeypatch):
    monkeypatch.setattr(reader_outbox, "SEND_AHEAD_BYTES", 10)
    receiver, sender = multiprocessing.Pipe(duplex=False)
    receiver.close()  # the writer is gone before the first message
    thread = _serving(sender, (("batch", ["x" * 100_000]) for _ in range(10_000)))
    thread.join(30)
    assert not thread.is_alive()

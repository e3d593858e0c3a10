"""Nothing a transaction kept before it took a lock serves after it (a merge decides under its lock)."""
from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from registry import wiring
from registry.db import session_scope
from registry.models import Ledger
from registry.transaction.locks import lock_writer
from registry.transaction.tracking import has_written, once_per_transaction


def _counter() -> Callable[[], int]:
    calls: list[int] = []

    def compute() -> int:
        calls.append(1)
        return len(calls)
    return compute


def _writer_lock(session: Session) -> None:
    lock_writer(session, "merge")


def _row_lock(session: Session) -> None:
    session.execute(select(Ledger).where(Ledger.id == 1).with_for_update()).first()


def _get_for_update(session: Session) -> None:
    session.get(Ledger, 1, with_for_update=True)


@pytest.mark.parametrize("lock", [_writer_lock, _row_lock, _get_for_update], ids=["writer lock", "select for update",
                                                                                 "get for update"])
def test_an_answer_kept_in_a_transaction_is_computed_again_after_it_takes_a_lock(session, lock):
    wiring.install()
    compute = _counter()
    assert once_per_transaction(session, "k", compute) == 1
    assert once_per_transaction(session, "k", compute) == 1  # kept while nothing is locked or written
    assert not has_written(session)
    lock(session)
    assert has_written(session)
    assert once_per_transaction(session, "k", compute) == 2
    assert once_per_transaction(session, "k", compute) == 3  # and nothing read under the lock is kept


def test_a_head_read_before_the_merge_lock_is_read_again_after_another_transaction_moved_it(databases, database_url):
    if databases.backend != "postgresql":
        pytest.skip("SQLite's writer holds its lock from BEGIN IMMEDIATE: nothing commits between")
    from registry.db import make_engine

    wiring.install()
    engine = make_engine(database_url)

    def head(session: Session) -> int:  # as refs._head keeps the head for the transaction
        return once_per_transaction(session, "head", lambda: session.scalars(select(Ledger.head_seq)).one())
    try:
        with session_scope(engine, write=True) as s:
            s.merge(Ledger(id=1, repo_path="/spec", branch="main", head_seq=3))
        with session_scope(engine, write=True) as waiting:
            assert head(waiting) == 3
            with session_scope(engine, write=True) as other:  # another host's ingest, committed meanwhile
                other.execute(update(Ledger).where(Ledger.id == 1).values(head_seq=10))
            assert head(waiting) == 3  # kept within the transaction
            lock_writer(waiting, "merge")
            assert head(waiting) == 10
    finally:
        engine.dispose()

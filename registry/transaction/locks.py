"""Writer locks, each held until its transaction ends, and the order every writer takes them in.

SQLite has one write lock, taken at BEGIN IMMEDIATE, so writers there never deadlock.
On PostgreSQL a writer takes only the locks it needs, each held until its transaction ends, and
always in this order; taking a lock that comes before one it already holds can deadlock:

1. advisory lock "merge": merge, first thing (after refusing who may not merge).
2. advisory lock "ingest": ingest, first thing; merge through the ingest it runs before anything else;
   with a remote, sync and merge take it before fetching, so nothing else moves the clone's refs.
3. the ledger row (FOR UPDATE): ingest, right after its advisory lock.
4. advisory locks on a login's email, then on its client address (lock_value): log_in, before it
   counts the recent failures, so parallel attempts are counted one after another.
5. the enabled admins' account rows (FOR UPDATE): set_role and disable_user, before they check that
   another enabled admin remains, so two admins demoting or disabling each other cannot both pass.
6. advisory lock "audit": audit.record, and proposal_store.get_proposal(lock=True) before the row.
7. proposal rows (FOR UPDATE): get_proposal(lock=True) in reviews, revisions, submit, withdraw,
   reject, merge, ingest completing a merge from a commit's trailer, and reevaluation (after ingest
   changed ownership, an owner assignment, an account change), which locks rows one by one in id
   order, each after the audit lock.

So a merge catches up with the branch before it locks its proposal, and nobody holds a proposal
row while waiting for the audit lock: a merge and a review of the same proposal queue on the audit
lock instead of each holding what the other needs. Re-taking a lock already held is free
(advisory and row locks are re-entrant within a transaction).
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from registry.db import is_sqlite
from registry.transaction.tracking import mark_locked


def lock_writer(session: Session, name: str) -> None:
    """Serialize writers of one kind (merge, ingest, audit) until the transaction ends; see the lock order above."""
    if not is_sqlite(session):  # SQLite: BEGIN IMMEDIATE already holds the only write lock it has
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _writer_key(name)})
    mark_locked(session)


def _writer_key(name: str) -> int:
    """The advisory lock key of a kind of writer (merge, ingest, audit)."""
    return sum(ord(c) * 31**i for i, c in enumerate(name)) % (2**31)


@contextmanager
def writers_held(connection: Connection, *names: str) -> Iterator[None]:
    """PostgreSQL: hold lock_writer's locks `names` (in the lock order) on this connection, across its transactions.

    A backup takes them before its snapshot begins: a transaction-level lock would be taken by the
    snapshot's own first statement, whose REPEATABLE READ snapshot then predates the wait and
    misses what the writer it waited for committed. Session-level and transaction-level advisory
    locks on one key exclude each other. SQLite: nothing (the caller's BEGIN IMMEDIATE holds its
    only write lock). Called with no transaction open on `connection`; leaves none open.
    """
    if connection.dialect.name == "sqlite":
        yield
        return
    keys = [_writer_key(name) for name in names]
    for key in keys:
        connection.execute(text("SELECT pg_advisory_lock(:k)"), {"k": key})
    connection.commit()
    try:
        yield
    finally:
        if connection.in_transaction():
            connection.rollback()
        for key in reversed(keys):
            connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
        connection.commit()


def _int4(name: str) -> int:
    """A stable signed 32-bit number for a name (the two-key advisory lock's keys)."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:4], "big", signed=True)


def lock_value(session: Session, kind: str, value: str) -> None:
    """Serialize writers about one value of a kind (a login's email) until the transaction ends.

    PostgreSQL's two-key advisory lock: its keys never meet lock_writer's, and two kinds never share
    a key; distinct values that hash alike only wait for each other. SQLite's BEGIN IMMEDIATE
    already serializes every writer.
    """
    if not is_sqlite(session):
        session.execute(text("SELECT pg_advisory_xact_lock(:kind, :value)"),
                        {"kind": _int4(kind), "value": _int4(value)})


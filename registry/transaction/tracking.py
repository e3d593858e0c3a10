"""Whether a session has written in its transaction, and what it reads once while it has not.

Both end with the transaction: a write, or a lock it may have waited for, stops the memo serving.
"""
from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import TypeVar, cast

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction

A = TypeVar("A")

_WROTE = "specreg.wrote"
_tracking = False


def track_writes() -> None:
    """From now on every session knows whether it has written in its transaction (idempotent;
    `wiring.install` calls it). Before it, `has_written` says True of every session."""
    global _tracking
    if not _tracking:
        event.listen(Session, "after_flush", _flushed)
        event.listen(Session, "do_orm_execute", _executed)
        event.listen(Session, "after_transaction_end", _ended)
        _tracking = True


def has_written(session: Session) -> bool:
    """True when the session's transaction has flushed or executed a change, or holds one unflushed:
    what it reads may be rolled back (and True whenever writes are not tracked). Also True once it
    has taken a writer's lock or locked rows: a writer decides under its lock on what it reads after it."""
    return (not _tracking or bool(session.info.get(_WROTE)) or bool(session.new) or bool(session.dirty)
            or bool(session.deleted))


def _flushed(session: Session, _context: object) -> None:
    session.info[_WROTE] = True


def _executed(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        state.session.info[_WROTE] = True
    elif state.is_select and getattr(state.statement, "_for_update_arg", None) is not None:
        mark_locked(state.session)  # SELECT ... FOR UPDATE: a row lock, as lock_writer


def mark_written(session: Session) -> None:
    """The transaction has written in a way the session's events do not see (the driver's own calls)."""
    session.info[_WROTE] = True


def mark_locked(session: Session) -> None:
    """The transaction has taken a lock it may have waited for: on PostgreSQL (READ COMMITTED) other
    transactions committed meanwhile, so nothing read before it may serve after it, and nothing read
    after it is kept (has_written: once_per_transaction and KeptAnswers compute afresh). A merge reads
    who may merge before it takes the merge lock, then decides again under it at the head as it is."""
    session.info[_WROTE] = True
    session.info.pop(_ONCE, None)


def _ended(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # the session's own transaction ended, not a savepoint inside it
        session.info.pop(_WROTE, None)
        session.info.pop(_ONCE, None)


_ONCE = "specreg.once"


def once_per_transaction(session: Session, key: Hashable, compute: Callable[[], A]) -> A:
    """`compute()` once in the session's transaction while it has not written (a page asks for the same
    clause or point from several use cases); after a write, every call computes again.

    The answer is held until the transaction ends, so ORM rows in it stay in the session's identity
    map and `session.get` finds them without a statement.
    """
    if has_written(session):
        return compute()
    kept = session.info.setdefault(_ONCE, {})
    if key not in kept:
        kept[key] = compute()
    return cast(A, kept[key])


def kept_or(session: Session, key: Hashable, compute: Callable[[], A]) -> A:
    """What `once_per_transaction` keeps under `key` when something filled it ahead (a list loading
    many proposals' inputs at once) and the session has not written since, else `compute()`, kept
    nowhere: a reader that does not fill the memo reads afresh, as it always did."""
    kept = session.info.get(_ONCE, {})
    if key in kept and not has_written(session):
        return cast(A, kept[key])
    return compute()


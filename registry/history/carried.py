"""Every clause's summary row in force at a point, kept per point and carried forward over new commits.

The owner pages and prompt coverage need each clause's key, title, place, attributes and length at
the head. Reading them is one index seek per lineage (3,000 at a language reference's size, ~25 ms on
PostgreSQL), and every ingest moves the head, so each push paid it again. But the rows in force at a
new point are the rows at an earlier point with the versions written since laid over them, and those
are the few rows the new commits wrote (`ix_clause_versions_seq_live`).

That holds while the earlier point's rows are still what they were, which is checked, not assumed:
- its commit is still live (a rewrite sets aside the commits after its fork, so a live commit keeps
  every earlier one, and their versions, live);
- the audit event that was newest when the rows were read is still in this database's chain (the
  chain's hashes cover when each event was made, so a database dropped and filled again, as tests do,
  never has it);
- ingest writes only at seqs after the head, so nothing is ever added at or before a point already read.
Carrying is bounded (`ledger.carry.CARRY_LIMIT` commits); a point further on, or before every kept one, is read whole.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from threading import Lock
from typing import Any

from sqlalchemy import Text, cast, func, select
from sqlalchemy.orm import Session

from registry.audit.events import newest_standing, still_in_chain
from registry.ledger.carry import may_carry, still_live
from registry.ledger.refs import Point
from registry.models import ClauseVersion
from registry.transaction.tracking import has_written

# key, title, document, parent lineage, attributes as JSON text, characters of the text, the version's
# id, whether its text has a footnote reference (read only)
Row = tuple[str, str, str, int | None, str, int, int, bool]
FOOTNOTE = "[^"  # how a footnote reference starts: a clause cites an evaluation prompt only with one

_KEEP = 4  # points kept (the head and a few before it, per database)


def summary_columns(v: type[ClauseVersion]) -> tuple[Any, ...]:
    """A version's summary row, as `Row` orders it (attributes as text: `AttributeDecoder` decodes each once)."""
    return (v.key, v.title, v.document, v.parent_id, cast(v.attributes, Text), func.length(v.body), v.id,
            v.body.contains(FOOTNOTE, autoescape=True))


def as_row(key: str, title: str, document: str, parent: int | None, attributes: str, length: int | None,
           version: int, footnoted: bool | int | None) -> Row:
    """A row as `summary_columns` selects it (SQLite gives the flag as 0 or 1, an empty text's length as 0)."""
    return key, title, document, parent, attributes, length or 0, version, bool(footnoted)


@dataclass(frozen=True)
class _Kept:
    database: str
    seq: int
    sha: str
    event: tuple[int, str]  # the newest standing audit event when the rows were read: (seq, hash)
    rows: dict[int, Row]  # lineage -> its row; shared between requests: read only


_kept: list[_Kept] = []
_lock = Lock()


def rows_in_force(session: Session, point: Point, read_all: Callable[[], dict[int, Row]]) -> dict[int, Row]:
    """The summary row of every lineage in force at the point (removed ones left out), carried from a
    kept earlier point when one still holds, else `read_all()`."""
    database = str(session.get_bind().engine.url)
    rows = None
    for base in _bases(database, point.seq):  # newest first: after a rewrite an older one may still hold
        rows = _carried(session, base, point)
        if rows is not None:
            break
        _drop(base)
    if rows is None:
        rows = read_all()
    event = newest_standing(session)
    if event is not None and not has_written(session):  # what a writing transaction read may be rolled back
        _keep(_Kept(database, point.seq, point.sha, event, rows))
    return rows


def forget() -> None:
    """Drop every kept point (tests)."""
    with _lock:
        _kept.clear()


def _bases(database: str, seq: int) -> list[_Kept]:
    """The kept points of this database at or before `seq` that may be carried to it (`may_carry`), nearest first."""
    with _lock:
        near = [k for k in _kept if k.database == database and may_carry(k.seq, seq)]
    return sorted(near, key=lambda k: -k.seq)


def _carried(session: Session, base: _Kept, point: Point) -> dict[int, Row] | None:
    """The base's rows with the versions of the commits after it, up to the point; None when the base
    no longer holds."""
    rows = base.rows
    if base.seq < point.seq:
        rows = dict(rows)
        v = ClauseVersion
        written = session.execute(
            select(v.clause_id, v.removed, *summary_columns(v))
            .where(v.seq > base.seq, v.seq <= point.seq, v.live)
            .order_by(v.seq, v.id))  # the last written wins, as in the version in force
        for clause_id, removed, *row in written:
            if removed:
                rows.pop(clause_id, None)
            else:
                rows[clause_id] = as_row(*row)
    # Checked after the versions are read: a rewrite committed in between (PostgreSQL reads each
    # statement's own snapshot) then shows here, rather than rows from before it under the new point.
    holds = session.execute(select(
        still_live(base.seq, base.sha),
        still_in_chain(*base.event))).one()
    return rows if all(holds) else None


def _keep(kept: _Kept) -> None:
    with _lock:
        _kept[:] = [k for k in _kept if (k.database, k.seq, k.sha) != (kept.database, kept.seq, kept.sha)]
        _kept.append(kept)
        del _kept[:-_KEEP]


def _drop(gone: _Kept) -> None:
    with _lock:
        _kept[:] = [k for k in _kept if k is not gone]

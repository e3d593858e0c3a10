"""Rows inserted in bulk in a session's transaction: COPY on PostgreSQL, the driver's executemany on SQLite."""
from __future__ import annotations

import json
import operator
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, cast

from sqlalchemy import JSON, Table, insert
from sqlalchemy.orm import Session

from registry.transaction.tracking import mark_written


def bulk_insert(session: Session, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert many rows (each with the same keys) in the session's transaction, as fast as the backend allows.

    PostgreSQL takes them through COPY: an executemany sends every row as a statement of its own,
    and on a large ingest the server spent longer inserting the rows than ingest took to make
    them. SQLite takes them through the driver's own executemany (one prepared statement run in a
    loop inside the database): SQLAlchemy's executemany builds each row's parameters in Python,
    about a tenth of the writing process's CPU in a long ingest. Either way values go through
    each column's type as they would in an INSERT, and a column a row does not name gets the
    database's default.
    """
    if not rows:
        return
    mark_written(session)  # the driver's calls bypass the ORM events that tell has_written
    connection = session.connection()
    dialect = connection.dialect
    postgres = dialect.name == "postgresql" and dialect.driver == "psycopg"
    if not postgres and dialect.name != "sqlite":
        session.execute(insert(table), rows)
        return
    names = list(rows[0])
    # (A JSON column's value is serialized by psycopg in an INSERT; COPY takes its text.)
    processors = [json.dumps if postgres and isinstance(table.c[name].type, JSON)
                  else table.c[name].type.bind_processor(dialect) for name in names]
    values = _values(rows, names, processors)
    columns = ", ".join(f'"{name}"' for name in names)  # our own table's column names, never input
    if not postgres:
        import sqlite3  # the dialect has imported it already

        lite = cast(sqlite3.Connection, connection.connection.dbapi_connection)
        lite.executemany(f'INSERT INTO "{table.name}" ({columns}) VALUES ({", ".join("?" * len(names))})', values)
        return
    import psycopg  # the dialect has imported it already

    raw = cast("psycopg.Connection[Any]", connection.connection.dbapi_connection)
    with raw.cursor() as cursor, cursor.copy(f'COPY "{table.name}" ({columns}) FROM STDIN') as copy:
        for row in values:
            copy.write_row(row)


def _values(rows: Sequence[Mapping[str, Any]], names: list[str],
            processors: Sequence[Callable[[Any], Any] | None]) -> Iterator[Sequence[Any]]:
    """Each row's values in the order of `names`, each through its column's processor (if it has one)."""
    # A row is picked in C; only the few columns with a processor (JSON, dates) are visited in Python,
    # not every value of every row (a tenth of a long ingest's writing on SQLite).
    pick = operator.itemgetter(*names)
    processed = [(i, process) for i, process in enumerate(processors) if process is not None]
    if len(names) == 1:
        picked: Iterator[Sequence[Any]] = ((value,) for value in map(pick, rows))
    else:
        picked = map(pick, rows)
    if not processed:
        yield from picked
        return
    for values in picked:
        row = list(values)
        for i, process in processed:
            row[i] = process(row[i])
        yield row

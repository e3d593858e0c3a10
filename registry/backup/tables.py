"""Database tables as portable JSON lines, read on one backend and written on the other.

One JSON object per row, ordered by primary key, each value by its column's kind: datetimes as
ISO 8601 with their zone (UTC; both backends store naive UTC), bytes in base64, booleans as JSON
booleans, JSON columns as their stored JSON text (so SQL NULL and a JSON `null` stay apart).
The tables come from the database itself (reflection), not from the models, so an archive of an
older schema revision is read with that revision's columns.
"""
from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Float,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    bindparam,
    cast,
    func,
    insert,
    inspect,
    select,
    text,
    type_coerce,
)
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, StatementError

from registry.backup.archive import TableInfo
from registry.errors import BadArchive
from registry.history.search_index import SEARCH_VECTOR

BATCH = 1000


def derived(name: str) -> bool:
    """Tables a backup leaves out: the schema's revision (the manifest records it) and SQLite's
    full-text index with its shadow tables (rebuilt from clause_versions after a restore)."""
    return name == "alembic_version" or name == "clause_search" or name.startswith("clause_search_")


def reflect(conn: Connection) -> list[Table]:
    """The database's own tables but the derived ones, parents before the tables that refer to them."""
    metadata = MetaData()
    metadata.reflect(bind=conn, only=lambda name, _meta: not derived(name))
    return list(metadata.sorted_tables)


def columns(table: Table) -> list[Column[Any]]:
    """The columns a backup carries: all but derived ones (PostgreSQL's search vector, refilled after a restore)."""
    return [c for c in table.columns if c.computed is None and not (table.name == "clause_versions"
                                                                    and c.name == SEARCH_VECTOR)]


def kind(column: Column[Any]) -> str:
    """The column's portable kind (archive.KINDS)."""
    t = column.type
    for cls, name in ((JSON, "json"), (DateTime, "datetime"), (LargeBinary, "bytes"), (Boolean, "boolean"),
                      (Integer, "integer"), (Float, "number"), (Numeric, "number"), (String, "text")):
        if isinstance(t, cls):
            return name
    raise TypeError(f"column {column.table.name}.{column.name} has a type ({t}) backups cannot carry")


def describe(table: Table, rows: int) -> TableInfo:
    """The manifest's entry for a table."""
    return TableInfo(rows, {c.name: kind(c) for c in columns(table)}, tuple(c.name for c in table.primary_key))


def _json_text(conn: Connection, column: Column[Any]) -> Any:
    # The stored JSON text itself: SQLite keeps it as text, PostgreSQL's json casts to its text.
    return type_coerce(column, Text) if conn.dialect.name == "sqlite" else cast(column, Text)


def _encode(k: str, value: Any) -> Any:
    if value is None:
        return None
    if k == "datetime":
        stamp: datetime = value
        return (stamp.replace(tzinfo=UTC) if stamp.tzinfo is None else stamp.astimezone(UTC)).isoformat()
    if k == "bytes":
        return base64.b64encode(bytes(value)).decode("ascii")
    if k == "boolean":
        return bool(value)
    if k == "integer":
        return int(value)
    if k == "number":
        return float(value)
    return str(value)  # text, and json as its text


def dump(conn: Connection, table: Table, out: Path) -> int:
    """Write the table's rows to `out` as JSON lines ordered by primary key; how many."""
    cols = columns(table)
    kinds = [kind(c) for c in cols]
    query = select(*[_json_text(conn, c).label(c.name) if k == "json" else c for c, k in zip(cols, kinds)])
    query = query.order_by(*(table.primary_key.columns or cols))
    count = 0
    with out.open("w", encoding="utf-8") as fh:
        for row in conn.execution_options(yield_per=BATCH).execute(query):
            record = {c.name: _encode(k, v) for c, k, v in zip(cols, kinds, row)}
            fh.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")
            count += 1
    return count


def _decode(k: str, value: Any) -> Any:
    if value is None:
        return None
    if k == "datetime":
        stamp = datetime.fromisoformat(value)
        if stamp.tzinfo is None:
            raise ValueError(f"{value!r} has no time zone")
        return stamp.astimezone(UTC).replace(tzinfo=None)  # both backends store naive UTC
    if k == "bytes":
        return base64.b64decode(value, validate=True)
    if k == "json":
        json.loads(value)  # refuse text that is not JSON before the database sees it
        return value
    want = _PYTHON[k]
    if not isinstance(value, want) or (k in ("integer", "number") and isinstance(value, bool)):
        raise ValueError(f"{value!r} is not {k}")
    return value


_PYTHON: dict[str, type | tuple[type, ...]] = {"boolean": bool, "integer": int, "number": (int, float), "text": str}


def _rows(path: Path, table: str, info: TableInfo) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            try:
                record = json.loads(line)
                if not isinstance(record, dict) or set(record) != set(info.columns):
                    raise ValueError(f"its columns are not {sorted(info.columns)}")
                yield {name: _decode(k, record[name]) for name, k in info.columns.items()}
            except (ValueError, TypeError) as exc:
                raise BadArchive(f"table {table}, row {number}: {exc}") from exc


def check_columns(table: Table, info: TableInfo, revision: str) -> None:
    """BadArchive unless the archive's columns for `table` are the schema's, kind for kind."""
    here = describe(table, info.rows).columns
    if here != info.columns:
        raise BadArchive(f"table {table.name}: the archive has columns {info.columns}, the schema at revision "
                         f"{revision} has {here}")


def load(conn: Connection, table: Table, path: Path, info: TableInfo) -> int:
    """Insert the table's rows from the archive member `path`; how many. Any refusal names the table."""
    pg = conn.dialect.name == "postgresql"
    values = {}
    for c in columns(table):
        if kind(c) == "json":  # the JSON text as stored; PostgreSQL parses it into its json column
            param = bindparam(c.name, type_=Text)
            values[c.name] = cast(param, c.type) if pg else param
        else:
            values[c.name] = bindparam(c.name, type_=c.type)
    statement = insert(table).values(values)
    count, batch = 0, []
    try:
        for row in _rows(path, table.name, info):
            batch.append(row)
            if len(batch) == BATCH:
                conn.execute(statement, batch)
                count, batch = count + len(batch), []
        if batch:
            conn.execute(statement, batch)
            count += len(batch)
    except (DBAPIError, StatementError) as exc:
        raise BadArchive(f"table {table.name}: the database refused a row ({str(exc.orig or exc).splitlines()[0]})") \
            from exc
    return count


def count(conn: Connection, table: Table) -> int:
    """How many rows the table holds."""
    return conn.scalar(select(func.count()).select_from(table)) or 0


def reset_sequences(conn: Connection, table: Table) -> None:
    """PostgreSQL: move the table's id sequence past the restored ids, so the next insert gets a new one."""
    if conn.dialect.name != "postgresql":
        return  # SQLite takes the next rowid after the largest one there
    quote = conn.dialect.identifier_preparer.quote
    for column in table.primary_key.columns:
        sequence = conn.scalar(text("SELECT pg_get_serial_sequence(:t, :c)"),
                               {"t": quote(table.name), "c": column.name})
        if sequence is None:
            continue
        largest = conn.scalar(select(func.max(column)))
        conn.execute(text("SELECT setval(CAST(:s AS regclass), :v, :called)"),
                     {"s": sequence, "v": largest or 1, "called": largest is not None})


def filled(conn: Connection) -> list[str]:
    """The tables of the database, derived ones aside, that hold rows, as "name (N rows)"."""
    names = [n for n in inspect(conn).get_table_names() if not derived(n)]
    metadata = MetaData()
    found = []
    for name in sorted(names):
        rows = count(conn, Table(name, metadata))
        if rows:
            found.append(f"{name} ({rows} rows)")
    return found

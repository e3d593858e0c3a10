"""Create or upgrade the schema with Alembic, and refuse to run against an out-of-date one."""
from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import TYPE_CHECKING

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, Engine

from registry.config import PROJECT_ROOT
from registry.errors import SchemaError

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = PROJECT_ROOT / "migrations"


def _config(connection: Connection | None = None) -> Config:  # Alembic imported lazily (see head_revision)
    from alembic.config import Config

    # Alembic's default stdout is the sys.stdout of when alembic.config was first imported, which a
    # capture (a test's, a caller's redirect) may have closed since: always the current one.
    cfg = Config(str(PROJECT_ROOT / "alembic.ini"), stdout=sys.stdout)
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


_REVISION = re.compile(r"^(down_revision|revision)\s*(?::[^=]*)?=\s*(.+)$", re.M)


@lru_cache(maxsize=1)
def _revision_graph() -> tuple[frozenset[str], frozenset[str]]:
    """Every revision the migration files define, and every one some file revises."""
    revisions: set[str] = set()
    revised: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        for name, value in _REVISION.findall(path.read_text()):
            ids = set(re.findall(r"['\"]([^'\"]+)['\"]", value))
            (revisions if name == "revision" else revised).update(ids)
    return frozenset(revisions), frozenset(revised)


def known_revisions() -> frozenset[str]:
    """Every revision this code's migrations define (a restore refuses an archive of any other)."""
    return _revision_graph()[0]


@lru_cache(maxsize=1)
def head_revision() -> str:
    """The newest migration's revision id: the one no other migration revises.

    Read straight from the revision files, because importing Alembic costs every CLI command
    about 0.1 s; a test checks this agrees with Alembic's own answer.
    """
    revisions, revised = _revision_graph()
    heads = sorted(revisions - revised)
    if len(heads) != 1:
        raise SchemaError(f"migrations have {len(heads)} heads ({', '.join(heads)}); merge them first")
    return heads[0]


def current_revision(connection: Connection) -> str | None:
    """The revision the database is at, or None when it has no schema yet."""
    if not inspect(connection).has_table("alembic_version"):
        return None
    return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def upgrade(engine: Engine) -> tuple[str | None, str]:
    """Bring the schema to the newest revision; returns (before, after). Idempotent."""
    from alembic import command

    with engine.connect() as conn, sqlite_foreign_keys_off(conn), conn.begin():
        before = current_revision(conn)
        command.upgrade(_config(conn), "head")  # migrations/env.py checks the references before commit
        after = current_revision(conn)
    return before, after or head_revision()


def upgrade_to(connection: Connection, revision: str) -> None:
    """Migrate the schema to `revision` inside the caller's transaction (SQLite: foreign keys off, as upgrade does)."""
    from alembic import command

    command.upgrade(_config(connection), revision)


@contextmanager
def sqlite_foreign_keys_off(conn: Connection) -> Iterator[None]:
    """SQLite only: no foreign key enforcement while migrations run (set outside the transaction).

    Batch migrations rebuild a SQLite table by copying it, dropping it and renaming the copy; with
    enforcement on, dropping a table that other tables' rows refer to fails. check_foreign_keys
    checks the result before the transaction commits.
    """
    if conn.dialect.name != "sqlite":
        yield
        return
    raw = conn.connection.dbapi_connection
    assert raw is not None  # only an invalidated connection has none, and this one is in use
    raw.execute("PRAGMA foreign_keys=OFF")
    try:
        yield
    finally:
        raw.execute("PRAGMA foreign_keys=ON")


def check_foreign_keys(conn: Connection) -> None:
    """SQLite only: refuse (roll back) a migration that left a row pointing at nothing."""
    if conn.dialect.name == "sqlite":
        broken = conn.exec_driver_sql("PRAGMA foreign_key_check").all()
        if broken:
            raise SchemaError(f"the migration left {len(broken)} broken reference(s), first: {tuple(broken[0])}")


def require_current(connection: Connection) -> None:
    """Raise SchemaError unless the database is at the newest revision."""
    current = current_revision(connection)
    if current is None:
        raise SchemaError("the database has no Specreg schema yet; run `specreg init`")
    if current != head_revision():
        raise SchemaError(f"the database schema is at {current}, this Specreg needs "
                          f"{head_revision()}; run `specreg init` to upgrade")

"""Alembic environment: URL from Specreg's settings (or the caller), batch mode for SQLite."""
from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection
from sqlalchemy.types import TypeDecorator

from registry.config import load_settings
from registry.db import make_engine
from registry.models import Base
from registry.schema import check_foreign_keys, sqlite_foreign_keys_off

config = context.config
target_metadata = Base.metadata


def _skip_empty(context_: object, revision: object, directives: list) -> None:
    """Do not write an autogenerate revision that changes nothing."""
    if config.cmd_opts is not None and getattr(config.cmd_opts, "autogenerate", False):
        script = directives[0]
        if script.upgrade_ops.is_empty():
            directives[:] = []


def _render_item(type_: str, obj: object, autogen_context: object) -> str | bool:
    """Write our TypeDecorators as their plain SQL types so revisions never import app code."""
    if type_ == "type" and isinstance(obj, TypeDecorator):
        return f"sa.{obj.impl.__class__.__name__}()"
    return False


# Backend-specific search objects that no model describes (revisions 0004, 0005, 0027): SQLite's FTS5
# table and its shadow tables, PostgreSQL's tsvector column, its GIN index and the partial index of
# rows not indexed yet. Autogenerate must not drop them.
_UNMODELLED = ("clause_search", "ix_clause_versions_search", "ix_clause_versions_unindexed", "search_vector")


def _include_object(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    """Leave the hand-written search objects out of autogenerate's comparison."""
    return not (reflected and compare_to is None and name is not None and name.startswith(_UNMODELLED))


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
        process_revision_directives=_skip_empty,
        render_item=_render_item,
        include_object=_include_object,
    )
    with context.begin_transaction():
        context.run_migrations()
        check_foreign_keys(connection)


def run_migrations_offline() -> None:
    """Emit SQL without a database connection."""
    url = config.get_main_option("sqlalchemy.url") or load_settings().database_url
    context.configure(url=url, target_metadata=target_metadata, render_as_batch=True,
                      literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run against a live connection: one the caller passed in, or a new engine."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = config.get_main_option("sqlalchemy.url") or load_settings().database_url
    engine = make_engine(url)
    # The `alembic` command line gets the same SQLite table rebuilds as `specreg init`.
    with engine.connect() as conn, sqlite_foreign_keys_off(conn):
        _run(conn)
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()

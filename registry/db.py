"""The database lifecycle: engines, sessions (one per request on `g`, `session_scope()` elsewhere).

What a session does inside its transaction (the writer locks and their order, whether it has written,
answers kept for sessions that have not, bulk inserts) is `registry/transaction/`.
"""
from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from registry.errors import ConfigError

if TYPE_CHECKING:
    from flask import Flask

V = TypeVar("V", bound=Callable[..., Any])
POOL_SIZE = 5  # SQLAlchemy's default: connections an engine's pool keeps open


# The oldest database each backend runs Specreg's SQL on: MATERIALIZED common table expressions
# (history.versions) need SQLite 3.35 and PostgreSQL 12, as do RETURNING on SQLite and the generated
# search column on PostgreSQL. An older one would fail only when a page or command reaches that SQL.
MINIMUM_VERSIONS: dict[str, tuple[int, ...]] = {"sqlite": (3, 35, 0), "postgresql": (12,)}
_WHAT = {"sqlite": ("the SQLite library Python uses", "use a Python whose sqlite3 module is built with a newer SQLite"),
         "postgresql": ("the PostgreSQL server", "upgrade the server")}


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine whose every connection refuses a database older than MINIMUM_VERSIONS; SQLite gets WAL,
    foreign keys, a busy timeout and real transactions."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        engine = create_engine(url, pool_pre_ping=True, **kwargs)
    else:
        if parsed.database and parsed.database != ":memory:":
            _create_private(Path(parsed.database))
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)
    # Listeners run in order: SQLAlchemy's own, which reads the server's version on the first connection, comes first.
    event.listen(engine, "connect", lambda _conn, _record: check_version(engine.dialect.name,
                                                                           engine.dialect.server_version_info))
    if parsed.get_backend_name() == "sqlite":
        _sqlite_transactions(engine)
    return engine


def check_version(backend: str, found: tuple[Any, ...] | None) -> None:
    """ConfigError when `found` (the server's or library's version) is older than Specreg needs of `backend`."""
    needed = MINIMUM_VERSIONS.get(backend)
    if needed is None or found is None or tuple(found[:len(needed)]) >= needed:
        return
    what, remedy = _WHAT[backend]
    have, want = ".".join(map(str, found)), ".".join(map(str, needed))
    raise ConfigError(f"{what} is version {have}; Specreg needs {want} or newer (MATERIALIZED common table "
                      f"expressions): {remedy}")


def _create_private(path: Path) -> None:
    """Create an SQLite database file readable by its owner only (its WAL and journal follow its mode)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass  # an existing database keeps the mode its owner gave it


def _sqlite_transactions(engine: Engine) -> None:
    """Let SQLAlchemy, not pysqlite, emit BEGIN so SAVEPOINTs work; writers take the lock up front."""

    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        # A writer asks for the write lock at BEGIN; upgrading a read lock later fails at once.
        immediate = conn.get_execution_options().get("sqlite_immediate", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def is_sqlite(session: Session) -> bool:
    """True when the session talks to SQLite."""
    return session.get_bind().dialect.name == "sqlite"


@contextmanager
def session_scope(engine: Engine, write: bool = False) -> Iterator[Session]:
    """A session whose transaction commits on success and rolls back on error (CLI and scripts)."""
    bind = engine.execution_options(sqlite_immediate=True) if write else engine
    session = Session(bind=bind, expire_on_commit=False)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def init_app(app: Flask) -> None:
    """Create the app's engine and give each request its own session, closed at teardown."""
    from flask import g

    # A thread holds one connection while it serves a request: a pool smaller than the threads would
    # open and close the extra ones (SQLAlchemy keeps 5 and opens up to 10 more), or make a request wait.
    threads = int(app.config.get("SERVING_THREADS") or 1)
    engine = make_engine(app.config["DATABASE_URL"], **({"pool_size": threads} if threads > POOL_SIZE else {}))
    try:  # a database older than Specreg needs stops the app here, not at the first page that reaches its SQL
        engine.connect().close()
    except DBAPIError:
        pass  # not reachable yet: every connection a request makes is checked as it is made
    app.extensions["specreg.engine"] = engine
    app.extensions["specreg.sessions"] = sessionmaker(bind=engine, expire_on_commit=False)
    # Requests that change state take SQLite's write lock at BEGIN (upgrading a read lock later fails).
    app.extensions["specreg.write_sessions"] = sessionmaker(
        bind=engine.execution_options(sqlite_immediate=True), expire_on_commit=False)

    @app.teardown_appcontext
    def _close(_exc: BaseException | None) -> None:
        session = g.pop("db_session", None)
        if session is not None:
            session.close()


def read_only(view: V) -> V:
    """Mark a POST view that changes nothing (a preview): its request gets a read session."""
    view.read_only = True  # type: ignore[attr-defined]
    return view


def request_writes() -> bool:
    """True when this request may change state: not a GET, not a view marked read_only, not a refused form."""
    from flask import current_app, g, has_request_context, request

    if not has_request_context() or request.method in ("GET", "HEAD", "OPTIONS"):
        return False
    if g.get("read_only_request"):  # a refused form or a preview button (registry.web.bodies)
        return False
    return not getattr(current_app.view_functions.get(request.endpoint or ""), "read_only", False)


def get_session() -> Session:
    """The current request's session; only requests that may write take SQLite's write lock."""
    from flask import current_app, g

    if "db_session" not in g:
        g.db_session = current_app.extensions["specreg.write_sessions" if request_writes() else "specreg.sessions"]()
    return g.db_session

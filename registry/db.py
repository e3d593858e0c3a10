"""The database lifecycle: engines, sessions (one per request on `g`, `session_scope()` elsewhere).

Lock order. SQLite has one write lock, taken at BEGIN IMMEDIATE, so writers there never deadlock.
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
import json
import operator
import os
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

from sqlalchemy import JSON, Table, create_engine, event, insert, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction, sessionmaker

from registry.errors import ConfigError
from registry.lru import LruCache

if TYPE_CHECKING:
    from flask import Flask

V = TypeVar("V", bound=Callable[..., Any])
POOL_SIZE = 5  # SQLAlchemy's default: connections an engine's pool keeps open
A = TypeVar("A")
K = TypeVar("K", bound=Hashable)


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


def lock_writer(session: Session, name: str) -> None:
    """Serialize writers of one kind (merge, ingest, audit) until the transaction ends; see the lock order above."""
    if not is_sqlite(session):  # SQLite: BEGIN IMMEDIATE already holds the only write lock it has
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _writer_key(name)})
    _locked(session)


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
    session.info[_WROTE] = True  # the driver's calls bypass the ORM events that tell has_written
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
        _locked(state.session)  # SELECT ... FOR UPDATE: a row lock, as lock_writer


def _locked(session: Session) -> None:
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


class KeptAnswers(Generic[A]):
    """Answers kept in this process across requests, the least recently used dropped beyond `size`
    answers or, with a `budget`, beyond that many estimated bytes (`lru.LruCache`: an answer over a
    quarter of the budget is not kept).

    The caller's key must name every input the answer depends on; the database's URL is added. A
    session that has written gets a fresh answer and keeps nothing: what it read may be rolled back.
    """

    def __init__(self, size: int, budget: int | None = None) -> None:
        self._kept: LruCache[A] = LruCache(size, budget)

    def get(self, session: Session, key: Hashable, compute: Callable[[], A]) -> A:
        """The kept answer under `key`, else `compute()` (kept unless the session has written)."""
        return self.get_many(session, {key: compute})[key]

    def get_many(self, session: Session, wanted: Mapping[K, Callable[[], A]]) -> dict[K, A]:
        """`get` for many keys at once (the session and database asked about once)."""
        if has_written(session):
            return {key: compute() for key, compute in wanted.items()}
        database = str(session.get_bind().engine.url)
        return {key: self._kept.get_or_build((database, key), compute) for key, compute in wanted.items()}

    def peek(self, session: Session, key: Hashable) -> A | None:
        """The answer kept under `key`, else None (always None when the session has written)."""
        return self.peek_many(session, [key]).get(key)

    def peek_many(self, session: Session, keys: Iterable[K]) -> dict[K, A]:
        """`peek` for many keys at once (the session and database asked about once): the kept answers by key."""
        if has_written(session):
            return {}
        database = str(session.get_bind().engine.url)
        found = {key: self._kept.peek((database, key)) for key in keys}
        return {key: answer for key, answer in found.items() if answer is not None}

    def put(self, session: Session, key: Hashable, answer: A) -> None:
        """Keep `answer` under `key` in place of what was kept there (nothing when the session has written)."""
        if not has_written(session):
            self._kept.put((str(session.get_bind().engine.url), key), answer)

    @property
    def weight(self) -> int:
        """The estimated bytes of the answers kept (0 without a budget)."""
        return self._kept.weight

    def clear(self) -> None:
        """Forget every answer."""
        self._kept.clear()


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

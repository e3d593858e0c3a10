"""Keep the search index in step with clause_versions: SQLite's FTS5 table, PostgreSQL's search vectors.

SQLite: the table `clause_search` is contentless and keyed by clause_versions.id; versions are only
ever appended, so indexing every version above the highest indexed id is enough, and safe to repeat.

PostgreSQL: each version's tsvector is stored in clause_versions.search_vector (GIN-indexed),
written after the row: NULL means "not indexed yet", and a partial index finds those at once
(revision 0027). Until then the column was generated, so every COPY of an ingest batch waited for
the server to parse that batch's text; now a long `specreg ingest` has it parsed on a connection of
its own (`BackgroundFiller`) while it applies the next batch. Every other writer of versions (ingest in
a running process, a restore) fills them in its own transaction, through `sync_search_index`.
"""
from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import TextClause, text
from sqlalchemy.orm import Session

from registry.db import is_sqlite
from registry.ledger.hooks import IngestWatcher

if TYPE_CHECKING:
    from sqlalchemy import Connection, CursorResult, Engine

# The column's name: no model declares it (migrations/env.py), and backups leave it out (it is rebuilt).
SEARCH_VECTOR = "search_vector"
# The document registry/history/search.py matches: id words and title weighted A, text B (revision 0005).
# Only the first INDEXED_CHARS of the title and text are parsed: a tsvector holds at most 1 MB, which
# 30,000 distinct words reach, and to_tsvector raises past it. A word costs the vector at most 6.5
# bytes a character of input (4 bytes a UTF-8 character, a 4-byte entry, a position), so 110,000
# characters in all always fit, whatever the text.
INDEXED_CHARS = 100_000
PG_VECTOR = (
    "setweight(to_tsvector('english'::regconfig, translate(key, '._:~-', '     ')), 'A') || "
    f"setweight(to_tsvector('english'::regconfig, left(title, {INDEXED_CHARS // 10})), 'A') || "
    f"setweight(to_tsvector('english'::regconfig, left(body, {INDEXED_CHARS})), 'B')"
)
# SQLite's contentless FTS5 table, as revision 0004 created it: verify builds the expected index with
# the same definition (`fts5_definition`), and reindex creates the table again from it.
FTS_TABLE = "clause_search"
FTS_TOKENIZE = "porter unicode61 remove_diacritics 2"


def fts5_definition(name: str) -> str:
    """The CREATE statement of an FTS5 table like clause_search (as sqlite_schema keeps it for clause_search)."""
    return f"CREATE VIRTUAL TABLE {name} USING fts5(key, title, body, content='', tokenize='{FTS_TOKENIZE}')"


_LAST = text(f"SELECT rowid FROM {FTS_TABLE} ORDER BY rowid DESC LIMIT 1")
_APPEND = text(f"INSERT INTO {FTS_TABLE} (rowid, key, title, body) "
               "SELECT id, key, title, body FROM clause_versions WHERE id > :last ORDER BY id")
# Every vector that is not its text's, the text parsed once per row.
_REWRITE = text(f"UPDATE clause_versions SET {SEARCH_VECTOR} = v.expected "
                f"FROM (SELECT id, {PG_VECTOR} AS expected FROM clause_versions) v "
                f"WHERE clause_versions.id = v.id AND clause_versions.{SEARCH_VECTOR} IS DISTINCT FROM v.expected")


def _filling(lock: str) -> TextClause:
    """The statement that fills every NULL vector, locking the rows with `lock`."""
    return text(f"UPDATE clause_versions SET {SEARCH_VECTOR} = {PG_VECTOR} WHERE id IN ("
                f"SELECT id FROM clause_versions WHERE {SEARCH_VECTOR} IS NULL {lock})")


# Rows another filler holds are skipped, not waited for: it is filling them (two ingests' fillers, or
# the background one and a restore, never block each other or deadlock).
_FILL = _filling("FOR UPDATE SKIP LOCKED")
# The last fill of `specreg ingest` waits for them instead: a transaction holding them may roll back
# (an ingest in a running process locks every NULL row it fills), which would leave them unfilled.
# It holds no lock while it waits, so it cannot deadlock.
_FILL_ALL = _filling("FOR UPDATE")
_LATER = "specreg.search_index_later"  # session.info: a background filler indexes this session's batches


def sync_search_index(session: Session) -> int:
    """Index clause versions the index has not seen yet; returns how many."""
    if not is_sqlite(session):
        return _fill(session.connection())
    last = session.scalar(_LAST) or 0
    # an INSERT's result is a CursorResult (which has rowcount); Session.execute is typed as any Result
    return cast("CursorResult[Any]", session.execute(_APPEND, {"last": last})).rowcount or 0


def rebuild_search_index(session: Session) -> int:
    """Index every clause version from its text again, whatever the index holds; returns how many rows it rewrote.

    PostgreSQL rewrites the vectors that are not their text's (NULL ones too); SQLite creates its FTS
    table again (its settings and definition too) and indexes every version (a contentless table cannot
    say which rows are wrong)."""
    if not is_sqlite(session):
        return cast("CursorResult[Any]", session.execute(_REWRITE)).rowcount or 0
    session.execute(text(f"DROP TABLE IF EXISTS {FTS_TABLE}"))
    session.execute(text(fts5_definition(FTS_TABLE)))
    return cast("CursorResult[Any]", session.execute(_APPEND, {"last": 0})).rowcount or 0


def _fill(connection: Connection, statement: TextClause = _FILL) -> int:
    return cast("CursorResult[Any]", connection.execute(statement)).rowcount or 0


class SearchIndexWatcher(IngestWatcher):
    """Indexes each batch's new clause versions right after ingest writes them (unless a background filler does)."""

    def finish(self) -> None:
        """Catch the index up with the versions just written."""
        if not self.session.info.get(_LATER):
            sync_search_index(self.session)


class BackgroundFiller:
    """PostgreSQL: fills the search vectors of an ingest's committed batches on a connection of its own.

    Used around the ingest's session (`with BackgroundFiller(engine) as filler, <session> as s:`):
    `serve(s)` takes over the session's batches, `checkpoint(s)` commits one and wakes the filler,
    which parses its text while the next batch is applied, and leaving the block (after the session's
    last commit) fills what is left and waits. Until then a search does not find the newest batch's
    versions, as it does not find versions not yet committed. A run that fails or is killed leaves
    NULLs that the next fill takes. On SQLite it does nothing: the FTS table is written in-process.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.active = engine.dialect.name != "sqlite"
        self.wake = threading.Event()
        self.closing = False
        self.thread = threading.Thread(target=self._run, name="specreg-search-filler", daemon=True)

    def __enter__(self) -> BackgroundFiller:
        return self

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        if not self.active:
            return
        if self.thread.ident is not None:  # started
            self.closing = True
            self.wake.set()
            self.thread.join()
        if kind is None:  # after a failure the next fill takes what is left; this one would hide the error
            with self.engine.begin() as connection:
                _fill(connection, _FILL_ALL)

    def serve(self, session: Session) -> None:
        """Take over the indexing of `session`'s ingest batches (its watcher leaves them alone)."""
        if self.active:
            session.info[_LATER] = True

    def checkpoint(self, session: Session) -> None:
        """Commit the session's batch; its versions are filled while the next one is applied."""
        session.commit()
        if not self.active:
            return
        if self.thread.ident is None:
            # started at the first commit, not before: the history reader process is forked by then
            # (a process with a second thread starts it by spawn, which imports everything again)
            self.thread.start()
        self.wake.set()

    def _run(self) -> None:
        try:
            with self.engine.connect() as connection:
                while True:
                    self.wake.wait()
                    self.wake.clear()
                    if self.closing:
                        return
                    _fill(connection)
                    connection.commit()
        except Exception:  # leaving the block fills everything again, on the main thread (and raises there)
            return

"""verify's `search` check (the search index holds exactly each clause version's words) and its repair, reindex.

The index is derived data nobody reads back: a vector or FTS row forged with SQL hides a version from
search (and from the incident lookup's word search) or makes a search hit a version for words it never
had, an UPDATE of a version's text leaves its old words indexed, and an interrupted run leaves versions
unindexed. This check recomputes the index from clause_versions and compares; it only reads (SQLite's
scratch copies live in the connection's TEMP schema and are dropped before it returns).

PostgreSQL: one query recomputes `PG_VECTOR` for every version and compares it with the stored vector.
SQLite: the table is contentless, so its columns cannot be read back. The expected index is built into
a TEMP FTS5 table with the same tokenizer, a copy of the stored index's shadow tables into another, and
both are merged into one segment (a row added and deleted, then 'optimize', so that FTS5 merges even
an index already of one segment): equal content gives equal bytes, so equal bytes prove
the stored index is the expected one (the copy first passes FTS5's own integrity-check, which also
checks the term index a MATCH seeks through). Only when they differ is the stored index compared word
by word (fts5vocab 'instance': term, version, column, position) to name the versions.
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field

from sqlalchemy import Connection, CursorResult, select, text
from sqlalchemy.exc import DatabaseError
from sqlalchemy.orm import Session
from sqlalchemy.util.typing import TupleAny

from registry.audit import events as audit
from registry.audit.events import Finding
from registry.db import is_sqlite
from registry.errors import ConfigError
from registry.history.search_index import (
    FTS_TABLE,
    PG_VECTOR,
    SEARCH_VECTOR,
    fts5_definition,
    rebuild_search_index,
)
from registry.ledger.runs import FILLING_BOUND, runs_under_way
from registry.models import ClauseVersion, Commit

CHECK = "search"
EXAMPLES = 5
REPAIR = "`specreg reindex` rebuilds the index from the versions' text"
_SHADOWS = ("data", "idx", "docsize", "config")
_GOT, _WANT = "specreg_check_stored", "specreg_check_expected"  # TEMP tables, this connection only
LOCATED_CHUNK = 10_000  # version ids bound per statement (see `located`)
MISINDEXED_KEPT = 10_000  # misindexed versions a search.reindex event lists in full (see `misindexed_record`)
_NOBODY = 2**63 - 1  # a rowid no version has (SQLite's largest)

# Each version's stored vector against the one its text gives, the text parsed once. A NULL vector of a
# version whose commit a run still filling wrote is not counted; one of an overdue run's is counted apart.
_PG_DRIFT = text(f"""
SELECT count(*) FILTER (WHERE stored IS NULL AND NOT overdue),
       (array_agg(id ORDER BY id) FILTER (WHERE stored IS NULL AND NOT overdue))[1:{EXAMPLES}],
       array_agg(id ORDER BY id) FILTER (WHERE stored IS NOT NULL),
       count(*) FILTER (WHERE overdue),
       (array_agg(id ORDER BY id) FILTER (WHERE overdue))[1:{EXAMPLES}],
       array_agg(DISTINCT run_id ORDER BY run_id) FILTER (WHERE overdue)
FROM (SELECT cv.id, c.run_id, cv.{SEARCH_VECTOR} AS stored, {PG_VECTOR} AS expected,
             cv.{SEARCH_VECTOR} IS NULL AND coalesce(c.run_id = ANY(CAST(:overdue AS bigint[])), false) AS overdue,
             coalesce(c.run_id = ANY(CAST(:filling AS bigint[])), false) AS filling
      FROM clause_versions cv LEFT JOIN commits c ON c.seq = cv.seq) v
WHERE stored IS DISTINCT FROM expected AND NOT (stored IS NULL AND filling)""")


@dataclass(frozen=True)
class SearchDrift:
    """What the check found, and every version indexed under words that are not its text (forged or stale)."""

    findings: list[Finding]
    misindexed: list[int] = field(default_factory=list)


def check_search_index(session: Session) -> list[Finding]:
    """A finding for unindexed versions, versions indexed under other words, and entries of no version."""
    return search_drift(session).findings


def search_drift(session: Session) -> SearchDrift:
    """`check_search_index`'s findings, with every misindexed version (a finding names the first few)."""
    if not is_sqlite(session):
        # While an ingest runs, its background filler has not reached its own versions' vectors yet
        # (docs/accountability.md, "The search index"): those of a run filling for under FILLING_BOUND
        # are not counted, those of an older "running" run are named apart.
        runs = runs_under_way(session)
        unindexed, few_unindexed, wrong, overdue, few_overdue, overdue_runs = session.execute(
            _PG_DRIFT, {"filling": runs.filling, "overdue": runs.overdue}).one()
        where = f"clause_versions.{SEARCH_VECTOR}"
        drift = _findings(session, where, (unindexed, few_unindexed or []), wrong or [], (0, []))
        if overdue:
            drift.findings.append(Finding(CHECK, where, (
                f"{overdue} clause version(s) written by ingest run(s) {', '.join(map(str, overdue_runs))}, "
                f"\"running\" for over {FILLING_BOUND.total_seconds() / 60:.0f} minutes (or since a time to come), are not in the search index "
                f"({named_versions(session, few_overdue)}): search and the incident lookup do not find them; a run "
                "this long is no longer taken to be filling them (its process may be gone on a host that "
                "cannot be checked from here, or its row was written with SQL); if it is still running "
                f"this clears when it ends; {REPAIR}")))
        return drift
    conn = session.connection()
    defined = conn.exec_driver_sql(f"SELECT sql FROM main.sqlite_schema WHERE name = '{FTS_TABLE}'").scalar()
    if defined is None:
        return SearchDrift([Finding(CHECK, FTS_TABLE, f"the search index's table is missing: search fails; {REPAIR}")])
    try:
        with _scratch(conn):
            return _sqlite_findings(session, conn, defined)
    except _Malformed as exc:  # a shadow table dropped or altered, pages FTS5 cannot read
        return SearchDrift([Finding(CHECK, FTS_TABLE, f"the search index is malformed ({exc.error.orig}): {REPAIR}")])


class _Malformed(Exception):
    """Reading the stored index (main.clause_search_*, or the copy of its pages) failed: a finding, not an error."""

    def __init__(self, error: DatabaseError) -> None:
        super().__init__(str(error))
        self.error = error


def _stored(conn: Connection, statement: str) -> CursorResult[*TupleAny]:
    """Run a statement that reads the stored index; its failure says the index is malformed.

    Only these: a failure to make or write the TEMP tables (a `PRAGMA query_only` connection, a full
    disk) is the connection's, not the index's, and propagates rather than reading as tampering."""
    try:
        return conn.exec_driver_sql(statement)
    except DatabaseError as exc:
        raise _Malformed(exc) from exc


def _sqlite_findings(session: Session, conn: Connection, defined: str) -> SearchDrift:
    config = _config_drift(conn, defined)
    try:
        conn.exec_driver_sql(f"INSERT INTO temp.{_GOT}({_GOT}) VALUES ('integrity-check')")
    except DatabaseError as exc:
        return SearchDrift(config + [Finding(CHECK, FTS_TABLE, f"the search index is malformed ({exc.orig}): {REPAIR}")])
    _merge(conn, _GOT, _stored)  # the copy's pages are the stored index's
    _merge(conn, _WANT, Connection.exec_driver_sql)
    if _digest(conn, _GOT) == _digest(conn, _WANT):
        return SearchDrift(config)
    words = _word_drift(session, conn)
    return SearchDrift(config + words.findings, words.misindexed)


def _merge(conn: Connection, table: str, run: Callable[[Connection, str], object]) -> None:
    """Rewrite the table's index as one merged segment, however it was written before.

    'optimize' leaves an index of one segment alone, and a segment FTS5 merged on its own (an index
    grown by small ingests) is laid out unlike one flushed at once (a fresh index): equal content,
    different bytes. A row added and deleted again puts a second segment beside any index (its delete
    marker cancels the row), so 'optimize' merges every index the same way."""
    row = f"{_NOBODY}, '', '', 'x'"
    run(conn, f"INSERT INTO temp.{table} (rowid, key, title, body) VALUES ({row})")
    run(conn, f"INSERT INTO temp.{table} ({table}, rowid, key, title, body) VALUES ('delete', {row})")
    run(conn, f"INSERT INTO temp.{table}({table}) VALUES ('optimize')")


def _config_drift(conn: Connection, defined: str) -> list[Finding]:
    """The stored table's definition (its tokenizer) and settings (ranking, page size) other than the registry's."""
    query = "SELECT k, v FROM {}_config"
    stored = set(_stored(conn, query.format(f"main.{FTS_TABLE}")).all())
    fresh = set(conn.exec_driver_sql(query.format(f"temp.{_WANT}")).all())
    odd = [f"{k}={v!r}" for k, v in sorted(stored ^ fresh, key=str)]
    odd += [f"defined as {defined!r}"] if defined != fts5_definition(FTS_TABLE) else []
    if not odd:
        return []
    return [Finding(CHECK, FTS_TABLE, f"the search index's definition or settings are not the registry's "
                                      f"({', '.join(odd)}): they change how search reads words or ranks "
                                      f"what it finds; {REPAIR}")]


def _digest(conn: Connection, table: str) -> str:
    """The merged index's pages and totals (all but the structure record, which counts merges), hashed."""
    h = hashlib.sha256()
    for (block,) in conn.exec_driver_sql(f"SELECT block FROM temp.{table}_data WHERE id != 10 ORDER BY id"):
        h.update(len(block).to_bytes(4, "big") + block)
    for row in conn.exec_driver_sql(f"SELECT id, sz FROM temp.{table}_docsize ORDER BY id"):
        h.update(repr(row).encode())
    return h.hexdigest()


def _word_drift(session: Session, conn: Connection) -> SearchDrift:
    """Which versions the stored index (read directly, not the copy) holds other words for."""
    conn.exec_driver_sql(f"CREATE VIRTUAL TABLE temp.{_GOT}_words USING fts5vocab(main, {FTS_TABLE}, instance)")
    conn.exec_driver_sql(f"CREATE VIRTUAL TABLE temp.{_WANT}_words USING fts5vocab(temp, {_WANT}, instance)")
    cols = "term, doc, col, offset"
    got, want = f"SELECT {cols} FROM temp.{_GOT}_words", f"SELECT {cols} FROM temp.{_WANT}_words"
    sizes = "SELECT id, sz FROM {}_docsize"
    got_sizes, want_sizes = sizes.format(f"main.{FTS_TABLE}"), sizes.format(f"temp.{_WANT}")
    differ = {doc for (doc,) in _stored(conn,
        f"SELECT doc FROM ({got} EXCEPT {want}) UNION SELECT doc FROM ({want} EXCEPT {got}) "
        f"UNION SELECT id FROM ({got_sizes} EXCEPT {want_sizes}) UNION SELECT id FROM ({want_sizes} EXCEPT {got_sizes})")}
    present = {doc for (doc,) in _stored(conn, f"SELECT DISTINCT doc FROM temp.{_GOT}_words")}
    versions = set(session.scalars(select(ClauseVersion.id)))
    unindexed = sorted(versions - present)
    orphaned = sorted(present - versions)
    wrong = sorted((differ & versions) - set(unindexed))
    return _findings(session, FTS_TABLE, (len(unindexed), unindexed[:EXAMPLES]), wrong,
                     (len(orphaned), orphaned[:EXAMPLES]))


def _findings(session: Session, where: str, unindexed: tuple[int, list[int]], wrong: list[int],
              orphaned: tuple[int, list[int]]) -> SearchDrift:
    """The same findings on both backends: (how many, the first few ids) of each kind; `wrong`: every misindexed id."""
    found = []
    if unindexed[0]:
        found.append(Finding(CHECK, where, f"{unindexed[0]} clause version(s) are not in the search index "
                             f"({named_versions(session, unindexed[1])}): search and the incident lookup do not find "
                             f"them (an interrupted run, or a row changed behind the registry's back); {REPAIR}"))
    if wrong:
        found.append(Finding(CHECK, where, f"{len(wrong)} clause version(s) are indexed under words that are not "
                             f"their text ({named_versions(session, wrong[:EXAMPLES])}): the index was written behind the "
                             "registry's back, or the text was edited after it was indexed; search finds them "
                             f"for words they do not have, or misses them; {REPAIR}"))
    if orphaned[0]:
        found.append(Finding(CHECK, where, f"the search index holds words for {orphaned[0]} row id(s) that are "
                             f"no clause version ({', '.join(map(str, orphaned[1]))}): {REPAIR}"))
    return SearchDrift(found, wrong)


def located(session: Session, ids: Iterable[int]) -> list[tuple[int, str, str]]:
    """(version id, clause id, commit sha) of each version, by version id.

    The ids are bound LOCATED_CHUNK at a time: one statement binds at most 65,535 parameters under
    psycopg and 32,766 under SQLite, and a forgery may misindex every version."""
    wanted = sorted(set(ids))
    query = select(ClauseVersion.id, ClauseVersion.key, Commit.sha).join(Commit, Commit.seq == ClauseVersion.seq)
    rows: list[tuple[int, str, str]] = []
    for start in range(0, len(wanted), LOCATED_CHUNK):
        chunk = wanted[start:start + LOCATED_CHUNK]
        rows += [(i, key, sha) for i, key, sha in session.execute(query.where(ClauseVersion.id.in_(chunk)))]
    return sorted(rows)


def misindexed_record(session: Session, ids: Iterable[int]) -> dict[str, object]:
    """The misindexed versions as `search.reindex` records them: `misindexed` ({"version", "clause",
    "commit"}, by version id, the first MISINDEXED_KEPT), `misindexed_count`, `misindexed_sha256` (of
    the sorted version ids, one decimal per line, each line ending in a newline) and, when some were
    left out, `misindexed_truncated` saying how to list them all."""
    wanted = sorted(set(ids))
    kept = [{"version": i, "clause": key, "commit": sha} for i, key, sha in located(session, wanted[:MISINDEXED_KEPT])]
    record: dict[str, object] = {
        "misindexed": kept, "misindexed_count": len(wanted),
        "misindexed_sha256": hashlib.sha256("".join(f"{i}\n" for i in wanted).encode()).hexdigest()}
    if len(wanted) > MISINDEXED_KEPT:
        record["misindexed_truncated"] = (
            f"the first {MISINDEXED_KEPT} of {len(wanted)} versions by id are listed; the rest are "
            "those `specreg verify` names as indexed under other words on a backup taken before this "
            "reindex (search_check.search_drift(session).misindexed lists them all; misindexed_sha256 "
            "checks the list)")
    return record


def named_versions(session: Session, ids: Iterable[int]) -> str:
    """`version 12 (be_brief at 1a2b3c4d5e6f)`, ...: where a reader finds the version."""
    return ", ".join(f"version {i} ({key} at {sha[:12]})" for i, key, sha in located(session, ids))


@contextmanager
def _scratch(conn: Connection) -> Iterator[None]:
    """The expected index and a copy of the stored one as TEMP tables, dropped afterwards (the connection is pooled).

    The copy's shadow tables are filled before FTS5 first reads the table: FTS5 keeps a table's structure
    for the rest of the transaction once it has read it."""
    made: list[str] = []
    try:
        for table in (_GOT, _WANT):
            try:
                conn.exec_driver_sql(fts5_definition(f"temp.{table}"))
            except DatabaseError as exc:
                raise ConfigError(f"the search check cannot make its TEMP tables on this database connection "
                                  f"({exc.orig}): verify needs a connection that may write its own TEMP "
                                  "schema (not PRAGMA query_only)") from exc
            made.append(table)
        for shadow in _SHADOWS:
            conn.exec_driver_sql(f"DELETE FROM temp.{_GOT}_{shadow}")
            _stored(conn, f"INSERT INTO temp.{_GOT}_{shadow} SELECT * FROM main.{FTS_TABLE}_{shadow}")
        conn.exec_driver_sql(f"INSERT INTO temp.{_WANT} (rowid, key, title, body) "
                             "SELECT id, key, title, body FROM clause_versions ORDER BY id")
        yield
    except BaseException:
        with suppress(DatabaseError):  # the error that stopped the check is the one to report
            _drop(conn, made)
        raise
    _drop(conn, made)


def _drop(conn: Connection, made: list[str]) -> None:
    for table in made:
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS temp.{table}_words")
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS temp.{table}")


def reindex(session: Session, actor: str) -> tuple[list[Finding], int]:
    """Rebuild the search index from the versions' text, recording `search.reindex` (flushes).

    Returns what the check found before and how many rows were rewritten. The event keeps the findings
    and every version indexed under words that are not its text ({"version", "clause", "commit"}): a
    rebuild must not erase the sign that the index was forged, or disagreed with a text edited behind
    the registry's back (unindexed versions and entries of no version are counted in the findings);
    past MISINDEXED_KEPT versions the event keeps the first ones, the count and the whole list's digest."""
    before = search_drift(session)
    rewritten = rebuild_search_index(session)
    audit.record(session, actor, "search.reindex", "search_index", None,
                 {"rewritten": rewritten, "findings": [f.as_dict() for f in before.findings],
                  **misindexed_record(session, before.misindexed)})
    session.flush()
    return before.findings, rewritten

"""verify's `search` check: a search index forged, left stale or left incomplete with SQL is named; reindex repairs it."""
from __future__ import annotations

import hashlib
import random

import pytest
from sqlalchemy import select, text

from registry.db import make_engine, session_scope
from registry.errors import ConfigError
from registry.history import search_check
from registry.history.search import search
from registry.ledger.refs import resolve
from registry.ledger.runs import this_process
from registry.models import AuditEvent, IngestRun

RULES = 12  # over several ingested commits, so SQLite's index is built in more than one segment


@pytest.fixture
def ingested(repo, json_cli, database_url):
    """Twelve rules, each with a word of its own (zebraN), ingested commit by commit; (run, engine, backend)."""
    for n in range(RULES):
        repo.commit(f"rule {n}", {f"spec/r{n}.md": f"# Rule {n} {{#r{n}}}\n\nThe rule says zebra{n} and walrus.\n"})
        if n % 4 == 3:
            assert json_cli("ingest")[0] == 0
    engine = make_engine(database_url)
    yield json_cli, engine, engine.dialect.name
    engine.dispose()


@pytest.fixture
def sqlite_ingested(ingested):
    """`ingested`, on SQLite only: its FTS5 table has settings, shadow tables and rows of no version."""
    if ingested[2] != "sqlite":
        pytest.skip("SQLite's FTS5 table; PostgreSQL's vector is a column of the version's own row")
    return ingested


def sql(engine, *statements: str) -> None:
    """Write the database behind the registry's back."""
    with engine.begin() as conn:
        for statement in statements:
            conn.execute(text(statement))


def version(key: str) -> str:
    return f"(SELECT id FROM clause_versions WHERE key = '{key}')"


def search_findings(run) -> tuple[int, list[str]]:
    code, data = run("verify")
    return code, [f["message"] for f in data["findings"] if f["check"] == "search"]


def hits(engine, words: str) -> list[str]:
    with session_scope(engine) as s:
        return [h.id for h in search(s, words, resolve(s, None)).hits]


def forge_words(backend: str, key: str, words: str) -> str:
    """Index a version under words it does not have."""
    if backend == "sqlite":
        return f"INSERT INTO clause_search (rowid, key, title, body) SELECT id, '', '', '{words}' FROM clause_versions WHERE key = '{key}'"
    return f"UPDATE clause_versions SET search_vector = search_vector || to_tsvector('english', '{words}') WHERE key = '{key}'"


def unindex(backend: str, key: str) -> str:
    """Take a version out of the index (as a failed run, or someone hiding it, leaves it)."""
    if backend == "sqlite":
        return ("INSERT INTO clause_search (clause_search, rowid, key, title, body) "
                f"SELECT 'delete', id, key, title, body FROM clause_versions WHERE key = '{key}'")
    return f"UPDATE clause_versions SET search_vector = NULL WHERE key = '{key}'"


def test_a_database_whose_index_is_its_versions_text_verifies(ingested, monkeypatch):
    run, engine, _ = ingested
    # on SQLite the merged index's bytes prove it, with no comparison word by word
    monkeypatch.setattr(search_check, "_word_drift", lambda *_: pytest.fail("compared word by word"))
    assert run("verify") == (0, {"ok": True, "findings": []})
    assert hits(engine, "zebra5") == ["r5"]


def test_a_version_indexed_under_words_it_never_had_is_named(ingested):
    run, engine, backend = ingested
    sql(engine, forge_words(backend, "r3", "launder"))
    assert hits(engine, "launder") == ["r3"]  # the forgery works on search...
    code, messages = search_findings(run)  # ...and verify names it
    assert code == 1 and len(messages) == 1, messages
    assert messages[0].startswith("1 clause version(s) are indexed under words that are not their text (version ")
    assert "(r3 at " in messages[0] and "`specreg reindex`" in messages[0]


def test_a_version_hidden_from_search_is_named_as_not_indexed(ingested):
    run, engine, backend = ingested
    sql(engine, unindex(backend, "r7"), unindex(backend, "r1"))
    assert hits(engine, "zebra7") == []
    code, messages = search_findings(run)
    assert code == 1 and len(messages) == 1, messages
    assert messages[0].startswith("2 clause version(s) are not in the search index (version ")
    assert messages[0].index("(r1 at ") < messages[0].index("(r7 at ")


def test_a_text_edited_with_sql_leaves_a_stale_index_that_verify_names(ingested):
    run, engine, _ = ingested
    sql(engine, "UPDATE clause_versions SET body = 'The rule says nothing.' WHERE key = 'r2'")
    code, messages = search_findings(run)
    assert code == 1 and len(messages) == 1 and "indexed under words that are not their text" in messages[0]
    assert "(r2 at " in messages[0]


def test_index_entries_of_no_version_are_named_on_sqlite(sqlite_ingested):
    run, engine, _ = sqlite_ingested
    sql(engine, "INSERT INTO clause_search (rowid, key, title, body) VALUES (424242, 'x', '', 'ghost')")
    code, messages = search_findings(run)
    assert code == 1 and messages == ["the search index holds words for 1 row id(s) that are no clause version "
                                      "(424242): `specreg reindex` rebuilds the index from the versions' text"]


def test_the_same_word_moved_between_two_versions_is_named(ingested):
    """Totals per word stay the same; only a check per version and position sees it."""
    run, engine, backend = ingested
    if backend == "sqlite":
        sql(engine, unindex(backend, "r4"), unindex(backend, "r6"),
            "INSERT INTO clause_search (rowid, key, title, body) SELECT "
            f"{version('r4')}, key, title, body FROM clause_versions WHERE key = 'r6'",
            "INSERT INTO clause_search (rowid, key, title, body) SELECT "
            f"{version('r6')}, key, title, body FROM clause_versions WHERE key = 'r4'")
    else:
        sql(engine, "UPDATE clause_versions v SET search_vector = w.search_vector FROM clause_versions w "
                    "WHERE (v.key, w.key) IN (('r4', 'r6'), ('r6', 'r4'))")
    code, messages = search_findings(run)
    assert code == 1 and len(messages) == 1 and messages[0].startswith("2 clause version(s) are indexed under")


def test_reindex_repairs_the_index_and_records_what_it_found(ingested):
    run, engine, backend = ingested
    forged = [f"r{n}" for n in (0, 2, 3, 5, 8, 9, 11)]  # more than a finding names
    sql(engine, *(forge_words(backend, key, "launder") for key in forged), unindex(backend, "r7"))
    code, data = run("reindex")
    assert code == 0 and data["rewritten"] >= 8
    assert [f["message"].split(" (")[0] for f in data["repaired"]] == [
        "1 clause version(s) are not in the search index", "7 clause version(s) are indexed under words that are not their text"]
    assert run("verify") == (0, {"ok": True, "findings": []})
    assert hits(engine, "launder") == [] and hits(engine, "zebra7") == ["r7"]
    with session_scope(engine) as s:
        event = s.scalars(select(AuditEvent).where(AuditEvent.action == "search.reindex")).one()
        where = {key: (v, sha) for v, key, sha in s.execute(text(
            "SELECT v.id, v.key, c.sha FROM clause_versions v JOIN commits c ON c.seq = v.seq"))}
    assert event.actor.startswith("os:") and event.subject == "search_index"
    assert event.new["findings"] == data["repaired"]
    # every forged version, where to find it, not only the five a finding names
    assert event.new["misindexed"] == [{"version": where[key][0], "clause": key, "commit": where[key][1]}
                                       for key in sorted(forged, key=lambda k: where[k][0])]
    ids = sorted(where[key][0] for key in forged)
    assert event.new["misindexed_count"] == 7 and "misindexed_truncated" not in event.new
    assert event.new["misindexed_sha256"] == hashlib.sha256("".join(f"{i}\n" for i in ids).encode()).hexdigest()


def test_more_misindexed_versions_than_one_statement_binds_are_located_and_the_event_is_bounded(
        ingested, monkeypatch):
    """psycopg binds at most 65,535 parameters, SQLite 32,766: a forgery of every version must not crash reindex."""
    _, engine, _ = ingested
    with session_scope(engine) as s:
        real = sorted(s.scalars(text("SELECT id FROM clause_versions")))
        many = real + list(range(10**9, 10**9 + 70_000))  # ids of no version, in the same statement path
        assert [i for i, _, _ in search_check.located(s, many)] == real
        monkeypatch.setattr(search_check, "MISINDEXED_KEPT", 3)
        record = search_check.misindexed_record(s, reversed(many))
    assert [e["version"] for e in record["misindexed"]] == real[:3]
    assert record["misindexed_count"] == len(many)
    assert record["misindexed_sha256"] == hashlib.sha256("".join(f"{i}\n" for i in sorted(many)).encode()).hexdigest()
    assert record["misindexed_truncated"].startswith(f"the first 3 of {len(many)} versions by id are listed")


def test_reindex_acts_as_the_account_of_the_api_token_in_the_environment(ingested, monkeypatch):
    run, engine, _ = ingested
    assert run("user", "add", "ada@example.org", "--name", "Ada Byron", "--role", "admin")[0] == 0
    token = run("token", "create", "ada@example.org", "--as", "ada@example.org")[1]
    monkeypatch.setenv("SPECREG_TOKEN", token["token"])
    assert run("reindex")[0] == 0
    with session_scope(engine) as s:
        event = s.scalars(select(AuditEvent).where(AuditEvent.action == "search.reindex")).one()
    assert event.actor == "ada@example.org" and event.new["misindexed"] == []


def test_sqlite_index_settings_changed_with_sql_are_named_and_reindex_restores_them(sqlite_ingested):
    run, engine, _ = sqlite_ingested
    sql(engine, "INSERT INTO clause_search (clause_search, rank) VALUES ('rank', 'bm25(0.0, 0.0, 10.0)')")
    code, messages = search_findings(run)
    assert code == 1 and messages == [
        "the search index's definition or settings are not the registry's (rank='bm25(0.0, 0.0, 10.0)'): they "
        "change how search reads words or ranks what it finds; `specreg reindex` rebuilds the index from the "
        "versions' text"]
    assert run("reindex")[0] == 0
    assert run("verify") == (0, {"ok": True, "findings": []})


@pytest.mark.parametrize(("statement", "says"), [
    ("UPDATE clause_search_data SET block = zeroblob(length(block)) WHERE id > 10", "the search index is malformed ("),
    ("DROP TABLE clause_search_idx", "the search index is malformed ("),
    ("DROP TABLE clause_search", "the search index's table is missing: search fails;"),
])
def test_a_sqlite_index_broken_or_dropped_is_named_and_reindex_makes_it_again(sqlite_ingested, statement, says):
    run, engine, _ = sqlite_ingested
    sql(engine, statement)
    code, messages = search_findings(run)
    assert code == 1 and len(messages) == 1 and messages[0].startswith(says), messages
    assert run("reindex")[0] == 0
    assert run("verify") == (0, {"ok": True, "findings": []})
    assert hits(engine, "zebra5") == ["r5"]



def test_an_index_grown_by_several_ingests_is_proved_sound_without_a_comparison_word_by_word(
        repo, json_cli, database_url, monkeypatch):
    """FTS5 merges the segments of small ingests on its own, laid out unlike a fresh index's one segment
    that 'optimize' leaves alone: the check must merge both before comparing bytes."""
    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite's FTS5 segments; PostgreSQL compares each version's vector")
    words = random.Random(1)
    vocabulary = [f"term{k}x" for k in range(3000)]
    for ingest in range(4):  # four segments of about a hundred pages: FTS5's automerge makes them one
        repo.commit(f"rules {ingest}", {
            f"spec/r{ingest}_{n}.md": f"# Rule {ingest} {n} {{#r{ingest}_{n}}}\n\n"
                                      f"{' '.join(words.choice(vocabulary) for _ in range(60))}.\n"
            for n in range(60)})
        assert json_cli("ingest")[0] == 0
    monkeypatch.setattr(search_check, "_word_drift", lambda *_: pytest.fail("compared word by word"))
    assert json_cli("verify") == (0, {"ok": True, "findings": []})


def test_an_entry_at_the_rowid_the_check_adds_and_deletes_is_still_named(sqlite_ingested):
    """The copy's row count (in its totals) stays one over the expected index's, so the bytes differ."""
    run, engine, _ = sqlite_ingested
    sql(engine, f"INSERT INTO clause_search (rowid, key, title, body) VALUES ({2**63 - 1}, '', '', 'x')")
    code, messages = search_findings(run)
    assert code == 1 and len(messages) == 1 and messages[0].startswith("the search index holds words for 1 row id(s)")


def test_a_connection_that_may_not_write_its_temp_schema_is_an_error_not_a_malformed_index(sqlite_ingested):
    """PRAGMA query_only: the check cannot make its scratch tables; that says nothing about the index."""
    _, engine, _ = sqlite_ingested
    with session_scope(engine) as s:
        s.connection().exec_driver_sql("PRAGMA query_only = 1")
        try:
            with pytest.raises(ConfigError, match="cannot make its TEMP tables .*attempt to write a readonly"):
                search_check.check_search_index(s)
        finally:
            s.connection().exec_driver_sql("PRAGMA query_only = 0")


def test_a_failing_cleanup_does_not_hide_the_error_that_stopped_the_check(sqlite_ingested, monkeypatch):
    _, engine, _ = sqlite_ingested

    def stopped(session, conn, defined):
        conn.exec_driver_sql("PRAGMA query_only = 1")  # the DROPs afterwards fail too
        raise RuntimeError("the check stopped")

    monkeypatch.setattr(search_check, "_sqlite_findings", stopped)
    with session_scope(engine) as s:
        try:
            with pytest.raises(RuntimeError, match="the check stopped"):
                search_check.check_search_index(s)
        finally:
            s.connection().exec_driver_sql("PRAGMA query_only = 0")


def running_run(engine, host: str | None = None, pid: int | None = None, started: str | None = None,
                since: str = "now()") -> int:
    """A "running" run row (this process by default) and its id; `since`: its started_at, as SQL."""
    me = this_process()
    with session_scope(engine, write=True) as s:
        s.add(under_way := IngestRun(branch="main", pid=pid or me.pid, host=host or me.host,
                                     pid_started=started or me.started))
        s.flush()
        run_id = under_way.id
    sql(engine, f"UPDATE ingest_runs SET started_at = {since} WHERE id = {run_id}")
    return run_id


def written_by(run_id: int, key: str) -> str:
    """Make the commit of `key`'s version one that run `run_id` wrote."""
    return f"UPDATE commits SET run_id = {run_id} WHERE seq = (SELECT seq FROM clause_versions WHERE key = '{key}')"


def skip_sqlite(backend: str) -> None:
    if backend == "sqlite":
        pytest.skip("SQLite's index is written in the ingest's own transaction: nothing waits to be filled")


def test_postgresql_vectors_an_ingest_under_way_has_not_filled_yet_are_not_named(ingested):
    """Its background filler fills its versions' NULL vectors; a scheduled verify meanwhile must not cry tampering."""
    run, engine, backend = ingested
    skip_sqlite(backend)
    sql(engine, unindex(backend, "r7"), forge_words(backend, "r3", "launder"))
    run_id = running_run(engine)
    sql(engine, written_by(run_id, "r7"))
    code, messages = search_findings(run)  # the forged words still count
    assert code == 1 and len(messages) == 1 and messages[0].startswith("1 clause version(s) are indexed under")
    sql(engine, f"UPDATE ingest_runs SET pid_started = 'another process' WHERE id = {run_id}")  # its process is gone
    assert [m.split(" (")[0] for m in search_findings(run)[1]] == [
        "1 clause version(s) are not in the search index", "1 clause version(s) are indexed under words that are not their text"]


def test_a_running_run_row_written_with_sql_does_not_hide_other_runs_unindexed_versions(ingested):
    """A row on a host never checked from here (or without a pid) is never known gone: it excuses nothing of others."""
    run, engine, backend = ingested
    skip_sqlite(backend)
    sql(engine, unindex(backend, "r7"))
    running_run(engine, host="elsewhere", pid=1, started="x")
    sql(engine, "INSERT INTO ingest_runs (branch, status, host, pid, started_at, commits, versions) "
                "VALUES ('main', 'running', 'elsewhere', NULL, now(), 0, 0)")
    code, messages = search_findings(run)
    assert code == 1 and [m.split(" (")[0] for m in messages] == ["1 clause version(s) are not in the search index"]


@pytest.mark.parametrize("since", ["now() - interval '61 minutes'", "now() + interval '1 day'"])
def test_the_unindexed_versions_of_a_run_running_over_an_hour_are_named_apart(ingested, since):
    """A crashed run on a host that never returns, or a forged run row, excuses its versions for an hour at most."""
    run, engine, backend = ingested
    skip_sqlite(backend)
    sql(engine, unindex(backend, "r7"), unindex(backend, "r2"))
    run_id = running_run(engine, host="elsewhere", since=since)
    sql(engine, written_by(run_id, "r7"))
    code, messages = search_findings(run)
    assert code == 1 and [m.split(" (")[0] for m in messages] == [
        "1 clause version(s) are not in the search index",
        f"1 clause version(s) written by ingest run(s) {run_id}, \"running\" for over 60 minutes"]
    assert "r7 at" in messages[1] and "r2 at" in messages[0]
    for excused in ("now() - interval '59 minutes'", "now() + interval '4 minutes'"):  # the latter: a fast clock
        sql(engine, f"UPDATE ingest_runs SET started_at = {excused} WHERE id = {run_id}")
        assert [m.split(" (")[0] for m in search_findings(run)[1]] == ["1 clause version(s) are not in the search index"]

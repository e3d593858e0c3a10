"""PostgreSQL's search vectors: written after the rows, by ingest's own transaction or behind a long one."""
from __future__ import annotations

import threading
from dataclasses import dataclass

import pytest
from sqlalchemy import text

from registry.cli import main
from registry.db import make_engine, session_scope
from registry.gitsource import SpecSource
from registry.history import search_index
from registry.history.search import search
from registry.history.search_index import PG_VECTOR, SEARCH_VECTOR
from registry.ledger import options as ingest_options
from registry.ledger.ingest import ingest
from registry.ledger.refs import resolve

# What the column must hold for every version: the document revision 0005 generated.
UNFILLED = text(f"SELECT count(*) FROM clause_versions WHERE {SEARCH_VECTOR} IS DISTINCT FROM ({PG_VECTOR})")
NULLS = text(f"SELECT count(*) FROM clause_versions WHERE {SEARCH_VECTOR} IS NULL")


@pytest.fixture
def pg_url(database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL only: SQLite's FTS5 table is written in the ingest's transaction")
    return database_url


@pytest.fixture
def history(repo, pg_url, monkeypatch):
    """Seven commits, each adding a rule with a word of its own; the CLI wired to them, in batches of two."""
    for n in range(7):
        repo.commit(f"rule {n}", {f"spec/r{n}.md": f"# Rule {n} {{#r{n}}}\n\nThe word{n} rule says zebra{n}.\n"})
    monkeypatch.setenv("SPECREG_DATABASE_URL", pg_url)
    monkeypatch.setenv("SPECREG_REPO", str(repo.path))

    @dataclass(frozen=True)
    class TwoAtATime(ingest_options.IngestOptions):
        batch_commits: int = 2

    monkeypatch.setattr(ingest_options, "IngestOptions", TwoAtATime)
    return repo


def count(url: str, query: text) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return conn.scalar(query)
    finally:
        engine.dispose()


def test_specreg_ingest_leaves_every_batch_s_versions_indexed_as_the_generated_column_did(history, pg_url):
    assert main(["ingest"]) == 0
    assert count(pg_url, text("SELECT count(*) FROM clause_versions")) == 7
    assert count(pg_url, UNFILLED) == 0
    engine = make_engine(pg_url)
    with session_scope(engine) as s:
        for n in (0, 3, 6):  # the first batch, one in the middle, the last (filled after the last commit)
            assert [h.id for h in search(s, f"zebra{n}", resolve(s, None)).hits] == [f"r{n}"]
    engine.dispose()


def test_versions_a_killed_run_left_unindexed_are_filled_by_the_next_ingest_even_with_nothing_new(history, pg_url):
    assert main(["ingest"]) == 0
    engine = make_engine(pg_url)
    with engine.begin() as conn:
        conn.execute(text(f"UPDATE clause_versions SET {SEARCH_VECTOR} = NULL WHERE key IN ('r1', 'r5')"))
    engine.dispose()
    assert count(pg_url, NULLS) == 2
    assert main(["ingest"]) == 0
    assert count(pg_url, UNFILLED) == 0


def test_a_failed_ingest_stops_the_filler_and_reports_its_own_error(history, pg_url, monkeypatch, capsys):
    from registry.ledger import ingest as ingest_module

    real = ingest_module._advance
    calls = []

    def fail_on_the_third_batch(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("disk full")
        return real(*args, **kwargs)

    monkeypatch.setattr(ingest_module, "_advance", fail_on_the_third_batch)
    with pytest.raises(RuntimeError, match="disk full"):
        main(["ingest"])
    # the two committed batches stay, and the filler's thread is gone (the error was not held up)
    assert count(pg_url, text("SELECT count(*) FROM clause_versions")) == 4
    assert "specreg-search-filler" not in {t.name for t in threading.enumerate()}
    monkeypatch.setattr(ingest_module, "_advance", real)
    assert main(["ingest"]) == 0
    assert count(pg_url, UNFILLED) == 0


def test_an_ingest_in_a_running_process_indexes_its_versions_before_it_commits(repo, pg_url):
    repo.commit("one", {"spec/a.md": "# A {#a}\n\nThe quokka rule.\n"})
    engine = make_engine(pg_url)
    with session_scope(engine, write=True) as s, SpecSource(repo.path) as source:
        ingest(s, source)
        assert s.scalar(UNFILLED) == 0  # in its own transaction: no background filler here
        assert [h.id for h in search(s, "quokka", resolve(s, None)).hits] == ["a"]
    engine.dispose()


def test_the_filler_skips_rows_another_transaction_is_filling_instead_of_waiting(history, pg_url):
    assert main(["ingest"]) == 0
    engine = make_engine(pg_url)
    with engine.begin() as conn:
        conn.execute(text(f"UPDATE clause_versions SET {SEARCH_VECTOR} = NULL"))
    with engine.connect() as holder, engine.connect() as other:
        holder.execute(text("SELECT id FROM clause_versions WHERE key = 'r2' FOR UPDATE"))
        other.execute(text("SET lock_timeout = '2s'"))  # a wait would fail here instead of hanging the test
        assert search_index._fill(other) == 6
        other.commit()
        holder.rollback()
    assert count(pg_url, NULLS) == 1
    engine.dispose()


def test_a_clause_too_large_for_a_tsvector_is_indexed_by_its_first_words_and_blocks_nothing(repo, pg_url, monkeypatch):
    # 30,000 distinct words (1 MB): to_tsvector of the whole text raises "string is too long for tsvector"
    import hashlib

    words = " ".join("w" + hashlib.md5(str(i).encode()).hexdigest() for i in range(30_000))
    repo.commit("before", {"spec/a.md": "# A {#a}\n\nThe quokka rule.\n"})
    repo.commit("huge", {"spec/b.md": f"# B {{#b}}\n\n{words}\n"})
    repo.commit("after", {"spec/c.md": "# C {#c}\n\nThe numbat rule.\n"})
    monkeypatch.setenv("SPECREG_DATABASE_URL", pg_url)
    monkeypatch.setenv("SPECREG_REPO", str(repo.path))
    assert main(["ingest"]) == 0
    assert count(pg_url, NULLS) == 0
    engine = make_engine(pg_url)
    first = words.split()[0]
    with session_scope(engine) as s:
        assert [h.id for h in search(s, first, resolve(s, None)).hits] == ["b"]
        assert [h.id for h in search(s, "numbat", resolve(s, None)).hits] == ["c"]
    engine.dispose()


def test_the_last_fill_of_specreg_ingest_waits_for_rows_another_transaction_holds(history, pg_url):
    # (another transaction that holds them may roll back: a last fill that skipped them would leave them NULL)
    assert main(["ingest"]) == 0
    engine = make_engine(pg_url)
    with engine.begin() as conn:
        conn.execute(text(f"UPDATE clause_versions SET {SEARCH_VECTOR} = NULL WHERE key = 'r2'"))
    holder = engine.connect()
    holder.execute(text("SELECT id FROM clause_versions WHERE key = 'r2' FOR UPDATE"))
    release = threading.Timer(1.0, holder.rollback)
    release.start()
    try:
        assert main(["ingest"]) == 0  # nothing new: only the last fill runs, and waits for the holder
    finally:
        release.join()
        holder.close()
        engine.dispose()
    assert count(pg_url, NULLS) == 0

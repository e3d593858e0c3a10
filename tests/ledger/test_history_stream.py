"""Reading and parsing history in a second process gives the ledger exactly what reading it here gives.

Long ingests read (git log, cat-file) and parse in a reader process while the writer applies the
previous batch; parses travel as deltas against the writer's copy of each document's last parse.
"""
from __future__ import annotations

import multiprocessing
import os
from pathlib import Path

import pytest
from reader_helpers import ingest_at, ledger_rows, random_history

from registry.demo.repo import build_demo_repo
from registry.errors import SourceError
from registry.gitsource import SpecSource
from registry.ledger import documents as doc_edits
from registry.ledger import history_stream, wire
from registry.ledger.history_stream import ReadJob, parsed_history
from registry.ledger.options import IngestOptions
from registry.spec.specfiles import SpecFiles

HERE = IngestOptions(batch_commits=3, reader_process_from=10**9)
THERE = IngestOptions(batch_commits=3, reader_process_from=1)
@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_demo_repo(tmp_path_factory.mktemp("demo") / "spec-repo")


def test_a_reader_process_gives_the_demo_ledger_the_same_rows_as_reading_in_process(databases, demo):
    here, there = databases.fresh(), databases.fresh()
    assert ingest_at(here, demo, HERE).as_dict() == ingest_at(there, demo, THERE).as_dict()
    assert ledger_rows(here) == ledger_rows(there)


@pytest.mark.parametrize("seed", range(4))
def test_a_reader_process_gives_a_random_history_the_same_rows_as_reading_in_process(databases, tmp_path, seed):
    repo = random_history(tmp_path / "spec", seed)
    here, there = databases.fresh(), databases.fresh()
    report = ingest_at(here, repo.path, HERE)
    assert report.as_dict() == ingest_at(there, repo.path, THERE).as_dict()
    assert any("not UTF-8" in w.message for w in report.warnings)
    assert ledger_rows(here) == ledger_rows(there)


def test_a_spawned_reader_process_reads_the_same_history(databases, demo, monkeypatch):
    monkeypatch.setattr(history_stream, "_start_method", lambda: "spawn")
    here, there = databases.fresh(), databases.fresh()
    ingest_at(here, demo, HERE)
    ingest_at(there, demo, THERE)
    assert ledger_rows(here) == ledger_rows(there)


def _fail_at(monkeypatch: pytest.MonkeyPatch, n: int, failure) -> None:
    """Make the (forked) reader process fail when it reads the n-th commit."""
    real = doc_edits.DocumentReader.read
    seen = [0]

    def read(self, commit, blobs):
        seen[0] += 1
        if seen[0] == n:
            failure()
        return real(self, commit, blobs)

    monkeypatch.setattr(history_stream, "_start_method", lambda: "fork")  # the child sees the patch
    monkeypatch.setattr(doc_edits.DocumentReader, "read", read)


def _boom() -> None:
    raise ValueError("reader bug")


def test_a_reader_process_that_fails_stops_ingest_with_its_traceback_and_keeps_earlier_batches(
        databases, demo, monkeypatch):
    url, clean = databases.fresh(), databases.fresh()
    _fail_at(monkeypatch, 8, _boom)
    with pytest.raises(RuntimeError, match="(?s)history reader process failed.*ValueError: reader bug"):
        ingest_at(url, demo, THERE)
    assert ledger_rows(url)["ledger"][0][1] == 6  # two batches of three were written before
    monkeypatch.undo()
    ingest_at(url, demo, THERE)  # a second run continues after them
    ingest_at(clean, demo, HERE)
    rows, expected = ledger_rows(url), ledger_rows(clean)
    assert (rows["versions"], rows["documents"]) == (expected["versions"], expected["documents"])


def test_a_reader_process_that_dies_is_a_clear_source_error_and_a_second_run_reads_what_it_did_not(
        databases, demo, monkeypatch):
    url, clean = databases.fresh(), databases.fresh()
    _fail_at(monkeypatch, 5, lambda: os._exit(3))
    with pytest.raises(SourceError, match=r"ended unexpectedly \(exit code 3\).*run ingest again"):
        ingest_at(url, demo, THERE)
    # The first batch (3 commits) is written when it reached the writer; a reader that dies outright
    # takes the batches it had read but not yet sent with it (its outbox sends from a thread).
    assert [seq for _sha, seq, _rule in ledger_rows(url)["ledger"]] in ([], [3])
    monkeypatch.undo()
    ingest_at(url, demo, THERE)
    ingest_at(clean, demo, HERE)
    assert ledger_rows(url)["versions"] == ledger_rows(clean)["versions"]


def test_a_reader_process_of_another_wire_version_stops_ingest_before_anything_is_written(
        databases, demo, monkeypatch):
    url = databases.fresh()
    monkeypatch.setattr(history_stream, "_start_method", lambda: "fork")  # the child sees the patch
    monkeypatch.setattr(history_stream, "hello", lambda: ("wire", wire.VERSION + 1))
    with pytest.raises(SourceError, match=rf"speaks wire version {wire.VERSION + 1}, this writer wire version "
                                          rf"{wire.VERSION}: both ends .* one installation"):
        ingest_at(url, demo, THERE)
    assert ledger_rows(url)["versions"] == []


def test_leaving_early_stops_the_reader_process(demo):
    with SpecSource(demo) as source:
        job = ReadJob(str(demo), source.resolve("main"), None, SpecFiles(), 2_000_000, 2)
        with parsed_history(source, job, in_process=False) as batches:
            first = next(batches)
            assert len(first) == 2
            assert multiprocessing.active_children()
    assert not multiprocessing.active_children()

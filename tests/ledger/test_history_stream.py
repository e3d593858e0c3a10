"""Reading and parsing history in a second process gives the ledger exactly what reading it here gives.

Long ingests read (git log, cat-file) and parse in a reader process while the writer applies the
previous batch; parses travel as deltas against the writer's copy of each document's last parse.
"""
from __future__ import annotations

import multiprocessing
import os
import random
from pathlib import Path

import pytest
from ledger_helpers import render_sections
from repo_builder import RepoBuilder
from sqlalchemy import select

from registry.db import make_engine, session_scope
from registry.demo.repo import build_demo_repo
from registry.errors import SourceError
from registry.gitsource import SpecSource
from registry.ledger import documents as doc_edits
from registry.ledger import history_stream
from registry.ledger.history_stream import ReadJob, parsed_history, read_batches
from registry.ledger.ingest import IngestOptions, IngestReport, ingest
from registry.models import Clause as ClauseRow
from registry.models import ClauseKey, ClauseVersion, Commit, DocumentVersion, IngestWarning, Ledger
from registry.spec.specfiles import SpecFiles

HERE = IngestOptions(batch_commits=3, reader_process_from=10**9)
THERE = IngestOptions(batch_commits=3, reader_process_from=1)
TITLES = ["Scope", "Privacy", "Honesty", "Tone", "Format", "Safety"]


def _render(doc: str, sections: list[dict]) -> str:
    return render_sections(f"# {doc} {{#{doc}}}\n\nIntro.\n", sections)


def _random_history(path: Path, seed: int, commits: int = 24) -> RepoBuilder:
    """Three documents edited at random: bodies, titles, levels, ids, moves, renames, bad files."""
    rng = random.Random(seed)
    repo = RepoBuilder(path)
    serial = 0

    def section() -> dict:
        nonlocal serial
        serial += 1
        return {"id": rng.choice((None, f"r{serial}", f"r{serial}")), "title": rng.choice(TITLES),
                "level": rng.choice((2, 3, 4)), "authority": rng.choice(("system", "user")),
                "body": f"Body {serial} " + " ".join(rng.choice(TITLES).lower() for _ in range(8)) + ".",
                "fence": rng.random() < 0.2}

    docs = {f"spec/d{n}.md": [section() for _ in range(5)] for n in range(3)}
    repo.commit("start", {p: _render(p[5:7], s) for p, s in docs.items()})
    for n in range(commits):
        files: dict[str, str | bytes | None] = {}
        renames: dict[str, str] = {}
        for path in rng.sample(sorted(docs), rng.randint(1, 2)):
            sections = docs[path]
            target = rng.choice(sections)
            kind = rng.randrange(9)
            if kind == 0:
                target["title"] = rng.choice(TITLES)
            elif kind == 1:
                target["level"] = rng.choice((2, 3, 4))
            elif kind == 2 and len(sections) > 2:
                other = rng.choice([p for p in docs if p != path])
                sections.remove(target)
                docs[other].append(target)  # a clause moves to another document
                files[other] = _render(other[5:7], docs[other])
            elif kind == 3:
                target["id"] = rng.choice((None, f"c{rng.randrange(4)}"))  # renames and duplicate ids
            elif kind == 4:
                sections.insert(rng.randrange(len(sections) + 1), section())
            elif kind == 5:
                target["fence"] = not target["fence"]
            else:
                target["body"] += f" More {n}."
            files[path] = _render(path[5:7], sections)
        if n == 8:
            files["spec/bad.md"] = b"# Bad \xff\xfe\n"  # not UTF-8: a warning from the reader
        if n == 12:
            files["spec/bad.md"] = None
            old = sorted(docs)[0]
            new = old.replace("spec/", "spec/moved-")
            docs[new] = docs.pop(old)
            files.pop(old, None)
            renames[old] = new  # a file rename
        repo.commit(f"edit {n}", files, renames=renames)
    return repo


def _ingest(url: str, repo: Path, options: IngestOptions) -> IngestReport:
    engine = make_engine(url)
    try:
        with SpecSource(repo) as source, session_scope(engine, write=True) as s:
            return ingest(s, source, options, checkpoint=s.commit)
    finally:
        engine.dispose()


def _ledger_rows(url: str) -> dict[str, list[tuple]]:
    """Every row ingest writes, without surrogate keys that depend on insert order."""
    engine = make_engine(url)
    try:
        with session_scope(engine) as s:
            return {
                "ledger": [tuple(s.execute(select(Ledger.head_sha, Ledger.head_seq, Ledger.includes)).one())],
                "commits": [tuple(r) for r in s.execute(select(Commit.seq, Commit.sha).order_by(Commit.seq))],
                "clauses": [tuple(r) for r in s.execute(select(ClauseRow.id, ClauseRow.key, ClauseRow.first_seq)
                                          .order_by(ClauseRow.id))],
                "keys": sorted(tuple(r) for r in s.execute(select(ClauseKey.clause_id, ClauseKey.key, ClauseKey.first_seq))),
                "versions": [(v.clause_id, v.seq, v.key, v.title, v.attributes, v.body, v.document, v.parent_id,
                              v.level, v.changes, v.previous_key, v.removed)
                             for v in s.scalars(select(ClauseVersion).order_by(ClauseVersion.seq,
                                                                                ClauseVersion.clause_id))],
                "documents": [(d.path, d.seq, d.blob_sha, d.clause_ids, d.deleted, d.unreadable)
                              for d in s.scalars(select(DocumentVersion).order_by(DocumentVersion.seq,
                                                                                   DocumentVersion.path))],
                "warnings": [tuple(r) for r in s.execute(select(IngestWarning.commit_sha, IngestWarning.path, IngestWarning.line,
                                                  IngestWarning.message).order_by(IngestWarning.id))],
            }
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_demo_repo(tmp_path_factory.mktemp("demo") / "spec-repo")


def test_a_reader_process_gives_the_demo_ledger_the_same_rows_as_reading_in_process(databases, demo):
    here, there = databases.fresh(), databases.fresh()
    assert _ingest(here, demo, HERE).as_dict() == _ingest(there, demo, THERE).as_dict()
    assert _ledger_rows(here) == _ledger_rows(there)


@pytest.mark.parametrize("seed", range(4))
def test_a_reader_process_gives_a_random_history_the_same_rows_as_reading_in_process(databases, tmp_path, seed):
    repo = _random_history(tmp_path / "spec", seed)
    here, there = databases.fresh(), databases.fresh()
    report = _ingest(here, repo.path, HERE)
    assert report.as_dict() == _ingest(there, repo.path, THERE).as_dict()
    assert any("not UTF-8" in w.message for w in report.warnings)
    assert _ledger_rows(here) == _ledger_rows(there)


@pytest.mark.parametrize("seed", range(3))
def test_the_wire_form_rebuilds_every_parse_and_its_previous_version(tmp_path, seed):
    repo = _random_history(tmp_path / "spec", seed, commits=40)
    encoder, decoder = history_stream._Encoder(), history_stream._Decoder()
    with SpecSource(repo.path) as source:
        job = ReadJob(str(repo.path), repo.head(), None, SpecFiles(), 2_000_000, 4)
        for batch in read_batches(source, job):
            for sent in batch:
                got = decoder.commit(encoder.commit(sent))
                assert (got.commit, got.renames, got.warnings) == (sent.commit, sent.renames, sent.warnings)
                for a, b in zip(sent.edits, got.edits, strict=True):
                    assert (a.path, a.blob, a.clauses) == (b.path, b.blob, b.clauses)
                    assert (a.parsed and a.parsed.reused, a.parsed and a.parsed.base) == \
                        (b.parsed and b.parsed.reused, b.parsed and b.parsed.base)
                    assert (a.previous and a.previous.serial) == (b.previous and b.previous.serial)


def test_a_spawned_reader_process_reads_the_same_history(databases, demo, monkeypatch):
    monkeypatch.setattr(history_stream, "_start_method", lambda: "spawn")
    here, there = databases.fresh(), databases.fresh()
    _ingest(here, demo, HERE)
    _ingest(there, demo, THERE)
    assert _ledger_rows(here) == _ledger_rows(there)


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
        _ingest(url, demo, THERE)
    assert _ledger_rows(url)["ledger"][0][1] == 6  # two batches of three were written before
    monkeypatch.undo()
    _ingest(url, demo, THERE)  # a second run continues after them
    _ingest(clean, demo, HERE)
    rows, expected = _ledger_rows(url), _ledger_rows(clean)
    assert (rows["versions"], rows["documents"]) == (expected["versions"], expected["documents"])


def test_a_reader_process_that_dies_is_a_clear_source_error(databases, demo, monkeypatch):
    url = databases.fresh()
    _fail_at(monkeypatch, 5, lambda: os._exit(3))
    with pytest.raises(SourceError, match=r"ended unexpectedly \(exit code 3\).*run ingest again"):
        _ingest(url, demo, THERE)
    assert _ledger_rows(url)["ledger"][0][1] == 3


def test_leaving_early_stops_the_reader_process(demo):
    with SpecSource(demo) as source:
        job = ReadJob(str(demo), source.resolve("main"), None, SpecFiles(), 2_000_000, 2)
        with parsed_history(source, job, in_process=False) as batches:
            first = next(batches)
            assert len(first) == 2
            assert multiprocessing.active_children()
    assert not multiprocessing.active_children()

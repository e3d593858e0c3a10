"""Ingest runs: incremental, idempotent, rewritten history, bad files, crashes, file selection."""
from __future__ import annotations

import pytest
from ledger_helpers import changes, current_ids, run_ingest
from sqlalchemy import func, select

from registry.accountability.unapproved import history_rewrites
from registry.db import make_engine, session_scope
from registry.gitsource import SpecSource
from registry.history.clause_history import clause_history
from registry.ledger.ingest import ingest
from registry.ledger.options import IngestOptions
from registry.ledger.refs import resolve
from registry.models import ClauseVersion, Commit, HistoryRewrite, IngestRun, IngestWarning, Ledger

A = "# Alpha {#alpha}\n\nAlpha body one.\n"
B = "# Beta {#beta}\n\nBeta body one.\n"


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def test_a_second_run_ingests_only_the_new_commits(session, repo):
    repo.commit("one", {"spec/a.md": A})
    assert run_ingest(session, repo).commits == 1
    repo.commit("two", {"spec/a.md": A.replace("one", "two")})
    report = run_ingest(session, repo)
    assert (report.commits, report.versions) == (1, 1)
    assert changes(session, "alpha") == [["added"], ["body"]]


def test_a_run_with_nothing_new_writes_nothing(session, repo):
    repo.commit("one", {"spec/a.md": A})
    run_ingest(session, repo)
    before = (count(session, Commit), count(session, ClauseVersion))
    report = run_ingest(session, repo)
    assert (report.commits, report.versions, report.run_id) == (0, 0, None)
    assert (count(session, Commit), count(session, ClauseVersion)) == before


def test_commits_that_touch_no_spec_document_are_recorded_without_versions(session, repo):
    repo.commit("one", {"spec/a.md": A})
    repo.commit("readme", {"README.md": "# Readme\n", "examples/a1b2.md": "# prompt\n"})
    report = run_ingest(session, repo)
    assert (report.commits, report.versions) == (2, 1)


def test_a_rewritten_history_keeps_every_old_version_and_continues_from_the_fork(session, repo):
    first = repo.commit("one", {"spec/a.md": A})
    repo.commit("two", {"spec/a.md": A.replace("one", "two")})
    run_ingest(session, repo)
    repo.reset(first)
    repo.commit("two, rewritten", {"spec/a.md": A.replace("one", "2")})
    report = run_ingest(session, repo)
    assert report.rewritten and report.commits == 1
    assert "history rewritten" in report.warnings[0].message
    assert count(session, ClauseVersion) == 3  # nothing erased
    abandoned = session.scalars(select(ClauseVersion).where(ClauseVersion.abandoned.is_(True))).all()
    assert [v.body for v in abandoned] == ["Alpha body two."]
    assert [e.body for e in clause_history(session, "alpha")] == ["Alpha body one.", "Alpha body 2."]
    rewrite = session.scalars(select(HistoryRewrite)).one()
    assert (rewrite.fork_sha, rewrite.abandoned_commits) == (first, 1)


def test_a_branch_moved_back_without_new_commits_is_recorded_once(session, repo):
    first = repo.commit("one", {"spec/a.md": A})
    repo.commit("two", {"spec/a.md": A.replace("one", "two")})
    run_ingest(session, repo)
    repo.reset(first)
    assert run_ingest(session, repo).rewritten
    assert not run_ingest(session, repo).rewritten
    assert count(session, HistoryRewrite) == 1
    assert [e.body for e in clause_history(session, "alpha")] == ["Alpha body one."]



def test_a_branch_force_pushed_away_and_then_back_ingests_the_restored_commits_again(session, repo):
    first = repo.commit("one", {"spec/a.md": A})
    repo.commit("two", {"spec/a.md": A.replace("one", "two")})
    third = repo.commit("three", {"spec/a.md": A.replace("one", "three"), "spec/b.md": B})
    run_ingest(session, repo)
    repo.reset(first)
    other = repo.commit("two, rewritten", {"spec/a.md": A.replace("one", "2")})
    assert run_ingest(session, repo).rewritten
    repo.reset(third)
    report = run_ingest(session, repo)
    assert report.rewritten and report.commits == 2
    assert [e.body for e in clause_history(session, "alpha")] == [f"Alpha body {n}." for n in ("one", "two", "three")]
    second = repo.head("main~1")
    assert [(e.commit, e.seq) for e in clause_history(session, "beta")] == [(third, 6)]  # the live row
    live = session.scalars(select(Commit.sha).where(Commit.abandoned.is_(False)).order_by(Commit.seq)).all()
    assert live == [first, second, third]
    rewrites = session.scalars(select(HistoryRewrite).order_by(HistoryRewrite.id)).all()
    assert [(r.old_head, r.new_head, r.fork_sha, r.abandoned_commits) for r in rewrites] == [
        (third, other, first, 2), (other, third, first, 1)]
    assert [[c.commit for c in r.set_aside] for r in history_rewrites(session)] == [[second, third], [other]]
    assert resolve(session, third[:12]).seq == resolve(session, None).seq  # the live row, not the ambiguity
    assert not run_ingest(session, repo).rewritten

@pytest.mark.parametrize(("content", "reason"), [
    (b"# Bad {#bad}\n\n\xff\xfe not utf-8\n", "not UTF-8"),
    (b"# Big {#big}\n\n" + b"x" * 5000 + b"\n", "over the 4000-byte limit"),
])
def test_a_bad_file_is_a_warning_and_the_rest_of_the_commit_is_ingested(session, repo, content, reason):
    repo.commit("one", {"spec/a.md": A})
    repo.commit("mixed", {"spec/a.md": A.replace("one", "two"), "spec/b.md": content})
    report = run_ingest(session, repo, max_file_bytes=4000)
    assert [(w.path, w.commit) for w in report.warnings] == [("spec/b.md", repo.head())]
    assert reason in report.warnings[0].message
    assert changes(session, "alpha") == [["added"], ["body"]]
    stored = session.scalars(select(IngestWarning)).one()
    assert (stored.path, stored.commit_sha) == ("spec/b.md", repo.head())


def test_a_bad_version_of_a_document_keeps_its_previous_clauses_current(session, repo):
    repo.commit("one", {"spec/b.md": B})
    repo.commit("broken", {"spec/b.md": b"\xff\xfe"})
    repo.commit("fixed", {"spec/b.md": B.replace("one", "two")})
    report = run_ingest(session, repo)
    assert len(report.warnings) == 1
    assert changes(session, "beta") == [["added"], ["body"]]


def test_include_globs_choose_the_spec_documents(session, repo):
    repo.commit("one", {"spec/a.md": A, "notes/b.md": B, "README.md": "# Readme {#readme}\n"})
    run_ingest(session, repo, includes=("notes/*.md",))
    assert current_ids(session) == ["beta"]


def test_specreg_toml_at_the_repo_root_chooses_the_spec_documents(session, repo):
    repo.commit("one", {"spec/a.md": A, "notes/b.md": B, "specreg.toml": 'include = ["spec/**/*.md"]\n'})
    run_ingest(session, repo)
    assert current_ids(session) == ["alpha"]


def test_by_default_readme_changelog_and_examples_are_not_spec_documents(session, repo):
    repo.commit("one", {"spec/a.md": A, "README.md": "# R {#r}\n", "CHANGELOG.md": "# C {#c}\n",
                        "CONTRIBUTING.md": "# C2 {#c2}\n", "LICENSE.md": "# L {#l}\n",
                        "examples/a1b2.md": "# E {#e}\n"})
    run_ingest(session, repo)
    assert current_ids(session) == ["alpha"]


def test_a_crash_mid_ingest_keeps_every_committed_batch_and_the_next_run_completes(database_url, repo):
    for n in range(5):
        repo.commit(f"c{n}", {"spec/a.md": A.replace("one", str(n))})
    engine = make_engine(database_url)
    calls = []

    def crash_after_two_batches() -> None:
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("power cut")
        session.commit()

    with pytest.raises(RuntimeError), SpecSource(repo.path) as source, \
            session_scope(engine, write=True) as session:
        ingest(session, source, IngestOptions(batch_commits=2), checkpoint=crash_after_two_batches)
    with session_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(Commit)) == 2
        assert s.get(Ledger, 1).head_seq == 2
    with SpecSource(repo.path) as source, session_scope(engine, write=True) as s:
        report = ingest(s, source, IngestOptions(batch_commits=2), checkpoint=s.commit)
        assert report.commits == 3
        assert [e.body for e in clause_history(s, "alpha")] == [f"Alpha body {n}." for n in range(5)]
    engine.dispose()


def test_the_last_partial_batch_is_committed_with_the_run_by_the_edge_not_by_a_checkpoint(database_url, repo):
    for n in range(3):
        repo.commit(f"c{n}", {"spec/a.md": A.replace("one", str(n))})
    engine = make_engine(database_url)
    checkpoints: list[int] = []
    with SpecSource(repo.path) as source, session_scope(engine, write=True) as session:
        def checkpoint() -> None:
            checkpoints.append(session.get_one(Ledger, 1).head_seq)
            session.commit()

        report = ingest(session, source, IngestOptions(batch_commits=2), checkpoint=checkpoint)
    assert (report.commits, checkpoints) == (3, [2])  # after the full batch only
    with session_scope(engine) as s:
        assert (s.get_one(Ledger, 1).head_sha, s.get_one(Ledger, 1).head_seq) == (repo.head(), 3)
        assert s.scalars(select(IngestRun.status)).all() == ["done"]
    engine.dispose()


def test_a_run_that_finds_another_writer_moved_the_head_at_a_checkpoint_stops_without_duplicates(database_url, repo):
    for n in range(5):
        repo.commit(f"c{n}", {"spec/a.md": A.replace("one", str(n))})
    engine = make_engine(database_url)
    others = []

    def commit_then_another_writer_ingests() -> None:
        session.commit()  # releases the writer lock: another ingest may run now
        if not others:
            with SpecSource(repo.path) as source, session_scope(engine, write=True) as other:
                others.append(ingest(other, source))

    with SpecSource(repo.path) as source, session_scope(engine, write=True) as session:
        report = ingest(session, source, IngestOptions(batch_commits=2), checkpoint=commit_then_another_writer_ingests)
    assert (report.commits, report.head, others[0].commits) == (2, repo.head("main~3"), 3)
    assert "another ingest moved the ledger" in report.warnings[-1].message
    with session_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(Commit)) == 5
        assert (s.get(Ledger, 1).head_sha, s.get(Ledger, 1).head_seq) == (repo.head(), 5)
        assert [e.body for e in clause_history(s, "alpha")] == [f"Alpha body {n}." for n in range(5)]
        assert s.scalars(select(IngestRun.status).order_by(IngestRun.id)).all() == ["stopped", "done"]
    engine.dispose()

def test_a_database_that_tracks_one_branch_refuses_another(session, repo):
    repo.commit("one", {"spec/a.md": A})
    repo.commit("side", {"spec/a.md": B}, branch="other", start="main")
    run_ingest(session, repo)
    from registry.errors import ConfigError

    with pytest.raises(ConfigError, match="tracks branch 'main'"):
        run_ingest(session, repo, branch="other")

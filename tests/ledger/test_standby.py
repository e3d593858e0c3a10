"""A reader started before the command knows its job reads ahead on a guess; the ledger rows are the same.

`specreg ingest` forks its history reader before it imports the database layer, with what the command
line knows (the repo, the options, the head this instance's last ingest reached). The reader guesses
the job, reads ahead, and when the real job arrives either goes on (it guessed right) or starts
over. These tests check that the guess is the job ingest gives in the cases that matter (a first
ingest, the next one), and that a right guess, a wrong one and none give the ledger the same rows.
"""
from __future__ import annotations

import json
import multiprocessing
import os
import subprocess
import sys
import threading
from dataclasses import replace
from pathlib import Path

import pytest
from reader_helpers import ingest_at, ledger_rows, random_history
from repo_builder import RepoBuilder

from registry.db import make_engine
from registry.ledger import ingest as ingest_module
from registry.ledger import standby
from registry.ledger.history_stream import ReadJob, for_reader
from registry.ledger.options import IngestOptions
from registry.ledger.standby import Plan, guess, remember
from registry.schema import upgrade

HERE = IngestOptions(batch_commits=3, reader_process_from=10**9)  # read in this process, unless a reader waits


@pytest.fixture
def sqlite_url(tmp_path: Path):
    """A fresh migrated SQLite database: the standby forks, so no database thread may run beside it."""
    def make(name: str) -> str:
        url = f"sqlite:///{tmp_path / name}.db"
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        return url
    return make


def _jobs_given(monkeypatch: pytest.MonkeyPatch) -> list[ReadJob]:
    """Record the job each ingest gives its reader (as the reader process receives it)."""
    given: list[ReadJob] = []
    real = ingest_module.parsed_history

    def spy(source, job, in_process):
        given.append(for_reader(job))
        return real(source, job, in_process)

    monkeypatch.setattr(ingest_module, "parsed_history", spy)
    return given


def _plan(repo: RepoBuilder, tmp_path: Path, options: IngestOptions = HERE) -> Plan:
    return Plan(repo.path, options, tmp_path / "instance" / "ingest-head.json")


def test_the_guess_is_the_job_of_a_first_ingest_and_of_the_next_one_from_the_remembered_head(
        sqlite_url, tmp_path, monkeypatch):
    repo = random_history(tmp_path / "spec", seed=3, commits=8)
    url, plan = sqlite_url("db"), _plan(repo, tmp_path)
    given = _jobs_given(monkeypatch)
    first = guess(plan)
    report = ingest_at(url, repo.path, HERE)
    assert first == given[-1] and first.since is None
    remember(plan.remembered, repo.path, report.branch, report.head)
    assert guess(plan) is None  # nothing new: the reader reads nothing
    repo.commit("one more", {"spec/d1.md": "# d1 {#d1}\n\nChanged.\n"})
    following = guess(plan)
    ingest_at(url, repo.path, HERE)
    assert following == given[-1] and following.since == report.head


def test_the_guess_names_the_spec_files_the_repo_and_the_options_choose(sqlite_url, tmp_path, monkeypatch):
    repo = random_history(tmp_path / "spec", seed=4, commits=3)
    repo.commit("config", {"specreg.toml": '[spec]\ninclude = ["spec/d0.md", "spec/d2.md"]\n'})
    given = _jobs_given(monkeypatch)
    for options in (HERE, replace(HERE, includes=("spec/d1.md",)), replace(HERE, branch="main")):
        plan = _plan(repo, tmp_path, options)
        ingest_at(sqlite_url(f"db{len(given)}"), repo.path, options)
        assert guess(plan) == given[-1]


def _record(**fields: object) -> str:
    return json.dumps(fields)


@pytest.mark.parametrize("written, counts", [
    (None, False),  # no file: a first ingest
    (lambda repo, sha: "not json", False),
    (lambda repo, sha: '["a list"]', False),
    (lambda repo, sha: _record(repo="/elsewhere", branch="main", head=sha), False),  # another repo's head
    (lambda repo, sha: _record(repo=repo, branch="other", head=sha), False),  # another branch's head
    (lambda repo, sha: _record(repo=repo, branch="main", head="--output=/tmp/x"), False),  # never an option for git
    (lambda repo, sha: _record(repo=repo, branch="main", head=sha[:12]), False),  # a full sha only
    (lambda repo, sha: _record(repo=repo, branch="main", head=7), False),
    (lambda repo, sha: _record(repo=repo, branch="main", head=sha), True),
])
def test_a_remembered_head_counts_only_for_the_same_repo_and_branch_and_only_as_a_sha(tmp_path, written, counts):
    repo = RepoBuilder(tmp_path / "spec")
    first = repo.commit("one", {"spec/a.md": "# A {#a}\n\nOne.\n"})
    repo.commit("two", {"spec/a.md": "# A {#a}\n\nTwo.\n"})
    plan = _plan(repo, tmp_path)
    if written is not None:
        plan.remembered.parent.mkdir(parents=True)
        plan.remembered.write_text(written(str(repo.path.resolve()), first))
    job = guess(plan)
    assert job is not None and job.since == (first if counts else None)


def test_a_remembered_head_file_that_is_not_a_small_regular_file_is_not_read(tmp_path):
    repo = RepoBuilder(tmp_path / "spec")
    repo.commit("one", {"spec/a.md": "# A {#a}\n\nOne.\n"})
    plan = _plan(repo, tmp_path)
    plan.remembered.parent.mkdir(parents=True)
    os.mkfifo(plan.remembered)  # opening it to read would wait for a writer that never comes
    assert guess(plan).since is None
    plan.remembered.unlink()
    record = _record(repo=str(repo.path.resolve()), branch="main", head=repo.head(), pad="x" * 5000)
    plan.remembered.write_text(record)
    assert guess(plan).since is None


# The reader is forked only while this process has one thread, and the test process may hold others
# (another test's database clean-up, say): so what forks runs in a fresh interpreter of its own.
_STANDING_BY = """
import multiprocessing, sys
from pathlib import Path
from registry.db import make_engine, session_scope
from registry.gitsource import SpecSource
from registry.ledger import history_stream, standby
from registry.ledger.ingest import ingest
from registry.ledger.options import IngestOptions
from registry.ledger.standby import Plan

url, repo, remembered, branch, marker = sys.argv[1:]
serve = history_stream.serve

def noting(job, conn, ahead=(), rest=None):  # the forked reader: did it go on from its guess?
    Path(marker).write_text(str(rest is not None))
    serve(job, conn, ahead, rest)

history_stream.serve = noting
options = IngestOptions(branch=branch or None, batch_commits=3, reader_process_from=10**9)
with standby.standing_by(Plan(Path(repo), options, Path(remembered))):
    assert standby.waiting() and multiprocessing.active_children()
    if url:
        from registry import wiring

        wiring.install()
        engine = make_engine(url)
        with SpecSource(repo) as source, session_scope(engine, write=True) as s:
            ingest(s, source, IngestOptions(batch_commits=3, reader_process_from=10**9), checkpoint=s.commit)
        assert not standby.waiting()  # ingest gave the waiting reader its job, though it reads few commits
assert not standby.waiting() and not multiprocessing.active_children()
"""


def _standing_by(url: str, plan: Plan) -> bool | None:
    """In a fresh process: fork a reader on `plan`, then ingest into `url` (nothing when empty).

    Whether the reader went on from what it read ahead (None: it was given no job).
    """
    marker = plan.remembered.with_name("went-on")
    marker.parent.mkdir(parents=True, exist_ok=True)
    done = subprocess.run([sys.executable, "-c", _STANDING_BY, url, str(plan.repo), str(plan.remembered),
                           plan.options.branch or "", str(marker)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return marker.read_text() == "True" if marker.exists() else None


@pytest.mark.parametrize("hint", ["right", "wrong", "none"])
def test_a_reader_reading_ahead_gives_the_ledger_the_rows_reading_in_process_gives(sqlite_url, tmp_path, hint):
    repo = random_history(tmp_path / "spec", seed=5, commits=30)
    url, clean = sqlite_url("db"), sqlite_url("clean")
    plan = _plan(repo, tmp_path)
    ingest_at(url, repo.path, HERE)  # the whole history, then more commits
    ingest_at(clean, repo.path, HERE)
    head = repo.head()
    earlier = [repo.commit(f"more {n}", {"spec/d2.md": f"# d2 {{#d2}}\n\nMore {n}.\n"}) for n in range(12)][4]
    if hint == "right":
        remember(plan.remembered, repo.path, "main", head)
    elif hint == "wrong":  # a head another host's ingest has since moved past
        remember(plan.remembered, repo.path, "main", earlier)
    assert _standing_by(url, plan) is (hint == "right")  # with no head remembered, it guessed a first ingest
    ingest_at(clean, repo.path, HERE)
    assert ledger_rows(url) == ledger_rows(clean)


def test_a_reader_reading_ahead_reads_a_whole_first_ingest_as_reading_in_process_does(sqlite_url, tmp_path):
    repo = random_history(tmp_path / "spec", seed=6, commits=60)
    url, clean = sqlite_url("db"), sqlite_url("clean")
    assert _standing_by(url, _plan(repo, tmp_path)) is True
    ingest_at(clean, repo.path, HERE)
    assert ledger_rows(url) == ledger_rows(clean)


def test_a_reader_nobody_gives_a_job_is_dismissed_at_the_end_of_the_block(tmp_path):
    assert _standing_by("", _plan(random_history(tmp_path / "spec", seed=7, commits=4), tmp_path)) is None


def test_no_reader_is_forked_while_another_thread_runs_or_without_a_plan(tmp_path):
    repo = random_history(tmp_path / "spec", seed=8, commits=2)
    with standby.standing_by(None):
        assert not standby.waiting()
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        with standby.standing_by(_plan(repo, tmp_path)):
            assert not standby.waiting() and not multiprocessing.active_children()
    finally:
        stop.set()
        other.join()


def test_a_guess_that_cannot_be_read_is_dropped_and_the_real_job_is_read(sqlite_url, tmp_path):
    repo = random_history(tmp_path / "spec", seed=9, commits=5)
    url, clean = sqlite_url("db"), sqlite_url("clean")
    plan = replace(_plan(repo, tmp_path), options=replace(HERE, branch="no-such-branch"))
    _standing_by(url, plan)
    ingest_at(clean, repo.path, HERE)
    assert ledger_rows(url) == ledger_rows(clean)


def test_the_ingest_command_remembers_its_head_and_the_next_one_reads_only_what_is_new(repo, tmp_path):
    repo.commit("one", {"spec/rules.md": "# Rules {#rules}\n\nOne.\n"})
    instance = tmp_path / "instance"
    env = dict(os.environ, SPECREG_DATABASE_URL=f"sqlite:///{tmp_path / 'cli.db'}", SPECREG_REPO=str(repo.path),
               SPECREG_INSTANCE=str(instance))
    env.pop("SPECREG_BRANCH", None)

    def ingest_command() -> dict:
        done = subprocess.run([sys.executable, "-m", "registry", "ingest", "--json"], env=env,
                              capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    subprocess.run([sys.executable, "-m", "registry", "init", "--json"], env=env, check=True, capture_output=True)
    assert ingest_command()["commits"] == 1
    remembered = json.loads((instance / "ingest-head.json").read_text())
    assert remembered == {"repo": str(repo.path.resolve()), "branch": "main", "head": repo.head()}
    for n in range(3):
        repo.commit(f"more {n}", {"spec/rules.md": f"# Rules {{#rules}}\n\nMore {n}.\n"})
    assert ingest_command()["commits"] == 3
    assert json.loads((instance / "ingest-head.json").read_text())["head"] == repo.head()

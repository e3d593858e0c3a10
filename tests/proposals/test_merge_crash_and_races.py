"""Merges against committed databases: a process dying mid-merge, and ten merges at once."""
from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import git
import pytest
from proposal_helpers import build_world, without_governance
from sqlalchemy.pool import NullPool

from registry.accountability.verify import verify
from registry.db import make_engine, session_scope
from registry.gitsource import SpecSource, trailers
from registry.history.queries import show_clause
from registry.ledger.ingest import ingest
from registry.ledger.refs import resolve
from registry.models import AuditEvent, Proposal
from registry.proposals import reviews
from registry.proposals.authoring import ChangeInput
from registry.proposals.merge import merge

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def engine(database_url):
    eng = make_engine(database_url, poolclass=NullPool)
    yield eng
    eng.dispose()


def _branch_commits(path: Path) -> list[git.Commit]:
    with git.Repo(path) as r:
        return list(r.iter_commits("main", first_parent=True))


CRASH = """
import os, sys
import registry.proposals.merge as m
def die(*args, **kwargs):
    os._exit(9)  # the process dies after the branch moved, before the database transaction commits
m._record_merge = die
from registry.cli import main
sys.exit(main(["merge", sys.argv[1], "--as", "ada@example.org"]))
"""


def crashed_merge(engine, database_url: str, repo, key: str, owner: str):
    """An approved proposal whose merge process died after moving the branch: (world, number)."""
    with session_scope(engine, write=True) as s:
        world = build_world(repo, s)
        n = world.change("ada", key, "New text.")
        reviews.approve(s, world.users[owner], n)
    env = os.environ | {"SPECREG_DATABASE_URL": database_url, "SPECREG_REPO": str(repo.path)}
    proc = subprocess.run([sys.executable, "-c", CRASH, str(n)], env=env, cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 9, proc.stderr
    return world, n


def test_a_crash_between_the_git_commit_and_the_database_is_completed_by_the_next_ingest(engine, database_url, repo):
    world, n = crashed_merge(engine, database_url, repo, "respect_privacy", "grace")
    head = _branch_commits(repo.path)[0]
    assert trailers.values(head.message, "Proposal-Id") == [str(n)]
    with session_scope(engine) as s:
        assert s.get(Proposal, n).state == "approved"  # git moved, the database did not
    with session_scope(engine, write=True) as s, SpecSource(repo.path) as source:
        ingest(s, source)
    with session_scope(engine, write=True) as s:
        p = s.get(Proposal, n)
        assert (p.state, p.merged_sha) == ("merged", head.hexsha)
        assert show_clause(s, "respect_privacy", resolve(s, None)).text == "New text."
        event = s.query(AuditEvent).order_by(AuditEvent.seq.desc()).filter(AuditEvent.action == "proposal.merge").one()
        assert (event.actor, event.new["completed_by"]) == ("registry:ingest", "ingest")
        again = merge(s, repo.path, "main", world.users["ada"], n)
        assert again.commit == head.hexsha
        assert without_governance(verify(s)) == []  # the commit anchors an audit head that was committed
    assert len(_branch_commits(repo.path)) == 2


def test_after_a_crash_a_second_click_on_merge_completes_it_without_a_second_commit(engine, database_url, repo):
    world, n = crashed_merge(engine, database_url, repo, "be_brief", "alan")
    with session_scope(engine, write=True) as s:
        result = merge(s, repo.path, "main", world.users["ada"], n)
    assert result.commit == _branch_commits(repo.path)[0].hexsha
    assert len(_branch_commits(repo.path)) == 2


CLAUSES = [f"c{i}" for i in range(8)]
SPEC = "# Many {#many}\n\nIntro.\n\n" + "".join(f"## Clause {k} {{#{k}}}\n\nOriginal {k}.\n\n" for k in CLAUSES)


def test_ten_merges_at_once_disjoint_all_merge_same_clause_pairs_give_one_and_one(engine, repo):
    with session_scope(engine, write=True) as s:
        world = build_world(repo, s)
        repo.commit("Many clauses", {"spec/many.md": SPEC})
        world.ingest()
        targets = CLAUSES[:6] + ["c6", "c6", "c7", "c7"]
        numbers = []
        for i, key in enumerate(targets):
            numbers.append(world.propose("ada", [ChangeInput("change", key, f"## Clause {key} {{#{key}}}\n\n"
                                                                             f"Proposal {i} for {key}.\n")]))
            reviews.approve(s, world.users["root"], numbers[-1])  # many.md is unowned: admins approve
    results: dict[int, object] = {}
    barrier = threading.Barrier(len(numbers))

    def run(n: int) -> None:
        barrier.wait()
        try:
            with session_scope(engine, write=True) as session:
                results[n] = merge(session, repo.path, "main", world.users["ada"], n)
        except Exception as exc:
            results[n] = exc

    threads = [threading.Thread(target=run, args=(n,)) for n in numbers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    states = {n: getattr(results[n], "state", results[n]) for n in numbers}
    assert all(states[n] == "merged" for n in numbers[:6]), states
    for pair in (numbers[6:8], numbers[8:10]):
        assert sorted(states[n] for n in pair) == ["conflicted", "merged"], states
    merged = [n for n in numbers if states[n] == "merged"]
    commits = _branch_commits(repo.path)
    named = [v for c in commits for v in trailers.values(c.message, "Proposal-Id")]
    assert sorted(named) == sorted(str(n) for n in merged)  # one commit per merged proposal
    head_text = (commits[0].tree / "spec/many.md").data_stream.read().decode()
    for n, key in zip(numbers, targets):
        assert (f"Proposal {numbers.index(n)} for {key}." in head_text) == (n in merged)  # nothing lost
    with session_scope(engine) as s:
        assert {p.id: p.state for p in s.query(Proposal)} == {n: states[n] for n in numbers}
        assert {p.merged_sha for p in s.query(Proposal) if p.merged_sha} == \
            {c.hexsha for c in commits if trailers.values(c.message, "Proposal-Id")}


def test_a_double_click_merging_one_proposal_twice_at_once_makes_one_commit(engine, repo):
    with session_scope(engine, write=True) as s:
        world = build_world(repo, s)
        n = world.change("ada", "respect_privacy", "Never reveal personal data.")
        reviews.approve(s, world.users["grace"], n)
    results: list[object] = []
    barrier = threading.Barrier(2)

    def click() -> None:
        barrier.wait()
        with session_scope(engine, write=True) as session:
            results.append(merge(session, repo.path, "main", world.users["ada"], n))

    threads = [threading.Thread(target=click) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert [r.state for r in results] == ["merged", "merged"]
    assert results[0].commit == results[1].commit == _branch_commits(repo.path)[0].hexsha
    assert len(_branch_commits(repo.path)) == 2


@pytest.mark.parametrize("forged_text", ["New text.", "Something the owners never saw."])
def test_a_direct_push_naming_an_approved_proposal_does_not_complete_it(session, repo, forged_text):
    from proposal_helpers import RULES

    from registry.accountability.unapproved import unapproved_changes
    from registry.models import IngestWarning

    world = build_world(repo, session)
    n = world.change("ada", "respect_privacy", "New text.")
    reviews.approve(session, world.users["grace"], n)
    forged = RULES.replace("Do not reveal personal data.", forged_text)
    repo.commit(f"Sneak it in\n\nProposal-Id: {n}\n", {"spec/rules.md": forged})
    world.ingest()
    assert session.get(Proposal, n).state == "approved"
    warning = session.query(IngestWarning).filter(IngestWarning.commit_sha == repo.head()).one()
    assert f"names proposal #{n} but is not its approved merge" in warning.message
    assert repo.head() in [u.commit for u in unapproved_changes(session)]

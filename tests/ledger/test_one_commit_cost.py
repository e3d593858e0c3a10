"""What one new commit costs an ingest inside a running process: SQL statements and git processes.

bench/inprocess.py times it; these bounds keep the round trips and git processes from creeping back
(before they were cut, one commit took 27 statements and 10 git processes in this test).
"""
from __future__ import annotations

import subprocess

from ledger_helpers import run_ingest
from proposal_helpers import OWNERS, POLICY, RULES
from statements import captured

# At the time of writing: 17 statements on PostgreSQL and SQLite, and 6 git processes (the rule in
# specreg.toml is read by the cat-file process). The bounds leave room for one more of each: an exact
# count would fail on every harmless change, a bound still fails when a per-path or per-watcher query
# comes back.
MAX_STATEMENTS = 18
MAX_GIT_PROCESSES = 7


def test_one_new_commit_takes_a_bounded_number_of_statements_and_git_processes(repo, session, engine, monkeypatch):
    repo.commit("Rules", {"spec/rules.md": RULES, "OWNERS.toml": OWNERS, "policy.toml": POLICY})
    run_ingest(session, repo)
    repo.commit("Prose", {"spec/rules.md": RULES + "\nMore.\n"})
    started: list[list[str]] = []

    class Counted(subprocess.Popen):
        def __init__(self, args, *rest, **options) -> None:
            started.append(list(args))
            super().__init__(args, *rest, **options)

    monkeypatch.setattr(subprocess, "Popen", Counted)
    with captured(engine) as sent:
        report = run_ingest(session, repo)
    assert report.commits == 1 and report.versions == 1
    assert len(sent) <= MAX_STATEMENTS, "\n".join(sent)
    assert len(started) <= MAX_GIT_PROCESSES, started

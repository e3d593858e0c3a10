"""A database ingested before a governance-file watcher existed records that file's history on the next ingest."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from proposal_helpers import OWNERS, POLICY, RULES, STYLE
from sqlalchemy import delete, func, select
from statements import captured

from registry import wiring
from registry.frameworks.recorder import frameworks_at
from registry.gitsource import SpecSource
from registry.ledger import hooks
from registry.ledger.ingest import ingest
from registry.ledger.refs import seq_of
from registry.models import FrameworksVersion, GovernanceFileVersion, OwnersVersion, PolicyVersion
from registry.owners.store import OwnersStore
from registry.proposals.policy_store import policy_at

FRAMEWORKS = """[frameworks.act]
title = "Act"
items = { "art-1" = "Brevity" }

[map]
"be_brief" = ["act:art-1"]
"""
FRAMEWORKS_V2 = FRAMEWORKS.replace('"Brevity" }', '"Brevity", "art-2" = "Style" }') + '"style" = ["act:art-2"]\n'
# Every governance-file recorder, and the watchers they were added after (the ones switched off).
RECORDERS = ("_owners", "_policy", "_frameworks", "_governance_files")


@contextmanager
def watchers_without(names: tuple[str, ...]) -> Iterator[None]:
    """Ingest as a Specreg from before these watchers existed."""
    hooks.install(tuple(f for f in wiring.INGEST_WATCHERS if f.__name__ not in names))
    try:
        yield
    finally:
        hooks.install(wiring.INGEST_WATCHERS)


def _ingest(session, repo):
    with SpecSource(repo.path) as source:
        return ingest(session, source)


def _counts(session) -> dict[str, int]:
    return {m.__tablename__: session.scalar(select(func.count()).select_from(m))
            for m in (OwnersVersion, PolicyVersion, FrameworksVersion, GovernanceFileVersion)}


@pytest.mark.parametrize("new_commit", [False, True], ids=["no new commit", "with a new commit"])
def test_the_next_ingest_records_the_governance_files_an_older_ingest_never_saw(repo, session, new_commit):
    first = repo.commit("Rules and frameworks", {"spec/rules.md": RULES, "frameworks.toml": FRAMEWORKS,
                                                 "OWNERS.toml": OWNERS})
    second = repo.commit("Frameworks v2, a policy", {"spec/style.md": STYLE, "frameworks.toml": FRAMEWORKS_V2,
                                                     "policy.toml": POLICY})
    with watchers_without(RECORDERS):
        _ingest(session, repo)
    assert set(_counts(session).values()) == {0}  # the gap: nothing recorded
    last = repo.commit("Prose", {"spec/rules.md": RULES + "\nMore.\n"}) if new_commit else second
    _ingest(session, repo)
    head = seq_of(session, last)
    assert frameworks_at(session, seq_of(session, first)).commit == first
    at_head = frameworks_at(session, head)
    assert at_head.commit == second and list(at_head.file.frameworks) == ["act"]
    assert policy_at(session, head).commit == second
    assert OwnersStore(session).version_at(head).seq == seq_of(session, first)
    digests = session.execute(select(GovernanceFileVersion.path, func.count()).group_by(GovernanceFileVersion.path))
    assert {path: n for path, n in digests} == {"OWNERS.toml": 1, "frameworks.toml": 2, "policy.toml": 1}
    recorded = _counts(session)
    _ingest(session, repo)  # seen now: never recorded twice
    assert _counts(session) == recorded


def test_a_watcher_that_has_recorded_its_file_replays_nothing(repo, session):
    repo.commit("Rules", {"spec/rules.md": RULES, "frameworks.toml": FRAMEWORKS})
    _ingest(session, repo)
    recorded = _counts(session)
    repo.commit("Prose", {"spec/rules.md": RULES + "\nMore.\n"})
    report = _ingest(session, repo)
    assert _counts(session) == recorded and report.commits == 1


def test_a_governance_file_the_repo_never_had_is_not_looked_for_in_the_history_on_every_ingest(repo, session,
                                                                                                 monkeypatch):
    repo.commit("Rules", {"spec/rules.md": RULES, "OWNERS.toml": OWNERS})  # no policy, frameworks or specreg.toml
    _ingest(session, repo)
    searched: list[tuple[str, ...]] = []
    log = SpecSource.log
    monkeypatch.setattr(SpecSource, "log", lambda self, head, since=None, paths=(): (
        searched.append(tuple(paths)) if paths else None, log(self, head, since, paths))[1])
    repo.commit("Prose", {"spec/rules.md": RULES + "\nMore.\n"})
    assert _ingest(session, repo).commits == 1
    assert searched == []


def test_present_lists_which_paths_a_commit_has(repo):
    sha = repo.commit("Rules", {"spec/rules.md": RULES, "frameworks.toml": FRAMEWORKS})
    with SpecSource(repo.path) as source:
        assert source.present(sha, ["frameworks.toml", "policy.toml", "specreg.toml"]) == {"frameworks.toml"}
        assert source.present(sha, []) == set()


def test_every_watchers_unseen_files_are_found_in_one_query(repo, session, engine):
    repo.commit("Rules", {"spec/rules.md": RULES, "OWNERS.toml": OWNERS, "policy.toml": POLICY})
    _ingest(session, repo)
    watchers = [make(session, print) for make in hooks.installed()]
    with captured(engine) as sent:
        unseen = {type(w).__name__: paths for w, paths in hooks.unseen(session, watchers)}
    assert len(sent) == 1
    assert unseen == {"FrameworksWatcher": {"frameworks.toml"},
                      "GovernanceWatcher": {"frameworks.toml", "specreg.toml"}}


def test_a_file_whose_recorded_digests_were_deleted_is_replayed_and_the_others_are_not_recorded_twice(repo, session):
    first = repo.commit("Rules", {"spec/rules.md": RULES, "OWNERS.toml": OWNERS, "policy.toml": POLICY})
    second = repo.commit("Policy v2", {"policy.toml": POLICY + "\n"})
    _ingest(session, repo)
    session.execute(delete(GovernanceFileVersion).where(GovernanceFileVersion.path == "policy.toml"))  # SQL only
    repo.commit("Prose", {"spec/rules.md": RULES + "\nMore.\n"})
    assert _ingest(session, repo).commits == 1
    rows = session.execute(select(GovernanceFileVersion.path, GovernanceFileVersion.seq)
                           .order_by(GovernanceFileVersion.path, GovernanceFileVersion.seq)).all()
    assert [tuple(r) for r in rows] == [("OWNERS.toml", seq_of(session, first)), ("policy.toml", seq_of(session, first)),
                                        ("policy.toml", seq_of(session, second))]

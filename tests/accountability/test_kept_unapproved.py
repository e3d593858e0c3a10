"""The commits that changed the spec, kept and carried forward over new commits (accountability.spec_changes):
the unapproved report judged from them equals a fresh one after each kind of change, after a rewrite, after a
governance file's version is recorded at an earlier commit, and is not carried into another database's life."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest
from proposal_helpers import OWNERS, RULES, build_world
from repo_builder import GRACE

from registry.accountability import spec_changes, unapproved
from registry.accountability.acknowledge import acknowledge_commit
from registry.ledger.refs import seq_of
from registry.models import GovernanceFileVersion
from registry.proposals import reviews
from registry.proposals.merge import merge

Report = tuple[tuple[int, int], int, list[str], list[str], list[int]]


@pytest.fixture
def world(repo, session):
    spec_changes.forget()
    w = build_world(repo, session)
    w.repo.commit("Direct edit", {"spec/rules.md": RULES + "\nOne more line.\n"}, author=GRACE)
    w.ingest()
    session.commit()  # a session that has written gets fresh answers only: start from a clean one
    return w


def report(world) -> Report:
    """The counts, the pre-governance count, the first two pages at two a page and each commit's page."""
    s = world.session
    every = [c.commit for c in unapproved.unapproved_changes(s)]
    return (unapproved.unapproved_count(s), unapproved.pre_governance_count(s),
            [c.commit for c in unapproved.unapproved_page(s, 1, per_page=2)],
            [c.commit for c in unapproved.unapproved_page(s, 2, per_page=2)],
            [unapproved.page_of(s, sha, per_page=2) for sha in every])


def fresh_report(world) -> Report:
    unapproved._judged.clear()
    spec_changes.forget()
    return report(world)


def carries(monkeypatch) -> list:
    """What each attempt to carry the kept commits forward gave (None: read whole)."""
    seen: list = []
    monkeypatch.setattr(spec_changes, "_carried", lambda *a: seen.append(real(*a)) or seen[-1])
    return seen


real = spec_changes._carried


def _push(w, message: str, files: dict) -> None:
    w.repo.commit(message, files, author=GRACE)
    w.ingest()


def _merge(w) -> None:
    n = w.change("ada", "respect_privacy", "Never reveal personal data.")
    reviews.approve(w.session, w.users["grace"], n)
    merge(w.session, w.path, "main", w.users["ada"], n)


CHANGES: dict[str, tuple[Callable, tuple[int, int]]] = {  # what happens, and the counts after it
    "a new unapproved commit": (lambda w: _push(w, "Again", {"spec/rules.md": RULES + "\nTwo.\n"}), (3, 3)),
    "an acknowledgement": (lambda w: acknowledge_commit(w.session, w.users["root"], w.repo.head(), "known"), (2, 1)),
    "a merged proposal's commit": (_merge, (2, 2)),
    "a commit that changes no clause": (lambda w: _push(w, "Notes", {"notes.txt": "hello\n"}), (2, 2)),
    "a push of a governance file": (lambda w: _push(w, "Owners", {"OWNERS.toml": OWNERS + "\n"}), (3, 3)),
}


@pytest.mark.parametrize("change", list(CHANGES))
def test_the_report_carried_over_a_change_equals_a_fresh_one(world, monkeypatch, change):
    report(world)  # the commits up to the head are kept
    seen = carries(monkeypatch)
    act, counts = CHANGES[change]
    act(world)
    world.session.commit()
    after = report(world)
    assert seen and seen[0] is not None  # carried from the kept head, not read whole
    assert after == fresh_report(world)
    assert after[0] == counts


def test_a_report_kept_at_a_commit_a_rewrite_sets_aside_is_read_whole(world, monkeypatch):
    first = unapproved.unapproved_changes(world.session)[0].commit  # the spec's first commit
    report(world)  # kept at the direct edit, which the rewrite sets aside
    seen = carries(monkeypatch)
    world.repo.reset(first)
    _push(world, "Other", {"spec/rules.md": RULES + "\nOther line.\n"})
    world.session.commit()
    after = report(world)
    assert seen == [None]
    assert after == fresh_report(world) and after[0] == (2, 2)
    assert world.repo.head() in after[2] and first in after[2]


def test_a_governance_file_version_recorded_at_an_earlier_commit_makes_that_commit_unapproved(world, monkeypatch):
    _push(world, "Notes", {"notes.txt": "hello\n"})
    notes = world.repo.head()
    world.session.commit()
    assert notes not in report(world)[2]  # kept: the notes commit changed nothing governed
    # As ingest._backfill records a governance file a new watcher never saw, at the commit that wrote it.
    world.session.add(GovernanceFileVersion(seq=seq_of(world.session, notes), path="specreg.toml", digest="0" * 64))
    seen = carries(monkeypatch)
    _push(world, "Again", {"spec/rules.md": RULES + "\nTwo.\n"})
    world.session.commit()
    after = report(world)
    assert seen and seen[0] is not None
    assert after == fresh_report(world) and notes in after[2] and after[0] == (4, 4)


def test_kept_commits_whose_audit_event_this_database_lacks_are_not_carried_from(world):
    """As after the database was emptied and filled again from the same repo (same seqs and commits)."""
    report(world)
    [kept] = spec_changes._kept
    spec_changes.forget()
    spec_changes._keep(replace(kept, event=(kept.event[0], "0" * 64), seqs=()))  # another database's answer
    unapproved._judged.clear()
    assert report(world)[0] == (2, 2)
    assert [k.seqs for k in spec_changes._kept] != [()]  # and it is replaced

"""A merge with a remote (SPECREG_REMOTE): the push is the compare-and-swap, over file:// and http."""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from git_remote import Remote, closed_port_url, records_remote
from proposal_helpers import RULES, remote_world, without_governance
from sqlalchemy import select

import registry.proposals.merge as merge_module
from registry.accountability.verify import verify
from registry.errors import RemoteRefused, RemoteUnavailable
from registry.gitsource import trailers
from registry.gitsource.remote import PushOutcome
from registry.history.queries import show_clause
from registry.ledger.refs import resolve
from registry.ledger.sync import sync
from registry.models import Proposal
from registry.proposals import reviews
from registry.proposals.merge import merge


def _log(path: Path, branch: str = "main") -> list[tuple[str, str, str]]:
    """(sha, first parent, message) of the branch's first-parent commits, newest first."""
    out = subprocess.run(["git", "log", "--first-parent", "--format=%H %P%x00%B%x01", branch], cwd=path, check=True,
                         capture_output=True, text=True).stdout
    rows = []
    for record in filter(str.strip, out.split("\x01")):
        head, _, message = record.strip("\n").partition("\x00")
        sha, *parents = head.split()
        rows.append((sha, parents[0] if parents else "", message))
    return rows


@pytest.fixture
def clone(tmp_path: Path) -> Path:
    return tmp_path / "instance" / "spec-clone"


def _approved(session, remote: Remote, clone: Path, key: str = "respect_privacy", owner: str = "grace"):
    world = remote_world(remote, session, clone)
    n = world.change("ada", key, "New text.")
    reviews.approve(session, world.users[owner], n)
    return world, n


def test_a_merge_pushes_its_commit_to_the_remote_branch(session, remote, clone):
    world, n = _approved(session, remote, clone)
    before = remote.head()
    result = merge(session, clone, None, world.users["ada"], n, remote=remote.url)
    assert (result.state, result.commit) == ("merged", remote.head())
    sha, parent, message = _log(remote.path)[0]
    assert parent == before
    assert trailers.values(message, "Proposal-Id") == [str(n)]
    assert _log(clone)[0][0] == sha  # the clone's branch followed the push
    assert show_clause(session, "respect_privacy", resolve(session, None)).text == "New text."
    again = sync(session, clone, remote.url)
    assert (again.fetched, again.ingest.commits) == (sha, 0)
    assert without_governance(verify(session)) == []


def test_a_direct_push_fetched_before_the_merge_is_built_upon(session, remote, clone):
    world, n = _approved(session, remote, clone)
    remote.author.commit("Direct", {"spec/rules.md": RULES.replace("Prefer short", "Prefer brief")})
    remote.push()
    direct = remote.head()
    result = merge(session, clone, None, world.users["ada"], n, remote=remote.url)
    assert result.state == "merged"
    assert _log(remote.path)[0][:2] == (result.commit, direct)


@pytest.mark.parametrize(("pushed_key", "state"), [
    ("be_brief", "merged"),  # another clause: the retry merges on top of the direct push
    ("respect_privacy", "conflicted"),  # the same clause: the retry finds the conflict and pushes nothing
])
def test_a_direct_push_racing_the_merge_refuses_its_push_and_the_retry_decides_again(session, remote, clone,
                                                                                     monkeypatch, pushed_key, state):
    world, n = _approved(session, remote, clone)
    real_push, outcomes, direct = merge_module.push, [], []

    def push_after_someone_else(*args: object) -> PushOutcome:
        if not outcomes:  # between the merge's fetch and its push, someone pushes straight to the remote
            old = {"be_brief": "Prefer short answers.", "respect_privacy": "Do not reveal personal data."}[pushed_key]
            remote.author.commit("Direct", {"spec/rules.md": RULES.replace(old, "Pushed directly.")})
            remote.push()
            direct.append(remote.head())
        outcomes.append(real_push(*args))
        return outcomes[-1]

    monkeypatch.setattr(merge_module, "push", push_after_someone_else)
    result = merge(session, clone, None, world.users["ada"], n, remote=remote.url)
    assert result.state == state
    assert outcomes[0].accepted is False and "[rejected]" in outcomes[0].reason
    if state == "merged":
        assert [o.accepted for o in outcomes] == [False, True]
        assert _log(remote.path)[0][:2] == (result.commit, direct[0])
    else:
        assert len(outcomes) == 1
        assert remote.head() == direct[0]
        assert "respect_privacy" in result.conflicts[0]
    assert session.get(Proposal, n).state == state


def test_an_unreachable_remote_refuses_the_merge_and_loses_nothing(session, remote, clone):
    world, n = _approved(session, remote, clone)
    before = remote.head()
    unreachable = closed_port_url()
    records_remote(clone, unreachable)  # the remote the clone came from, now out of reach
    with pytest.raises(RemoteUnavailable, match="could not fetch from the spec repo's remote"):
        merge(session, clone, None, world.users["ada"], n, remote=unreachable)
    assert session.get(Proposal, n).state == "approved"
    assert remote.head() == before
    records_remote(clone, remote.url)
    assert merge(session, clone, None, world.users["ada"], n, remote=remote.url).state == "merged"


@pytest.mark.parametrize(("declined", "refused"), [
    ("refs/heads/", "main"),  # a protected branch: the audit anchor's ref is taken, the branch refused
    ("refs/specreg/", "refs/specreg/audit"),  # no other refs: the anchor, pushed first, refuses the merge
])
def test_a_push_the_remote_declines_for_another_reason_is_remote_refused(session, remote, clone, declined, refused):
    world, n = _approved(session, remote, clone)
    hook = remote.path / "hooks" / "pre-receive"
    hook.write_text(f"#!/bin/sh\nif grep -q ' {declined}'; then echo 'declined' >&2; exit 1; fi\n")
    hook.chmod(0o755)
    before = remote.head()
    with pytest.raises(RemoteRefused, match=f"refused the push to {refused}:"):
        merge(session, clone, None, world.users["ada"], n, remote=remote.url)
    assert remote.head() == before
    assert session.get(Proposal, n).state == "approved"


def test_a_branch_forced_back_to_an_ancestor_refuses_merges_until_an_admin_acknowledges_the_rewrite(session, remote,
                                                                                                    clone):
    from registry.accountability.acknowledge import acknowledge_rewrite
    from registry.errors import UnacknowledgedRewrite
    from registry.models import HistoryRewrite

    world, first = _approved(session, remote, clone)
    second = world.change("ada", "respect_privacy", "Other text.")
    reviews.approve(session, world.users["grace"], second)
    before = remote.head()
    merged = merge(session, clone, None, world.users["ada"], first, remote=remote.url).commit
    subprocess.run(["git", "update-ref", "refs/heads/main", before], cwd=remote.path, check=True)  # a force push back
    with pytest.raises(UnacknowledgedRewrite, match=r"rewritten \(history rewrite #\d+\).*nothing was merged"):
        merge(session, clone, None, world.users["ada"], second, remote=remote.url)
    assert remote.head() == before  # the removed merge commit was not pushed back, nor anything else
    assert session.get(Proposal, second).state == "approved"
    rewrite = session.scalars(select(HistoryRewrite)).one()
    acknowledge_rewrite(session, world.users["root"], rewrite.id, "Proposal reverted on purpose on the git host")
    result = merge(session, clone, None, world.users["ada"], second, remote=remote.url)
    assert result.state == "merged"
    log = [sha for sha, _, _ in _log(remote.path)]
    assert log[:2] == [result.commit, before] and merged not in log


def test_a_branch_forced_back_between_the_merges_fetch_and_its_push_refuses_the_push_and_then_the_merge(
        session, remote, clone, monkeypatch):
    from registry.errors import UnacknowledgedRewrite

    world, n = _approved(session, remote, clone)
    remote.author.commit("Direct", {"spec/rules.md": RULES.replace("Prefer short", "Prefer brief")})
    remote.push()
    removed = remote.head()
    ancestor = _log(remote.path)[1][0]
    real_push, outcomes = merge_module.push, []

    def push_after_a_force_push_back(*args: object, **kwargs: object) -> PushOutcome:
        if not outcomes:  # the merge built on `removed`; someone forces the branch back to its parent
            subprocess.run(["git", "update-ref", "refs/heads/main", ancestor], cwd=remote.path, check=True)
        outcomes.append(real_push(*args, **kwargs))
        return outcomes[-1]

    monkeypatch.setattr(merge_module, "push", push_after_a_force_push_back)
    with pytest.raises(UnacknowledgedRewrite):
        merge(session, clone, None, world.users["ada"], n, remote=remote.url)
    assert outcomes[0].accepted is False and "[rejected]" in outcomes[0].reason  # a fast-forward, yet refused
    assert remote.head() == ancestor and removed not in [sha for sha, _, _ in _log(remote.path)]
    assert session.get(Proposal, n).state == "approved"

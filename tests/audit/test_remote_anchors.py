"""Audit anchors with a remote (SPECREG_REMOTE): pushed to the remote's refs/specreg/audit with ordinary
pushes, one chain shared by every host's clone, and checked by verify where the remote holds them."""
from __future__ import annotations

import itertools
import subprocess
from pathlib import Path

from git_remote import Remote
from proposal_helpers import remote_world, without_governance

from registry.accountability.verify import verify
from registry.audit.anchor import ANCHOR_REF, anchor_head, read_anchors
from registry.audit.events import record
from registry.gitsource import SpecSource
from registry.gitsource.remote import ensure_clone
from registry.ledger.sync import sync
from registry.proposals import reviews
from registry.proposals.merge import merge


def _git(path: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=path, check=True, capture_output=True, text=True).stdout.strip()


def _ref(path: Path) -> str:
    return _git(path, "rev-parse", "--verify", "--quiet", ANCHOR_REF)


def _is_ancestor(path: Path, old: str, new: str) -> bool:
    return subprocess.run(["git", "merge-base", "--is-ancestor", old, new], cwd=path).returncode == 0


def _anchored_seqs(path: Path) -> set[int]:
    with SpecSource(path) as source:
        anchors, bad = read_anchors(source)
    assert bad == []
    return {a.seq for a in anchors}


def test_a_merge_pushes_its_audit_anchor_to_the_remote(session, remote: Remote, tmp_path):
    clone = tmp_path / "instance" / "spec-clone"
    world = remote_world(remote, session, clone)
    n = world.change("ada", "respect_privacy", "New text.")
    reviews.approve(session, world.users["grace"], n)
    assert merge(session, clone, None, world.users["ada"], n, remote=remote.url).state == "merged"
    assert _ref(remote.path) == _ref(clone)
    assert _anchored_seqs(remote.path)  # the remote holds the anchor, not only this host's clone
    assert without_governance(verify(session, str(clone), remote.url)) == []


def test_two_hosts_anchor_one_chain_on_the_remote_each_push_a_fast_forward(session, remote: Remote, tmp_path):
    first, second = tmp_path / "a" / "spec-clone", tmp_path / "b" / "spec-clone"
    remote_world(remote, session, first)
    ensure_clone(second, remote.url)
    seen: list[str] = []
    for i, clone in enumerate([first, second, first, second]):
        record(session, "root@example.org", "test.event", f"test:{i}", None, {"i": i})
        anchor, written = anchor_head(session, clone, remote=remote.url)
        assert written and anchor is not None
        seen.append(_ref(remote.path))
        assert seen[-1] == _ref(clone) == anchor.commit
    assert all(_is_ancestor(remote.path, old, new) for old, new in itertools.pairwise(seen))  # never forced
    assert len(_anchored_seqs(remote.path)) == 4
    assert without_governance(verify(session, str(second), remote.url)) == []


def test_a_host_whose_own_anchors_went_apart_from_the_remote_joins_both_and_loses_none(session, remote: Remote,
                                                                                     tmp_path):
    clone = tmp_path / "instance" / "spec-clone"
    remote_world(remote, session, clone)
    record(session, "root@example.org", "test.event", "test:local", None, {})
    anchor_head(session, clone)  # written before anchors were pushed: only in this clone
    local = _ref(clone)
    other = tmp_path / "other" / "spec-clone"
    ensure_clone(other, remote.url)
    record(session, "root@example.org", "test.event", "test:other", None, {})
    anchor_head(session, other, remote=remote.url)  # another host's anchor reached the remote first
    shared = _ref(remote.path)
    record(session, "root@example.org", "test.event", "test:join", None, {})
    anchor, written = anchor_head(session, clone, remote=remote.url)
    assert written and anchor is not None
    assert sorted(_git(remote.path, "rev-parse", f"{anchor.commit}^1", f"{anchor.commit}^2").split()) == \
        sorted([shared, local])
    assert len(_anchored_seqs(remote.path)) == 3
    assert without_governance(verify(session, str(clone), remote.url)) == []


def test_verify_reads_the_anchors_on_the_remote_and_names_a_forged_one(session, remote: Remote, tmp_path):
    clone = tmp_path / "instance" / "spec-clone"
    remote_world(remote, session, clone)
    record(session, "root@example.org", "test.event", "test:1", None, {})
    anchor_head(session, clone, remote=remote.url)
    # Someone with push rights (not the audit key) replaces the remote's anchors with a commit of their own.
    tree = _git(remote.path, "rev-parse", f"{_ref(remote.path)}^{{tree}}")
    forged = _git(remote.path, "commit-tree", tree, "-m", "Audit anchor: event 1")
    _git(remote.path, "update-ref", ANCHOR_REF, forged)
    found = without_governance(verify(session, str(clone), remote.url))
    assert [(f.check, f.message) for f in found] == [("anchor", "is not an audit anchor (malformed)")]
    assert forged[:12] in found[0].where
    assert sync(session, clone, remote.url).fetched

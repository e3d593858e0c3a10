"""One definition of a counted approval: the verdict, the merge trailers, evidence, in-force and verify agree."""
from __future__ import annotations

import git
import pytest
from proposal_helpers import OWNERS, build_world, without_governance
from sqlalchemy import text

from registry.accountability.in_force import in_force
from registry.accountability.verify import verify
from registry.evidence.report import evidence_report
from registry.gitsource import trailers
from registry.models import Proposal
from registry.owners.assignments import assign, unassign
from registry.proposals import counted, reviews
from registry.proposals.authoring import ChangeInput
from registry.proposals.merge import merge
from registry.proposals.reads import proposal_detail

GRACE = "Grace Hopper <grace@example.org>"
BARBARA = "Barbara Liskov <barbara@example.org>"
PRIVACY = "## Respect privacy {#respect_privacy authority=system}\n\nNever reveal personal data.\n"
TONE = "## Tone {#tone}\n\nBe kind.\n"


@pytest.fixture
def world(repo, session):
    return build_world(repo, session)


def commit_owners(world, text: str) -> None:
    world.repo.commit("Owners change", {"OWNERS.toml": text})
    world.ingest()


def by_owners_file(world) -> tuple[int, str]:
    """Grace approves respect_privacy, then an OWNERS.toml commit hands it to Barbara."""
    n = world.propose("ada", [ChangeInput("change", "respect_privacy", PRIVACY)])
    reviews.approve(world.session, world.users["grace"], n)
    commit_owners(world, OWNERS.replace('"respect_privacy" = ["grace@example.org"]',
                                        '"respect_privacy" = ["barbara@example.org"]'))
    return n, "respect_privacy"


def by_unassignment(world) -> tuple[int, str]:
    """Tone (no file owner) is assigned to Grace and Barbara; Grace approves, then is unassigned."""
    root = world.users["root"]
    n = world.propose("ada", [ChangeInput("change", "tone", TONE)])
    assign(world.session, root, "tone", "grace@example.org", "style")
    assign(world.session, root, "tone", "barbara@example.org", "style")
    reviews.approve(world.session, world.users["grace"], n)
    unassign(world.session, root, "tone", "grace@example.org", "moved to another team")
    return n, "tone"


def give_back(world, key: str) -> None:
    """Ownership moves again after the merge: Grace owns the clause once more."""
    if key == "tone":
        assign(world.session, world.users["root"], "tone", "grace@example.org", "back on style")
    else:
        commit_owners(world, OWNERS)


def named_everywhere(world, sha: str, key: str) -> dict[str, list[str]]:
    """Who the merge commit, the evidence report and in-force name as approvers of that merge."""
    with git.Repo(world.path) as r:
        message = r.commit(sha).message
    report = evidence_report(world.session, to_ref=sha, repo=str(world.path))
    change = next(c for c in report.changes if c.commit == sha and c.id == key)
    return {"git": [v.split(";")[0] for v in trailers.values(message, trailers.APPROVED_BY)],
            "evidence": [f"{a.name} <{a.email}>" for a in change.approvers],
            "in_force": [f"{a.name} <{a.email}>" for a in in_force(world.session, key, sha).approvers],
            "findings": [f.message for f in without_governance(report.findings)]}


@pytest.mark.parametrize("move", [by_owners_file, by_unassignment], ids=["owners-file", "unassignment"])
def test_an_approver_whose_ownership_moved_away_is_named_nowhere_once_another_owner_approves(world, move):
    n, key = move(world)
    assert proposal_detail(world.session, n).as_dict()["state"] == "open"
    reviews.approve(world.session, world.users["barbara"], n)
    policy = proposal_detail(world.session, n).as_dict()["policy"]
    assert policy["satisfied"] and policy["clauses"][0]["approved_by"] == ["Barbara Liskov"]
    assert any("Grace Hopper does not count" in note for note in policy["notes"])
    sha = merge(world.session, world.path, "main", world.users["ada"], n).commit
    expected = {"git": [BARBARA], "evidence": [BARBARA], "in_force": [BARBARA], "findings": []}
    assert named_everywhere(world, sha, key) == expected
    give_back(world, key)  # the record of the merge does not follow ownership after it
    assert named_everywhere(world, sha, key) == expected
    assert without_governance(verify(world.session, str(world.path))) == []


def test_the_merge_event_records_each_counted_approval_and_what_it_counted_for(world):
    n, key = by_unassignment(world)
    barbara = reviews.approve(world.session, world.users["barbara"], n)
    merge(world.session, world.path, "main", world.users["ada"], n)
    p = world.session.get(Proposal, n)
    assert [(a.review, a.counts_for) for a in counted.recorded(world.session, p)] == [(barbara.id, (key,))]


def merged_before_the_event_kept_approvals(world, monkeypatch) -> tuple[int, str, str]:
    """Grace's and Barbara's approvals merged as merges did before their event listed the approvals."""
    old_rule = counted._before_recording
    monkeypatch.setattr(counted, "counting", lambda session, proposal, *_at: old_rule(session, proposal))
    monkeypatch.setattr(counted, "merge_fields", lambda approvals, uncounted=(): {})
    n, key = by_owners_file(world)
    reviews.approve(world.session, world.users["barbara"], n)
    sha = merge(world.session, world.path, "main", world.users["ada"], n).commit
    monkeypatch.undo()
    return n, key, sha


def test_a_merge_recorded_before_the_event_kept_its_approvals_verifies_as_it_was_written(world, monkeypatch):
    """Earlier merges named every pending approval of the exact text by a non-author, and kept no list."""
    _, key, sha = merged_before_the_event_kept_approvals(world, monkeypatch)
    assert named_everywhere(world, sha, key) == {"git": [GRACE, BARBARA], "evidence": [GRACE, BARBARA],
                                                 "in_force": [GRACE, BARBARA], "findings": []}


def test_a_row_forged_on_a_merge_recorded_before_the_event_kept_its_approvals_is_named_as_no_approval(
        world, monkeypatch):
    """Such a merge is judged by the reviews the audit chain recorded too: a forged row is no approver anywhere."""
    n, key, sha = merged_before_the_event_kept_approvals(world, monkeypatch)
    world.session.execute(text(
        "INSERT INTO reviews (proposal_id, revision_id, reviewer_id, printed_name, kind, meaning, digest, comment, "
        f"created_at) SELECT {n}, r.id, p.id, 'Vic Viewer', 'approve', 'approved as owner of respect_privacy', "
        f"r.digest, '', CURRENT_TIMESTAMP FROM proposal_revisions r, people p WHERE r.proposal_id = {n} "
        "AND p.email = 'vic@example.org'"))
    world.session.expire_all()
    named = named_everywhere(world, sha, key)
    assert {k: named[k] for k in ("git", "evidence", "in_force")} == {"git": [GRACE, BARBARA],
                                                                      "evidence": [GRACE, BARBARA],
                                                                      "in_force": [GRACE, BARBARA]}
    [forged] = counted.recorded_uncounted(world.session, world.session.get_one(Proposal, n))
    assert (forged.name, forged.reason.split(":")[0]) == ("Vic Viewer", "not in the audit record")
    assert [f.check for f in without_governance(verify(world.session, str(world.path)))] == ["review"]

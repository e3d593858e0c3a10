"""Separation of duties: nobody makes the owners who approve their own proposal.

Issue 13: an admin proposed a change to a root clause, made two accounts, assigned them as owners of
the clause and approved as them; the merge went through with "2 owner approvals". The rule lives in
one place (registry/proposals/approval_rules.py: standing and judge_approvals); these tests drive it through
the use cases (the store says who made each assignment) and as a pure table.
"""
from __future__ import annotations

import pytest
from proposal_helpers import OWNERS, build_world

from registry.accountability.in_force import in_force
from registry.accounts.users import actor_for, add_user, set_password
from registry.cli.audit import _in_force_text
from registry.errors import Forbidden, PolicyNotSatisfied
from registry.evidence.render import render
from registry.evidence.report import evidence_report
from registry.gitsource import SpecSource
from registry.owners.assignments import assign
from registry.proposals import counted, reviews
from registry.proposals.authoring import ChangeInput, revise
from registry.proposals.merge import merge
from registry.proposals.permissions import allowed_actions
from registry.proposals.reads import proposal_detail, review_queue

HONEST = "## Be honest {#be_honest authority=root}\n\nNever state what you believe to be false, even when asked.\n"


@pytest.fixture
def world(repo, session):
    w = build_world(repo, session)
    w.users["root2"] = add_user(session, w.users["root"], "root2@example.org", "Second Admin", "admin")
    return w


def change_honest(world, who: str) -> int:
    return world.propose(who, [ChangeInput("change", "be_honest", HONEST)])


def puppets(world, admin: str) -> list:
    """Two fresh viewer accounts the admin makes and assigns as owners of the root clause."""
    made = []
    for name in ("mallory", "trudy"):
        made.append(add_user(world.session, world.users[admin], f"{name}@example.org", name.title(), "viewer"))
        assign(world.session, world.users[admin], "be_honest", f"{name}@example.org", "extra reviewers")
    return made


def test_an_admin_cannot_merge_a_root_clause_alone_through_owners_they_assigned(world):
    """The issue's attack, end to end: on the old code both approvals counted and the merge went through."""
    n = change_honest(world, "root")
    for puppet in puppets(world, "root"):
        with pytest.raises(Forbidden, match="would not count: ownership of be_honest rests only on a registry "
                                            "assignment by the proposer"):
            reviews.approve(world.session, puppet, n)
    with pytest.raises(PolicyNotSatisfied, match="be_honest: needs 2 more approvals"):
        merge(world.session, world.path, "main", world.users["root"], n)
    policy = proposal_detail(world.session, n).as_dict()["policy"]
    assert policy["clauses"][0]["eligible"] == ["Grace Hopper", "Alan Turing"]  # the puppets are not eligible


def test_owners_assigned_by_another_admin_count_for_the_admins_proposal(world):
    n = change_honest(world, "root")
    for puppet in puppets(world, "root2"):
        reviews.approve(world.session, puppet, n)
    assert proposal_detail(world.session, n).state == "approved"


@pytest.mark.parametrize(("proposer", "assigner", "reviser", "counts"), [
    ("root", "root", None, False),     # the proposer assigned the owner
    ("ada", "root", "root", False),    # a revision author (an admin who revised) assigned the owner
    ("ada", "root", None, True),       # an admin who has nothing to do with the proposal
    ("root", "root2", None, True),     # another admin assigned the owner of the admin's proposal
    ("root", "root2", "root2", False), # ... who then wrote a revision
], ids=["by-the-proposer", "by-a-revision-author", "by-an-outsider", "by-another-admin",
        "by-another-admin-who-revised"])
def test_who_assigned_the_owner_decides_whether_the_approval_counts(world, proposer, assigner, reviser, counts):
    n = change_honest(world, proposer)
    add_user(world.session, world.users["root"], "mallory@example.org", "Mallory", "viewer")
    assign(world.session, world.users[assigner], "be_honest", "mallory@example.org", "reviewer")
    if reviser:
        with SpecSource(world.path) as source:
            revise(world.session, source, world.users[reviser], n,
                   [ChangeInput("change", "be_honest", HONEST.replace("asked", "pressed"))], "wording")
    decision = allowed_actions(world.session, n, actor_for(world.session, "mallory@example.org"))["approve"]
    assert bool(decision) is counts
    if not counts:
        assert "rests only on a registry assignment by" in decision.reason


def test_a_team_the_proposer_assigned_does_not_count_either(world):
    world.repo.commit("A team", {"OWNERS.toml": OWNERS.replace(
        "[owners]", '[teams]\n"helpers" = ["vic@example.org"]\n\n[owners]')})
    world.ingest()
    n = change_honest(world, "root")
    assign(world.session, world.users["root"], "be_honest", "team:helpers", "more eyes")
    decision = allowed_actions(world.session, n, world.users["vic"])["approve"]
    assert not decision and "ownership of be_honest rests only on a registry assignment by the proposer" \
        in decision.reason


def test_an_owner_by_owners_toml_counts_even_when_the_proposer_also_assigned_them(world):
    n = change_honest(world, "root")
    assign(world.session, world.users["root"], "be_honest", "grace@example.org", "belt and braces")
    reviews.approve(world.session, world.users["grace"], n)
    assert proposal_detail(world.session, n).policy.clauses[0].approved_by == ("Grace Hopper",)


def test_the_review_queue_leaves_out_proposals_an_approval_would_not_count_for(world):
    n = change_honest(world, "root")
    mallory, _trudy = puppets(world, "root")
    assert [q.id for q in review_queue(world.session, mallory)] == []
    assert n in [q.id for q in review_queue(world.session, world.users["grace"])]


PRIVACY = "## Respect privacy {#respect_privacy authority=system}\n\nNever reveal personal data.\n"
RESET_REASON = ("the password of mallory@example.org was set by root@example.org; an approval counts once its holder "
                "sets their own")


def merged_with_an_uncounted_approval(world) -> str:
    """Mallory (assigned by root) approves with her own password, root then resets it; Grace approves; merged."""
    root = world.users["root"]
    n = world.propose("ada", [ChangeInput("change", "respect_privacy", PRIVACY)])
    mallory = add_user(world.session, root, "mallory@example.org", "Mallory", "viewer", "chosen-by-root")
    assign(world.session, root, "respect_privacy", "mallory@example.org", "privacy reviewer")
    set_password(world.session, mallory, "mallory@example.org", "mallory-own-choice", "chosen-by-root")
    reviews.approve(world.session, mallory, n)
    set_password(world.session, root, "mallory@example.org", "reset-by-root")
    reviews.approve(world.session, world.users["grace"], n)
    return merge(world.session, world.path, "main", world.users["ada"], n).commit


def test_evidence_and_in_force_name_the_approvals_a_merge_did_not_count_and_why(world):
    sha = merged_with_an_uncounted_approval(world)
    set_password(world.session, world.users["root"], "grace@example.org", "later-reset")  # after the merge: no change
    report = evidence_report(world.session, to_ref=sha, repo=str(world.path)).as_dict()
    [item] = [p for p in report["proposals"] if p["commit"] == sha]
    assert [a["email"] for a in item["approvers"]] == ["grace@example.org"]
    assert [(u["email"], u["reason"]) for u in item["uncounted"]] == [("mallory@example.org", RESET_REASON)]
    found = in_force(world.session, "respect_privacy", sha).as_dict()
    assert found["uncounted"] == item["uncounted"] and list(found["uncounted"][0]) == [
        "name", "email", "time", "meaning", "reason"]
    html = render(evidence_report(world.session, to_ref=sha, repo=str(world.path)), "html")
    assert "Not counted" in html and RESET_REASON in html
    text = _in_force_text(in_force(world.session, "respect_privacy", sha))
    assert f"  not counted: Mallory <mallory@example.org> at {item['uncounted'][0]['time']}: {RESET_REASON}" in text


def test_a_merge_recorded_before_merges_kept_reasons_says_so(world, monkeypatch):
    monkeypatch.setattr(counted, "merge_fields", lambda approvals, uncounted=(): {
        "approvals": [{"review": a.review, "counts_for": list(a.counts_for)} for a in approvals]})
    sha = merged_with_an_uncounted_approval(world)
    monkeypatch.undo()
    found = in_force(world.session, "respect_privacy", sha).as_dict()
    assert [(u["email"], u["reason"]) for u in found["uncounted"]] == [("mallory@example.org", counted.UNRECORDED_REASON)]

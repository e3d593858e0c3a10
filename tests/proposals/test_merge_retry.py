"""A push between a merge's plan and its compare-and-swap: the merge decides again at the new head.

Invariant 3: the policy is satisfied at the moment of merge. The retry after a lost swap catches up
with the push, which may change the owners, the policy or a touched clause; nothing reaches the
branch unless the proposal still merges there.
"""
from __future__ import annotations

import git
import pytest
from proposal_helpers import OWNERS, POLICY, RULES, build_world, without_governance
from repo_builder import GRACE

from registry.accountability.verify import verify
from registry.errors import PolicyNotSatisfied
from registry.gitsource import trailers
from registry.history.queries import show_clause
from registry.ledger.refs import resolve
from registry.models import Proposal
from registry.proposals import merge as merge_module
from registry.proposals import reviews
from registry.proposals.merge import merge

OWNERS_MOVED = OWNERS.replace('"respect_privacy" = ["grace@example.org"]',
                              '"respect_privacy" = ["barbara@example.org"]')
OWNERS_SHARED = OWNERS.replace('"respect_privacy" = ["grace@example.org"]',
                               '"respect_privacy" = ["grace@example.org", "alan@example.org"]')
POLICY_RAISED = POLICY.replace("[defaults]\nmin_approvals = 1", "[defaults]\nmin_approvals = 2")
TOUCHED_EDITED = RULES.replace("Do not reveal personal data.", "Do not reveal anything.")
OTHER_EDITED = RULES.replace("Use lists sparingly.", "Use lists rarely.")


@pytest.fixture
def world(repo, session):
    return build_world(repo, session)


def _approved(world) -> int:
    """Grace (owner of respect_privacy) approved Ada's change to it; committed, as an edge would."""
    n = world.change("ada", "respect_privacy", "Never reveal personal data.")
    reviews.approve(world.session, world.users["grace"], n)
    world.session.commit()
    return n


def _push_before_the_swap(world, monkeypatch, files: dict[str, str]) -> list[str]:
    """Someone pushes `files` between the merge's first commit and its compare-and-swap; the heads the swaps expected."""
    real, expected = merge_module.compare_and_swap, []

    def racing(path, branch, new, old):
        if not expected:
            world.repo.commit("Racing push", files, author=GRACE)
        expected.append(old)
        return real(path, branch, new, old)

    monkeypatch.setattr(merge_module, "compare_and_swap", racing)
    return expected


def _branch_head(world) -> git.Commit:
    with git.Repo(world.path) as r:
        return r.commit("main")


def _refused(world, n: int) -> PolicyNotSatisfied:
    """Merge, expecting the policy refusal; the edge rolls the transaction back and ingest runs later."""
    with pytest.raises(PolicyNotSatisfied) as err:
        merge(world.session, world.path, "main", world.users["ada"], n)
    world.session.rollback()
    world.ingest()
    return err.value


def test_a_push_that_takes_the_clause_from_its_approver_before_the_swap_refuses_the_merge_and_writes_nothing(
        world, monkeypatch):
    n = _approved(world)
    _push_before_the_swap(world, monkeypatch, {"OWNERS.toml": OWNERS_MOVED})
    error = _refused(world, n)
    assert error.code == "policy_not_satisfied"
    assert error.missing == ["respect_privacy: needs 1 more approval from the owners of respect_privacy: "
                             "Barbara Liskov [rule defaults: 1]"]
    head = _branch_head(world)
    assert head.message.startswith("Racing push") and not trailers.values(head.message, "Proposal-Id")
    assert world.session.get(Proposal, n).state == "open"
    assert world.session.get(Proposal, n).merged_sha is None
    assert without_governance(verify(world.session)) == []


def test_a_push_that_raises_policy_toml_before_the_swap_merges_on_top_since_the_policy_is_read_at_the_base(
        world, monkeypatch):
    n = _approved(world)
    expected = _push_before_the_swap(world, monkeypatch, {"policy.toml": POLICY_RAISED})
    result = merge(world.session, world.path, "main", world.users["ada"], n)
    world.session.commit()
    head = _branch_head(world)
    assert (result.state, result.commit) == ("merged", head.hexsha)
    assert len(expected) == 2 and head.parents[0].hexsha == expected[1]
    assert head.parents[0].message.startswith("Racing push")
    assert without_governance(verify(world.session)) == []


def test_a_push_that_edits_the_touched_clause_before_the_swap_makes_the_proposal_conflicted(world, monkeypatch):
    n = _approved(world)
    expected = _push_before_the_swap(world, monkeypatch, {"spec/rules.md": TOUCHED_EDITED})
    result = merge(world.session, world.path, "main", world.users["ada"], n)
    assert (result.state, result.commit) == ("conflicted", None)
    assert result.conflicts == ["respect_privacy: changed on the branch since the proposal's base"]
    assert len(expected) == 1  # decided at the new head without building a second commit
    world.session.commit()
    head = _branch_head(world)
    assert head.message.startswith("Racing push") and not trailers.values(head.message, "Proposal-Id")
    assert world.session.get(Proposal, n).state == "conflicted"
    assert show_clause(world.session, "respect_privacy", resolve(world.session, None)).text == "Do not reveal anything."
    assert without_governance(verify(world.session)) == []


def test_a_push_that_edits_another_clause_before_the_swap_still_merges_on_top_of_it(world, monkeypatch):
    n = _approved(world)
    expected = _push_before_the_swap(world, monkeypatch, {"spec/rules.md": OTHER_EDITED})
    result = merge(world.session, world.path, "main", world.users["ada"], n)
    world.session.commit()
    head = _branch_head(world)
    assert (result.state, result.commit) == ("merged", head.hexsha)
    assert len(expected) == 2 and head.parents[0].hexsha == expected[1] != expected[0]
    assert head.parents[0].message.startswith("Racing push")
    assert trailers.values(head.message, "Proposal-Id") == [str(n)]
    assert [a.split(";")[0] for a in trailers.values(head.message, "Approved-by")] == ["Grace Hopper <grace@example.org>"]
    assert world.session.get(Proposal, n).state == "merged"
    at = resolve(world.session, None)
    assert show_clause(world.session, "lists", at).text == "Use lists rarely."
    assert show_clause(world.session, "respect_privacy", at).text == "Never reveal personal data."
    assert without_governance(verify(world.session)) == []



def test_a_push_that_takes_the_clause_from_one_of_two_approvers_before_the_swap_names_only_the_one_that_counts(
        world, monkeypatch):
    world.repo.commit("Alan shares privacy", {"OWNERS.toml": OWNERS_SHARED})
    world.ingest()
    n = world.change("ada", "respect_privacy", "Never reveal personal data.")
    reviews.approve(world.session, world.users["grace"], n)
    reviews.approve(world.session, world.users["alan"], n)
    world.session.commit()
    _push_before_the_swap(world, monkeypatch, {"OWNERS.toml": OWNERS_SHARED.replace(
        '["grace@example.org", "alan@example.org"]', '["alan@example.org"]')})
    result = merge(world.session, world.path, "main", world.users["ada"], n)
    world.session.commit()
    head = _branch_head(world)
    assert (result.state, result.commit) == ("merged", head.hexsha)
    assert [a.split(";")[0] for a in trailers.values(head.message, "Approved-by")] == ["Alan Turing <alan@example.org>"]
    assert without_governance(verify(world.session)) == []

"""Editorial changes: classified per revision, fewer approvals when policy.toml says so, kept with each review."""
from __future__ import annotations

import pytest
from proposal_helpers import HEADINGS, POLICY, build_world

from registry.gitsource import SpecSource
from registry.models import Proposal, Review
from registry.proposals import reviews
from registry.proposals.authoring import ChangeInput, revise
from registry.proposals.policy_toml import parse_policy
from registry.proposals.provenance import check_recorded_reviews
from registry.proposals.reads import proposal_detail

EDITORIAL_POLICY = POLICY.replace("[authority.root]\nmin_approvals = 2\n",
                                  "[authority.root]\nmin_approvals = 2\neditorial_min_approvals = 1\n")
TYPO = "Never state what you beleive to be false."  # be_honest (root) with a misspelling


@pytest.fixture
def world(repo, session):
    w = build_world(repo, session)
    w.repo.commit("Typo fixes on root rules need one approval", {"policy.toml": EDITORIAL_POLICY})
    w.ingest()
    return w


def state(world, n: int) -> str:
    return world.session.get_one(Proposal, n).state


@pytest.mark.parametrize(("toml", "editorial", "warning"), [
    ("[defaults]\nmin_approvals = 2\neditorial_min_approvals = 1\n", {"defaults": 1}, None),
    ('[clause."be_honest"]\neditorial_min_approvals = 1\n', {"clause.be_honest": 1}, None),
    ("[authority.root]\nmin_approvals = 2\neditorial_min_approvals = 3\n", None, "must not be more than min_approvals"),
    ("[authority.root]\neditorial_min_approvals = 0\n", None, "must be a whole number of at least 1"),
    ('[authority.root]\neditorial_min_approvals = "one"\n', None, "must be a whole number of at least 1"),
])
def test_policy_toml_asks_fewer_approvals_for_editorial_changes_never_more_never_none(toml, editorial, warning):
    parsed = parse_policy(toml)
    if editorial is None:
        assert parsed.policy is None and warning in parsed.warnings[0]
    else:
        assert parsed.policy is not None and dict(parsed.policy.editorial) == editorial and parsed.warnings == ()


def test_an_editorial_change_needs_the_editorial_count_and_a_normative_one_the_full_count(world):
    typo = world.change("ada", "be_honest", TYPO)
    detail = proposal_detail(world.session, typo)
    assert detail.current.changes[0].change_class == "editorial"
    assert [(c.key, c.required) for c in detail.policy.clauses] == [("be_honest", 1)]  # root's editorial count
    reviews.approve(world.session, world.users["grace"], typo)
    assert state(world, typo) == "approved"

    meaning = world.change("ada", "be_honest", "Never state what you know to be false.")
    assert proposal_detail(world.session, meaning).current.changes[0].change_class == "normative"
    reviews.approve(world.session, world.users["grace"], meaning)
    assert state(world, meaning) == "open"  # a change of meaning needs both root approvals


def test_the_class_is_recomputed_on_every_revision_and_each_review_keeps_what_its_reviewer_saw(world):
    n = world.change("ada", "be_honest", TYPO)
    reviews.approve(world.session, world.users["grace"], n)
    with SpecSource(world.path) as source:
        revise(world.session, source, world.users["ada"], n,
               [ChangeInput("change", "be_honest", f"{HEADINGS['be_honest']}\n\nNever state what you suspect to be false.\n")])
    detail = proposal_detail(world.session, n)
    assert detail.current.changes[0].change_class == "normative" and detail.revisions[0].changes[0].change_class == "editorial"
    assert state(world, n) == "open"
    reviews.approve(world.session, world.users["grace"], n)
    assert state(world, n) == "open" and detail.policy.clauses[0].required == 2
    assert [r.as_dict()["classes"] for r in proposal_detail(world.session, n).reviews] == [
        {"be_honest": "editorial"}, {"be_honest": "normative"}]


def test_a_review_whose_kept_classes_were_edited_in_the_database_is_found_by_verify(world):
    n = world.change("ada", "be_honest", "Never state what you know to be false.")
    review = reviews.approve(world.session, world.users["grace"], n)
    assert check_recorded_reviews(world.session) == []
    world.session.get_one(Review, review.id).classes = {"be_honest": "editorial"}
    world.session.flush()
    assert any("differs from what audit event" in f.message for f in check_recorded_reviews(world.session))

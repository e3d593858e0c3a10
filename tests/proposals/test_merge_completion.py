"""Ingest completes an interrupted merge only through the proposal state machine."""
from __future__ import annotations

import pytest
from proposal_helpers import build_world
from test_merge_laundering import approved, registry_commit, warning_for

from registry.accountability.unapproved import unapproved_changes
from registry.models import AuditEvent, Proposal
from registry.proposals import states


@pytest.fixture
def world(repo, session):
    return build_world(repo, session)


def test_ingest_records_an_interrupted_merge_as_the_state_machine_moves_it(world, monkeypatch):
    n = approved(world)
    sha = registry_commit(world, monkeypatch, n)
    world.ingest()
    p = world.session.get(Proposal, n)
    assert (p.state, p.merged_sha) == ("merged", sha)
    event = world.session.query(AuditEvent).filter(AuditEvent.action == "proposal.merge").one()
    assert (event.old, event.new["state"], event.new["completed_by"]) == ({"state": "approved"}, "merged", "ingest")


def test_ingest_does_not_complete_a_merge_the_state_machine_refuses(world, monkeypatch):
    n = approved(world)
    sha = registry_commit(world, monkeypatch, n)
    monkeypatch.delitem(states.TRANSITIONS, (states.APPROVED, "merge"))  # a machine where approved cannot merge
    world.ingest()
    assert world.session.get(Proposal, n).state == "approved"
    assert f"names proposal #{n}, but a proposal that is approved cannot be merged" in warning_for(world, sha)
    assert sha in [u.commit for u in unapproved_changes(world.session)]


@pytest.mark.parametrize(("state", "why"), [
    ("open", "cannot be merged: it is not approved"),
    ("draft", "cannot be merged: a draft must be submitted and approved"),
    ("conflicted", "cannot be merged: it conflicts with a change on the branch"),
    ("withdrawn", "cannot be merged: it is final"),
    ("rejected", "cannot be merged: it is final"),
])
def test_a_commit_naming_a_proposal_that_may_not_merge_stays_unapproved_and_says_why(world, monkeypatch, state, why):
    n = approved(world)
    sha = registry_commit(world, monkeypatch, n)
    world.session.get(Proposal, n).state = state  # as if it moved on before ingest saw the commit
    world.session.flush()
    world.ingest()
    assert world.session.get(Proposal, n).state == state
    assert f"names proposal #{n}, but a proposal that is {state} {why}" in warning_for(world, sha)
    assert sha in [u.commit for u in unapproved_changes(world.session)]


def test_a_merge_that_ingest_completed_names_the_person_who_pressed_merge_not_the_registry(world, monkeypatch):
    from registry.proposals.reads import proposal_detail

    n = approved(world)
    registry_commit(world, monkeypatch, n)
    world.ingest()
    merged = proposal_detail(world.session, n).closed_by
    assert merged is not None and merged.action == "merged"
    assert merged.actor.email == world.users["ada"].email
    assert "recorded by registry:ingest from the commit's Merged-by line" in merged.detail

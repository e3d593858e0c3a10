"""Kept verdicts (lists, the review queue, the header's "waiting on me") equal the fresh verdict after
every kind of change, and are reused while nothing changed."""
from __future__ import annotations

from collections.abc import Callable

import pytest
from proposal_helpers import OWNERS, POLICY, fresh_verdicts, judged_world, kept_verdicts

from registry.accounts.users import disable_user, set_password
from registry.gitsource import SpecSource
from registry.models import Account, utcnow
from registry.owners.assignments import assign
from registry.proposals import reviews
from registry.proposals.authoring import ChangeInput, revise
from registry.proposals.reads import list_proposals, waiting_count, waiting_for

TONE = "## Tone {#tone}\n\nBe kind.\n"
PRIVACY = "## Respect privacy {#respect_privacy authority=system}\n\nNever.\n"


@pytest.fixture
def world(repo, session):
    return judged_world(repo, session)


fresh, kept = fresh_verdicts, kept_verdicts


def proposals(world) -> tuple[int, int]:
    """Open: tone (unowned: the admins approve) approved by root; privacy (Grace's) approved by nobody."""
    tone = world.propose("ada", [ChangeInput("change", "tone", TONE)], "Tone")
    privacy = world.propose("ada", [ChangeInput("change", "respect_privacy", PRIVACY)], "Privacy")
    reviews.approve(world.session, world.users["root"], tone)
    world.session.commit()
    return tone, privacy


def _commit(world, files: dict[str, str]) -> None:
    world.repo.commit("Governance change", files)
    world.ingest()


def _revise(world, n: int) -> None:
    with SpecSource(world.path) as source:
        revise(world.session, source, world.users["ada"], n, [ChangeInput("change", "tone", TONE + "\nMore.\n")])


CHANGES: dict[str, Callable] = {
    "a review": lambda w, tone, privacy: reviews.approve(w.session, w.users["grace"], privacy),
    "a request for changes": lambda w, tone, privacy: reviews.request_changes(w.session, w.users["boss"], tone, "no"),
    "a revision": lambda w, tone, privacy: _revise(w, tone),
    "an ownership move": lambda w, tone, privacy: _commit(w, {"OWNERS.toml": OWNERS.replace(
        '"respect_privacy" = ["grace@example.org"]', '"respect_privacy" = ["barbara@example.org"]')}),
    "an owner assignment": lambda w, tone, privacy: assign(w.session, w.users["boss"], "tone", "alan@example.org",
                                                           "style"),
    "a policy change": lambda w, tone, privacy: _commit(w, {"policy.toml": POLICY.replace(
        "[defaults]\nmin_approvals = 1", "[defaults]\nmin_approvals = 2")}),
    "an admin disabled": lambda w, tone, privacy: disable_user(w.session, w.users["boss"], "root@example.org"),
    "a password an admin set": lambda w, tone, privacy: set_password(w.session, w.users["boss"],
                                                                     "root@example.org", "a new long passphrase"),
}


@pytest.mark.parametrize("change", list(CHANGES))
def test_the_kept_verdict_equals_the_fresh_one_after(world, change):
    tone, privacy = proposals(world)
    before = kept(world)
    assert before == fresh(world) and kept(world)[tone] is before[tone]  # kept while nothing changed
    CHANGES[change](world, tone, privacy)
    world.session.commit()
    after = kept(world)
    assert after == fresh(world)
    if change != "a policy change":  # policy is read at each revision's base: a later policy.toml leaves it
        assert after != before


def test_a_policy_change_counts_from_the_next_revision_and_the_kept_verdict_follows(world):
    tone, _privacy = proposals(world)
    kept(world)
    CHANGES["a policy change"](world, tone, _privacy)
    world.session.commit()
    _revise(world, tone)
    world.session.commit()
    assert kept(world) == fresh(world) and kept(world)[tone].evaluation.tally[1] == 2


def test_the_lists_and_the_header_count_follow_a_review_at_once(world):
    tone, privacy = proposals(world)
    assert [p.id for p in waiting_for(world.session, world.users["grace"])] == [privacy]
    assert waiting_count(world.session, world.users["grace"]) == 1
    assert {p.id: p.approvals.have for p in list_proposals(world.session)} == {tone: 1, privacy: 0}
    reviews.approve(world.session, world.users["grace"], privacy)
    world.session.commit()
    assert waiting_for(world.session, world.users["grace"]) == []
    assert waiting_count(world.session, world.users["grace"]) == 0
    assert {p.id: p.approvals.have for p in list_proposals(world.session)} == {tone: 1, privacy: 1}


def test_a_session_that_wrote_gets_fresh_verdicts_and_what_it_rolls_back_is_never_kept(world):
    tone, _privacy = proposals(world)
    assert kept(world)[tone].evaluation.satisfied
    root = world.session.get_one(Account, world.users["root"].person_id)
    with world.session.begin_nested():
        # A change read before the event that records it is written (or without one): the key has not moved.
        root.disabled_at = utcnow()
        world.session.flush()
        assert not kept(world)[tone].evaluation.satisfied  # the uncommitted change, read fresh
        world.session.rollback()
    world.session.commit()
    assert kept(world)[tone].evaluation.satisfied
    assert kept(world) == fresh(world)

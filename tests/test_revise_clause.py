"""revise_clause: the one use case behind the revise page and `specreg revise` (new text for one clause, drops)."""
from __future__ import annotations

import pytest

from proposal_helpers import HEADINGS, build_world
from registry.errors import BadRequest
from registry.gitsource import SpecSource
from registry.proposal_views import proposal_detail
from registry.proposals import ChangeInput, revise_clause

NEW_KIND = "## Be kind {#be_kind}\n\nBe kind.\n"


@pytest.fixture
def world(repo, session):
    return build_world(repo, session)


def text(key: str, body: str) -> str:
    return f"{HEADINGS[key]}\n\n{body}\n"


def revise(world, n, key, new_text, drop=(), who="ada"):
    with SpecSource(world.path) as source:
        return revise_clause(world.session, source, world.users[who], n, key, new_text, drop, note="v2")


def changes(world, n):
    revision = proposal_detail(world.session, n)["revisions"][-1]
    return [(c["kind"], c["id"], c["text"]) for c in revision["changes"]]


def three_clauses(world) -> int:
    return world.propose("ada", [ChangeInput("change", "respect_privacy", text("respect_privacy", "First.")),
                                 ChangeInput("add", "be_kind", NEW_KIND, after="respect_privacy"),
                                 ChangeInput("remove", "lists")])


def test_new_text_for_one_clause_keeps_the_others_and_their_place(world):
    n = three_clauses(world)
    revise(world, n, "be_kind", "## Be kind {#be_kind}\n\nBe very kind.\n")
    assert changes(world, n) == [("change", "respect_privacy", text("respect_privacy", "First.")),
                                 ("add", "be_kind", "## Be kind {#be_kind}\n\nBe very kind.\n"),
                                 ("remove", "lists", None)]
    added = proposal_detail(world.session, n)["revisions"][-1]["changes"][1]
    assert added["document"] == "spec/rules.md"


def test_the_only_clause_needs_no_id_and_the_revision_is_noted(world):
    n = world.change("ada", "respect_privacy", "First.")
    p = revise(world, n, None, text("respect_privacy", "Second."))
    assert (p.revision, changes(world, n)) == (2, [("change", "respect_privacy", text("respect_privacy", "Second."))])
    assert proposal_detail(world.session, n)["revisions"][-1]["note"] == "v2"


def test_text_for_a_removed_clause_turns_the_removal_into_a_change(world):
    n = world.propose("ada", [ChangeInput("remove", "tone")])
    revise(world, n, "tone", text("tone", "Warm."))
    assert changes(world, n) == [("change", "tone", text("tone", "Warm."))]


def test_text_for_a_clause_the_proposal_did_not_touch_adds_a_change_to_it(world):
    n = world.change("ada", "respect_privacy", "First.")
    revise(world, n, "tone", text("tone", "Warm."))
    assert [c[:2] for c in changes(world, n)] == [("change", "respect_privacy"), ("change", "tone")]


def test_dropping_clauses_takes_them_out_of_the_proposal(world):
    n = three_clauses(world)
    revise(world, n, None, None, drop=["lists", "be_kind"])
    assert [c[:2] for c in changes(world, n)] == [("change", "respect_privacy")]


@pytest.mark.parametrize(("key", "new_text", "drop", "message"), [
    (None, "## X {#x}\n\nx\n", (), "touches several clauses \\(respect_privacy, be_kind, lists\\); say which"),
    ("", "## X {#x}\n\nx\n", (), "touches several clauses"),
    (None, None, ("tone",), "does not touch tone; it touches respect_privacy, be_kind, lists"),
])
def test_revising_without_saying_which_clause_or_dropping_one_it_lacks_is_refused(world, key, new_text, drop,
                                                                                   message):
    n = three_clauses(world)
    with pytest.raises(BadRequest, match=message):
        revise(world, n, key, new_text, drop)
    assert proposal_detail(world.session, n)["revision"] == 1

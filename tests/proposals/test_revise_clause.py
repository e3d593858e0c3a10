"""revise_clause: the one use case behind the revise page and `specreg revise` (new text for one clause, drops)."""
from __future__ import annotations

import pytest
from proposal_helpers import HEADINGS, build_world
from sqlalchemy import func, select

from registry.errors import BadRequest, StaleRevision
from registry.gitsource import SpecSource
from registry.models import AuditEvent
from registry.proposals.authoring import ChangeInput, revise, revise_clause
from registry.proposals.reads import proposal_detail

NEW_KIND = "## Be kind {#be_kind}\n\nBe kind.\n"


@pytest.fixture
def world(repo, session):
    return build_world(repo, session)


def text(key: str, body: str) -> str:
    return f"{HEADINGS[key]}\n\n{body}\n"


def do_revise(world, n, key, new_text, drop=(), who="ada"):
    with SpecSource(world.path) as source:
        return revise_clause(world.session, source, world.users[who], n, key, new_text, drop, note="v2")


def changes(world, n):
    revision = proposal_detail(world.session, n).as_dict()["revisions"][-1]
    return [(c["kind"], c["id"], c["text"]) for c in revision["changes"]]


def three_clauses(world) -> int:
    return world.propose("ada", [ChangeInput("change", "respect_privacy", text("respect_privacy", "First.")),
                                 ChangeInput("add", "be_kind", NEW_KIND, after="respect_privacy"),
                                 ChangeInput("remove", "lists")])


def test_new_text_for_one_clause_keeps_the_others_and_their_place(world):
    n = three_clauses(world)
    do_revise(world, n, "be_kind", "## Be kind {#be_kind}\n\nBe very kind.\n")
    assert changes(world, n) == [("change", "respect_privacy", text("respect_privacy", "First.")),
                                 ("add", "be_kind", "## Be kind {#be_kind}\n\nBe very kind.\n"),
                                 ("remove", "lists", None)]
    added = proposal_detail(world.session, n).as_dict()["revisions"][-1]["changes"][1]
    assert added["document"] == "spec/rules.md"


def test_the_only_clause_needs_no_id_and_the_revision_is_noted(world):
    n = world.change("ada", "respect_privacy", "First.")
    p = do_revise(world, n, None, text("respect_privacy", "Second."))
    assert (p.revision, changes(world, n)) == (2, [("change", "respect_privacy", text("respect_privacy", "Second."))])
    assert proposal_detail(world.session, n).as_dict()["revisions"][-1]["note"] == "v2"


def test_text_for_a_removed_clause_turns_the_removal_into_a_change(world):
    n = world.propose("ada", [ChangeInput("remove", "tone")])
    do_revise(world, n, "tone", text("tone", "Warm."))
    assert changes(world, n) == [("change", "tone", text("tone", "Warm."))]


def test_text_for_a_clause_the_proposal_did_not_touch_adds_a_change_to_it(world):
    n = world.change("ada", "respect_privacy", "First.")
    do_revise(world, n, "tone", text("tone", "Warm."))
    assert [c[:2] for c in changes(world, n)] == [("change", "respect_privacy"), ("change", "tone")]


def test_dropping_clauses_takes_them_out_of_the_proposal(world):
    n = three_clauses(world)
    do_revise(world, n, None, None, drop=["lists", "be_kind"])
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
        do_revise(world, n, key, new_text, drop)
    assert proposal_detail(world.session, n).as_dict()["revision"] == 1


def by_clause(world, n, seen, who="root"):
    with SpecSource(world.path) as source:
        return revise_clause(world.session, source, world.users[who], n, "respect_privacy",
                             text("respect_privacy", "Mine."), seen=seen)


def by_changes(world, n, seen, who="root"):
    with SpecSource(world.path) as source:
        return revise(world.session, source, world.users[who], n,
                      [ChangeInput("change", "respect_privacy", text("respect_privacy", "Mine."))], seen=seen)


def audit_count(world) -> int:
    return world.session.scalar(select(func.count()).select_from(AuditEvent))


@pytest.mark.parametrize("revise_with", [by_clause, by_changes])
def test_a_revision_started_from_a_replaced_revision_is_refused_and_records_nothing(world, revise_with):
    n = world.change("ada", "respect_privacy", "First.")
    do_revise(world, n, "respect_privacy", text("respect_privacy", "Second, by Ada."))  # Ada saves first
    events = audit_count(world)
    with pytest.raises(StaleRevision, match=f"you started from revision 1, but proposal #{n} is now at revision 2"):
        revise_with(world, n, 1)  # the admin started from revision 1 and never saw Ada's text
    detail = proposal_detail(world.session, n).as_dict()
    assert (detail["revision"], len(detail["revisions"])) == (2, 2)
    assert detail["revisions"][-1]["changes"][0]["body"] == "Second, by Ada." and audit_count(world) == events
    assert revise_with(world, n, 2).revision == 3  # started from the current one: saved
    assert revise_with(world, n, None).revision == 4  # no revision given: no check, as before


@pytest.mark.parametrize("revise_with", [by_clause, by_changes])
@pytest.mark.parametrize("seen", [0, -1, "1", 1.5, True])
def test_a_started_from_revision_that_is_not_a_revision_number_is_a_bad_request(world, revise_with, seen):
    n = world.change("ada", "respect_privacy", "First.")
    with pytest.raises(BadRequest, match="the revision you started from must be a revision number"):
        revise_with(world, n, seen)

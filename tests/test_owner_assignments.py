"""Registry assignments: owners added in the registry on top of OWNERS.toml, with who and why."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import update

from ledger_helpers import run_ingest
from owners_helpers import OWNERS_V1, build, emails
from registry.assignments import assign, unassign
from registry.errors import BadRequest, Conflict, UnknownClause, UnknownOwner, UnknownVersion
from registry.models import OwnerAssignment, Person
from registry.owners import clause_ownership_history, owned_by, unowned, who_owns
from registry.refs import resolve


@pytest.fixture
def ledger(session, repo):
    build(repo)
    run_ingest(session, repo)
    return session


def test_an_assignment_adds_an_owner_with_registry_as_its_source(ledger):
    row = assign(ledger, "lex.truth", "grace@example.org", "privacy review of definitions", "ada@example.org")
    owners = who_owns(ledger, "lex.truth", resolve(ledger, None)).owners
    assert [(o.email, o.source) for o in owners] == [("alan@example.org", "pattern:lex.*"),
                                                     ("grace@example.org", "registry")]
    assert owners[1].since == row.created_at


def test_a_team_can_be_assigned_and_expands_to_its_members(ledger):
    assign(ledger, "lexicon", "team:safety", "safety reviews the lexicon", "ada@example.org")
    assert emails(ledger, "lexicon") == ["ada@example.org", "grace@example.org", "alan@example.org"]
    assert "lexicon" in [c.clause.id for c in owned_by(ledger, "team:safety", resolve(ledger, None)).clauses]


def test_an_assignment_is_not_in_force_at_a_ref_before_it_was_made(ledger):
    assign(ledger, "lex.truth", "grace@example.org", "review", "ada@example.org")
    assert emails(ledger, "lex.truth", "v2") == ["alan@example.org"]
    assert emails(ledger, "lex.truth", datetime.now(timezone.utc).isoformat()) == [
        "alan@example.org", "grace@example.org"]


def test_unassign_ends_the_assignment_and_both_stay_in_the_history(ledger):
    assign(ledger, "lexicon", "grace@example.org", "covering for Ada", "ada@example.org")
    unassign(ledger, "lexicon", "grace@example.org", "Ada is back", "alan@example.org")
    assert emails(ledger, "lexicon") == ["ada@example.org"]
    history = clause_ownership_history(ledger, "lexicon", resolve(ledger, None))
    assert [(c.kind, c.why, c.by, c.added, c.removed) for c in history[-2:]] == [
        ("assignment", "assigned grace@example.org: covering for Ada", "ada@example.org", ("grace@example.org",), ()),
        ("assignment", "unassigned grace@example.org: Ada is back", "alan@example.org", (), ("grace@example.org",)),
    ]


def test_an_assignment_makes_an_unowned_clause_owned(session, repo):
    build(repo)
    repo.commit("no default owner", {"OWNERS.toml": OWNERS_V1.replace('"*" = ["ada@example.org"]\n', "")})
    run_ingest(session, repo)
    assert "lexicon" in [v.id for v in unowned(session, resolve(session, None)).clauses]
    assign(session, "lexicon", "grace@example.org", "someone must own it", "ada@example.org")
    assert "lexicon" not in [v.id for v in unowned(session, resolve(session, None)).clauses]


def test_since_is_the_start_of_an_unbroken_run_of_ownership(ledger):
    old = assign(ledger, "lexicon", "grace@example.org", "a", "ada@example.org")
    ledger.execute(update(OwnerAssignment).where(OwnerAssignment.id == old.id)
                   .values(created_at=datetime.now(timezone.utc) - timedelta(days=3)))
    unassign(ledger, "lexicon", "grace@example.org", "b", "ada@example.org")
    again = assign(ledger, "lexicon", "grace@example.org", "c", "ada@example.org")
    owner = who_owns(ledger, "lexicon", resolve(ledger, None)).owners[-1]
    assert (owner.email, owner.since) == ("grace@example.org", again.created_at)


@pytest.mark.parametrize("key, owner, reason, actor, error", [
    ("nope", "grace@example.org", "r", "ada@example.org", UnknownClause),
    ("lexicon", "nobody@example.org", "r", "ada@example.org", UnknownOwner),
    ("lexicon", "team:nobody", "r", "ada@example.org", UnknownOwner),
    ("lexicon", "grace@example.org", "r", "nobody@example.org", UnknownOwner),
    ("lexicon", "grace@example.org", "  ", "ada@example.org", BadRequest),
])
def test_assignment_input_is_checked(ledger, key, owner, reason, actor, error):
    with pytest.raises(error):
        assign(ledger, key, owner, reason, actor)


def test_assigning_twice_or_unassigning_a_file_owner_is_a_conflict(ledger):
    assign(ledger, "lexicon", "grace@example.org", "r", "ada@example.org")
    with pytest.raises(Conflict):
        assign(ledger, "lexicon", "grace@example.org", "again", "ada@example.org")
    with pytest.raises(Conflict, match="editing the file"):
        unassign(ledger, "lexicon", "ada@example.org", "r", "ada@example.org")


def test_deactivated_people_can_neither_act_nor_be_assigned(ledger):
    ledger.execute(update(Person).where(Person.email == "alan@example.org").values(active=False))
    with pytest.raises(BadRequest, match="deactivated"):
        assign(ledger, "lexicon", "alan@example.org", "r", "ada@example.org")
    with pytest.raises(BadRequest, match="deactivated"):
        assign(ledger, "lexicon", "grace@example.org", "r", "alan@example.org")


def test_a_removed_clause_cannot_be_assigned(session, repo):
    build(repo)
    repo.commit("drop the lexicon", {"spec/lexicon.md": None, "OWNERS.toml": OWNERS_V1})
    run_ingest(session, repo)
    with pytest.raises(UnknownVersion):
        assign(session, "lexicon", "grace@example.org", "r", "ada@example.org")

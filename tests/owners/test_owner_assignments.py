"""Registry assignments: owners added in the registry on top of OWNERS.toml, with who and why."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from ledger_helpers import run_ingest
from owners_helpers import OWNERS_V1, build, emails
from sqlalchemy import func, select, update

from registry.accounts.actors import Actor
from registry.accounts.users import add_user, disable_user
from registry.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    Unauthorized,
    UnknownClause,
    UnknownOwner,
    UnknownVersion,
)
from registry.ledger.refs import resolve
from registry.models import OwnerAssignment, Person
from registry.owners.assignments import assign, assigned_owners, assignment_dict, unassign
from registry.owners.queries import clause_ownership_history, owned_by, unowned, who_owns


@pytest.fixture
def ledger(session, repo):
    build(repo)
    run_ingest(session, repo)
    return session


def accounts(session) -> dict[str, Actor]:
    """Ada and Alan are admins, Grace an editor (all three are people of OWNERS.toml)."""
    ada = add_user(session, None, "ada@example.org", "Ada Byron", "admin", bootstrap=True)
    return {"ada": ada, "alan": add_user(session, ada, "alan@example.org", "Alan Turing", "admin"),
            "grace": add_user(session, ada, "grace@example.org", "Grace Hopper", "editor")}


@pytest.fixture
def who(ledger) -> dict[str, Actor]:
    """The accounts, on the ledger."""
    return accounts(ledger)


def test_an_assignment_adds_an_owner_with_registry_as_its_source(ledger, who):
    row = assign(ledger, who["ada"], "lex.truth", "grace@example.org", "privacy review of definitions")
    owners = who_owns(ledger, "lex.truth", resolve(ledger, None)).owners
    assert [(o.email, o.source) for o in owners] == [("alan@example.org", "pattern:lex.*"),
                                                     ("grace@example.org", "registry")]
    assert owners[1].since == row.created_at


def test_a_team_can_be_assigned_and_expands_to_its_members(ledger, who):
    assign(ledger, who["ada"], "lexicon", "team:safety", "safety reviews the lexicon")
    assert emails(ledger, "lexicon") == ["ada@example.org", "grace@example.org", "alan@example.org"]
    assert "lexicon" in [c.clause.id for c in owned_by(ledger, "team:safety", resolve(ledger, None)).clauses]


def test_an_assignment_is_not_in_force_at_a_ref_before_it_was_made(ledger, who):
    assign(ledger, who["ada"], "lex.truth", "grace@example.org", "review")
    assert emails(ledger, "lex.truth", "v2") == ["alan@example.org"]
    assert emails(ledger, "lex.truth", datetime.now(UTC).isoformat()) == [
        "alan@example.org", "grace@example.org"]


def test_unassign_ends_the_assignment_and_both_stay_in_the_history(ledger, who):
    assign(ledger, who["ada"], "lexicon", "grace@example.org", "covering for Ada")
    unassign(ledger, who["alan"], "lexicon", "grace@example.org", "Ada is back")
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
    assign(session, accounts(session)["ada"], "lexicon", "grace@example.org", "someone must own it")
    assert "lexicon" not in [v.id for v in unowned(session, resolve(session, None)).clauses]


def test_since_is_the_start_of_an_unbroken_run_of_ownership(ledger, who):
    old = assign(ledger, who["ada"], "lexicon", "grace@example.org", "a")
    ledger.execute(update(OwnerAssignment).where(OwnerAssignment.id == old.id)
                   .values(created_at=datetime.now(UTC) - timedelta(days=3)))
    unassign(ledger, who["ada"], "lexicon", "grace@example.org", "b")
    again = assign(ledger, who["ada"], "lexicon", "grace@example.org", "c")
    owner = who_owns(ledger, "lexicon", resolve(ledger, None)).owners[-1]
    assert (owner.email, owner.since) == ("grace@example.org", again.created_at)


@pytest.mark.parametrize("key, owner, reason, error", [
    ("nope", "grace@example.org", "r", UnknownClause),
    ("lexicon", "nobody@example.org", "r", UnknownOwner),
    ("lexicon", "team:nobody", "r", UnknownOwner),
    ("lexicon", " ", "r", BadRequest),
    ("lexicon", "grace@example.org", "  ", BadRequest),
])
def test_assignment_input_is_checked(ledger, who, key, owner, reason, error):
    with pytest.raises(error):
        assign(ledger, who["ada"], key, owner, reason)


@pytest.mark.parametrize("action", [assign, unassign], ids=["assign", "unassign"])
def test_only_an_admin_assigns_or_unassigns_and_the_role_is_checked_before_the_input(ledger, who, action):
    with pytest.raises(Forbidden, match="assign owners needs the admin role; grace@example.org is an editor"):
        action(ledger, who["grace"], "lexicon", "alan@example.org", "r")
    with pytest.raises(Forbidden):
        action(ledger, who["grace"], "nope", "nobody@example.org", "")
    with pytest.raises(Unauthorized, match="log in"):
        action(ledger, None, "lexicon", "alan@example.org", "r")
    assert ledger.scalar(select(func.count()).select_from(OwnerAssignment)) == 0


def test_the_assignment_records_the_admin_who_made_it(ledger, who):
    row = assign(ledger, who["alan"], "lexicon", "team:safety", " review ")
    assert assignment_dict(ledger, row) | {"at": None} == {
        "id": "lexicon", "owner": "team:safety", "action": "assign", "reason": "review", "by": "alan@example.org",
        "at": None, "assignment": row.id}
    assert assigned_owners(ledger, "lexicon") == ["team:safety"]


def test_assigning_twice_or_unassigning_a_file_owner_is_a_conflict(ledger, who):
    assign(ledger, who["ada"], "lexicon", "grace@example.org", "r")
    with pytest.raises(Conflict):
        assign(ledger, who["ada"], "lexicon", "grace@example.org", "again")
    with pytest.raises(Conflict, match="editing the file"):
        unassign(ledger, who["ada"], "lexicon", "ada@example.org", "r")


def test_deactivated_people_cannot_be_assigned(ledger, who):
    ledger.execute(update(Person).where(Person.email == "grace@example.org").values(active=False))
    with pytest.raises(BadRequest, match="deactivated"):
        assign(ledger, who["ada"], "lexicon", "grace@example.org", "r")


def test_a_disabled_account_can_no_longer_be_assigned(ledger, who):
    disable_user(ledger, who["ada"], "alan@example.org")
    with pytest.raises(BadRequest, match="alan@example.org is deactivated"):
        assign(ledger, who["ada"], "lexicon", "alan@example.org", "r")


def test_a_removed_clause_cannot_be_assigned(session, repo):
    build(repo)
    repo.commit("drop the lexicon", {"spec/lexicon.md": None, "OWNERS.toml": OWNERS_V1})
    run_ingest(session, repo)
    with pytest.raises(UnknownVersion):
        assign(session, accounts(session)["ada"], "lexicon", "grace@example.org", "r")

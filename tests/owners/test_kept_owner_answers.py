"""The owner pages' kept answers (every clause resolved at a point, the policy check, the owners index, one clause's
owners) equal fresh ones after every kind of change to ownership, and are reused while nothing changed."""
from __future__ import annotations

from collections.abc import Callable

import pytest
from proposal_helpers import OWNERS, POLICY, RULES, build_world

from registry.accounts.users import add_user, disable_user
from registry.history import carried
from registry.history import queries as history
from registry.ledger.refs import resolve
from registry.owners import queries, store
from registry.owners.assignments import assign, unassign
from registry.proposals import feasibility


@pytest.fixture
def world(repo, session):
    w = build_world(repo, session)
    w.users["boss"] = add_user(session, w.users["root"], "boss@example.org", "Big Boss", "admin")
    session.commit()  # a session that has written gets fresh answers only: start from a clean one
    return w


def answers(world) -> tuple:
    point = resolve(world.session, None)
    return (queries.snapshot(world.session, point), feasibility.policy_check(world.session, point),
            queries.owner_index(world.session, point))


def fresh(world) -> tuple:
    queries._snapshots.clear()
    queries._resolutions.clear()
    queries._counts.clear()
    history._summaries.clear()
    history._last_built[0] = {}
    carried.forget()
    feasibility._checks.clear()
    feasibility._shortfalls.clear()
    return answers(world)


def _owners_commit(world, text: str) -> None:
    world.repo.commit("Owners change", {"OWNERS.toml": text})
    world.ingest()


def _spec_commit(world, text: str) -> None:
    world.repo.commit("Spec change", {"spec/rules.md": text})
    world.ingest()


CHANGES: dict[str, Callable] = {
    "an OWNERS.toml commit": lambda w: _owners_commit(w, OWNERS.replace('"be_brief" = ["alan@example.org"]',
                                                                        '"be_brief" = ["barbara@example.org"]')),
    "a clause moved": lambda w: _owners_commit(w, OWNERS + '"tone" = ["grace@example.org"]\n'),
    "an assignment": lambda w: assign(w.session, w.users["boss"], "tone", "alan@example.org", "style"),
    "an unassignment": lambda w: unassign(w.session, w.users["boss"], "be_honest", "barbara@example.org", "y"),
    "an admin disabled": lambda w: disable_user(w.session, w.users["boss"], "root@example.org"),
    "a clause placed under another parent": lambda w: _spec_commit(w, RULES.replace("### Lists", "## Lists")),
    "a clause renamed": lambda w: _spec_commit(w, RULES.replace("{#be_brief}", "{#brevity}")),
}


@pytest.mark.parametrize("change", list(CHANGES))
def test_the_kept_owner_answers_equal_fresh_ones_after(world, change):
    if change == "an unassignment":
        assign(world.session, world.users["boss"], "be_honest", "barbara@example.org", "x")
        world.session.commit()
    before = answers(world)
    again = answers(world)
    assert again[0] is before[0] and again[1] is before[1]  # kept while nothing changed
    CHANGES[change](world)
    world.session.commit()
    after = answers(world)
    assert after == fresh(world)
    if change != "an admin disabled":  # admins approve only unowned clauses, which a snapshot does not name
        assert after[0] != before[0]
        assert after[0].owners is not before[0].owners  # resolved again: its inputs changed


def test_a_new_head_whose_owners_inputs_did_not_change_reuses_the_resolution(world):
    before = answers(world)
    _spec_commit(world, RULES.replace("Prefer short answers.", "Prefer shorter answers."))
    world.session.commit()
    after = answers(world)
    assert after[0] is not before[0] and after[0].views != before[0].views  # a new snapshot of the new head
    assert after[0].owners is before[0].owners and after[0].grants is before[0].grants  # the same resolution
    assert after == fresh(world)


# be_brief (Alan alone owns it) can never get two approvals; tone (nobody owns it) gets them from the two admins
STRICT = POLICY + '\n[clause."be_brief"]\nmin_approvals = 2\n\n[clause."tone"]\nmin_approvals = 2\n'


@pytest.fixture
def strict(world):
    world.repo.commit("Stricter policy", {"policy.toml": STRICT})
    world.ingest()
    world.session.commit()
    return world


def _policy_commit(world, text: str) -> None:
    world.repo.commit("Policy change", {"policy.toml": text})
    world.ingest()


CHECK_CHANGES: dict[str, Callable] = {  # each changes what the policy check says
    "an assignment": lambda w: assign(w.session, w.users["boss"], "be_brief", "barbara@example.org", "a second owner"),
    "an OWNERS.toml commit": lambda w: _owners_commit(w, OWNERS.replace(
        '"be_brief" = ["alan@example.org"]', '"be_brief" = ["alan@example.org", "barbara@example.org"]')),
    "a policy.toml commit": lambda w: _policy_commit(w, POLICY),
    "a clause's authority raised by a spec commit": lambda w: _spec_commit(w, RULES.replace(
        "{#respect_privacy authority=system}", "{#respect_privacy authority=root}")),
    "an admin disabled": CHANGES["an admin disabled"],
}


@pytest.mark.parametrize("change", list(CHECK_CHANGES))
def test_the_kept_policy_check_and_owners_index_equal_fresh_ones_after(strict, change):
    before = answers(strict)
    assert [s.key for s in before[1].infeasible] == ["be_brief"]
    CHECK_CHANGES[change](strict)
    strict.session.commit()
    after = answers(strict)
    assert after == fresh(strict)
    assert after[1].infeasible != before[1].infeasible


def test_a_new_head_that_changes_no_input_of_the_check_reuses_its_shortfalls_and_owner_counts(strict, monkeypatch):
    before = answers(strict)
    counted = []
    real = queries._count
    monkeypatch.setattr(queries, "_count", lambda snap: counted.append(snap) or real(snap))
    _spec_commit(strict, RULES.replace("Prefer short answers.", "Prefer shorter answers."))
    strict.session.commit()
    after = answers(strict)
    assert after[1] is not before[1] and after[1].at != before[1].at  # the check of the new head
    assert after[1].infeasible is before[1].infeasible  # its shortfalls kept by their inputs
    assert counted == []  # the owners index counted nothing again
    assert after == fresh(strict) and counted


def test_a_session_that_wrote_resolves_afresh_and_keeps_nothing(world):
    before = answers(world)
    assign(world.session, world.users["boss"], "tone", "alan@example.org", "style")
    during = answers(world)
    assert during[0] != before[0]
    world.session.rollback()
    assert answers(world)[0] is before[0]


def owners_of(world, ref=None) -> queries.ClauseOwners:
    return queries.who_owns(world.session, "be_brief", resolve(world.session, ref))


def fresh_owners(world, ref=None) -> queries.ClauseOwners:
    queries._owners.clear()
    store._rules.clear()
    return owners_of(world, ref)


CLAUSE_CHANGES: dict[str, Callable] = {
    "an OWNERS.toml commit": CHANGES["an OWNERS.toml commit"],  # be_brief's owner is now barbara
    "an assignment": lambda w: assign(w.session, w.users["boss"], "be_brief", "ada@example.org", "style"),
    "an admin disabled": CHANGES["an admin disabled"],
}


@pytest.mark.parametrize("change", list(CLAUSE_CHANGES))
def test_the_kept_owners_of_one_clause_equal_fresh_ones_after(world, change):
    """The clause page's owners section and its ownership history (`who_owns`)."""
    first = world.repo.head()
    before = owners_of(world)
    assert owners_of(world) is before  # kept while nothing changed
    CLAUSE_CHANGES[change](world)
    world.session.commit()
    after = owners_of(world)
    assert after == fresh_owners(world)
    if change != "an admin disabled":  # an admin owns nothing OWNERS.toml or an assignment does not give
        assert [o.email for o in after.owners] != [o.email for o in before.owners]
    assert owners_of(world, first).owners == before.owners  # the earlier point still answers as it did


def test_a_session_that_wrote_resolves_owners_afresh_and_keeps_nothing(world):
    before = owners_of(world)
    assign(world.session, world.users["boss"], "be_brief", "ada@example.org", "style")
    during = owners_of(world)
    assert "ada@example.org" in [o.email for o in during.owners]
    world.session.rollback()
    assert owners_of(world) is before

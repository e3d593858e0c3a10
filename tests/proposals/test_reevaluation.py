"""A proposal's open/approved state follows the policy when ownership changes under it."""
from __future__ import annotations

import pytest
from proposal_helpers import OWNERS, RULES, STYLE, build_world
from sqlalchemy import select
from sqlalchemy.pool import NullPool

from registry.accounts.users import add_user, disable_user, enable_user, set_role
from registry.db import make_engine, session_scope
from registry.gitsource import SpecSource
from registry.ledger.ingest import ingest
from registry.models import AuditEvent, Proposal
from registry.owners.assignments import assign, unassign
from registry.proposals import reevaluation, reviews
from registry.proposals.authoring import ChangeInput
from registry.proposals.reads import list_proposals, proposal_detail, review_queue

TONE = "## Tone {#tone}\n\nBe kind.\n"


@pytest.fixture
def world(repo, session):
    return build_world(repo, session)


def state(world, n: int) -> str:
    return proposal_detail(world.session, n).as_dict()["state"]


def state_events(world, n: int) -> list[tuple[str, dict, dict]]:
    rows = world.session.execute(select(AuditEvent.actor, AuditEvent.old, AuditEvent.new).where(
        AuditEvent.subject == f"proposal:{n}", AuditEvent.action == "proposal.state").order_by(AuditEvent.seq))
    return [tuple(r) for r in rows]


def commit_owners(world, text: str) -> None:
    world.repo.commit("Owners change", {"OWNERS.toml": text})
    world.ingest()


def privacy_and_tone(world) -> int:
    """Open: Grace approved respect_privacy (hers); tone is unowned, so it still needs an admin."""
    n = world.propose("ada", [ChangeInput("change", "respect_privacy",
                                          "## Respect privacy {#respect_privacy authority=system}\n\nNever.\n"),
                              ChangeInput("change", "tone", TONE)])
    reviews.approve(world.session, world.users["grace"], n)
    assert state(world, n) == "open"
    return n


def test_an_owners_commit_that_hands_the_clause_to_someone_else_reopens_an_approved_proposal(world):
    n = world.change("ada", "respect_privacy", "Never reveal personal data.")
    reviews.approve(world.session, world.users["grace"], n)
    assert state(world, n) == "approved"
    assert review_queue(world.session, world.users["barbara"]) == []
    commit_owners(world, OWNERS.replace('"respect_privacy" = ["grace@example.org"]',
                                        '"respect_privacy" = ["barbara@example.org"]'))
    d = proposal_detail(world.session, n).as_dict()
    assert d["state"] == "open" and not d["policy"]["satisfied"]
    assert d["policy"]["missing"][0].startswith("respect_privacy: needs 1 more approval from the owners of "
                                                "respect_privacy: Barbara Liskov")
    assert [p.id for p in list_proposals(world.session, "approved")] == []
    assert [p.id for p in review_queue(world.session, world.users["barbara"])] == [n]
    assert state_events(world, n)[-1] == ("registry:ingest", {"state": "approved"},
                                          {"state": "open", "why": "policy no longer satisfied",
                                           "reason": "ownership changed"})


def test_an_owners_commit_that_makes_an_earlier_approval_count_approves_an_open_proposal(world):
    n = privacy_and_tone(world)
    commit_owners(world, OWNERS + '"tone" = ["grace@example.org"]\n')
    assert state(world, n) == "approved"
    assert state_events(world, n)[-1] == ("registry:ingest", {"state": "open"},
                                          {"state": "approved", "why": "policy satisfied",
                                           "reason": "ownership changed"})


def test_an_assignment_of_someone_who_already_approved_approves_and_unassigning_reopens(world):
    n = privacy_and_tone(world)
    assign(world.session, world.users["root"], "tone", "grace@example.org", "she writes the style guide")
    assert state(world, n) == "approved"
    assert proposal_detail(world.session, n).as_dict()["policy"]["satisfied"]
    unassign(world.session, world.users["root"], "tone", "grace@example.org", "back to the admins")
    assert state(world, n) == "open"
    assert [(actor, old["state"], new["state"], new["reason"]) for actor, old, new in state_events(world, n)] == [
        ("root@example.org", "open", "approved", "ownership changed"),
        ("root@example.org", "approved", "open", "ownership changed")]


def test_an_assignment_re_checks_only_proposals_that_change_that_clause(world, monkeypatch):
    privacy = world.change("ada", "respect_privacy", "x")
    tone = world.propose("ada", [ChangeInput("change", "tone", TONE)])
    checked = []
    real = reevaluation.follow_verdict
    monkeypatch.setattr(reevaluation, "follow_verdict",
                        lambda s, p, *a, **k: checked.append(p.id) or real(s, p, *a, **k))
    assign(world.session, world.users["root"], "tone", "grace@example.org", "style")
    assert checked == [tone] and privacy != tone


def test_a_moved_clause_takes_the_owners_of_its_new_place(world):
    n = world.change("ada", "lists", "Use lists rarely.", "### Lists {#lists}")
    reviews.approve(world.session, world.users["alan"], n)  # lists sits under be_brief, Alan's
    assert state(world, n) == "approved"
    lists = "### Lists {#lists}\n\nUse lists sparingly.\n"
    moved = RULES.replace(lists, "").replace("Do not reveal personal data.\n",
                                             "Do not reveal personal data.\n\n" + lists)
    world.repo.commit("Lists belong under privacy", {"spec/rules.md": moved})
    world.ingest()
    d = proposal_detail(world.session, n).as_dict()
    assert d["state"] == "open" and "from the owners of lists: Grace Hopper" in d["policy"]["missing"][0]


def test_an_ingest_that_changes_no_ownership_re_checks_nothing(world, monkeypatch):
    n = world.change("ada", "respect_privacy", "x")
    calls = []
    monkeypatch.setattr(reevaluation, "reevaluate", lambda *a, **k: calls.append(k["reason"]) or [])
    world.repo.commit("Reword tone", {"spec/style.md": STYLE.replace("Be warm.", "Be kind.")})
    world.ingest()
    assert calls == []
    world.repo.commit("Stricter policy", {"policy.toml": "[defaults]\nmin_approvals = 2\n"})
    world.ingest()
    assert calls == ["policy changed"] and state(world, n) == "open"


def test_a_rewrite_that_sets_aside_an_owners_change_restores_the_approval(world):
    n = world.change("ada", "respect_privacy", "x")
    reviews.approve(world.session, world.users["grace"], n)
    before = world.repo.head()
    commit_owners(world, OWNERS.replace('"respect_privacy" = ["grace@example.org"]', '"respect_privacy" = []'))
    assert state(world, n) == "open"
    world.repo.reset(before)  # a force-push that drops the owners change, with nothing after it
    world.ingest()
    assert state(world, n) == "approved"
    assert state_events(world, n)[-1][2]["reason"] == "history rewritten"


@pytest.mark.parametrize("demote", [
    lambda w: disable_user(w.session, w.users["boss"], "root@example.org"),
    lambda w: set_role(w.session, w.users["boss"], "root@example.org", "editor"),
], ids=["disabled", "no longer admin"])
def test_an_admin_who_loses_the_role_no_longer_approves_unowned_clauses(world, demote):
    world.users["boss"] = add_user(world.session, world.users["root"], "boss@example.org", "Big Boss", "admin")
    n = world.propose("ada", [ChangeInput("change", "tone", TONE)])
    reviews.approve(world.session, world.users["root"], n)
    assert state(world, n) == "approved"
    demote(world)
    d = proposal_detail(world.session, n).as_dict()
    assert d["state"] == "open" and "from an admin (tone has no owner): Big Boss" in d["policy"]["missing"][0]
    assert state_events(world, n)[-1][0] == "boss@example.org"


def test_enabling_a_disabled_admin_again_makes_their_approval_count_again(world):
    world.users["boss"] = add_user(world.session, world.users["root"], "boss@example.org", "Big Boss", "admin")
    n = world.propose("ada", [ChangeInput("change", "tone", TONE)])
    reviews.approve(world.session, world.users["root"], n)
    disable_user(world.session, world.users["boss"], "root@example.org")
    assert state(world, n) == "open"
    enable_user(world.session, world.users["boss"], "root@example.org")
    assert state(world, n) == "approved"


def test_a_disabled_owner_still_owns_the_clause_so_their_approval_keeps_counting(world):
    # Ownership comes from OWNERS.toml and assignments, not accounts: verdict counts the approval,
    # so the state says approved too (OWNERS.toml is where an owner is taken off).
    n = world.change("ada", "respect_privacy", "x")
    reviews.approve(world.session, world.users["grace"], n)
    disable_user(world.session, world.users["root"], "grace@example.org")
    d = proposal_detail(world.session, n).as_dict()
    assert d["state"] == "approved" and d["policy"]["satisfied"]



def test_ingest_records_a_crashed_merge_before_re_checking_for_an_owners_change_after_it(database_url, repo):
    from test_merge_crash_and_races import crashed_merge

    engine = make_engine(database_url, poolclass=NullPool)
    try:
        _world, n = crashed_merge(engine, database_url, repo, "respect_privacy", "grace")
        repo.commit("Owners change", {"OWNERS.toml": OWNERS.replace('"respect_privacy" = ["grace@example.org"]',
                                                                    '"respect_privacy" = ["barbara@example.org"]')})
        with session_scope(engine, write=True) as s, SpecSource(repo.path) as source:
            ingest(s, source)  # one batch: the merge commit, then the owners change
        with session_scope(engine) as s:
            assert s.get(Proposal, n).state == "merged"
    finally:
        engine.dispose()

"""Rules that can never be met: the policy check, the warning when proposing, and the audited fallback."""
from __future__ import annotations

import git
import pytest
from proposal_helpers import POLICY, build_world
from sqlalchemy import select

from registry.errors import Forbidden
from registry.ledger.refs import head_point, resolve
from registry.models import AuditEvent
from registry.proposals import reviews
from registry.proposals.approval_rules import eligible
from registry.proposals.counted import recorded
from registry.proposals.feasibility import policy_check, proposal_shortfalls
from registry.proposals.merge import merge
from registry.proposals.policy import shortfalls, with_fallback
from registry.proposals.policy_facts import Approver, ClauseFacts, Facts
from registry.proposals.policy_toml import Fallback, parse_policy
from registry.proposals.reads import proposal_detail
from registry.proposals.store import get_proposal

GRACE, ALAN, ROOT, ADA = (Approver(f"{n}@example.org", n.title()) for n in ("grace", "alan", "root", "ada"))
STRICT = POLICY + '\n[clause."be_brief"]\nmin_approvals = 2\n'  # be_brief has one owner, Alan
FALLBACK = STRICT + "\n[fallback]\nadmins_approve_when_short = true\n"


def pure(proposer: str, *clauses: ClauseFacts, admins=(ROOT,)) -> Facts:
    return Facts(proposer, frozenset({proposer}), 1, "d", clauses, (), admins=tuple(admins))


# --- the pure rule --------------------------------------------------------------------------


def test_a_rule_needing_two_approvals_of_a_clause_with_one_owner_can_never_be_met():
    policy = parse_policy('[clause."x"]\nmin_approvals = 2\n').policy
    assert policy is not None
    short = shortfalls(policy, pure("", ClauseFacts("x", (), (GRACE,))))
    assert [s.as_dict() for s in short] == [{"id": "x", "rule": "clause.x", "needed": 2, "eligible": ["grace@example.org"]}]
    assert short[0].message() == ("x can never be approved: rule clause.x needs 2 approvals, and only 1 person "
                                  "is eligible (grace@example.org)")


def test_checking_every_clause_judges_each_person_once_not_once_per_clause(monkeypatch):
    from registry.proposals import approval_rules as rules
    calls: list[str] = []
    real = rules.standing
    monkeypatch.setattr(rules, "standing", lambda facts, email: calls.append(email) or real(facts, email))
    policy = parse_policy('[clause."x1"]\nmin_approvals = 2\n').policy
    assert policy is not None
    clauses = [ClauseFacts(f"x{n}", (), (GRACE, ALAN)) for n in range(200)]
    short = shortfalls(policy, pure("", *clauses))
    assert [s.key for s in short] == [] and sorted(calls) == ["alan@example.org", "grace@example.org"]
    assert eligible(pure("", *clauses), clauses[0]) == (GRACE, ALAN)


def test_a_sole_owner_proposing_on_their_own_clause_leaves_nobody_eligible():
    policy = parse_policy("").policy
    assert policy is not None
    mine = ClauseFacts("x", (), (GRACE,))
    assert shortfalls(policy, pure("", mine)) == ()
    assert [s.eligible for s in shortfalls(policy, pure(GRACE.email, mine))] == [()]


def test_the_fallback_adds_the_admins_but_never_the_proposer_and_only_where_too_few_are_eligible():
    policy = parse_policy('[clause."x"]\nmin_approvals = 2\n[fallback]\nadmins_approve_when_short = true\n').policy
    assert policy is not None and policy.fallback == Fallback(True)
    short, fine = ClauseFacts("x", (), (GRACE,)), ClauseFacts("y", (), (ALAN,))
    facts = with_fallback(policy, pure(ROOT.email, short, fine, admins=(ROOT, ADA)))
    assert facts.clauses[0].fallback == ("root@example.org", "ada@example.org")
    assert [a.email for a in eligible(facts, facts.clauses[0])] == ["grace@example.org", "ada@example.org"]
    assert facts.clauses[1] == fine and shortfalls(policy, facts) == ()
    assert with_fallback(parse_policy('[clause."x"]\nmin_approvals = 2\n').policy, pure("", short)).clauses == (short,)


@pytest.mark.parametrize(("text", "problem"), [
    ("[fallback]\nadmins_approve_when_short = 'yes'\n", "admins_approve_when_short must be true or false"),
    ("fallback = true\n", "[fallback] must be a table"),
])
def test_an_impossible_fallback_makes_the_policy_unusable(text, problem):
    parsed = parse_policy(text)
    assert parsed.policy is None and problem in parsed.warnings[0]


def test_an_unknown_fallback_key_is_a_warning():
    parsed = parse_policy("[fallback]\nadmins_approve = true\n")
    assert parsed.policy is not None and not parsed.policy.fallback.admins_approve_when_short
    assert parsed.warnings == ("[fallback] has an unknown key 'admins_approve' (ignored); known: admins_approve_when_short",)


# --- the policy check -----------------------------------------------------------------------


@pytest.fixture
def world(repo, session):
    return build_world(repo, session)


def set_policy(world, text: str) -> str:
    sha = world.repo.commit("Policy", {"policy.toml": text})
    world.ingest()
    return sha


def test_the_policy_check_names_each_clause_too_few_people_may_approve_at_a_ref(world):
    before = world.repo.head()
    set_policy(world, STRICT)
    check = policy_check(world.session, head_point(world.session))
    assert check.as_dict() == {"ok": False, "infeasible": [
        {"id": "be_brief", "rule": "clause.be_brief", "needed": 2, "eligible": ["alan@example.org"]}]}
    assert policy_check(world.session, resolve(world.session, before)).as_dict() == {"ok": True, "infeasible": []}


def test_with_the_fallback_the_admins_make_a_short_clause_feasible(world):
    set_policy(world, FALLBACK)
    assert policy_check(world.session, head_point(world.session)).ok


def test_the_policy_check_command_prints_the_json_and_exits_1_when_a_clause_is_infeasible(repo, json_cli):
    first = repo.commit("Spec", {"spec/a.md": "# A {#a authority=root}\n\nOne.\n",
                                 "OWNERS.toml": '[owners]\n"*" = ["ada@example.org"]\n'})
    assert json_cli("ingest")[0] == 0
    assert json_cli("policy", "check") == (1, {"ok": False, "infeasible": [
        {"id": "a", "rule": "authority.root", "needed": 2, "eligible": ["ada@example.org"]}]})
    repo.commit("Two owners", {"OWNERS.toml": '[owners]\n"*" = ["ada@example.org", "bob@example.org"]\n'})
    json_cli("ingest")
    assert json_cli("policy", "check") == (0, {"ok": True, "infeasible": []})
    assert json_cli("policy", "check", "--at", first)[0] == 1


# --- proposing ------------------------------------------------------------------------------


def test_proposing_warns_when_the_proposal_can_never_merge(world):
    n = world.change("alan", "be_brief", "Prefer brief answers.")  # Alan is be_brief's only owner
    short = proposal_shortfalls(world.session, n)
    assert [s.as_dict() for s in short] == [{"id": "be_brief", "rule": "defaults", "needed": 1, "eligible": []}]
    assert proposal_detail(world.session, n).as_dict()["policy"]["infeasible"] == [s.as_dict() for s in short]
    assert proposal_shortfalls(world.session, world.change("ada", "be_brief", "Prefer brief answers.")) == ()


def test_an_admin_approval_under_the_fallback_counts_is_audited_and_named_in_the_merge(world):
    set_policy(world, FALLBACK)
    n = world.change("ada", "be_brief", "Prefer brief answers.")
    reviews.approve(world.session, world.users["alan"], n)
    box = proposal_detail(world.session, n).policy
    assert not box.satisfied and box.clauses[0].fallback and box.infeasible == ()
    review = reviews.approve(world.session, world.users["root"], n)
    assert review.meaning == ("approved as admin for be_brief under the policy's fallback (too few eligible owners)")
    event = world.session.scalars(select(AuditEvent).where(AuditEvent.action == "policy.fallback")).one()
    assert event.new == {"review": review.id, "fallback": "admins_approve_when_short",
                         "clauses": [{"id": "be_brief", "owners": ["alan@example.org"]}]}
    assert get_proposal(world.session, n).state == "approved"
    commit = merge(world.session, world.path, "main", world.users["ada"], n).commit
    with git.Repo(world.path) as r:
        message = str(r.commit(commit).message)
    assert "under the policy's fallback (too few eligible owners)" in message and "Root Admin" in message
    assert [a.meaning for a in recorded(world.session, get_proposal(world.session, n))][-1] == review.meaning


def test_without_the_fallback_an_admin_cannot_approve_an_owned_clause(world):
    set_policy(world, STRICT)
    n = world.change("ada", "be_brief", "Prefer brief answers.")
    with pytest.raises(Forbidden):
        reviews.approve(world.session, world.users["root"], n)
    assert [s.key for s in proposal_shortfalls(world.session, n)] == ["be_brief"]

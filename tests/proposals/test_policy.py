"""Policy: parsing policy.toml and every rule of evaluation, as tables."""
from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from registry.proposals.approval_rules import counted_approvals, standing
from registry.proposals.policy import evaluate
from registry.proposals.policy_facts import Approver, ClauseFacts, Facts, ReviewFacts
from registry.proposals.policy_toml import DEFAULT_POLICY, Governance, Policy, parse_policy

ADA, GRACE, ALAN, BARBARA, ROOT = (Approver(f"{n}@example.org", n.title()) for n in
                                   ("ada", "grace", "alan", "barbara", "root"))
WHEN = datetime(2025, 1, 2, 3, 4, tzinfo=UTC)


def clause(key="privacy", authorities=(), approvers=(GRACE, ALAN), unowned=False):
    return ClauseFacts(key, tuple(authorities), tuple(approvers), unowned)


def approval(who, revision=2, digest="d2"):
    return ReviewFacts(who, "approve", revision, digest, WHEN)


def veto(who):
    return ReviewFacts(who, "request_changes", 1, "d1", WHEN)


def facts(clauses, reviews, authors=("ada@example.org",)):
    return Facts("ada@example.org", frozenset(authors), 2, "d2", tuple(clauses), tuple(reviews))


# --- parsing -----------------------------------------------------------------------------------


def test_no_policy_file_means_one_owner_approval_and_two_for_root():
    assert DEFAULT_POLICY.required("x", ()) == (1, "defaults")
    assert DEFAULT_POLICY.required("x", ("root",)) == (2, "authority.root")


def test_the_demo_policy_parses_with_root_and_system_at_two():
    parsed = parse_policy("[defaults]\nmin_approvals = 1\n\n[authority.root]\nmin_approvals = 2\n\n"
                          "[authority.system]\nmin_approvals = 2\n")
    assert parsed.warnings == ()
    assert parsed.policy == Policy(1, {"root": 2, "system": 2}, {})


def test_a_clause_table_sets_one_clause():
    parsed = parse_policy('[clause."respect_privacy"]\nmin_approvals = 3\n')
    assert parsed.policy.required("respect_privacy", ()) == (3, "clause.respect_privacy")
    assert parsed.policy.required("other", ()) == (1, "defaults")


def test_a_file_keeps_the_built_in_root_rule_unless_it_sets_its_own():
    assert parse_policy("[defaults]\nmin_approvals = 1\n").policy.authority == {"root": 2}
    assert parse_policy("[authority.root]\nmin_approvals = 3\n").policy.authority == {"root": 3}


@pytest.mark.parametrize(("text", "message"), [
    ("not toml [", "not valid TOML"),
    ("[defaults]\nmin_approvals = 0\n", "at least 1"),
    ("[defaults]\nmin_approvals = 'two'\n", "whole number"),
    ("[defaults]\nmin_approvals = true\n", "whole number"),
    ("[authority]\nroot = 2\n", "must be a table"),
    ("authority = 3\n", "must hold tables"),
    ("governance = 'v1'\n", "[governance] must be a table"),
    ("[governance]\nstart = 5\n", "start must be a commit sha or a tag"),
    ("[governance]\nstart = ''\n", "start must be a commit sha or a tag"),
    ("[governance]\nstart = 'v1 and more'\n", "start must be a commit sha or a tag"),
])
def test_an_unusable_file_gives_no_policy_and_says_why(text, message):
    parsed = parse_policy(text)
    assert parsed.policy is None
    assert message in parsed.warnings[0] and "previous policy stays in force" in parsed.warnings[0]


@pytest.mark.parametrize(("text", "message"), [
    ("[extra]\nx = 1\n", "unknown table [extra]"),
    ("[defaults]\nmin_approvals = 1\nveto = false\n", "unknown key 'veto'"),
    ("[governance]\nstart = 'v1'\nbegin = 'v2'\n", "[governance] has an unknown key 'begin' (ignored); known: min_approvals, root_owners, start"),
])
def test_unknown_keys_are_warnings_and_the_rest_applies(text, message):
    parsed = parse_policy(text)
    assert parsed.policy is not None
    assert any(message in w for w in parsed.warnings)


def test_the_governance_table_says_where_governance_began():
    parsed = parse_policy('[defaults]\nmin_approvals = 1\n\n[governance]\nstart = "v1.0"\n')
    assert parsed.warnings == ()
    assert parsed.policy.governance == Governance(start="v1.0")
    assert parsed.policy.default == 1


def test_without_a_governance_table_governance_has_no_start():
    assert parse_policy("[defaults]\nmin_approvals = 1\n").policy.governance == Governance(start=None)
    assert parse_policy("[governance]\n").policy.governance == Governance(start=None)
    assert DEFAULT_POLICY.governance.start is None


# --- evaluation: one row per rule ---------------------------------------------------------------

CASES = {
    "no approval yet": ([clause()], [], False, ["privacy: needs 1 more approval from the owners of privacy"]),
    "an owner approves the current text": ([clause()], [approval(GRACE)], True, []),
    "the proposer's approval never counts": (
        [clause(approvers=(ADA, GRACE))], [approval(ADA)], False, ["needs 1 more"]),
    "a revision author's approval never counts": (
        [clause()], [approval(ALAN)], False, ["needs 1 more"]),
    "an approval of an older revision is stale": ([clause()], [approval(GRACE, revision=1)], False, ["needs 1"]),
    "an approval of other text (digest) is stale": ([clause()], [approval(GRACE, digest="d1")], False, ["needs 1"]),
    "a non-owner's approval does not count for the clause": ([clause()], [approval(BARBARA)], False, ["needs 1"]),
    "root needs two approvals": (
        [clause(authorities=("root",))], [approval(GRACE)], False, ["needs 1 more", "authority.root: 2"]),
    "root with two owners approving": (
        [clause(authorities=("root",), approvers=(GRACE, BARBARA))], [approval(GRACE), approval(BARBARA)], True, []),
    "the strictest authority before and after the change applies": (
        [clause(authorities=("guideline", "root"))], [approval(GRACE)], False, ["authority.root"]),
    "a pending veto blocks even with enough approvals": (
        [clause()], [approval(GRACE), veto(BARBARA)], False, ["veto: Barbara requested changes"]),
    "an unowned clause is approved by an admin": (
        [clause(approvers=(ROOT,), unowned=True)], [approval(ROOT)], True, []),
    "an unowned clause waits for an admin": (
        [clause(approvers=(ROOT,), unowned=True)], [], False, ["from an admin (privacy has no owner): Root"]),
    "each clause needs its own owners": (
        [clause("a", approvers=(GRACE,)), clause("b", approvers=(BARBARA,))], [approval(GRACE)], False,
        ["b: needs 1 more approval from the owners of b: Barbara"]),
    "one approval covers every clause the approver owns": (
        [clause("a", approvers=(GRACE,)), clause("b", approvers=(GRACE, BARBARA))], [approval(GRACE)], True, []),
}


@pytest.mark.parametrize(("clauses", "reviews", "satisfied", "messages"), CASES.values(), ids=CASES.keys())
def test_policy_rule(clauses, reviews, satisfied, messages):
    result = evaluate(Policy(1, {"root": 2}, {}), facts(clauses, reviews, ("ada@example.org", "alan@example.org")))
    assert result.satisfied is satisfied
    for message in messages:
        assert any(message in line for line in result.missing), (message, result.missing)
    if satisfied:
        assert result.missing == []


def test_the_missing_message_lists_who_could_still_approve():
    result = evaluate(DEFAULT_POLICY, facts([clause(approvers=(ADA, GRACE, BARBARA))], []))
    assert result.missing == ["privacy: needs 1 more approval from the owners of privacy: Grace, Barbara "
                              "[rule defaults: 1]"]


def test_a_policy_nobody_can_meet_says_so():
    result = evaluate(DEFAULT_POLICY, facts([clause(approvers=(ADA,))], []))
    assert "nobody eligible is left" in result.missing[0]


def test_notes_explain_approvals_that_do_not_count():
    result = evaluate(DEFAULT_POLICY, facts([clause()], [approval(GRACE, revision=1), approval(ADA)]))
    assert result.notes == ("the approval by Grace is stale: given for revision 1",
                            "the approval by Ada does not count: the proposer")


def test_notes_explain_an_approval_by_someone_who_may_approve_no_touched_clause():
    result = evaluate(DEFAULT_POLICY, facts([clause()], [approval(BARBARA), approval(GRACE)]))
    assert result.satisfied
    assert result.notes == ("the approval by Barbara does not count: they may approve none of the touched clauses now",)


# --- which approvals count, and for what: one row per rule ----------------------------------------

COUNTED = {
    "an owner's approval of the current text counts for their clause": (
        [clause()], [approval(GRACE)], [("Grace", ("privacy",))]),
    "an approval by someone whose ownership moved away counts for nothing": (
        [clause(approvers=(BARBARA,))], [approval(GRACE), approval(BARBARA)], [("Barbara", ("privacy",))]),
    "one approval counts for every touched clause its giver may approve": (
        [clause("a", approvers=(GRACE,)), clause("b", approvers=(BARBARA,)), clause("c", approvers=(GRACE,))],
        [approval(GRACE)], [("Grace", ("a", "c"))]),
    "the proposer's approval never counts": ([clause(approvers=(ADA, GRACE))], [approval(ADA)], []),
    "a revision author's approval never counts": ([clause()], [approval(ALAN)], []),
    "a stale approval never counts": ([clause()], [approval(GRACE, revision=1), approval(GRACE, digest="d1")], []),
    "a request for changes is no approval": ([clause()], [veto(GRACE)], []),
    "an admin counts for an unowned clause": (
        [clause(approvers=(ROOT,), unowned=True)], [approval(ROOT)], [("Root", ("privacy",))]),
    "approvals keep the order they were given in": (
        [clause(approvers=(GRACE, BARBARA))], [approval(BARBARA), approval(GRACE)],
        [("Barbara", ("privacy",)), ("Grace", ("privacy",))]),
}

# --- separation of duties: who made the approver an owner, whose password they hold ----------------

MALLORY = Approver("mallory@example.org", "Mallory")


def assigned(who: Approver, *by: str) -> Approver:
    """An approver whose ownership rests only on registry assignments by these admins."""
    return replace(who, assigned_by=by)


def duties(clauses, reviews, passwords=None):
    return replace(facts(clauses, reviews, ("ada@example.org", "alan@example.org")), password_set_by=passwords or {})


# (clauses, reviews, passwords set by someone else) -> who counts, for what
WHO_COUNTS = {
    "an owner by OWNERS.toml counts": ([clause(approvers=(GRACE,))], [approval(GRACE)], {}, [("Grace", ("privacy",))]),
    "an owner assigned by an admin outside the proposal counts": (
        [clause(approvers=(assigned(MALLORY, "root@example.org"),))], [approval(MALLORY)], {},
        [("Mallory", ("privacy",))]),
    "an owner the proposer assigned does not count": (
        [clause(approvers=(assigned(MALLORY, "ada@example.org"),))], [approval(MALLORY)], {}, []),
    "an owner a revision author assigned does not count": (
        [clause(approvers=(assigned(MALLORY, "alan@example.org"),))], [approval(MALLORY)], {}, []),
    "an owner assigned by the proposer and by an outsider counts (one independent grant suffices)": (
        [clause(approvers=(assigned(MALLORY, "ada@example.org", "root@example.org"),))], [approval(MALLORY)], {},
        [("Mallory", ("privacy",))]),
    "an owner assigned by an admin whose password the proposer set does not count": (
        [clause(approvers=(assigned(MALLORY, "root@example.org"),))], [approval(MALLORY)],
        {"root@example.org": "ada@example.org"}, []),
    "an owner assigned by an admin whose password an outsider set counts": (
        [clause(approvers=(assigned(MALLORY, "root@example.org"),))], [approval(MALLORY)],
        {"root@example.org": "vic@example.org"}, [("Mallory", ("privacy",))]),
    "an owner whose password someone else set does not count": (
        [clause(approvers=(GRACE,))], [approval(GRACE)], {"grace@example.org": "root@example.org"}, []),
    "an admin whose password someone else set does not count for an unowned clause": (
        [clause(approvers=(ROOT,), unowned=True)], [approval(ROOT)], {"root@example.org": "vic@example.org"}, []),
    "an approval counts only for the clauses not assigned by the proposer's side": (
        [clause("a", approvers=(GRACE,)), clause("b", approvers=(assigned(GRACE, "ada@example.org"),))],
        [approval(GRACE)], {}, [("Grace", ("a",))]),
}


@pytest.mark.parametrize(("clauses", "reviews", "passwords", "expected"), WHO_COUNTS.values(), ids=WHO_COUNTS.keys())
def test_who_counts_under_separation_of_duties(clauses, reviews, passwords, expected):
    found = counted_approvals(duties(clauses, reviews, passwords))
    assert [(a.review.reviewer.name, a.clauses) for a in found] == expected


@pytest.mark.parametrize(("who", "passwords", "reason"), [
    (assigned(MALLORY, "ada@example.org"), {},
     "ownership of privacy rests only on a registry assignment by the proposer"),
    (assigned(MALLORY, "alan@example.org"), {},
     "ownership of privacy rests only on a registry assignment by an author of a revision"),
    (assigned(MALLORY, "root@example.org"), {"root@example.org": "ada@example.org"},
     "ownership of privacy rests only on a registry assignment by root@example.org, whose password the proposer set"),
    (MALLORY, {"mallory@example.org": "root@example.org"},
     "the password of mallory@example.org was set by root@example.org; an approval counts once its holder sets "
     "their own"),
])
def test_an_approval_that_does_not_count_says_why_and_its_giver_is_not_eligible(who, passwords, reason):
    result = evaluate(DEFAULT_POLICY, duties([clause(approvers=(who, GRACE))], [approval(MALLORY)], passwords))
    assert [(u.review.reviewer.name, u.reason) for u in result.uncounted] == [("Mallory", reason)]
    assert result.notes == (f"the approval by Mallory does not count: {reason}",)
    assert result.clauses[0].eligible == ("Grace",)
    assert standing(duties([clause(approvers=(who, GRACE))], [], passwords), MALLORY.email) == ((), reason)


def test_an_approval_that_counts_for_fewer_clauses_says_which_and_why():
    result = evaluate(DEFAULT_POLICY, duties(
        [clause("a", approvers=(GRACE,)), clause("b", approvers=(assigned(GRACE, "ada@example.org"), BARBARA))],
        [approval(GRACE)]))
    assert result.notes == ("the approval by Grace does not count for b: ownership of b rests only on a registry "
                            "assignment by the proposer",)
    assert result.clauses[1].eligible == ("Barbara",)


@pytest.mark.parametrize(("clauses", "reviews", "expected"), COUNTED.values(), ids=COUNTED.keys())
def test_counted_approval_rule(clauses, reviews, expected):
    found = counted_approvals(facts(clauses, reviews, ("ada@example.org", "alan@example.org")))
    assert [(a.review.reviewer.name, a.clauses) for a in found] == expected


def test_the_verdict_keeps_the_approvals_it_counted():
    result = evaluate(DEFAULT_POLICY, facts([clause()], [approval(GRACE), approval(BARBARA)]))
    assert result.counted == counted_approvals(facts([clause()], [approval(GRACE), approval(BARBARA)]))
    assert result.clauses[0].approved_by == ("Grace",)


def test_the_json_form_has_satisfied_missing_and_each_clause():
    data = evaluate(DEFAULT_POLICY, facts([clause()], [approval(GRACE)])).as_dict()
    assert data["satisfied"] is True and data["missing"] == []
    assert data["clauses"] == [{"id": "privacy", "rule": "defaults", "required": 1, "approved_by": ["Grace"],
                                "missing": 0, "eligible": ["Alan"], "unowned": False, "fallback": False}]


# --- governance files ([governance]) -------------------------------------------------------------


def governance_file(approvers=(ROOT, GRACE)):
    return ClauseFacts("policy.toml", (), tuple(approvers), governance=True)


def test_the_governance_table_sets_how_many_admins_approve_a_governance_file():
    assert DEFAULT_POLICY.governance.min_approvals == 1
    parsed = parse_policy("[governance]\nmin_approvals = 2\n")
    assert parsed.warnings == ()
    assert parsed.policy.rule_for(governance_file()) == (2, "governance")
    assert parsed.policy.rule_for(clause()) == (1, "defaults")


@pytest.mark.parametrize(("text", "warning"), [
    ("[governance]\nmin_approvals = 0\n", "[governance] min_approvals must be a whole number of at least 1"),
    ("[governance]\nmin_approvals = true\n", "[governance] min_approvals must be a whole number of at least 1"),
    ("governance = 2\n", "[governance] must be a table"),
])
def test_a_governance_table_that_would_loosen_the_rule_makes_the_policy_unusable(text, warning):
    parsed = parse_policy(text)
    assert parsed.policy is None and parsed.warnings[0].startswith(warning)


def test_an_unknown_governance_key_is_named_and_ignored():
    parsed = parse_policy("[governance]\nmin_aprovals = 3\n")
    assert parsed.policy.governance.min_approvals == 1
    assert parsed.warnings == ("[governance] has an unknown key 'min_aprovals' (ignored); known: min_approvals, root_owners, start",)


@pytest.mark.parametrize(("reviews", "required", "counted", "why"), [
    ((approval(GRACE),), 1, ["Grace"], None),
    ((approval(ADA),), 1, [], "the approval by Ada does not count: the proposer"),
    ((approval(BARBARA),), 1, [], "the approval by Barbara does not count: an author of a revision"),
    ((approval(ALAN),), 1, [], "the approval by Alan does not count: they may approve none of the touched clauses now"),
    ((approval(GRACE, revision=1, digest="d1"),), 1, [], "the approval by Grace is stale: given for revision 1"),
    ((approval(GRACE),), 2, ["Grace"], None),
    ((approval(GRACE), approval(ROOT)), 2, ["Grace", "Root"], None),
], ids=["an admin", "the proposer", "a revision author", "not an admin", "stale", "one of two", "two of two"])
def test_who_counts_for_a_governance_file(reviews, required, counted, why):
    admins = (ROOT, GRACE, ADA, BARBARA)  # the proposer and a revision author are admins too
    policy = Policy(governance=parse_policy(f"[governance]\nmin_approvals = {required}\n").policy.governance)
    result = evaluate(policy, facts([governance_file(admins)], reviews, authors=("ada@example.org", "barbara@example.org")))
    status = result.clauses[0]
    assert (status.rule, status.required, list(status.approved_by)) == ("governance", required, counted)
    assert result.satisfied == (len(counted) >= required)
    assert result.notes == ((why,) if why else ())
    if not result.satisfied:
        assert "from the admins (policy.toml is a governance file)" in result.missing[0]


def test_root_owners_in_the_governance_table_add_a_group_the_owners_of_root_clauses_approve():
    policy = parse_policy("[governance]\nmin_approvals = 2\nroot_owners = 1\n").policy
    root = ClauseFacts("policy.toml (root owners)", (), (GRACE, ALAN), governance=True, root_owners=True)
    assert policy.rule_for(root) == (1, "governance.root_owners")
    assert policy.rule_for(governance_file()) == (2, "governance")
    result = evaluate(policy, facts([governance_file((ROOT, GRACE)), root], [approval(GRACE), approval(ROOT)]))
    assert [(c.key, c.approved_by) for c in result.clauses] == [("policy.toml", ("Grace", "Root")),
                                                                 ("policy.toml (root owners)", ("Grace",))]
    assert result.satisfied
    assert parse_policy("[governance]\nroot_owners = 0\n").warnings[0].startswith(
        "[governance] root_owners must be a whole number of at least 1")


# --- answers that do not depend on what was asked before -----------------------------------------

_KEYS = st.sampled_from(["privacy", "honesty", "tools", "root.a"])
_LEVELS = st.lists(st.sampled_from(["root", "system", "guideline"]), max_size=3)


@given(clause_rules=st.dictionaries(_KEYS, st.integers(0, 4), max_size=3),
       authority=st.dictionaries(st.sampled_from(["root", "system"]), st.integers(0, 4), max_size=2),
       editorial=st.dictionaries(st.sampled_from(["defaults", "authority.root", "clause.privacy"]),
                                 st.integers(0, 2), max_size=2),
       asks=st.lists(st.tuples(_KEYS, _LEVELS, st.booleans()), min_size=1, max_size=12))
def test_a_policy_gives_each_clause_the_same_rule_whatever_it_judged_before(clause_rules, authority, editorial, asks):
    policy = Policy(1, authority, clause_rules, editorial=editorial)
    for key, levels, is_editorial in asks:
        fresh = Policy(1, authority, clause_rules, editorial=editorial)
        assert policy.required(key, levels, is_editorial) == fresh.required(key, levels, is_editorial)


def _standing_by_scan(facts: Facts, email: str) -> tuple[str, ...]:
    """The clauses a person's approval counts for, asking every clause in turn (the definition)."""
    return tuple(c.key for c in facts.clauses if any(a.email == email for a in c.approvers)
                 and standing(replace(facts, clauses=(c,)), email)[0])


@given(owners=st.lists(st.lists(st.sampled_from([GRACE, ALAN, BARBARA, ROOT, ADA]), max_size=3), max_size=6))
def test_standing_counts_a_person_for_exactly_the_clauses_they_approve(owners):
    clauses = [clause(f"c{i}", approvers=tuple(who)) for i, who in enumerate(owners)]
    f = facts(clauses, [])
    for person in (GRACE, ALAN, BARBARA, ROOT, ADA):
        assert standing(f, person.email)[0] == _standing_by_scan(f, person.email)

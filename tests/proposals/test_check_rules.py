"""Pure: what a check report may say, policy.toml's required_checks, and which reports count."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from registry.proposals.check_rules import (
    CheckFacts,
    CheckInputError,
    check_name,
    check_summary,
    check_url,
    judge,
)
from registry.proposals.policy_facts import ClauseFacts
from registry.proposals.policy_toml import parse_policy

T0 = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(("name", "ok"), [
    ("evals", True), ("ci.lint_2-fast", True), ("9", True), ("a" * 64, True),
    ("", False), ("a" * 65, False), ("-evals", False), (".x", False), ("evals run", False), ("évals", False),
    ("evals\n", False), ("a/b", False), ("<script>", False), (None, False), (3, False),
])
def test_a_check_name_is_up_to_64_letters_digits_dots_underscores_and_dashes(name, ok):
    if ok:
        assert check_name(name) == name
    else:
        with pytest.raises(CheckInputError, match="a check's name must be"):
            check_name(name)


@pytest.mark.parametrize(("url", "ok"), [
    ("https://ci.example.org/runs/7", True), ("http://localhost:8080/x?y=1#z", True), ("HTTPS://ci.example.org", True),
    ("javascript:alert(1)", False), ("data:text/html,hi", False), ("ftp://ci.example.org/x", False),
    ("//ci.example.org/x", False), ("/runs/7", False), ("https://", False), ("https://ci.example.org/a b", False),
    ("https://ci.example.org/\x00", False), ("https://ci.example.org/\u2028", False),
    ("https://ci.example.org/" + "a" * 2000, False),
])
def test_a_check_url_is_one_absolute_http_or_https_url(url, ok):
    if ok:
        assert check_url(url) == url
    else:
        with pytest.raises(CheckInputError):
            check_url(url)


def test_no_url_is_none_and_a_summary_becomes_one_line_of_bounded_length():
    assert check_url(None) is None and check_url("") is None
    assert check_summary("  all\n 12 evals\tpassed ") == "all 12 evals passed"
    with pytest.raises(CheckInputError, match="at most 1000"):
        check_summary("x" * 1001)


@pytest.mark.parametrize(("toml", "checks", "warning"), [
    ('[defaults]\nrequired_checks = ["lint"]\n', {"defaults": ("lint",)}, None),
    ('[authority.root]\nrequired_checks = ["evals", "evals", "redteam"]\n', {"authority.root": ("evals", "redteam")},
     None),
    ('[clause."be_honest"]\nmin_approvals = 3\nrequired_checks = []\n', {"clause.be_honest": ()}, None),
    ('[authority.root]\nrequired_checks = "evals"\n', None, "must be a list of check names"),
    ('[authority.root]\nrequired_checks = ["bad name"]\n', None, "a check name must be"),
    ('[authority.root]\nrequired_checks = [1]\n', None, "a check name must be"),
])
def test_policy_toml_names_required_checks_per_rule_and_a_bad_list_makes_the_file_unusable(toml, checks, warning):
    parsed = parse_policy(toml)
    if checks is None:
        assert parsed.policy is None and warning in parsed.warnings[0]
    else:
        assert parsed.policy is not None and dict(parsed.policy.checks) == checks and parsed.warnings == ()


def clause(key: str, *authorities: str, governance: bool = False) -> ClauseFacts:
    return ClauseFacts(key, authorities, (), governance=governance)


def test_a_proposal_needs_the_checks_of_every_rule_of_every_touched_clause_but_governance_files_need_none():
    policy = parse_policy('[defaults]\nrequired_checks = ["lint"]\n[authority.root]\nrequired_checks = ["evals"]\n'
                          '[clause."tone"]\nrequired_checks = ["evals", "style"]\n').policy
    assert policy is not None
    assert policy.checks_for([clause("tone")]) == {"lint": ("defaults",), "evals": ("clause.tone",),
                                                   "style": ("clause.tone",)}
    assert policy.checks_for([clause("be_honest", "root"), clause("tone")])["evals"] == ("authority.root", "clause.tone")
    assert policy.checks_for([clause("policy.toml", governance=True)]) == {}


def report(id: int, name: str, status: str, revision: int, minutes: int = 0) -> CheckFacts:
    return CheckFacts(id, name, status, revision, f"https://ci.example.org/{id}", T0 + timedelta(minutes=minutes))


@pytest.mark.parametrize(("reports", "status"), [
    ([], "missing"),
    ([report(1, "evals", "success", 1)], "missing"),  # another revision's success counts for nothing here
    ([report(1, "evals", "pending", 2)], "pending"),
    ([report(1, "evals", "failure", 2, 0), report(2, "evals", "success", 2, 5)], "success"),
    ([report(1, "evals", "success", 2, 0), report(2, "evals", "failure", 2, 5)], "failure"),  # the latest wins
    ([report(2, "evals", "success", 2, 0), report(1, "evals", "failure", 2, 0)], "success"),  # same time: the later row
    ([report(1, "lint", "success", 2)], "missing"),  # another check's success
])
def test_a_required_check_counts_only_its_latest_report_on_the_revision_it_names(reports, status):
    [found] = judge({"evals": ("authority.root",)}, reports, 2)
    assert (found.name, found.status, found.revision, found.passed) == ("evals", status, 2, status == "success")
    assert found.rules == ("authority.root",)


def test_a_passed_check_is_a_trailer_with_its_url_and_a_missing_one_a_line_for_people():
    [passed, missing] = judge({"evals": ("authority.root",), "lint": ("defaults",)},
                              [report(4, "evals", "success", 1)], 1)
    assert passed.trailer == "evals=success; https://ci.example.org/4" and passed.report == 4
    assert missing.message() == "check lint: not reported on revision 1 [rule defaults]" and missing.url is None

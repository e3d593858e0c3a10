"""Required checks gate merges: reports per revision, the verdict, the refusal, the trailers, verify."""
from __future__ import annotations

import csv
import io
import subprocess

import pytest
from proposal_helpers import HEADINGS, POLICY, adopted_world, build_world, without_governance
from sqlalchemy import select, text

from registry.accountability.verify import verify
from registry.errors import BadRequest, ChecksNotPassed, Conflict, Forbidden, PolicyNotSatisfied, Unauthorized
from registry.evidence.render import render_csv, render_html
from registry.evidence.report import evidence_report
from registry.gitsource import SpecSource, trailers
from registry.models import AuditEvent, CheckReport, Proposal
from registry.proposals import reviews
from registry.proposals.authoring import ChangeInput, revise, withdraw
from registry.proposals.check_reports import report_check
from registry.proposals.integrity import CommitTrailers, merge_mismatches
from registry.proposals.merge import merge
from registry.proposals.reads import merged_by_commit, proposal_detail

GATED = POLICY + '\n[authority.system]\nrequired_checks = ["evals"]\n'
RUN = "https://ci.example.org/runs/7"


def gate(world) -> None:
    """respect_privacy (authority=system) needs the evals check from now on."""
    world.repo.commit("Evals gate system rules", {"policy.toml": GATED})
    world.ingest()


@pytest.fixture
def world(repo, session):
    w = build_world(repo, session)
    gate(w)
    return w


def approved_but_unchecked(world) -> int:
    n = world.change("ada", "respect_privacy", "Never reveal personal data.")
    reviews.approve(world.session, world.users["grace"], n)
    return n


def state(world, n: int) -> str:
    return world.session.get_one(Proposal, n).state


def test_an_approved_proposal_waits_open_for_its_required_check_and_merge_names_it(world):
    n = approved_but_unchecked(world)
    assert state(world, n) == "open"
    policy = proposal_detail(world.session, n).policy
    assert not policy.satisfied and policy.missing == ("check evals: not reported on revision 1 [rule authority.system]",)
    with pytest.raises(ChecksNotPassed, match="required checks have not passed: evals") as refused:
        merge(world.session, world.path, "main", world.users["ada"], n)
    assert refused.value.code == "checks_not_passed" and refused.value.status == 409
    report_check(world.session, world.users["vic"], n, "evals", "pending", url=RUN)
    with pytest.raises(ChecksNotPassed, match=r"evals \(check evals: pending on revision 1"):
        merge(world.session, world.path, "main", world.users["ada"], n)
    report_check(world.session, world.users["vic"], n, "evals", "success", 1, RUN, "42/42 passed")
    assert state(world, n) == "approved"


def test_missing_approvals_and_checks_together_are_policy_not_satisfied_naming_both(world):
    n = world.change("ada", "respect_privacy", "Never reveal personal data.")
    with pytest.raises(PolicyNotSatisfied) as refused:
        merge(world.session, world.path, "main", world.users["ada"], n)
    assert any("respect_privacy: needs 1 more approval" in m for m in refused.value.missing)
    assert "check evals: not reported on revision 1 [rule authority.system]" in refused.value.missing


def test_a_check_counts_only_for_its_revision_and_the_latest_report_wins(world):
    n = approved_but_unchecked(world)
    report_check(world.session, world.users["vic"], n, "evals", "success", url=RUN)
    assert state(world, n) == "approved"
    with SpecSource(world.path) as source:
        revise(world.session, source, world.users["ada"], n,
               [ChangeInput("change", "respect_privacy", f"{HEADINGS['respect_privacy']}\n\nReveal nothing.\n")])
    reviews.approve(world.session, world.users["grace"], n)
    assert state(world, n) == "open"  # revision 1's success does nothing for revision 2
    report_check(world.session, world.users["vic"], n, "evals", "success", 1, RUN)  # a late report on revision 1
    assert state(world, n) == "open"
    report_check(world.session, world.users["vic"], n, "evals", "success", 2, RUN)
    assert state(world, n) == "approved"
    report_check(world.session, world.users["alan"], n, "evals", "failure", 2, RUN + "b", "a rerun failed")
    assert state(world, n) == "open"  # the latest report on revision 2 wins
    checks = proposal_detail(world.session, n).checks
    assert [(c.name, c.status, c.revision, c.url, c.summary) for c in checks] == [
        ("evals", "failure", 2, RUN + "b", "a rerun failed"), ("evals", "success", 1, RUN, "")]
    assert world.session.query(CheckReport).count() == 4  # every report is kept
    events = world.session.scalars(select(AuditEvent).where(AuditEvent.action == "check.report")).all()
    assert [(e.actor, e.new["status"], e.new["revision"]) for e in events] == [
        ("vic@example.org", "success", 1), ("vic@example.org", "success", 1), ("vic@example.org", "success", 2),
        ("alan@example.org", "failure", 2)]


@pytest.mark.parametrize(("who", "kwargs", "error", "says"), [
    (None, {}, Unauthorized, "log in to report a check"),
    ("ada", {}, Forbidden, "nobody reports checks on their own proposal"),
    ("vic", {"revision": 2}, BadRequest, "revision must be a revision of proposal"),
    ("vic", {"revision": 0}, BadRequest, "revision must be a revision of proposal"),
    ("vic", {"revision": True}, BadRequest, "revision must be a revision of proposal"),
    ("vic", {"name": "evals; rm"}, BadRequest, "a check's name must be"),
    ("vic", {"status": "passed"}, BadRequest, "a check's status is one of pending, success, failure"),
    ("vic", {"url": "javascript:alert(1)"}, BadRequest, "http:// or https://"),
    ("vic", {"summary": "x" * 1001}, BadRequest, "at most 1000"),
])
def test_a_bad_report_is_refused_and_records_nothing(world, who, kwargs, error, says):
    n = approved_but_unchecked(world)
    args = {"name": "evals", "status": "success", "revision": None, "url": None, "summary": ""} | kwargs
    with pytest.raises(error, match=says):
        report_check(world.session, world.users.get(who) if who else None, n, args.pop("name"), args.pop("status"),
                     **args)
    assert world.session.query(CheckReport).count() == 0
    assert state(world, n) == "open"


def test_a_revision_author_may_not_report_and_a_final_proposal_takes_no_reports(world):
    n = approved_but_unchecked(world)
    with SpecSource(world.path) as source:  # an admin writes revision 2: now an author of the proposal
        revise(world.session, source, world.users["root"], n,
               [ChangeInput("change", "respect_privacy", f"{HEADINGS['respect_privacy']}\n\nReveal nothing.\n")])
    with pytest.raises(Forbidden, match="own proposal"):
        report_check(world.session, world.users["root"], n, "evals", "success")
    withdraw(world.session, world.users["ada"], n, reason="later")
    with pytest.raises(Conflict, match="is withdrawn: it takes no more check reports"):
        report_check(world.session, world.users["vic"], n, "evals", "success")


def test_no_checks_asked_means_nothing_changes_for_a_proposal(repo, session):
    world = build_world(repo, session)  # the policy without required_checks
    n = approved_but_unchecked(world)
    assert state(world, n) == "approved" and proposal_detail(world.session, n).policy.checks == ()
    report_check(world.session, world.users["vic"], n, "evals", "failure")  # reported, but nobody asks for it
    assert state(world, n) == "approved"


def message_of(repo, sha: str) -> str:
    return subprocess.run(["git", "-C", str(repo.path), "log", "-1", "--format=%B", sha],
                          capture_output=True, text=True, check=True).stdout


def test_the_merge_commit_names_each_passed_check_and_verify_holds_it_to_the_record(repo, database_url, monkeypatch):
    with adopted_world(repo, database_url, monkeypatch) as (engine, world):
        gate(world)
        n = approved_but_unchecked(world)
        report_check(world.session, world.users["vic"], n, "evals", "success", url=RUN)
        sha = merge(world.session, repo.path, "main", world.users["ada"], n).commit
        assert sha is not None
        message = message_of(repo, sha)
        assert trailers.values(message, trailers.CHECK) == [f"evals=success; {RUN}"]
        assert merged_by_commit(world.session, sha).checks == (f"evals=success; {RUN}",)
        report = evidence_report(world.session, to_ref=sha, repo=str(repo.path))
        [item] = [p for p in report.as_dict()["proposals"] if p["id"] == n]
        assert item["checks"] == [f"evals=success; {RUN}"]
        assert f'<code class="check-trailer">evals=success; {RUN}</code>' in render_html(report)
        [row] = [r for r in csv.DictReader(io.StringIO(render_csv(report), newline=""))
                 if r["record"] == "change" and r["proposal_id"] == str(n)]
        assert row["checks"] == f"evals=success; {RUN}" and row["dismissals"] == ""
        assert without_governance(verify(world.session)) == []
        p = world.session.get_one(Proposal, n)
        values: dict[str, list[str]] = {}
        for key, value in trailers.parse_trailers(message):
            values.setdefault(key, []).append(value)
        for forged in ([], ["evals=success; https://elsewhere.example.org/"], [f"evals=success; {RUN}"] * 2):
            found = merge_mismatches(world.session, p, CommitTrailers(sha, values | {trailers.CHECK: forged}))
            assert any("Check trailers differ from the checks the merge recorded" in m for m in found), found
    engine.dispose()


def forge_success(world, n: int) -> None:
    """A `success` of evals on revision 1 inserted with SQL, as the registry would write it, with no audit event."""
    world.session.execute(text(
        "INSERT INTO check_reports (proposal_id, revision_id, name, status, url, summary, reporter_id, created_at) "
        f"SELECT {n}, r.id, 'evals', 'success', '{RUN}', '', p.id, CURRENT_TIMESTAMP FROM proposal_revisions r, "
        f"people p WHERE r.proposal_id = {n} AND p.email = 'vic@example.org'"))
    world.session.expire_all()


def check_findings(world) -> list[str]:
    return [f"{f.where}: {f.message}" for f in verify(world.session) if f.check == "check"]


def test_a_success_inserted_with_sql_does_not_count_merge_refuses_and_verify_names_it(world):
    n = approved_but_unchecked(world)
    forge_success(world, n)
    policy = proposal_detail(world.session, n).policy
    assert policy.missing == ("check evals: not reported on revision 1 [rule authority.system]",)
    with pytest.raises(ChecksNotPassed, match="required checks have not passed: evals"):
        merge(world.session, world.path, "main", world.users["ada"], n)
    [forged] = world.session.scalars(select(CheckReport)).all()
    assert check_findings(world) == [f"proposal {n} check report {forged.id}: no audit event recorded this evals "
                                     "report by vic@example.org (inserted behind the registry's back)"]


@pytest.mark.parametrize("column, value", [("status", "'success'"), ("url", "'https://elsewhere.example.org/'"),
                                           ("name", "'evals'")])
def test_a_report_edited_with_sql_counts_only_as_its_event_recorded_it_and_verify_names_it(world, column, value):
    n = approved_but_unchecked(world)
    row = report_check(world.session, world.users["vic"], n, "lint" if column == "name" else "evals", "failure"
                       if column in ("status", "name") else "success", url=RUN)
    assert check_findings(world) == []
    before = proposal_detail(world.session, n).policy
    for edit in (f"{column} = {value}", "status = 'success'"):
        world.session.execute(text(f"UPDATE check_reports SET {edit} WHERE id = {row.id}"))
    world.session.expire_all()
    # The chain's record decides: a recorded failure stays a failure, a recorded success (url edited) stays one.
    assert proposal_detail(world.session, n).policy == before
    assert before.satisfied is (column == "url")
    assert check_findings(world) == [f"proposal {n} check report {row.id}: the evals report by vic@example.org "
                                     "differs from what audit event "
                                     f"{world.session.scalar(select(AuditEvent.seq).where(AuditEvent.action == 'check.report'))}"
                                     " recorded (edited)"]

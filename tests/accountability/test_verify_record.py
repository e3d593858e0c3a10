"""`specreg verify` beyond the chain: approvals' digests, one commit per merge, registry trailers vs the database."""
from __future__ import annotations

import json
from dataclasses import dataclass

import pytest
from proposal_helpers import RULES, World, adopted_copy
from repo_builder import GRACE, RepoBuilder
from sqlalchemy import text

from registry.accountability.unapproved import unapproved_changes
from registry.cli import main
from registry.db import session_scope
from registry.proposals import reviews
from registry.proposals.merge import merge


@dataclass
class Merged:
    """A governed repo with proposal `number` merged as `commit` (approved by Grace, review `review`)."""

    engine: object
    repo: RepoBuilder
    number: int
    commit: str
    review: int


def _merged(world: World) -> tuple[int, str, int]:
    s = world.session
    n = world.change("ada", "respect_privacy", "Never reveal personal data.")
    review = reviews.approve(s, world.users["grace"], n).id
    return n, merge(s, world.path, "main", world.users["ada"], n).commit, review


@pytest.fixture
def merged(databases, tmp_path, monkeypatch):
    for engine, repo, (n, sha, review) in adopted_copy(databases, _merged, tmp_path / "spec", monkeypatch):
        yield Merged(engine, repo, n, sha, review)


def verify_json(capsys) -> tuple[int, dict]:
    code = main(["verify", "--json"])
    return code, json.loads(capsys.readouterr().out)


def sql(m: Merged, *statements: str) -> None:
    """Edit the database behind the registry's back."""
    with m.engine.begin() as conn:
        for statement in statements:
            conn.execute(text(statement.format(n=m.number, review=m.review, sha=m.commit)))


def direct(m: Merged, message: str, capsys) -> str:
    """A commit pushed straight to the branch (changing be_brief), then ingested."""
    sha = m.repo.commit(message, {"spec/rules.md": RULES.replace("Do not reveal personal data.",
                                                                 "Never reveal personal data.")
                                  .replace("Prefer short answers.", "Prefer long answers.")}, author=GRACE)
    assert main(["ingest", "--json"]) == 0
    capsys.readouterr()
    return sha


def found(data: dict, check: str, where: str, says: str) -> bool:
    return any(f["check"] == check and where in f["where"] and says in f["message"] for f in data["findings"])


def test_a_governed_record_with_a_merge_verifies(merged, capsys):
    assert verify_json(capsys) == (0, {"ok": True, "findings": []})


def test_an_edited_approval_digest_is_named_by_proposal_and_review(merged, capsys):
    sql(merged, "UPDATE reviews SET digest = 'aaaa' || substr(digest, 5) WHERE id = {review}")
    code, data = verify_json(capsys)
    assert code == 1
    assert found(data, "approval", f"proposal {merged.number} review {merged.review}", "digests to"), data


def test_edited_proposed_text_no_longer_matches_the_revision_or_its_approvals(merged, capsys):
    sql(merged, "UPDATE proposed_changes SET text = replace(text, 'Never', 'Always')")
    code, data = verify_json(capsys)
    assert code == 1
    assert found(data, "approval", f"proposal {merged.number} revision 1", "digest (edited)"), data
    assert found(data, "approval", f"review {merged.review}", "digests to"), data


def test_a_second_commit_carrying_the_same_proposal_id_is_named_and_is_unapproved(merged, capsys):
    sneaky = direct(merged, f"Follow-up\n\nProposal-Id: {merged.number}\n", capsys)
    code, data = verify_json(capsys)
    assert code == 1
    assert found(data, "merge", f"proposal {merged.number}", "2 commits carry"), data
    assert sneaky[:12] in json.dumps(data) and merged.commit[:12] in json.dumps(data)
    with session_scope(merged.engine) as s:
        assert [c.commit for c in unapproved_changes(s)][-1] == sneaky


def test_a_registry_commit_whose_approved_by_differs_from_the_database_is_named(merged, capsys):
    sql(merged, "UPDATE reviews SET printed_name = 'Mallory' WHERE id = {review}")
    code, data = verify_json(capsys)
    assert code == 1
    assert found(data, "trailers", f"commit {merged.commit[:12]} (proposal {merged.number})", "Approved-by"), data
    assert "Mallory" in json.dumps(data) and "Grace Hopper" in json.dumps(data)


def test_a_forged_commit_claiming_approvals_without_a_proposal_is_named(merged, capsys):
    forged = direct(merged, "Looks approved\n\nApproved-by: Grace Hopper <grace@example.org>; "
                            "2024-01-01T00:00:00Z; approved as owner of be_brief\n", capsys)
    code, data = verify_json(capsys)
    assert code == 1 and found(data, "trailers", f"commit {forged[:12]}", "names no proposal"), data


@pytest.mark.parametrize(("statement", "check", "where", "says"), [
    ("UPDATE proposals SET merged_sha = replace(merged_sha, substr(merged_sha, 1, 4), 'ffff') WHERE id = {n}",
     "merge", "proposal", "the database records ffff"),
    ("UPDATE proposals SET state = 'approved', merged_sha = NULL WHERE id = {n}",
     "trailers", "commit", "which is approved in the database"),
    ("UPDATE clause_versions SET body = 'Reveal everything.' WHERE key = 'respect_privacy' AND seq = "
     "(SELECT seq FROM commits WHERE sha = '{sha}')", "merge", "commit", "not the text the approvals were given for"),
])
def test_merges_that_disagree_with_git_are_named(merged, capsys, statement, check, where, says):
    sql(merged, statement)
    code, data = verify_json(capsys)
    assert code == 1 and found(data, check, where, says), data


def test_a_commit_naming_an_unknown_proposal_is_named(merged, capsys):
    sneaky = direct(merged, "Hand-made\n\nProposal-Id: 99\n", capsys)
    code, data = verify_json(capsys)
    assert code == 1 and found(data, "trailers", f"commit {sneaky[:12]}", "does not exist"), data

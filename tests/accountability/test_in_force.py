"""In force at a moment: the text then, its commit, owners then, the proposal and approvers, the next change."""
from __future__ import annotations

import json

import pytest
from proposal_helpers import OWNERS, POLICY, RULES, build_world
from repo_builder import GRACE

from registry.accountability.in_force import in_force
from registry.cli import main
from registry.errors import UnknownClause, UnknownRef, UnknownVersion
from registry.proposals import reviews
from registry.proposals.merge import merge

# build_world's commit is 2024-01-02 09:00 UTC; every later direct commit is one day after the last.
PRIVACY_V2 = RULES.replace("Do not reveal personal data.", "Do not reveal or infer personal data.")
RENAMED = PRIVACY_V2.replace("{#be_honest authority=root}", "{#honesty authority=root}")


@pytest.fixture
def world(repo, session):
    w = build_world(repo, session)
    repo.commit("Widen privacy", {"spec/rules.md": PRIVACY_V2}, author=GRACE)  # 2024-01-03
    repo.commit("Rename be_honest", {"spec/rules.md": RENAMED,  # 2024-01-04, and Alan takes privacy
                                     "OWNERS.toml": OWNERS.replace('"respect_privacy" = ["grace@example.org"]',
                                                                   '"respect_privacy" = ["alan@example.org"]')})
    w.ingest()
    return w


def merged(world) -> tuple[int, str]:
    n = world.change("ada", "respect_privacy", "Never reveal personal data.")
    reviews.approve(world.session, world.users["alan"], n)
    return n, merge(world.session, world.path, "main", world.users["ada"], n).commit


def shas(world) -> list[str]:
    import git

    with git.Repo(world.path) as r:
        return [c.hexsha for c in reversed(list(r.iter_commits("main", first_parent=True)))]


def test_before_and_after_a_direct_change_with_the_owners_then_and_the_next_change(world):
    first, widen, _rename = shas(world)
    before = in_force(world.session, "respect_privacy", "2024-01-02T12:00:00")
    assert (before.text, before.commit, before.unapproved, before.proposal) == (
        "Do not reveal personal data.", first, True, None)
    assert [o.email for o in before.owners] == ["grace@example.org"]
    assert before.next_change.commit == widen and before.next_change.kinds == ["body"]
    after = in_force(world.session, "respect_privacy", "2024-01-03T12:00:00Z")
    assert (after.text, after.commit) == ("Do not reveal or infer personal data.", widen)
    assert after.next_change is None
    assert [o.email for o in in_force(world.session, "respect_privacy", "2024-01-05").owners] == ["alan@example.org"]


def test_the_json_has_exactly_the_documented_keys(world):
    data = in_force(world.session, "respect_privacy", "2024-01-02").as_dict()
    assert list(data) == ["id", "at", "text", "commit", "owners", "proposal", "approvers", "uncounted", "unapproved",
                          "pre_governance", "unapproved_governance", "next_change"]
    assert data["at"] == "2024-01-02T23:59:59Z" and data["approvers"] == data["uncounted"] == []
    assert data["unapproved"] is True
    assert set(data["next_change"]) >= {"commit", "date", "kinds"}
    assert set(data["owners"][0]) >= {"name", "email", "source"}


def test_across_a_rename_the_old_id_at_that_moment_finds_the_same_lineage(world):
    _first, _widen, rename = shas(world)
    old = in_force(world.session, "be_honest", "2024-01-03")
    now = in_force(world.session, "honesty", "2024-01-03")
    assert (old.id, old.current_id, old.text) == ("be_honest", "honesty", "Never state what you believe to be false.")
    assert (now.id, now.commit, now.text) == (old.id, old.commit, old.text)
    assert old.next_change.commit == rename and "renamed" in old.next_change.kinds
    assert old.next_change.id == "honesty"
    assert in_force(world.session, "be_honest", "2024-01-04T12:00").id == "honesty"


def test_an_id_reused_later_means_the_clause_that_had_it_at_that_moment(world):
    world.repo.commit("Reuse be_honest", {"spec/rules.md": RENAMED + "\n## Be honest again {#be_honest}\n\nNew.\n"})
    world.ingest()  # 2024-01-05
    assert in_force(world.session, "be_honest", "2024-01-03").text == "Never state what you believe to be false."
    assert in_force(world.session, "be_honest", "2024-01-06").text == "New."


def test_a_merged_proposal_names_proposer_rationale_approvers_and_the_policy_at_its_base(world):
    first, *_ = shas(world)
    n, sha = merged(world)
    result = in_force(world.session, "respect_privacy", sha)  # any REF works; a commit means its moment
    assert (result.commit, result.unapproved, result.text) == (sha, False, "Never reveal personal data.")
    p = result.as_dict()["proposal"]
    assert (p["id"], p["title"], p["rationale"], p["proposer"]["email"]) == (n, "Change", "Because.", "ada@example.org")
    assert p["policy"]["commit"] == first and p["policy"]["text"] == POLICY and p["policy"]["defaults"] is False
    [approver] = result.as_dict()["approvers"]
    assert (approver["name"], approver["email"]) == ("Alan Turing", "alan@example.org")
    assert approver["meaning"] == "approved as owner of respect_privacy" and approver["time"].endswith("Z")
    earlier = in_force(world.session, "respect_privacy", "2024-01-05")
    assert earlier.next_change.proposal == n and earlier.next_change.as_dict()["unapproved"] is False


@pytest.mark.parametrize(("key", "when", "error", "says"), [
    ("respect_privacy", "2023-12-31", UnknownRef, "before the spec's first commit"),
    ("nothing_like_it", "2024-01-03", UnknownClause, "no clause has the id"),
    ("late", "2024-01-03", UnknownVersion, "it was added on 2024-01-05"),
    ("late", "2024-01-07", UnknownVersion, "it was removed on 2024-01-06"),
])
def test_no_text_in_force_is_a_clear_error(world, key, when, error, says):
    world.repo.commit("Add late", {"spec/rules.md": RENAMED + "\n## Late {#late}\n\nLate.\n"})
    world.repo.commit("Drop late", {"spec/rules.md": RENAMED})
    world.ingest()
    with pytest.raises(error, match=says):
        in_force(world.session, key, when)


def test_the_cli_prints_the_json_or_a_readable_answer(repo, database_url, monkeypatch, capsys):
    monkeypatch.setenv("SPECREG_DATABASE_URL", database_url)
    monkeypatch.setenv("SPECREG_REPO", str(repo.path))
    repo.commit("Spec", {"spec/rules.md": RULES, "OWNERS.toml": OWNERS})
    repo.commit("Widen privacy", {"spec/rules.md": PRIVACY_V2})
    assert main(["ingest", "--json"]) == 0
    capsys.readouterr()
    assert main(["in-force", "respect_privacy", "--at", "2024-01-02T10:00", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["text"] == "Do not reveal personal data." and data["unapproved"] is True
    assert main(["in-force", "respect_privacy", "--at", "2024-01-02T10:00"]) == 0
    out = capsys.readouterr().out
    assert "UNAPPROVED CHANGE" in out and "Grace Hopper" in out and "next change: 2024-01-03" in out
    assert main(["in-force", "respect_privacy", "--at", "1999-01-01", "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["error"] == "unknown_ref"

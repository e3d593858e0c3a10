"""The account and proposal commands: JSON contracts, acting users, exit codes."""
from __future__ import annotations

import io
import re

import git
import pytest
from proposal_helpers import OWNERS, POLICY, RULES, STYLE

from registry.cli import main


@pytest.fixture
def cli(repo, json_cli, tmp_path):
    """An ingested governed spec, accounts for root (admin), ada (editor), grace (viewer), and a runner."""
    repo.commit("Spec", {"spec/rules.md": RULES, "spec/style.md": STYLE, "OWNERS.toml": OWNERS,
                         "policy.toml": POLICY})
    run = json_cli
    run("ingest")
    run("user", "add", "root@example.org", "--name", "Root Admin", "--role", "admin")
    run("user", "add", "ada@example.org", "--name", "Ada", "--role", "editor", "--as", "root@example.org")
    run("user", "add", "grace@example.org", "--name", "Grace", "--as", "root@example.org")
    run("user", "add", "alan@example.org", "--name", "Alan", "--role", "editor", "--as", "root@example.org")
    new = tmp_path / "new.md"
    new.write_text("## Respect privacy {#respect_privacy authority=system}\n\nNever reveal personal data.\n")
    run.file = str(new)
    run.repo = repo
    return run


def propose(cli, *extra: str) -> int:
    code, data = cli("propose", "respect_privacy", "--file", cli.file, "--title", "Tighten privacy",
                     "--rationale", "Clearer.", "--as", "ada@example.org", *extra)
    assert code == 0, data
    return data["id"]


def test_the_first_user_needs_no_actor_and_later_ones_need_an_admin(cli):
    code, data = cli("user", "add", "eve@example.org", "--name", "Eve")
    assert (code, data["error"]) == (1, "unauthorized")
    code, data = cli("user", "list")
    assert [u["email"] for u in data] == ["ada@example.org", "alan@example.org", "grace@example.org",
                                          "root@example.org"]


def test_propose_returns_id_and_state(cli):
    code, data = cli("propose", "respect_privacy", "--file", cli.file, "--title", "T", "--rationale", "R",
                     "--as", "ada@example.org")
    assert code == 0 and list(data) == ["id", "state", "infeasible"]
    assert isinstance(data["id"], int) and data["state"] == "open" and data["infeasible"] == []


def test_propose_warns_when_the_proposal_can_never_merge(cli, tmp_path, capsys):
    brief = tmp_path / "brief.md"
    brief.write_text("## Be brief {#be_brief}\n\nShort.\n")
    args = ["propose", "be_brief", "--file", str(brief), "--title", "T", "--rationale", "R", "--as", "alan@example.org"]
    code, data = cli(*args)
    assert code == 0 and data["infeasible"] == [{"id": "be_brief", "rule": "defaults", "needed": 1, "eligible": []}]
    assert main(args) == 0
    assert ("warning: be_brief can never be approved: rule defaults needs 1 approval, and only 0 people are "
            "eligible (nobody)") in capsys.readouterr().out


def test_proposal_shows_revisions_reviews_and_policy(cli):
    n = propose(cli)
    code, data = cli("proposal", str(n))
    assert code == 0
    assert set(data) >= {"id", "state", "revisions", "reviews", "policy"}
    assert set(data["policy"]) >= {"satisfied", "missing"}
    assert data["policy"]["missing"] == ["respect_privacy: needs 1 more approval from the owners of "
                                         "respect_privacy: Grace Hopper [rule defaults: 1]"]


def test_the_full_journey_on_the_command_line(cli):
    n = propose(cli)
    code, data = cli("review", str(n), "--approve", "--as", "grace@example.org")
    assert (code, data["state"], data["meaning"]) == (0, "approved", "approved as owner of respect_privacy")
    code, data = cli("merge", str(n), "--as", "ada@example.org")
    assert code == 0
    assert data == {"id": n, "state": "merged", "commit": cli.repo.head()}
    code, history = cli("history", "respect_privacy")
    assert history[-1]["proposal"] == n and history[-1]["commit"] == data["commit"]
    assert cli("proposals", "--state", "merged")[1][0]["id"] == n


def test_a_refused_merge_exits_1_naming_the_unmet_rule(cli):
    n = propose(cli)
    code, data = cli("merge", str(n), "--as", "ada@example.org")
    assert code == 1 and data["error"] == "policy_not_satisfied"
    assert "respect_privacy: needs 1 more approval" in data["message"] and "[rule defaults: 1]" in data["message"]


def test_a_conflicting_merge_exits_1_and_leaves_the_proposal_conflicted(cli):
    n = propose(cli)
    cli("review", str(n), "--approve", "--as", "grace@example.org")
    cli.repo.commit("Direct", {"spec/rules.md": RULES.replace("Do not reveal", "Never ever reveal")})
    code, data = cli("merge", str(n), "--as", "ada@example.org")
    assert (code, data["error"]) == (1, "merge_conflict")
    assert "respect_privacy: changed on the branch" in data["message"]
    assert cli("proposal", str(n))[1]["state"] == "conflicted"


def test_revise_comment_withdraw_and_the_queue(cli, monkeypatch):
    n = propose(cli)
    assert [p["id"] for p in cli("queue", "--as", "grace@example.org")[1]] == [n]
    monkeypatch.setattr("sys.stdin", io.StringIO(
        "## Respect privacy {#respect_privacy authority=system}\n\nKeep personal data private.\n"))
    code, data = cli("revise", str(n), "--file", "-", "--note", "wording", "--as", "ada@example.org")
    assert (code, data) == (0, {"id": n, "state": "open"})
    assert cli("comment", str(n), "Better.", "--as", "grace@example.org")[0] == 0
    detail = cli("proposal", str(n))[1]
    assert [r["number"] for r in detail["revisions"]] == [1, 2] and detail["comments"][0]["text"] == "Better."
    assert cli("withdraw", str(n), "--as", "ada@example.org")[1] == {"id": n, "state": "withdrawn"}


def test_review_with_a_revision_that_is_no_longer_current_exits_1_and_records_nothing(cli):
    n = propose(cli)
    assert cli("revise", str(n), "--file", cli.file, "--note", "again", "--as", "ada@example.org")[0] == 0
    code, data = cli("review", str(n), "--approve", "--revision", "1", "--as", "grace@example.org")
    assert (code, data["error"]) == (1, "stale_revision") and "now at revision 2" in data["message"]
    assert cli("proposal", str(n))[1]["reviews"] == []
    code, data = cli("review", str(n), "--approve", "--revision", "2", "--as", "grace@example.org")
    assert (code, data["state"]) == (0, "approved")


def test_revise_from_a_revision_that_is_no_longer_current_exits_1_and_records_nothing(cli):
    n = propose(cli)
    assert cli("revise", str(n), "--file", cli.file, "--revision", "1", "--as", "ada@example.org")[0] == 0
    code, data = cli("revise", str(n), "--file", cli.file, "--revision", "1", "--as", "root@example.org")
    assert (code, data["error"]) == (1, "stale_revision") and "you started from revision 1" in data["message"]
    assert len(cli("proposal", str(n))[1]["revisions"]) == 2
    assert cli("revise", str(n), "--file", cli.file, "--revision", "2", "--as", "root@example.org")[0] == 0


def test_revise_refuses_to_drop_a_clause_the_proposal_does_not_touch(cli):
    n = propose(cli)
    code, data = cli("revise", str(n), "--drop", "tone", "--as", "ada@example.org")
    assert (code, data["error"]) == (1, "bad_request") and "does not touch tone" in data["message"]
    assert cli("proposal", str(n))[1]["revision"] == 1


def test_a_veto_and_its_dismissal(cli):
    n = propose(cli)
    code, veto = cli("review", str(n), "--request-changes", "--comment", "No.", "--as", "alan@example.org")
    assert code == 0 and veto["kind"] == "request_changes"
    cli("review", str(n), "--approve", "--as", "grace@example.org")
    assert cli("proposal", str(n))[1]["state"] == "open"
    code, data = cli("dismiss", str(n), str(veto["review"]), "--reason", "Answered.", "--as", "root@example.org")
    assert (code, data) == (0, {"id": n, "state": "approved"})


def test_an_api_token_in_the_environment_acts_until_revoked(cli, monkeypatch):
    code, token = cli("token", "create", "ada@example.org", "--as", "ada@example.org")
    assert code == 0 and token["token"].startswith("srg_")
    monkeypatch.setenv("SPECREG_TOKEN", token["token"])
    code, data = cli("propose", "lists", "--remove", "--title", "T", "--rationale", "R")
    assert (code, data["state"]) == (0, "open")
    assert cli("token", "list")[1][0]["prefix"] == token["prefix"]
    assert cli("token", "revoke", str(token["id"]))[0] == 0
    code, data = cli("propose", "lists", "--remove", "--title", "T", "--rationale", "R")
    assert (code, data["error"]) == (1, "unauthorized")


def test_commands_that_act_need_someone_acting(cli):
    code, data = cli("propose", "lists", "--remove", "--title", "T", "--rationale", "R")
    assert (code, data["error"]) == (1, "unauthorized")
    code, data = cli("propose", "lists", "--remove", "--title", "T", "--rationale", "R", "--as", "grace@example.org")
    assert (code, data["error"]) == (1, "forbidden")
    assert cli("proposal", "99")[1]["error"] == "unknown_proposal"


def test_a_merge_commit_names_the_proposer_as_author(cli):
    n = propose(cli)
    cli("review", str(n), "--approve", "--as", "grace@example.org")
    sha = cli("merge", str(n), "--as", "ada@example.org")[1]["commit"]
    with git.Repo(cli.repo.path) as r:
        assert r.commit(sha).author.email == "ada@example.org"


def test_the_user_list_in_a_terminal_shows_role_state_last_login_and_tokens(cli, capsys):
    cli("token", "create", "ada@example.org", "--as", "root@example.org")
    assert main(["user", "list"]) == 0
    lines = {line.split()[0]: line for line in capsys.readouterr().out.splitlines()}
    assert "editor" in lines["ada@example.org"] and "enabled" in lines["ada@example.org"]
    assert "last login never" in lines["ada@example.org"] and "1 token(s)" in lines["ada@example.org"]
    assert "0 token(s)" in lines["grace@example.org"]


# --- governance files: specreg propose --path FILE --file NEW ------------------------------------

# TOML comments look like Markdown headings: a governance file is never checked as a clause.
GOVERNED = "# Approvals.\n# Who approves what.\n" + POLICY + "\n# Governance files.\n[governance]\nmin_approvals = 1\n"


def propose_file(cli, path: str, text: str, *extra: str, who: str = "ada@example.org") -> tuple[int, dict]:
    new = cli.repo.path.parent / "new.toml"
    new.write_text(text)
    return cli("propose", "--path", path, "--file", str(new), "--title", "Governance", "--rationale", "Needed.",
               "--as", who, *extra)


def test_propose_path_replaces_a_governance_file_that_an_admin_approves_and_merges(cli):
    code, data = propose_file(cli, "policy.toml", GOVERNED)
    assert (code, data["state"]) == (0, "open")
    n = data["id"]
    code, shown = cli("proposal", str(n))
    assert shown["revisions"][0]["changes"][0]["kind"] == "file"
    assert shown["policy"]["missing"] == ["policy.toml: needs 1 more approval from the admins (policy.toml is a "
                                          "governance file): Root Admin [rule governance: 1]"]
    code, data = cli("review", str(n), "--approve", "--as", "grace@example.org")
    assert (code, data["error"]) == (1, "forbidden")
    code, data = cli("review", str(n), "--approve", "--as", "root@example.org")
    assert (code, data["state"], data["meaning"]) == (0, "approved", "approved as admin for governance file policy.toml")
    code, data = cli("merge", str(n), "--as", "ada@example.org")
    assert (code, data["state"]) == (0, "merged")
    with git.Repo(cli.repo.path) as r:
        commit = r.commit(data["commit"])
        assert commit.tree["policy.toml"].data_stream.read().decode() == GOVERNED
        assert f"Proposal-Id: {n}" in commit.message and "Approved-by: Root Admin <root@example.org>" in commit.message


def test_the_proposal_text_names_the_governance_file_and_shows_it(cli, capsys):
    n = propose_file(cli, "policy.toml", GOVERNED)[1]["id"]
    assert main(["proposal", str(n)]) == 0
    out = capsys.readouterr().out
    assert "new policy.toml (a governance file, replaced whole)\n    # Approvals.\n" in out
    assert "policy.toml: needs 1 more approval from the admins (policy.toml is a governance file)" in out


def test_revise_takes_a_new_governance_file_with_or_without_clause(cli, tmp_path):
    n = propose_file(cli, "policy.toml", GOVERNED)[1]["id"]
    newer = tmp_path / "newer.toml"
    for number, extra in ((2, ("--clause", "policy.toml")), (3, ())):
        newer.write_text(GOVERNED.replace("min_approvals = 1\n", f"min_approvals = {number}\n", 1))
        code, data = cli("revise", str(n), "--file", str(newer), *extra, "--as", "ada@example.org")
        assert (code, data["state"]) == (0, "open"), data
    shown = cli("proposal", str(n))[1]
    assert shown["revisions"][-1]["changes"][0]["text"] == newer.read_text()
    newer.write_text("[governance]\nmin_approvals = 0\n")
    code, data = cli("revise", str(n), "--file", str(newer), "--clause", "policy.toml", "--as", "ada@example.org")
    assert (code, data["error"]) == (1, "bad_request") and "min_approvals must be a whole number" in data["message"]


@pytest.mark.parametrize(("argv", "message"), [
    (("--path", "README.md"), "'README.md' is not a governance file"),
    (("--path", "policy.toml", "respect_privacy"), "ID belong to clause proposals"),
    (("--path", "policy.toml", "--remove"), "--remove belong to clause proposals"),
    (("--path", "policy.toml", "--after", "be_brief"), "--after belong to clause proposals"),
    (("--path", "policy.toml"), "give the new policy.toml with --file"),
    ((), "say which clause to propose a change to (ID), or which governance file (--path)"),
])
def test_propose_path_refuses_what_does_not_fit_a_governance_file(cli, argv, message):
    code, data = cli("propose", *argv, "--title", "T", "--rationale", "R", "--as", "ada@example.org")
    assert (code, data["error"]) == (1, "bad_request") and message in data["message"], data
    assert cli("proposals")[1] == []


def test_an_invalid_governance_file_is_refused_on_the_command_line_naming_the_problem(cli):
    code, data = propose_file(cli, "OWNERS.toml", '[owners]\n"be_brief" = "alan@example.org"\n')
    assert (code, data["error"]) == (1, "bad_request")
    assert data["message"].startswith("the new OWNERS.toml is refused: ")
    assert cli("proposals")[1] == []


def test_the_command_line_refuses_texts_over_their_limits_naming_the_field(cli, tmp_path):
    code, data = cli("propose", "respect_privacy", "--file", cli.file, "--title", "T" * 201, "--rationale", "R",
                     "--as", "ada@example.org")
    assert (code, data["message"]) == (1, "title is too long: 201 characters, at most 200")
    n = propose(cli)
    code, data = cli("comment", str(n), "x" * 20_001, "--as", "grace@example.org")
    assert (code, data["message"]) == (1, "comment is too long: 20,001 characters, at most 20,000")
    many = tmp_path / "many.md"
    many.write_text("## Respect privacy {#respect_privacy}\n\nx\n\n" + "## Same\n\ny\n\n" * 50)
    code, data = cli("revise", str(n), "--file", str(many), "--as", "ada@example.org")
    assert code == 1 and data["message"].startswith("the text holds 51 clauses")
    code, detail = cli("proposal", str(n))
    assert detail["comments"] == [] and detail["revision"] == 1


def test_the_proposals_text_shows_approvals_have_and_need_the_veto_and_who_it_waits_on(cli, capsys):
    n = propose(cli)
    capsys.readouterr()
    assert main(["proposals"]) == 0
    assert capsys.readouterr().out == (f"#{n:<4} open       Tighten privacy  (respect_privacy; Ada Byron)  "
                                       "approvals 0/1; waiting on grace@example.org\n")
    assert cli("review", str(n), "--request-changes", "--comment", "No.", "--as", "grace@example.org")[0] == 0
    capsys.readouterr()
    assert main(["proposals"]) == 0
    assert capsys.readouterr().out.rstrip().endswith("approvals 0/1; vetoed; waiting on grace@example.org")


def test_the_queue_text_shows_the_same_facts_and_which_clauses_you_may_approve(cli, capsys):
    n = propose(cli)
    capsys.readouterr()
    assert main(["queue", "--as", "grace@example.org"]) == 0
    assert capsys.readouterr().out == (f"#{n:<4} open       Tighten privacy  (respect_privacy; Ada Byron)  approvals 0/1; "
                                       "waiting on grace@example.org; you may approve respect_privacy\n")


def test_the_proposal_text_ends_with_its_timeline_naming_who_did_what(cli, capsys):
    n = propose(cli)
    assert cli("reject", str(n), "--reason", "Not needed.", "--as", "grace@example.org")[0] == 0
    capsys.readouterr()
    assert main(["proposal", str(n)]) == 0
    out = capsys.readouterr().out
    timeline = out.split("\ntimeline:\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert re.fullmatch(r"  \S+Z created by Ada Byron <ada@example\.org>: revision 1\b.*", timeline[0]), timeline
    assert re.fullmatch(r"  \S+Z rejected by Grace Hopper <grace@example\.org>: reason: Not needed\.", timeline[-1])

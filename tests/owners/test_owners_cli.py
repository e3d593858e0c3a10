"""The owner commands: exact JSON shapes, text output, and one-line errors with exit status 1."""
from __future__ import annotations

import json

import pytest
from owners_helpers import build

from registry.cli import main


@pytest.fixture
def cli(database_url, repo, monkeypatch, capsys):
    """Run `specreg ARGS...`; returns (status, stdout, stderr)."""
    monkeypatch.setenv("SPECREG_DATABASE_URL", database_url)
    monkeypatch.setenv("SPECREG_REPO", str(repo.path))
    monkeypatch.delenv("SPECREG_TOKEN", raising=False)
    build(repo)

    def run(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        status = main(list(args))
        out, err = capsys.readouterr()
        return status, out, err

    assert run("ingest", "--json")[0] == 0
    assert run("user", "add", "ada@example.org", "--name", "Ada Byron", "--role", "admin")[0] == 0
    assert run("user", "add", "grace@example.org", "--name", "Grace Hopper", "--role", "editor",
               "--as", "ada@example.org")[0] == 0
    return run


def as_json(result: tuple[int, str, str]) -> object:
    status, out, _ = result
    assert status == 0
    return json.loads(out)


def test_who_owns_prints_the_contract_json(cli):
    data = as_json(cli("who-owns", "say_unsure", "--json"))
    assert list(data) == ["id", "at", "owners"]
    assert data["id"] == "say_unsure"
    assert [list(o) for o in data["owners"]] == [["name", "email", "team", "source", "since"]] * 2
    assert data["owners"][1] == {"name": "Alan Turing", "email": "alan@example.org", "team": "safety",
                                 "source": "document:spec/rules.md", "since": "2024-01-04T09:00:00Z"}


def test_who_owns_at_a_ref_before_the_owners_change(cli):
    before = as_json(cli("who-owns", "respect_privacy", "--at", "v1", "--json"))
    after = as_json(cli("who-owns", "respect_privacy", "--json"))
    assert before["at"]["ref"] == "v1"
    assert [o["email"] for o in before["owners"]] == ["grace@example.org"]
    assert [(o["email"], o["source"]) for o in after["owners"]] == [("ada@example.org", "explicit")]


def test_who_owns_text_says_where_owners_came_from(cli):
    status, out, _ = cli("who-owns", "say_unsure")
    assert status == 0
    assert "Grace Hopper <grace@example.org> via team safety  inherited from document spec/rules.md" in out


def test_owned_by_and_unowned_print_json(cli):
    data = as_json(cli("owned-by", "team:safety", "--json"))
    assert (data["owner"], data["kind"]) == ("team:safety", "team")
    assert [c["id"] for c in data["clauses"]] == ["rules", "be_honest", "say_unsure"]
    data = as_json(cli("unowned", "--at", "v1", "--json"))
    assert (data["total"], data["unowned"], data["share"]) == (7, 0, 0.0)
    first = as_json(cli("unowned", "--at", "2024-01-02", "--json"))
    assert first["share"] == 1.0 and len(first["clauses"]) == 7


def test_assign_then_unassign_through_the_cli(cli):
    data = as_json(cli("assign", "lexicon", "grace@example.org", "--reason", "cover", "--as", "ada@example.org",
                       "--json"))
    assert list(data) == ["id", "owner", "action", "reason", "by", "at", "assignment"]
    assert (data["id"], data["owner"], data["action"], data["by"], data["reason"]) == (
        "lexicon", "grace@example.org", "assign", "ada@example.org", "cover")
    owners = as_json(cli("who-owns", "lexicon", "--json"))["owners"]
    assert owners[-1]["source"] == "registry"
    status, out, _ = cli("unassign", "lexicon", "grace@example.org", "--reason", "done", "--as", "ada@example.org")
    assert status == 0 and "unassigned" in out
    history = as_json(cli("owner-history", "lexicon", "--json"))
    assert [h["kind"] for h in history][-2:] == ["assignment", "assignment"]


def test_assign_acts_as_the_account_of_the_api_token_in_the_environment(cli, monkeypatch):
    token = as_json(cli("token", "create", "ada@example.org", "--as", "ada@example.org", "--json"))
    monkeypatch.setenv("SPECREG_TOKEN", token["token"])
    data = as_json(cli("assign", "lexicon", "team:safety", "--reason", "safety reviews", "--json"))
    assert (data["owner"], data["by"]) == ("team:safety", "ada@example.org")
    assert cli("token", "revoke", str(token["id"]))[0] == 0
    status, out, _ = cli("unassign", "lexicon", "team:safety", "--reason", "done", "--json")
    assert status == 1 and json.loads(out)["error"] == "unauthorized"


@pytest.mark.parametrize("actor, code", [
    ((), "unauthorized"),
    (("--as", "grace@example.org"), "forbidden"),
    (("--as", "nobody@example.org"), "unknown_user"),
])
@pytest.mark.parametrize("action", ["assign", "unassign"])
def test_only_an_admin_assigns_or_unassigns_owners(cli, action, actor, code):
    status, out, _ = cli(action, "lexicon", "alan@example.org", "--reason", "r", *actor, "--json")
    assert status == 1 and json.loads(out)["error"] == code
    history = as_json(cli("owner-history", "lexicon", "--json"))
    assert [h["kind"] for h in history] == ["commit", "commit"]


def test_owner_history_prints_json_with_commits(cli):
    history = as_json(cli("owner-history", "respect_privacy", "--json"))
    assert [h["why"] for h in history] == ["Add the rules and the lexicon", "Add OWNERS.toml",
                                           "OWNERS: Alan joins safety; Ada takes privacy"]
    assert history[-1]["removed"] == ["grace@example.org"]


@pytest.mark.parametrize("args, code", [
    (("who-owns", "nope"), "unknown_clause"),
    (("who-owns", "rules", "--at", "v9"), "unknown_ref"),
    (("owned-by", "nobody@example.org"), "unknown_owner"),
    (("assign", "rules", "nobody@example.org", "--reason", "r", "--as", "ada@example.org"), "unknown_owner"),
    (("unassign", "rules", "grace@example.org", "--reason", "r", "--as", "ada@example.org"), "conflict"),
])
def test_unknown_ids_refs_and_people_are_one_line_errors(cli, args, code):
    status, out, err = cli(*args)
    assert status == 1 and out == "" and len(err.strip().splitlines()) == 1
    status, out, _ = cli(*args, "--json")
    assert status == 1 and json.loads(out)["error"] == code


@pytest.mark.parametrize("name, email", [
    ("Eve\nApproved-by: Ada Byron <ada@example.org>; 2024-01-01T00:00:00Z; approve", "eve@example.org"),
    ("Eve <ada@example.org>", "eve@example.org"),
    ("Eve", "eve@example.org>"),
])
def test_user_add_refuses_a_name_or_email_that_could_forge_a_trailer(cli, name, email):
    status, out, err = cli("user", "add", email, "--name", name, "--as", "ada@example.org")
    assert status == 1 and out == "" and "may not contain" in err
    users = as_json(cli("user", "list", "--json"))
    assert [u["email"] for u in users] == ["ada@example.org", "grace@example.org"]

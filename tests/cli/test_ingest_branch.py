"""Which branch `specreg ingest` reads: --branch, else SPECREG_BRANCH, else the tracked or checked-out branch."""
from __future__ import annotations

import json

import git
import pytest
from repo_builder import RepoBuilder

from registry.cli import main

DOC = "# Rules {#rules}\n\nIntro.\n"


@pytest.fixture
def master(tmp_path, database_url, monkeypatch) -> RepoBuilder:
    """A repo whose branches are `master` (checked out, two commits) and `dev` (one more), on a fresh database."""
    repo = RepoBuilder(tmp_path / "reference", branch="master")
    repo.commit("one", {"src/rules.md": DOC})
    repo.commit("two", {"src/rules.md": DOC + "\nMore.\n"})
    repo.commit("dev", {"src/dev.md": "# Dev {#dev}\n"}, branch="dev", start="master")
    monkeypatch.setenv("SPECREG_DATABASE_URL", database_url)
    monkeypatch.setenv("SPECREG_REPO", str(repo.path))
    monkeypatch.delenv("SPECREG_BRANCH", raising=False)
    return repo


def point_head(path, *args: str) -> None:
    """Move HEAD without touching the work tree (the registry reads git objects only)."""
    with git.Repo(path) as r:
        r.git.update_ref(*args) if args[0] == "--no-deref" else r.git.symbolic_ref("HEAD", *args)


@pytest.fixture
def json_cli(master, capsys):
    """`run(*argv)`: `specreg ARGV --json` on the `master` repo, giving (exit code, parsed stdout)."""
    def run(*argv: str) -> tuple[int, dict]:
        code = main([*argv, "--json"])
        return code, json.loads(capsys.readouterr().out)

    return run


def ingested_head(json_cli, *argv: str) -> str:
    code, data = json_cli("ingest", *argv)
    assert code == 0, data
    return data["head"]


def test_without_a_named_branch_ingest_reads_the_checked_out_branch(master, json_cli):
    assert ingested_head(json_cli) == master.head("master")


def test_a_bare_repository_is_read_at_the_branch_its_head_names(master, tmp_path, json_cli):
    bare = tmp_path / "reference.git"
    git.Repo.clone_from(master.path, bare, bare=True).close()
    assert ingested_head(json_cli, "--repo", str(bare)) == master.head("master")


@pytest.mark.parametrize(("env", "argv", "branch"), [
    ("dev", [], "dev"),
    (None, ["--branch", "dev"], "dev"),
    ("dev", ["--branch", "master"], "master"),
])
def test_specreg_branch_and_the_branch_option_override_the_checked_out_branch(
        master, json_cli, monkeypatch, env, argv, branch):
    if env:
        monkeypatch.setenv("SPECREG_BRANCH", env)
    assert ingested_head(json_cli, *argv) == master.head(branch)


def test_a_detached_head_is_an_error_that_names_the_branches(master, json_cli):
    point_head(master.path, "--no-deref", "HEAD", master.head("master"))
    code, data = json_cli("ingest")
    assert code == 1
    assert "HEAD is detached" in data["message"]
    assert data["message"].endswith("name the branch to read with --branch or SPECREG_BRANCH; "
                                    "the repository has: dev, master")
    assert ingested_head(json_cli, "--branch", "master") == master.head("master")


def test_a_head_that_names_a_branch_without_commits_is_an_error_that_names_the_branches(master, json_cli):
    point_head(master.path, "refs/heads/main")
    code, data = json_cli("ingest")
    assert code == 1
    assert "names branch 'main', which has no commits" in data["message"]
    assert data["message"].endswith("the repository has: dev, master")


def test_an_unknown_branch_is_an_error_that_names_the_branches(master, json_cli):
    code, data = json_cli("ingest", "--branch", "main")
    assert code == 1
    assert data["message"] == f"unknown branch 'main' in {master.path}; the repository has: dev, master"


def test_once_a_database_tracks_a_branch_checking_out_another_does_not_change_what_ingest_reads(master, json_cli):
    assert ingested_head(json_cli) == master.head("master")
    master.commit("three", {"src/rules.md": DOC + "\nEven more.\n"})
    point_head(master.path, "refs/heads/dev")
    assert ingested_head(json_cli) == master.head("master")
    point_head(master.path, "--no-deref", "HEAD", master.head("dev"))
    assert ingested_head(json_cli) == master.head("master")

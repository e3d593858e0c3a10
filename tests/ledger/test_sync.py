"""specreg sync: fetch the spec repo's remote into Specreg's clone and ingest it, over file:// and http."""
from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from git_remote import Remote, closed_port_url, records_remote
from proposal_helpers import OWNERS, POLICY, RULES
from sqlalchemy import select

from registry.cli import main
from registry.config import load_settings
from registry.db import make_engine, session_scope
from registry.errors import ConfigError, UnknownRef
from registry.history.queries import show_clause
from registry.ledger.refs import resolve
from registry.models import Ledger


@pytest.fixture
def cli(remote: Remote, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys):
    """`run(*argv)`: `specreg ARGV --json` with SPECREG_REMOTE set, giving (exit code, parsed stdout)."""
    monkeypatch.setenv("SPECREG_DATABASE_URL", database_url)
    monkeypatch.setenv("SPECREG_REMOTE", remote.url)
    monkeypatch.setenv("SPECREG_INSTANCE", str(tmp_path / "instance"))
    monkeypatch.delenv("SPECREG_REPO", raising=False)

    def run(*argv: str) -> tuple[int, dict]:
        code = main([*argv, "--json"])
        return code, json.loads(capsys.readouterr().out)

    return run


def _text(database_url: str, key: str) -> str:
    engine = make_engine(database_url)
    try:
        with session_scope(engine) as s:
            return show_clause(s, key, resolve(s, None)).text
    finally:
        engine.dispose()


def test_sync_clones_the_remote_and_ingests_what_was_pushed_to_it(cli, remote, database_url, tmp_path):
    remote.author.commit("Spec", {"spec/rules.md": RULES, "OWNERS.toml": OWNERS, "policy.toml": POLICY})
    remote.push()
    code, out = cli("sync")
    assert code == 0, out
    assert out["fetched"] == out["head"] == remote.head()
    assert out["commits"] == 2
    assert (tmp_path / "instance" / "spec-clone" / "HEAD").is_file()
    assert "Do not reveal personal data." in _text(database_url, "respect_privacy")


def test_a_second_sync_reads_only_what_was_pushed_since(cli, remote, database_url):
    remote.author.commit("Spec", {"spec/rules.md": RULES})
    remote.push()
    assert cli("sync")[1]["commits"] == 2
    code, out = cli("sync")
    assert (code, out["commits"], out["fetched"]) == (0, 0, remote.head())
    remote.author.commit("Sharper", {"spec/rules.md": RULES.replace("personal data", "anyone's data")})
    remote.push()
    code, out = cli("sync")
    assert (code, out["commits"], out["fetched"]) == (0, 1, remote.head())
    assert "anyone's data" in _text(database_url, "respect_privacy")


def test_a_history_rewritten_on_the_remote_is_recorded_by_the_next_sync(cli, remote, database_url):
    base = remote.author.commit("Spec", {"spec/rules.md": RULES})
    remote.author.commit("Edit", {"spec/rules.md": RULES.replace("Prefer short", "Prefer very short")})
    remote.push()
    cli("sync")
    remote.author.reset(base)
    remote.author.commit("Other edit", {"spec/rules.md": RULES.replace("Prefer short", "Prefer brief")})
    remote.push("--force")
    code, out = cli("sync")
    assert (code, out["rewritten"], out["fetched"]) == (0, True, remote.head())
    assert "Prefer brief" in _text(database_url, "be_brief")


def test_a_tag_deleted_on_the_remote_is_gone_from_the_ledger_after_the_next_sync(cli, remote, database_url):
    import subprocess

    remote.author.commit("Spec", {"spec/rules.md": RULES}, tag="v1")
    remote.push()
    subprocess.run(["git", "push", "--quiet", remote.url, "refs/tags/v1"], cwd=remote.author.path, check=True)
    cli("sync")
    engine = make_engine(database_url)
    with session_scope(engine) as s:
        assert resolve(s, "v1").sha == remote.head()
    subprocess.run(["git", "push", "--quiet", remote.url, ":refs/tags/v1"], cwd=remote.author.path, check=True)
    assert cli("sync")[0] == 0
    with session_scope(engine) as s, pytest.raises(UnknownRef):
        resolve(s, "v1")
    engine.dispose()


# The closed port is found when the test runs: a port in a test id would differ between xdist's workers.
UNREACHABLE = {"closed-port": closed_port_url, "missing-path": lambda: "file:///nonexistent/spec.git",
               "credentials-in-url": lambda: "https://alice:s3cret@127.0.0.1:1/spec.git"}


@pytest.mark.parametrize("kind", sorted(UNREACHABLE))
def test_an_unreachable_remote_is_a_clear_error_and_changes_nothing(cli, remote, database_url, monkeypatch, kind,
                                                                   tmp_path):
    url = UNREACHABLE[kind]()
    remote.author.commit("Spec", {"spec/rules.md": RULES})
    remote.push()
    assert cli("sync")[0] == 0
    monkeypatch.setenv("SPECREG_REMOTE", url)
    records_remote(tmp_path / "instance" / "spec-clone", url)  # the remote the clone came from, now out of reach
    code, out = cli("sync")
    assert code == 1
    assert out["error"] == "remote_unavailable"
    assert "could not fetch from the spec repo's remote" in out["message"]
    assert "s3cret" not in out["message"]
    engine = make_engine(database_url)
    with session_scope(engine) as s:
        assert s.get(Ledger, 1).head_sha == remote.head()
    engine.dispose()


def test_a_remote_never_cloned_and_unreachable_says_so(cli, monkeypatch, tmp_path):
    monkeypatch.setenv("SPECREG_REMOTE", closed_port_url())
    code, out = cli("sync")
    assert (code, out["error"]) == (1, "remote_unavailable")
    assert "could not clone" in out["message"]
    assert not (tmp_path / "instance" / "spec-clone").exists()


def test_sync_without_a_remote_points_to_ingest(cli, monkeypatch):
    monkeypatch.delenv("SPECREG_REMOTE")
    code, out = cli("sync")
    assert (code, out["error"]) == (1, "config_error")
    assert "SPECREG_REMOTE" in out["message"] and "specreg ingest" in out["message"]


@pytest.mark.parametrize(("env", "message"), [
    ({"SPECREG_REMOTE": "file:///srv/spec.git", "SPECREG_REPO": "/srv/spec"}, "not both"),
    ({"SPECREG_REMOTE": "ext::sh -c touch% /tmp/pwned"}, "must be a git URL"),
    ({"SPECREG_REMOTE": "--upload-pack=touch /tmp/pwned"}, "must be a git URL"),
    ({"SPECREG_REMOTE": "/srv/spec.git"}, "must be a git URL"),
    ({"SPECREG_REMOTE": "https://host/spec.git\nevil"}, "must be a git URL"),
])
def test_a_remote_setting_that_cannot_work_is_refused_with_the_reason(env, message):
    with pytest.raises(ConfigError, match=message):
        load_settings(env)


@pytest.mark.parametrize("url", ["file:///srv/spec.git", "https://git.example.org/org/spec.git",
                                 "ssh://git@git.example.org/org/spec.git", "git@git.example.org:org/spec.git"])
def test_a_remote_is_kept_in_a_clone_in_the_instance_folder(url, tmp_path):
    settings = load_settings({"SPECREG_REMOTE": url, "SPECREG_INSTANCE": str(tmp_path)})
    assert (settings.remote, settings.repo) == (url, tmp_path.resolve() / "spec-clone")


def test_a_folder_in_the_clones_place_that_is_not_the_clone_is_refused_and_kept(cli, remote, tmp_path):
    clone = tmp_path / "instance" / "spec-clone"
    clone.mkdir(parents=True)
    (clone / "notes.txt").write_text("someone's files\n")
    code, out = cli("sync")
    assert (code, out["error"]) == (1, "source_error")
    assert "is not Specreg's clone of the remote; move it away" in out["message"]
    assert (clone / "notes.txt").read_text() == "someone's files\n"


def test_a_clone_removed_from_the_instance_folder_is_made_again_and_nothing_is_read_twice(cli, remote, tmp_path):
    import shutil

    remote.author.commit("Spec", {"spec/rules.md": RULES})
    remote.push()
    assert cli("sync")[1]["commits"] == 2
    shutil.rmtree(tmp_path / "instance" / "spec-clone")
    code, out = cli("sync")
    assert (code, out["commits"], out["rewritten"], out["fetched"]) == (0, 0, False, remote.head())


def test_a_clone_that_lags_the_database_catches_up_and_a_current_one_is_left_alone(remote, database_url, tmp_path):
    from registry.gitsource import SpecSource
    from registry.ledger.sync import catch_up, sync

    here, there = tmp_path / "here" / "spec-clone", tmp_path / "there" / "spec-clone"
    remote.author.commit("Spec", {"spec/rules.md": RULES})
    remote.push()
    engine = make_engine(database_url)
    with session_scope(engine, write=True) as s:
        sync(s, here, remote.url)
    with session_scope(engine, write=True) as s:
        assert catch_up(s, there, remote.url) is True  # no clone yet: made now
        remote.author.commit("More", {"spec/rules.md": RULES + "\n## New {#new}\n\nNew.\n"})
        remote.push()
        sync(s, here, remote.url)  # another host took the push into the shared database
        assert catch_up(s, there, remote.url) is True
        assert catch_up(s, there, remote.url) is False and catch_up(s, here, remote.url) is False
    with SpecSource(there) as source:
        assert source.has_commit(remote.head())
    engine.dispose()


def _unrelated_remote(tmp_path: Path) -> str:
    """Another repository: a spec of its own, sharing no commit with the remote's."""
    from git_remote import bare_remote
    from repo_builder import RepoBuilder

    author = RepoBuilder(tmp_path / "other-author")
    author.commit("Another team's spec", {"spec/rules.md": RULES.replace("Prefer short", "Prefer long")})
    return bare_remote(author, tmp_path / "other" / "spec.git").as_uri()


def _ledger_head(database_url: str) -> str:
    engine = make_engine(database_url)
    try:
        with session_scope(engine) as s:
            return s.get(Ledger, 1).head_sha
    finally:
        engine.dispose()


def test_a_remote_changed_to_another_repository_is_refused_naming_both_until_moved_to_on_purpose(
        cli, remote, database_url, monkeypatch, tmp_path):
    import subprocess

    remote.author.commit("Spec", {"spec/rules.md": RULES})
    remote.push()
    assert cli("sync")[0] == 0
    clone = tmp_path / "instance" / "spec-clone"
    main_before = subprocess.run(["git", "rev-parse", "main"], cwd=clone, capture_output=True, text=True).stdout
    other = _unrelated_remote(tmp_path)
    monkeypatch.setenv("SPECREG_REMOTE", other)
    code, out = cli("sync")
    assert (code, out["error"]) == (1, "remote_changed")
    assert other in out["message"] and remote.url in out["message"] and "--new-remote" in out["message"]
    assert _ledger_head(database_url) == remote.head()
    assert subprocess.run(["git", "rev-parse", "main"], cwd=clone, capture_output=True, text=True).stdout == main_before

    code, out = cli("sync", "--new-remote")
    assert (code, out["rewritten"]) == (0, True), out
    assert "Prefer long" in _text(database_url, "be_brief")
    engine = make_engine(database_url)
    with session_scope(engine) as s:
        from registry.models import AuditEvent

        event = s.scalars(select(AuditEvent).where(AuditEvent.action == "ledger.remote_changed")).one()
        assert (event.actor, event.old["url"], event.new["url"]) == ("registry:sync", remote.url, other)
    engine.dispose()
    assert cli("sync")[0] == 0  # the clone now records the new remote


def test_a_new_hosts_clone_of_a_repository_sharing_no_commit_with_the_database_is_refused_and_removed(
        cli, remote, database_url, monkeypatch, tmp_path):
    remote.author.commit("Spec", {"spec/rules.md": RULES})
    remote.push()
    assert cli("sync")[0] == 0
    monkeypatch.setenv("SPECREG_INSTANCE", str(tmp_path / "second-host"))
    monkeypatch.setenv("SPECREG_REMOTE", _unrelated_remote(tmp_path))
    code, out = cli("sync")
    assert (code, out["error"]) == (1, "remote_changed")
    assert "shares no commit with the history this database holds" in out["message"]
    assert not (tmp_path / "second-host" / "spec-clone").exists()
    assert _ledger_head(database_url) == remote.head()


def _proposer(cli) -> None:
    """An admin account to propose as, in a database that has never synced."""
    assert cli("user", "add", "root@example.org", "--name", "Root", "--role", "admin")[0] == 0


def test_proposing_before_the_first_sync_says_to_run_sync_on_the_command_line(cli, tmp_path):
    _proposer(cli)
    text = tmp_path / "clause.md"
    text.write_text("## Be brief {#be_brief}\n\nShorter.\n")
    code, out = cli("propose", "be_brief", "--file", str(text), "--title", "T", "--rationale", "R",
                    "--as", "root@example.org")
    assert (code, out["error"]) == (1, "not_synced"), out
    assert "Run `specreg sync`" in out["message"] and "not a git repository" not in out["message"]


def test_proposing_before_the_first_sync_is_503_not_synced_on_the_api_and_a_page_with_the_way_forward(
        cli, remote, database_url, tmp_path):
    from registry.accounts.credentials import create_token
    from registry.accounts.users import actor_for
    from registry.app import create_app

    _proposer(cli)
    engine = make_engine(database_url)
    with session_scope(engine, write=True) as s:
        token = create_token(s, actor_for(s, "root@example.org"), "root@example.org")[0]
    engine.dispose()
    app = create_app({"TESTING": True}, settings=load_settings())
    client = app.test_client()
    change = {"title": "T", "rationale": "R", "changes": [{"id": "be_brief", "text": "## Be brief\n\nShorter.\n"}]}
    response = client.post("/api/v1/proposals", json=change, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 503
    assert response.get_json()["error"] == "not_synced"
    assert "Run `specreg sync`" in response.get_json()["message"]
    app.extensions["specreg.engine"].dispose()
    sso = create_app({"TESTING": True}, settings=replace(load_settings(), auth="header"))
    page = sso.test_client().get("/clauses/be_brief/propose", headers={"X-Remote-User": "root@example.org"})
    body = page.get_data(as_text=True)
    assert page.status_code == 503 and "specreg sync" in body and "not a git repository" not in body
    sso.extensions["specreg.engine"].dispose()

"""The `specreg` command line: JSON contracts, errors and exit codes."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from registry.cli import main
from registry.schema import head_revision

DOC = "# Rules {#rules}\n\nIntro.\n\n## Be honest {#be_honest authority=root}\n\nSay what is true.\n"


@pytest.fixture
def spec(repo, database_url, monkeypatch):
    """A two-commit repo with a tag, and a migrated database, wired through the environment."""
    repo.commit("one", {"spec/rules.md": DOC}, tag="v1")
    repo.commit("two", {"spec/rules.md": DOC.replace("what is true", "only what is true")}, tag="v2")
    monkeypatch.setenv("SPECREG_DATABASE_URL", database_url)
    monkeypatch.setenv("SPECREG_REPO", str(repo.path))
    return repo


def run_json(capsys, *argv: str) -> tuple[int, object]:
    code = main([*argv, "--json"])
    out = capsys.readouterr().out
    return code, json.loads(out)


def test_init_is_idempotent(spec, capsys):
    head = head_revision()
    assert run_json(capsys, "init") == (0, {"revision": head, "previous": head, "state": "already current"})


def test_ingest_reports_head_commits_versions_and_warnings(spec, capsys):
    code, data = run_json(capsys, "ingest")
    assert code == 0
    assert data == {"head": spec.head(), "commits": 2, "versions": 3, "rewritten": False, "abandoned_runs": [],
                    "warnings": []}


def test_ingest_warnings_name_commit_path_and_message(spec, capsys):
    spec.commit("bad", {"spec/bad.md": b"\xff"})
    _, data = run_json(capsys, "ingest")
    assert [(w["commit"], w["path"]) for w in data["warnings"]] == [(spec.head(), "spec/bad.md")]
    assert "not UTF-8" in data["warnings"][0]["message"]


def test_clauses_lists_id_title_document_parent_and_attributes(spec, capsys):
    run_json(capsys, "ingest")
    code, data = run_json(capsys, "clauses", "--at", "v1")
    assert code == 0
    assert data == [
        {"id": "rules", "title": "Rules", "document": "spec/rules.md", "parent": None, "attributes": {}},
        {"id": "be_honest", "title": "Be honest", "document": "spec/rules.md", "parent": "rules",
         "attributes": {"authority": "root"}},
    ]


def test_history_lists_versions_oldest_first(spec, capsys):
    run_json(capsys, "ingest")
    _, data = run_json(capsys, "history", "be_honest")
    assert [(h["changes"], h["author"], h["previous_id"]) for h in data] == [
        (["added"], "Ada Byron", None), (["body"], "Ada Byron", None)]
    assert set(data[0]) >= {"commit", "date", "author", "changes", "title", "document", "previous_id"}
    assert data[0]["date"] == "2024-01-02T09:00:00Z"


@pytest.mark.parametrize(("ref", "expected_text"), [
    ("v1", "Say what is true."),
    ("v2", "Say only what is true."),
    ("main", "Say only what is true."),
    ("2024-01-02", "Say what is true."),
    ("2024-01-03T09:00:00Z", "Say only what is true."),
    ("2024-01-03T08:59:59+00:00", "Say what is true."),
])
def test_show_resolves_tags_branches_dates_and_commits(spec, capsys, ref, expected_text):
    run_json(capsys, "ingest")
    code, data = run_json(capsys, "show", "be_honest", "--at", ref)
    assert code == 0 and data["text"] == expected_text
    assert set(data) >= {"id", "title", "document", "attributes", "text", "commit"}


def test_show_takes_a_commit_sha_prefix(spec, capsys):
    run_json(capsys, "ingest")
    _, data = run_json(capsys, "show", "be_honest", "--at", spec.head()[:8])
    assert data["commit"] == spec.head()


def test_diff_gives_word_level_ops(spec, capsys):
    run_json(capsys, "ingest")
    _, data = run_json(capsys, "diff", "be_honest", "v1", "v2")
    ops = data["ops"]
    assert [o["text"].strip() for o in ops if o["op"] != "equal"] == ["only"]
    assert "".join(o["text"] for o in ops if o["op"] != "insert") == "Say what is true."
    assert "".join(o["text"] for o in ops if o["op"] != "delete") == "Say only what is true."


def test_diff_as_text_marks_insertions(spec, capsys):
    main(["ingest"])
    capsys.readouterr()
    assert main(["diff", "be_honest", "v1", "v2"]) == 0
    out = capsys.readouterr().out
    assert "Say{+ only+} what is true." in out or "Say {+only +}what is true." in out


@pytest.mark.parametrize(("argv", "error", "message"), [
    (["show", "nope"], "unknown_clause", "no clause has the id 'nope'"),
    (["show", "be_honest", "--at", "v9"], "unknown_ref", "unknown ref 'v9'"),
    (["history", "nope"], "unknown_clause", "no clause has the id 'nope'"),
    (["diff", "be_honest", "v1", "1999-01-01"], "unknown_ref", "before the spec's first commit"),
    (["clauses", "--at", "zzz"], "unknown_ref", "unknown ref 'zzz'"),
])
def test_unknown_ids_and_refs_are_one_line_errors_with_exit_status_1(spec, capsys, argv, error, message):
    main(["ingest"])
    capsys.readouterr()
    assert main(argv) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("specreg: error: ") and message in captured.err
    assert captured.err.count("\n") == 1
    code, data = run_json(capsys, *argv)
    assert code == 1 and data["error"] == error and message in data["message"]


def test_commands_before_ingest_say_what_to_do(spec, capsys):
    assert main(["clauses"]) == 1
    assert "run `specreg ingest`" in capsys.readouterr().err


def test_commands_on_a_database_without_schema_say_to_run_init(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SPECREG_DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    assert main(["clauses"]) == 1
    assert "run `specreg init`" in capsys.readouterr().err


def test_ingest_of_a_path_that_is_not_a_repository_is_a_clear_error(spec, tmp_path, capsys):
    assert main(["ingest", "--repo", str(tmp_path / "missing")]) == 1
    assert "not a git repository" in capsys.readouterr().err


def test_python_dash_m_registry_runs_the_cli_and_json_output_stays_clean(spec):
    env = dict(os.environ)
    result = subprocess.run([sys.executable, "-m", "registry", "ingest", "--json"], env=env,
                            capture_output=True, text=True, cwd=Path(__file__).parents[2])
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["commits"] == 2
    bad = subprocess.run([sys.executable, "-m", "registry", "show", "nope"], env=env,
                         capture_output=True, text=True)
    assert bad.returncode == 1 and "Traceback" not in bad.stderr


@pytest.mark.parametrize("argv", [["--json", "show", "be_honest"], ["show", "be_honest", "--json"],
                                  ["--json", "show", "be_honest", "--json"]])
def test_json_works_before_or_after_the_command(spec, capsys, argv):
    assert main(["ingest"]) == 0
    capsys.readouterr()
    assert main(argv) == 0
    assert json.loads(capsys.readouterr().out)["id"] == "be_honest"


def test_without_json_the_output_is_text(spec, capsys):
    assert main(["ingest"]) == 0
    capsys.readouterr()
    assert main(["show", "be_honest"]) == 0
    assert capsys.readouterr().out.startswith("be_honest: Be honest")


@pytest.mark.parametrize(("argv", "names"), [
    (["propose", "respect_privacy", "--json"], "specreg propose: the following arguments are required: --title"),
    (["--json", "review", "1"], "specreg review: one of the arguments --approve --request-changes --withdraw-veto"),
    (["review", "1", "--approve", "--revision", "two", "--json"], "argument --revision: invalid int value: 'two'"),
    (["proposals", "--state", "pending", "--json"], "argument --state: invalid choice: 'pending'"),
    (["user", "add", "eve@example.org", "--json"], "specreg user add: the following arguments are required: --name"),
    (["--json", "frobnicate"], "argument COMMAND: invalid choice: 'frobnicate'"),
    (["--json"], "the following arguments are required: COMMAND"),
    (["show", "be_honest", "--json", "--bogus"], "unrecognized arguments: --bogus"),
])
def test_with_json_a_usage_error_is_a_json_error_on_stdout_and_exit_status_2(capsys, argv, names):
    assert main(argv) == 2
    out, err = capsys.readouterr()
    data = json.loads(out)
    assert data["error"] == "usage" and names in data["message"] and data["usage"].startswith("usage: specreg")
    assert err == ""


def test_without_json_a_usage_error_is_argparse_usage_on_stderr_and_exit_status_2(capsys):
    assert main(["propose", "respect_privacy", "--", "--json"]) == 2  # after --, --json is an argument
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("usage: specreg propose")
    assert "specreg propose: error: the following arguments are required: --title, --rationale" in err


@pytest.mark.parametrize("argv, code", [
    (("clauses", "--at", "9999-12-31T23:59:59-14:00"), 0),  # after every commit: the head
    (("show", "be_honest", "--at", "9999-12-31T23:59:59-14:00"), 0),
    (("clauses", "--at", "0001-01-01T00:00:00+14:00"), 1),  # before the first commit
])
def test_an_as_of_moment_past_what_utc_can_hold_is_answered_in_json_not_with_a_traceback(spec, capsys, argv, code):
    run_json(capsys, "ingest")
    status, data = run_json(capsys, *argv)
    assert status == code
    if code:
        assert data["error"] == "unknown_ref" and "before the spec's first commit" in data["message"]
    else:
        assert "be_honest" in json.dumps(data)

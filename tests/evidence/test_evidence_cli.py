"""`specreg report` and `specreg coverage`: files, stdout, formats that agree, one-line errors."""
from __future__ import annotations

import json

import pytest
from evidence_helpers import build_history, read, same
from repo_builder import RepoBuilder
from sqlalchemy.pool import NullPool

from registry.cli import main
from registry.db import make_engine, session_scope


@pytest.fixture(scope="module")
def history(databases, tmp_path_factory):
    """(database URL, repo, shas): the evidence history committed once for the module's tests."""
    repo = RepoBuilder(tmp_path_factory.mktemp("evidence") / "spec")
    url = databases.fresh()
    engine = make_engine(url, poolclass=NullPool)
    with session_scope(engine, write=True) as session:
        shas = build_history(repo, session).shas
    engine.dispose()
    yield url, repo, shas
    databases.release(url)


@pytest.fixture
def shas(history, databases, monkeypatch):
    """The CLI pointed at a copy of the history's database of this test's own (the repo it only reads)."""
    url, repo, shas = history
    copy = databases.copy(url)
    monkeypatch.setenv("SPECREG_DATABASE_URL", copy)
    monkeypatch.setenv("SPECREG_REPO", str(repo.path))
    yield shas
    databases.release(copy)


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.parametrize("fmt", ["html", "json", "csv"])
def test_report_writes_each_format_to_a_file(shas, capsys, tmp_path, fmt):
    path = tmp_path / f"report.{fmt}"
    code, out, err = run(capsys, "report", "--release", "v2.0", "--format", fmt, "-o", str(path))
    assert code == 0 and err == ""
    assert out.startswith(f"wrote the {fmt} evidence report for release v2.0 to {path}: 2 clause changes, ")
    facts = read(fmt, path.read_text(encoding="utf-8"))
    assert [c[:2] for c in facts.changes] == [(shas["merge"], "respect_privacy"), (shas["direct"], "be_brief")]


def test_the_files_agree_with_each_other(shas, capsys, tmp_path):
    facts = {}
    for fmt in ("html", "json", "csv"):
        path = tmp_path / f"r.{fmt}"
        assert run(capsys, "report", "--from", "v1.0", "--format", fmt, "-o", str(path))[0] == 0
        facts[fmt] = read(fmt, path.read_text(encoding="utf-8"))
    assert same(facts["json"], facts["csv"]) == {} and same(facts["json"], facts["html"]) == {}
    assert len(facts["json"].changes) == 3


@pytest.mark.parametrize("output", [["-o", "-"], []])
def test_dash_or_no_output_writes_the_report_to_stdout(shas, capsys, output):
    code, out, err = run(capsys, "report", "--release", "v2.0", "--format", "csv", *output)
    assert code == 0 and err == ""
    assert out.startswith("record,seq,commit,") and len(read("csv", out).changes) == 2


def test_html_is_the_default_format_and_json_with_the_json_flag(shas, capsys):
    assert run(capsys, "report", "--release", "v2.0")[1].startswith("<!doctype html>")
    code, out, _ = run(capsys, "--json", "report", "--release", "v2.0")
    assert code == 0 and json.loads(out)["range"]["release"] == "v2.0"


def test_with_json_and_a_file_the_summary_is_json(shas, capsys, tmp_path):
    code, out, _ = run(capsys, "report", "--release", "v2.0", "--format", "csv", "-o", str(tmp_path / "r.csv"),
                       "--json")
    data = json.loads(out)
    assert code == 0 and set(data) == {"output", "format", "range", "counts", "verify_ok"}
    assert (data["format"], data["counts"]["changes"], data["verify_ok"]) == ("csv", 2, True)


def test_an_empty_range_writes_an_empty_report(shas, capsys):
    code, out, _ = run(capsys, "report", "--from", "v2.0", "--to", "v2.0", "--format", "json")
    data = json.loads(out)
    assert code == 0 and data["changes"] == [] and data["range"]["commits"] == 0


@pytest.mark.parametrize("argv, message", [
    (["--release", "v9"], "no release is tagged 'v9' on the branch (releases: v2.0, v1.0)"),
    (["--release", "v2.0", "--format", "pdf"], "unknown report format 'pdf'; use one of html, json, csv"),
    (["--from", "nope"], "unknown ref 'nope'"),
    (["--from", "v2.0", "--to", "v1.0"], "the range starts after it ends"),
    (["--release", "v2.0", "--to", "v1.0"], "either a release or a range"),
    ([], "choose a release (a tag) or a range"),
    (["--release", "v2.0", "-o", "/nonexistent/dir/r.html"], "cannot write /nonexistent/dir/r.html"),
    (["--release", "v2.0", "--format", "html", "--json"], "--json prints only JSON on stdout"),
])
def test_bad_input_is_a_one_line_error_with_exit_1(shas, capsys, argv, message):
    code, out, err = run(capsys, "report", *argv)
    if "--json" in argv:
        assert code == 1 and message in json.loads(out)["message"]
        return
    assert (code, out) == (1, "") and err.count("\n") == 1
    assert err.startswith("specreg: error: ") and message in err


def test_coverage_lists_prompts_per_clause_and_the_clauses_with_none(shas, capsys):
    code, out, _ = run(capsys, "--json", "coverage")
    data = json.loads(out)
    assert code == 0 and data["at"]["commit"] == shas["after"]
    assert [(c["id"], [p["name"] for p in c["prompts"]]) for c in data["with_prompts"]] == [("be_brief", ["ab12"])]
    assert (data["clauses"], data["covered"], data["uncovered"]) == (7, 1, 6)
    assert "be_brief" not in {c["id"] for c in data["without_prompts"]}
    code, out, _ = run(capsys, "coverage", "--at", "v1.0")
    assert code == 0 and out.startswith("0 of 7 clauses cite evaluation prompts (0%) @ v1.0")

"""The demo spec shows accountability at work: direct commits are unapproved, the merged proposal is not."""
from __future__ import annotations

import json

from registry.cli import main


def run(capsys, *argv):
    assert main([*argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_the_demo_report_is_never_empty_and_in_force_names_the_proposal(tmp_path, database_url, monkeypatch,
                                                                          capsys):
    monkeypatch.setenv("SPECREG_DATABASE_URL", database_url)
    monkeypatch.setenv("SPECREG_REPO", str(tmp_path / "spec-demo"))
    assert main(["demo", "--no-serve"]) == 0
    capsys.readouterr()
    unapproved = run(capsys, "unapproved")
    merged = run(capsys, "proposals", "--state", "merged")[0]
    assert unapproved and merged["commit"] not in {c["commit"] for c in unapproved}
    assert all(c["clauses"] or c["governance_files"] for c in unapproved)
    assert all(c["acknowledged"] for c in unapproved if c["governance_files"])  # the seed accepted them
    now = run(capsys, "in-force", "be_concise", "--at", "2100-01-01")
    assert now["proposal"]["id"] == merged["id"] and now["approvers"] and now["unapproved"] is False
    renamed = run(capsys, "in-force", "be_honest", "--at", "2024-12-01")
    assert renamed["id"] == "be_honest" and renamed["unapproved"] is True
    assert renamed["next_change"]["id"] == "honesty" and "renamed" in renamed["next_change"]["kinds"]

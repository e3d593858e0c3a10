"""A merge commit names who merged it (`Merged-by`) and who dismissed each request for changes
(`Veto-dismissed-by`), from the audit events, and verify holds those trailers to the events."""
from __future__ import annotations

import csv
import io
import json
import re
import subprocess
from dataclasses import dataclass

import pytest
from proposal_helpers import World, adopted_copy
from repo_builder import RepoBuilder

from registry.cli import main
from registry.db import session_scope
from registry.gitsource import trailers
from registry.models import Proposal
from registry.proposals import reviews
from registry.proposals.integrity import CommitTrailers, merge_mismatches
from registry.proposals.merge import merge

WHEN = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z"


@dataclass
class Merged:
    """A proposal merged by Ada after Root dismissed Barbara's request for changes."""

    engine: object
    repo: RepoBuilder
    number: int
    commit: str
    message: str


def _merged(world: World) -> tuple[int, str]:
    s = world.session
    n = world.change("ada", "respect_privacy", "Never reveal personal data.")
    veto = reviews.request_changes(s, world.users["barbara"], n, "Too strict").id
    reviews.dismiss_veto(s, world.users["root"], n, veto, "Strict is\nthe point.")
    reviews.approve(s, world.users["grace"], n)
    return n, merge(s, world.path, "main", world.users["ada"], n).commit


@pytest.fixture
def merged(databases, tmp_path, monkeypatch):
    for engine, repo, (n, sha) in adopted_copy(databases, _merged, tmp_path / "spec", monkeypatch):
        message = subprocess.run(["git", "-C", str(repo.path), "log", "-1", "--format=%B", sha],
                                 capture_output=True, text=True, check=True).stdout
        yield Merged(engine, repo, n, sha, message)


def test_the_merge_commit_names_its_merger_and_each_dismissed_veto_with_the_reason(merged, capsys):
    [by] = trailers.values(merged.message, trailers.MERGED_BY)
    assert re.fullmatch(rf"Ada Byron <ada@example\.org>; {WHEN}", by), by
    [dismissed] = trailers.values(merged.message, trailers.VETO_DISMISSED_BY)
    assert re.fullmatch(rf"Root Admin <root@example\.org>; {WHEN}; Strict is the point\.", dismissed), dismissed
    assert main(["verify", "--json"]) == 0, capsys.readouterr().out
    assert json.loads(capsys.readouterr().out)["ok"] is True


def trailers_of(merged: Merged, **changed: list[str]) -> CommitTrailers:
    values: dict[str, list[str]] = {}
    for key, value in trailers.parse_trailers(merged.message):
        values.setdefault(key, []).append(value)
    return CommitTrailers(merged.commit, values | {k.replace("_", "-"): v for k, v in changed.items()})


@pytest.mark.parametrize(("change", "says"), [
    ({"Merged_by": ["Mallory <mallory@example.org>; 2024-01-01T00:00:00Z"]}, "is not the merger the audit trail"),
    ({"Merged_by": []}, "carries 0 Merged-by trailers"),
    ({"Veto_dismissed_by": []}, "Veto-dismissed-by trailers differ from the review.dismiss events"),
    ({"Veto_dismissed_by": ["Root Admin <root@example.org>; 2024-01-01T00:00:00Z; other reason"]},
     "only in git"),
])
def test_merger_and_dismissal_trailers_that_differ_from_the_audit_events_are_not_the_merge(merged, change, says):
    with session_scope(merged.engine) as s:
        p = s.get_one(Proposal, merged.number)
        assert merge_mismatches(s, p, trailers_of(merged)) == []
        found = merge_mismatches(s, p, trailers_of(merged, **change))
    assert any(says in m for m in found), found


def test_the_evidence_report_lists_each_dismissed_veto_with_whose_it_was_and_who_dismissed_it(merged, capsys):
    assert main(["report", "--to", merged.commit, "--json"]) == 0
    [proposal] = [p for p in json.loads(capsys.readouterr().out)["proposals"] if p["id"] == merged.number]
    [d] = proposal["dismissals"]
    assert d["vetoer"] == {"name": "Barbara Liskov", "email": "barbara@example.org"} and d["comment"] == "Too strict"
    assert d["by"] == {"name": "Root Admin", "email": "root@example.org"} and d["reason"] == "Strict is\nthe point."
    assert re.fullmatch(WHEN, d["at"])


def test_the_html_evidence_report_shows_the_dismissed_veto_and_its_people(merged, capsys):
    assert main(["report", "--to", merged.commit, "--format", "html"]) == 0
    html = capsys.readouterr().out
    row = html.split('<tr class="dismissal">')[1].split("</tr>")[0]
    assert "Barbara Liskov &lt;barbara@example.org&gt;" in row and "Too strict" in row
    assert "Root Admin &lt;root@example.org&gt;" in row and "Strict is\nthe point." in row


def test_the_csv_evidence_report_lists_each_dismissed_veto_on_the_merged_change_row(merged, capsys):
    assert main(["report", "--to", merged.commit, "--format", "csv"]) == 0
    [row] = [r for r in csv.DictReader(io.StringIO(capsys.readouterr().out, newline=""))
             if r["record"] == "change" and r["proposal_id"] == str(merged.number)]
    assert re.fullmatch(rf"Barbara Liskov <barbara@example\.org>: Too strict; dismissed by Root Admin "
                        rf"<root@example\.org>; {WHEN}; Strict is the point\.", row["dismissals"]), row["dismissals"]
    assert row["checks"] == ""  # the policy required none

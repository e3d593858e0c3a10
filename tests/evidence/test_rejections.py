"""The evidence report lists each rejected proposal with its people: who rejected it, when and why."""
from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from evidence_helpers import build_history, csv_rows, read, same
from proposal_helpers import HEADINGS

from registry.evidence.render import FORMATS, render, render_csv, render_html
from registry.evidence.report import evidence_report
from registry.gitsource import SpecSource
from registry.proposals.authoring import ChangeInput, propose, reject, withdraw

NOW = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
WHEN = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z"


@pytest.fixture
def rejected(repo, session):
    """The evidence history, then Ada's proposal on be_honest rejected by Grace and one she withdrew herself."""
    history = build_history(repo, session)
    world = history.world
    numbers = []
    for title in ("Lie sometimes", "Second thoughts"):
        change = ChangeInput("change", "be_honest", f"{HEADINGS['be_honest']}\n\nLie when it helps.\n")
        with SpecSource(repo.path) as source:
            numbers.append(propose(session, source, world.users["ada"], title, "Kinder.", [change]).id)
    reject(session, world.users["root"], numbers[0], "Honesty is\nnot negotiable.")
    withdraw(session, world.users["ada"], numbers[1], "changed my mind")
    history.rejected = numbers[0]
    return history


def test_a_report_up_to_the_head_lists_the_rejection_with_who_when_and_why_and_no_withdrawal(rejected):
    r = evidence_report(rejected.world.session, from_ref="v1.0", now=NOW)
    [item] = r.as_dict()["rejections"]
    assert list(item) == ["id", "title", "proposer", "clauses", "by", "at", "reason"]
    assert (item["id"], item["title"], item["clauses"]) == (rejected.rejected, "Lie sometimes", ["be_honest"])
    assert item["proposer"] == {"name": "Ada Byron", "email": "ada@example.org"}
    assert item["by"] == {"name": "Root Admin", "email": "root@example.org"}
    assert item["reason"] == "Honesty is\nnot negotiable." and re.fullmatch(WHEN, item["at"])
    assert r.counts["rejections"] == 1


def test_a_release_that_ended_before_the_rejection_does_not_list_it(rejected):
    r = evidence_report(rejected.world.session, release="v2.0", now=NOW)
    assert r.rejections == [] and r.counts["rejections"] == 0
    assert "No proposal was rejected in this range." in render_html(r)


def test_the_html_and_csv_name_the_person_who_rejected_it_and_the_formats_agree(rejected):
    r = evidence_report(rejected.world.session, from_ref="v1.0", now=NOW)
    html = render_html(r)
    row = html.split('<tr class="rejection"')[1].split("</tr>")[0]
    assert f'data-proposal="{rejected.rejected}"' in row and 'data-email="root@example.org"' in row
    assert "Root Admin &lt;root@example.org&gt;" in row and "Ada Byron &lt;ada@example.org&gt;" in row
    assert "Honesty is\nnot negotiable." in row and "Lie sometimes" in row
    [csv_row] = [c for c in csv_rows(render_csv(r)) if c["record"] == "rejection"]
    assert (csv_row["proposal_id"], csv_row["clause_id"], csv_row["proposer_email"]) == (
        str(rejected.rejected), "be_honest", "ada@example.org")
    assert re.fullmatch(rf"Root Admin <root@example\.org>; {WHEN}; Honesty is\nnot negotiable\.", csv_row["value"])
    facts = {fmt: read(fmt, render(r, fmt)) for fmt in FORMATS}
    assert same(facts["json"], facts["csv"]) == {} and same(facts["json"], facts["html"]) == {}
    assert facts["json"].counts["rejections"] == facts["csv"].counts["rejections"] == facts["html"].counts[
        "rejections"] == 1

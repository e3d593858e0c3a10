"""The evidence report: range selection, what each change carries, and three formats that agree."""
from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

import pytest
from evidence_helpers import RATIONALE, TITLE, build_history, csv_rows, read, same
from repo_builder import GRACE

from registry.errors import BadRequest, UnknownRef
from registry.evidence.render import FORMATS, check_format, render, render_csv, render_html, render_json
from registry.evidence.report import evidence_report
from registry.evidence.span import report_range
from registry.gitsource import SpecSource
from registry.ledger.ingest import ingest

NOW = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)


@pytest.fixture
def history(repo, session):
    return build_history(repo, session)


def report(history, **kw):
    return evidence_report(history.world.session, now=NOW, repo=str(history.world.path), **kw)


def keys(r) -> list[tuple[str, str]]:
    return [(c.commit, c.id) for c in r.changes]


# --- range selection ---------------------------------------------------------------------------

def test_a_release_runs_from_the_previous_tag_exclusive_to_its_own_tag(history):
    r = report(history, release="v2.0")
    span = r.range.as_dict()
    assert (span["kind"], span["release"], span["from"]["ref"], span["to"]["ref"]) == ("release", "v2.0", "v1.0",
                                                                                        "v2.0")
    assert (span["from"]["commit"], span["to"]["commit"], span["commits"]) == (
        history.shas["setup"], history.shas["direct"], 2)
    assert keys(r) == [(history.shas["merge"], "respect_privacy"), (history.shas["direct"], "be_brief")]


def test_the_first_release_starts_at_the_first_commit(history):
    r = report(history, release="v1.0")
    assert r.range.start is None and r.range.as_dict()["from"] is None
    assert {c.commit for c in r.changes} == {history.shas["setup"]}
    assert {c.id for c in r.changes} == {"rules", "be_honest", "respect_privacy", "be_brief", "lists", "style", "tone"}
    assert all(c.changes == ["added"] for c in r.changes)


def test_a_release_and_the_same_range_report_the_same_changes(history):
    release, span = report(history, release="v2.0"), report(history, from_ref="v1.0", to_ref="v2.0")
    assert keys(release) == keys(span)
    assert span.range.release is None and span.range.as_dict()["kind"] == "range"
    assert keys(report(history, to_ref="v1.0")) == keys(report(history, release="v1.0"))


def test_a_range_without_an_end_runs_to_the_head(history):
    r = report(history, from_ref="v2.0")
    assert keys(r) == [(history.shas["after"], "tone")]
    assert r.range.end.commit == history.shas["after"]


def test_an_empty_range_is_a_valid_empty_report(history):
    r = report(history, from_ref="v2.0", to_ref="v2.0")
    assert (r.changes, r.unapproved, r.proposals, r.range.commits) == ([], [], [], 0)
    assert r.counts["changes"] == 0 and r.counts["clauses"] == 7  # the end state is still described
    assert "No clause changed in this range." in render_html(r)
    assert [row["record"] for row in csv_rows(render_csv(r))].count("change") == 0
    assert json.loads(render_json(r))["changes"] == []


@pytest.mark.parametrize("kw, error, words", [
    ({"release": "v9.9"}, UnknownRef, "no release is tagged 'v9.9' on the branch (releases: v2.0, v1.0)"),
    ({"release": "main"}, UnknownRef, "no release is tagged 'main'"),
    ({"from_ref": "nope"}, UnknownRef, "unknown ref 'nope'"),
    ({"from_ref": "v2.0", "to_ref": "v1.0"}, BadRequest, "the range starts after it ends"),
    ({"release": "v2.0", "from_ref": "v1.0"}, BadRequest, "either a release or a range"),
    ({}, BadRequest, "choose a release"),
])
def test_bad_ranges_are_named_errors(history, kw, error, words):
    with pytest.raises(error) as exc:
        report_range(history.world.session, kw.get("release"), kw.get("from_ref"), kw.get("to_ref"))
    assert words in exc.value.message and "\n" not in exc.value.message


def test_a_date_range_selects_commits_by_date_and_may_start_before_the_first_commit(repo, session):
    shas = [repo.commit(f"Commit {i}", {"spec/a.md": f"# A {{#a}}\n\nVersion {i}.\n"}) for i in range(4)]
    with SpecSource(repo.path) as source:
        ingest(session, source)
    # RepoBuilder dates: 2024-01-02, -03, -04, -05 at 09:00 UTC; a bare date is the end of that day.
    r = evidence_report(session, from_ref="2024-01-03", to_ref="2024-01-04", now=NOW)
    assert [c.commit for c in r.changes] == [shas[2]]
    r = evidence_report(session, from_ref="2023-12-01", to_ref="2024-01-03", now=NOW)
    assert r.range.start is None and [c.commit for c in r.changes] == shas[:2]


# --- what each change carries ------------------------------------------------------------------

def test_a_merged_change_names_its_proposal_approvers_and_owners_then(history):
    c = report(history, release="v2.0").changes[0]
    proposal = c.proposal.as_dict()
    assert proposal["id"] == history.proposal and proposal["title"] == TITLE
    assert proposal["rationale"] == RATIONALE
    assert proposal["proposer"] == {"name": "Ada Byron", "email": "ada@example.org"}
    [a] = [approval.as_dict() for approval in c.approvers]
    assert (a["name"], a["email"], a["meaning"]) == ("Grace Hopper", "grace@example.org",
                                                     "approved as owner of respect_privacy")
    assert a["time"].endswith("Z")
    assert [(o.name, o.email) for o in c.owners] == [("Grace Hopper", "grace@example.org")]
    assert (c.unapproved, c.changes, c.author_email) == (False, ["body"], "ada@example.org")


def test_a_direct_commit_is_unapproved_with_no_proposal_and_lists_its_prompts(history):
    r = report(history, release="v2.0")
    direct = r.changes[1]
    assert (direct.proposal, direct.approvers, direct.unapproved) == (None, [], True)
    assert direct.prompts == ["ab12"] and [o.email for o in direct.owners] == ["alan@example.org"]
    assert [(u.commit, u.clauses) for u in r.unapproved] == [(history.shas["direct"], ["be_brief"])]
    assert r.counts["unapproved_commits"] == 1
    assert (r.counts["approved_changes"], r.counts["unapproved_changes"], r.counts["proposals"]) == (1, 1, 1)


def test_owners_are_those_at_the_change_not_now(history):
    session, world = history.world.session, history.world
    from proposal_helpers import OWNERS

    world.repo.commit("Alan takes privacy", {"OWNERS.toml": OWNERS.replace(
        '"respect_privacy" = ["grace@example.org"]', '"respect_privacy" = ["alan@example.org"]')})
    world.ingest()
    c = report(history, release="v2.0").changes[0]
    assert [o.email for o in c.owners] == ["grace@example.org"]
    now = evidence_report(session, from_ref="v2.0", now=NOW)
    assert "respect_privacy" not in {v.id for v in now.unowned.clauses}


def test_unowned_and_coverage_describe_the_end_of_the_range(history):
    v1, v2 = report(history, release="v1.0"), report(history, release="v2.0")
    assert v1.coverage.covered == [] and len(v1.coverage.uncovered) == 7
    assert [(v.id, [p.name for p in ps]) for v, ps in v2.coverage.covered] == [("be_brief", ["ab12"])]
    assert v2.unowned.total == 7 and v2.counts["unowned"] == len(v2.unowned.clauses)


def test_the_cover_has_the_generated_time_the_repo_head_and_the_audit_head(history):
    from registry.audit.events import head

    d = report(history, release="v2.0").as_dict()
    assert d["generated_at"] == "2030-01-02T03:04:05Z"
    assert d["repo"] == {"branch": "main", "head": history.shas["after"], "date": d["repo"]["date"]}
    seq, digest = head(history.world.session)
    assert d["audit_head"] == {"seq": seq, "hash": digest} and seq > 0
    assert d["verify"] == {"ok": True, "findings": []}


def test_verify_findings_are_reported_not_raised(history, tmp_path):
    from registry.audit.events import Finding

    r = evidence_report(history.world.session, release="v2.0", repo=str(tmp_path / "missing"), now=NOW)
    assert r.findings and all(isinstance(f, Finding) for f in r.findings)
    assert r.as_dict()["verify"]["ok"] is False and r.counts["findings"] == len(r.findings)


# --- the formats -------------------------------------------------------------------------------

@pytest.mark.parametrize("kw", [{"release": "v2.0"}, {"release": "v1.0"}, {"from_ref": "v1.0"},
                                {"from_ref": "v2.0", "to_ref": "v2.0"}])
def test_the_three_formats_parse_and_agree(history, kw):
    r = report(history, **kw)
    facts = {fmt: read(fmt, render(r, fmt)) for fmt in FORMATS}
    assert same(facts["json"], facts["csv"]) == {}
    assert same(facts["json"], facts["html"]) == {}
    assert len(facts["json"].changes) == len(r.changes) == facts["json"].counts["changes"]
    assert set(facts["html"].counts) == {"changes", "approved_changes", "unapproved_changes", "proposals",
                                         "unapproved_commits", "rewrites", "rejections", "unowned", "uncovered",
                                         "uncovered_items", "findings"}


def test_the_formats_agree_when_verify_fails(history, tmp_path):
    r = evidence_report(history.world.session, release="v2.0", repo=str(tmp_path / "missing"), now=NOW)
    facts = {fmt: read(fmt, render(r, fmt)) for fmt in FORMATS}
    assert facts["json"].findings == facts["csv"].findings == facts["html"].findings == len(r.findings) > 0


def test_renderers_are_pure_functions_of_the_report(history):
    r = report(history, release="v2.0")
    assert all(render(r, fmt) == render(r, fmt) for fmt in FORMATS)


def test_the_html_is_printable(history):
    page = render_html(report(history, release="v2.0"))
    assert page.startswith("<!doctype html>") and "<nav" not in page and "<script" not in page
    for rule in ("@media print", "@page", "thead { display: table-header-group; }", "break-before: page",
                 "break-inside: avoid", 'a[href^="http"]::after'):
        assert rule in page, rule
    assert page.count("<section ") == 8  # changes, proposals, rejections, unapproved, unowned, coverage, frameworks,
    # verify


def test_the_html_links_ids_only_when_given_a_link_function(history):
    r = report(history, release="v2.0")
    plain = render_html(r)
    assert 'href="https://' not in plain and f'href="#proposal-{history.proposal}"' in plain
    linked = render_html(r, lambda kind, key: f"https://specreg.example/{kind}/{key}")
    assert 'href="https://specreg.example/clause/respect_privacy"' in linked
    assert f'href="https://specreg.example/proposal/{history.proposal}"' in linked
    assert 'href="https://specreg.example/prompt/ab12"' in linked


def test_user_written_text_is_escaped_in_html_and_inert_in_csv(history):
    r = report(history, release="v2.0")
    page = render_html(r)
    assert "Tighten &lt;privacy&gt; &amp; =SUM(A1)" in page and "<privacy>" not in page
    assert "&lt;b&gt;bold&lt;/b&gt;" in page and "<b>bold</b>" not in page
    change = next(row for row in csv.DictReader(io.StringIO(render_csv(r), newline="")) if row["record"] == "change")
    assert change["rationale"].startswith("'-Because") and change["proposal_title"] == TITLE  # starts with T


def test_csv_has_one_row_per_change_and_documented_row_kinds(history):
    rows = csv_rows(render_csv(report(history, release="v2.0")))
    kinds = [r["record"] for r in rows]
    assert kinds.count("change") == 2 and kinds.count("unapproved") == 1 and kinds.count("unowned") >= 0
    order = ["meta", "change", "unapproved", "rewrite", "unowned", "coverage", "finding"]
    assert set(kinds) <= set(order) and kinds == sorted(kinds, key=order.index)
    meta = {r["key"]: r["value"] for r in rows if r["record"] == "meta"}
    assert (meta["release"], meta["from_ref"], meta["to_ref"], meta["verify"]) == ("v2.0", "v1.0", "v2.0", "ok")
    merged = next(r for r in rows if r["record"] == "change")
    assert merged["approvers"].startswith("Grace Hopper <grace@example.org>; ")
    assert merged["approvers"].endswith("; approved as owner of respect_privacy")


def test_a_bad_format_is_a_named_error():
    with pytest.raises(BadRequest) as exc:
        check_format("pdf")
    assert exc.value.message == "unknown report format 'pdf'; use one of html, json, csv"


def test_a_removed_clause_keeps_the_owners_it_had_just_before(history):
    from proposal_helpers import RULES

    rules = RULES.replace("Do not reveal personal data.", "Never reveal personal data.")
    rules = rules.replace("## Be brief {#be_brief}\n\nPrefer short answers.\n\n### Lists {#lists}\n\n"
                          "Use lists sparingly.\n", "")
    history.world.repo.commit("Drop brevity", {"spec/rules.md": rules}, author=GRACE)
    history.world.ingest()
    r = evidence_report(history.world.session, from_ref="v2.0", now=NOW)
    removed = {c.id: c for c in r.changes if c.changes == ["removed"]}
    assert set(removed) == {"be_brief", "lists"}
    assert [o.email for o in removed["be_brief"].owners] == ["alan@example.org"]
    assert removed["be_brief"].prompts == []


def test_acknowledgements_and_history_rewrites_are_in_every_format(history):
    from proposal_helpers import STYLE

    from registry.accountability.acknowledge import acknowledge_commit

    world = history.world
    ack = acknowledge_commit(world.session, world.users["root"], history.shas["after"], "Typo-level =tone fix.")
    base = world.repo.head()
    gone = world.repo.commit("Will be rewritten", {"spec/style.md": STYLE.replace("Be warm.", "Be cold.")})
    world.ingest()
    world.repo.reset(base)
    world.repo.commit("Replacement", {"spec/style.md": STYLE.replace("Be warm.", "Be kind.")})
    world.ingest()
    r = report(history, from_ref="v2.0")
    assert [w.old_head for w in r.rewrites] == [gone] and r.counts["rewrites"] == 1
    assert gone not in {c.commit for c in r.changes} | {u.commit for u in r.unapproved}
    after = next(u for u in r.unapproved if u.commit == history.shas["after"])
    assert after.acknowledgements == [ack]
    facts = {fmt: read(fmt, render(r, fmt)) for fmt in FORMATS}
    assert facts["json"].rewrites == facts["csv"].rewrites == facts["html"].rewrites == [gone]
    assert same(facts["json"], facts["csv"]) == {} and same(facts["json"], facts["html"]) == {}
    assert "Root Admin &lt;root@example.org&gt;; " in render_html(r) and "; Typo-level =tone fix." in render_html(r)
    row = next(x for x in csv_rows(render_csv(r)) if x["record"] == "unapproved" and x["commit"] == history.shas["after"])
    assert row["value"].startswith("Root Admin <root@example.org>; ") and row["value"].endswith("Typo-level =tone fix.")
    [item] = [u for u in json.loads(render_json(r))["unapproved"] if u["commit"] == history.shas["after"]]
    assert (item["acknowledged"], item["acknowledgements"][0]["reason"]) == (True, "Typo-level =tone fix.")


# --- governance files and pre-governance history ------------------------------------------------


def test_a_direct_governance_change_is_in_every_format_and_earlier_changes_are_before_governance(history):
    from proposal_helpers import OWNERS, POLICY

    world = history.world
    policy = POLICY + '\n[governance]\nstart = "v2.0"\n'
    sha = world.repo.commit("Owners and start", {"OWNERS.toml": OWNERS + '"tone" = ["ada@example.org"]\n',
                                                 "policy.toml": policy}, author=GRACE)
    world.ingest()
    r = report(history, to_ref=sha)  # from the first commit: the setup is before governance began
    data = r.as_dict()
    assert data["governance"] == {"start": "v2.0", "commit": history.shas["direct"], "warnings": []}
    assert [(u["commit"], u["governance_files"]) for u in data["unapproved"]] == [
        (history.shas["direct"], []), (history.shas["after"], []), (sha, ["OWNERS.toml", "policy.toml"])]
    merge_row = next(c for c in data["changes"] if c["commit"] == history.shas["merge"])
    assert (merge_row["pre_governance"], merge_row["unapproved"]) == (True, False)
    assert all(not c["pre_governance"] for c in data["changes"] if c["seq"] >= r.governance.seq)
    rows = csv_rows(render_csv(r))
    assert next(row for row in rows if row["record"] == "unapproved" and row["commit"] == sha)[
        "governance_files"].splitlines() == ["OWNERS.toml", "policy.toml"]
    meta = {row["key"]: row["value"] for row in rows if row["record"] == "meta"}
    assert (meta["governance_start"], meta["governance_commit"]) == ("v2.0", history.shas["direct"])
    html = render_html(r)
    assert '<div class="governance-file" data-path="OWNERS.toml">' in html and 'id="governance-start"' in html
    assert "before governance began</span>" in html

"""Read use cases behind the history pages: changelog, blame, activity, prompts, clause detail."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from alembic import command
from ledger_helpers import run_ingest
from spec_fixture import PROMPT, build_spec
from sqlalchemy import func, select

from registry.errors import BadRequest, UnknownPrompt, UnknownVersion
from registry.history.activity import bucketize, recent_changes, spec_activity
from registry.history.blame import blame_clause
from registry.history.clause_detail import clause_detail, similar_ids
from registry.history.clause_history import histories, span_counts
from registry.history.diffs import BEFORE_HISTORY, version_diff
from registry.history.prompts import footnote_refs, prompt_coverage, prompt_file
from registry.history.releases import changelog, list_releases
from registry.ledger.refs import resolve
from registry.models import Clause, ExampleFile
from registry.schema import _config


@pytest.fixture
def spec(session, repo):
    shas = build_spec(repo)
    run_ingest(session, repo)
    return shas


def kinds(log) -> dict[str, list[str]]:
    return {e.id: e.kinds for e in log.entries}


def test_releases_are_the_branchs_tags_newest_first(session, spec):
    assert [(r.name, r.commit) for r in list_releases(session)] == \
        [("v3.0", spec["move"]), ("v2.0", spec["rename"]), ("v1.0", spec["start"])]
    assert [r.name for r in list_releases(session, resolve(session, "v2.0"))] == ["v2.0", "v1.0"]


@pytest.mark.parametrize("old, new, expected", [
    ("v1.0", "v2.0", {"honesty": ["renamed", "modified"], "respect_privacy": ["modified"]}),
    ("v2.0", "v3.0", {"retention": ["moved"], "hostile": ["added"], "data": ["added"]}),
    ("v3.0", "v2.0", {"retention": ["moved"], "hostile": ["removed"], "data": ["removed"]}),
    ("v1.0", "v1.0", {}),
])
def test_a_changelog_nets_out_what_happened_between_two_points(session, spec, old, new, expected):
    assert kinds(changelog(session, old, new)) == expected  # temp came and went: not listed


def test_a_changelog_says_which_parts_were_modified_and_where_a_clause_moved(session, spec):
    entries = {e.id: e for e in changelog(session, "v1.0", "v3.0").entries}
    assert entries["respect_privacy"].details == ["title", "attributes"]
    assert (entries["retention"].old_document, entries["retention"].new_document) == ("spec/rules.md", "spec/data.md")
    assert entries["honesty"].old_id == "be_honest" and entries["honesty"].new_id == "honesty"


@pytest.mark.parametrize("old, new", [(None, "v1.0"), ("v1.0", ""), (None, None)])
def test_a_changelog_needs_both_ends(session, spec, old, new):
    with pytest.raises(BadRequest):
        changelog(session, old, new)


def test_blame_keeps_unchanged_lines_with_their_first_version(session, spec):
    blame = blame_clause(session, "honesty", resolve(session, None))
    assert [(b.text, b.version.commit) for b in blame.lines] == [
        ("Never say what you believe to be false, and say when you are unsure.[^ab12]", spec["reword"]),
        ("", spec["start"]),
        ("[^ab12]: examples/ab12.md", spec["start"]),
    ]
    assert blame.title_version.commit == spec["start"]
    assert blame_clause(session, "be_honest", resolve(session, "v1.0")).lines[0].version.commit == spec["start"]


def test_blame_of_a_clause_that_did_not_exist_then_is_unknown_version(session, spec):
    with pytest.raises(UnknownVersion):
        blame_clause(session, "hostile", resolve(session, "v1.0"))


def test_a_diff_defaults_to_the_clauses_latest_change_and_its_first_version_diffs_against_nothing(session, spec):
    head = resolve(session, None)
    d = version_diff(session, "honesty", None, None, head)
    assert (d.old.sha, d.new.ref) == (spec["reword"], head.ref)  # the rename at v2.0 kept the text
    first = version_diff(session, "honesty", None, spec["start"], head)
    assert first.old == BEFORE_HISTORY and first.diff.old is None
    assert [o.op for o in first.diff.ops] == ["insert"]


def test_the_clause_detail_has_neighbours_former_ids_prompts_and_history_up_to_the_point(session, spec):
    detail = clause_detail(session, "be_honest", resolve(session, "v2.0"))
    assert (detail.view.id, detail.current_id, detail.former_ids) == ("honesty", "honesty", ["be_honest"])
    assert detail.parent.id == "rules" and detail.children == []
    assert [p.name for p in detail.prompts if p.exists] == ["ab12"]
    assert [e.commit for e in detail.history] == [spec["start"], spec["reword"], spec["rename"]]
    rules = clause_detail(session, "rules", resolve(session, "v1.0"))
    assert [c.id for c in rules.children] == ["honesty", "respect_privacy", "spec.rules:rules.scope"]
    assert rules.links == {"be_honest": "honesty"}


def test_similar_ids_help_with_typos(session, spec):
    assert similar_ids(session, "honsety")[0] == "honesty"
    assert similar_ids(session, "privacy") == ["respect_privacy"]


def test_prompts_are_recorded_per_commit_and_read_without_git(session, spec, repo):
    repo.commit("Delete the prompt", {"examples/ab12.md": None})
    run_ingest(session, repo)
    assert session.scalar(select(func.count()).select_from(ExampleFile)) == 2
    assert prompt_file(session, "ab12", resolve(session, "v3.0")).content == PROMPT
    with pytest.raises(UnknownPrompt):
        prompt_file(session, "ab12", resolve(session, None))
    coverage = prompt_coverage(session, resolve(session, None))
    assert [v.id for v, _ in coverage.broken] == ["honesty"] and coverage.covered == []


def test_prompt_files_of_rewritten_history_are_set_aside(session, repo):
    base = repo.commit("init", {"spec/a.md": "# A {#a}\n\nRule.[^p1]\n", "examples/p1.md": "# P1\n"})
    repo.commit("edit prompt", {"examples/p1.md": "# P1 edited\n"})
    run_ingest(session, repo)
    repo.reset(base)
    repo.commit("other edit", {"examples/p1.md": "# P1 other\n"})
    run_ingest(session, repo)
    assert prompt_file(session, "p1", resolve(session, None)).prompt.title == "P1 other"
    assert session.scalar(select(func.count()).where(ExampleFile.abandoned.is_(True))) == 1


@pytest.mark.parametrize("text, names", [
    ("a[^x1] b[^y.2] a[^x1]", ["x1", "y.2"]),
    ("[^def]: examples/def.md", []),
    ("no refs [^] [^ bad]", []),
])
def test_footnote_references_are_found_in_order_without_definitions(text, names):
    assert footnote_refs(text) == names


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize("first, last, unit, count", [
    (utc(2024, 1, 1), utc(2024, 1, 20), "day", 20),
    (utc(2024, 1, 3), utc(2024, 6, 1), "week", 22),
    (utc(2023, 12, 11), utc(2025, 12, 15), "month", 25),
])
def test_activity_buckets_fit_the_span(first, last, unit, count):
    activity = bucketize([(first, 2), (last, 1)], first, last)
    assert (activity.unit, len(activity.buckets), activity.total) == (unit, count, 3)
    assert activity.buckets[0].start <= first.date() < activity.buckets[0].end
    assert activity.buckets[-1].start <= last.date() < activity.buckets[-1].end


def test_month_buckets_cross_the_year_end():
    activity = bucketize([(utc(2024, 12, 31), 1), (utc(2025, 1, 1), 1)], utc(2024, 1, 1), utc(2025, 12, 31))
    assert [(b.start, b.count) for b in activity.buckets if b.count] == [(date(2024, 12, 1), 1), (date(2025, 1, 1), 1)]


def test_spec_activity_counts_every_version_up_to_the_point(session, spec):
    assert spec_activity(session, resolve(session, None)).total == 5 + 1 + 1 + 1 + 2 + 3
    assert spec_activity(session, resolve(session, "v1.0")).total == 5
    assert {c.id for c in recent_changes(session, resolve(session, None), 3)} == {"data", "retention", "temp"}


def test_migrations_and_models_do_not_drift(engine):
    with engine.connect() as conn:
        command.check(_config(conn))  # raises when autogenerate would write a revision


@pytest.mark.parametrize("newest", [1, 2])
def test_histories_can_load_only_each_clauses_newest_versions_up_to_a_point(session, spec, newest):
    ids = session.scalars(select(Clause.id)).all()
    until = resolve(session, "v2.0").seq
    full, recent = histories(session, ids, until), histories(session, ids, until, newest=newest)
    assert recent == {cid: h[-newest:] for cid, h in full.items()}
    assert any(len(h) > newest for h in full.values())


def test_span_counts_count_each_clauses_versions_in_a_span(session, spec):
    ids = session.scalars(select(Clause.id)).all()
    lo, hi = resolve(session, "v1.0").seq, resolve(session, "v3.0").seq
    counted = span_counts(session, ids, lo, hi)
    expected = {cid: len([e for e in h if e.seq > lo]) for cid, h in histories(session, ids, hi).items()}
    assert {cid: n for cid, (n, _proposals) in counted.items()} == {c: n for c, n in expected.items() if n}
    assert {proposals for _n, proposals in counted.values()} == {()}  # none merged here; the web test has one


def test_every_event_lands_in_the_bucket_that_holds_its_day():
    first, days = utc(2024, 1, 3), 400  # weekly buckets, the first starting before the span
    events = [(first + timedelta(days=d), d % 3 + 1) for d in range(days)]
    activity = bucketize(events, first, events[-1][0])
    for bucket in activity.buckets:
        assert bucket.count == sum(n for moment, n in events if bucket.start <= moment.date() < bucket.end)
    assert activity.total == sum(n for _m, n in events)

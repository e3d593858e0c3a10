"""The clauses at a point, kept across requests and carried forward over new commits (history.carried),
equal a fresh read after each kind of change and after a rewrite."""
from __future__ import annotations

from dataclasses import replace

import pytest

from registry.gitsource import SpecSource
from registry.history import carried, queries
from registry.ledger.ingest import ingest
from registry.ledger.refs import resolve

SPEC = "# Rules {#rules}\n\nIntro.\n\n## Be brief {#be_brief}\n\nShort.\n"


def read(repo, session) -> None:
    with SpecSource(repo.path) as source:
        ingest(session, source)
    session.commit()  # a session that has written gets fresh answers only


def kept_and_fresh(session, ref=None):
    point = resolve(session, ref)
    kept = queries.clause_summaries(session, point)
    queries._summaries.clear()
    queries._last_built[0] = {}
    carried.forget()
    return kept, queries.clause_summaries(session, point)


def test_kept_clause_summaries_follow_new_commits_and_a_rewrite(repo, session):
    first = repo.commit("Start", {"spec/rules.md": SPEC})
    read(repo, session)
    point = resolve(session, None)
    start = queries.clause_summaries(session, point)
    assert queries.clause_summaries(session, point) is start  # kept while nothing changed
    repo.commit("Retitle", {"spec/rules.md": SPEC.replace("## Be brief", "## Keep it short")})
    read(repo, session)
    kept, fresh = kept_and_fresh(session)
    assert kept == fresh and [v.title for v in kept] == ["Rules", "Keep it short"]
    assert kept_and_fresh(session, first) == (start, start)  # an earlier point is what it was
    repo.reset(first)  # a force-push: the retitle is gone, another change takes its place
    repo.commit("Other", {"spec/rules.md": SPEC + "\n## Be kind {#be_kind}\n\nKind.\n"})
    read(repo, session)
    kept, fresh = kept_and_fresh(session)
    assert kept == fresh and [v.title for v in kept] == ["Rules", "Be brief", "Be kind"]


TWO = "# Rules {#rules}\n\nIntro.\n\n## Be brief {#be_brief}\n\nShort.\n\n## Be kind {#be_kind}\n\nKind.[^kind]\n"
STEPS = [  # (what the commit does, the files it writes; None deletes)
    ("edit a body", {"spec/rules.md": TWO.replace("Short.", "Shorter.")}),
    ("retitle", {"spec/rules.md": TWO.replace("## Be brief", "## Keep it short")}),
    ("rename an id", {"spec/rules.md": TWO.replace("{#be_brief}", "{#brevity}")}),
    ("rename the parent's id", {"spec/rules.md": TWO.replace("{#rules}", "{#all_rules}")}),
    ("remove a clause", {"spec/rules.md": TWO.split("## Be kind")[0]}),
    ("add a clause", {"spec/rules.md": TWO + "\n## Be fair {#be_fair}\n\nFair.\n"}),
    ("move a clause under another parent", {"spec/rules.md": TWO.replace("## Be kind", "### Be kind")}),
    ("cite a prompt", {"spec/rules.md": TWO.replace("Short.", "Short.[^brief]")}),
    ("stop citing one", {"spec/rules.md": TWO.replace("Kind.[^kind]", "Kind.")}),
    ("change attributes", {"spec/rules.md": TWO.replace("{#be_kind}", "{#be_kind authority=root}")}),
    ("add a document", {"spec/more.md": "# More {#more}\n\nMore.\n"}),
    ("delete a document", {"spec/more.md": None}),
    ("move a clause to another document", {"spec/rules.md": TWO.split("## Be kind")[0],
                                            "spec/more.md": "# More {#more}\n\n## Be kind {#be_kind}\n\nKind.\n"}),
]


@pytest.mark.parametrize(("change", "files"), STEPS, ids=[s[0] for s in STEPS])
def test_the_clauses_at_a_new_head_carried_from_the_last_equal_a_fresh_read(repo, session, monkeypatch, change, files):
    carried.forget()
    repo.commit("Start", {"spec/rules.md": TWO, "spec/more.md": "# More {#more}\n\nMore.\n"})
    read(repo, session)
    queries.clause_summaries(session, resolve(session, None))  # the head's rows are kept
    seen = []
    monkeypatch.setattr(carried, "_carried", lambda *a: seen.append(real(*a)) or seen[-1])
    repo.commit(change, files)
    repo.commit("and one more", {"spec/extra.md": "# Extra {#extra}\n\nX.\n"})
    read(repo, session)
    head = resolve(session, None)
    cited = queries.footnoted_texts(session, head)
    kept, fresh = kept_and_fresh(session)
    assert seen and seen[0] is not None  # carried over two commits, not read whole
    assert kept == fresh
    assert cited == queries.footnoted_texts(session, head)  # read whole: carried.forget in kept_and_fresh
    assert sorted(cited.values()) == _footnoted(files)


real = carried._carried


def test_the_summaries_of_a_new_head_reuse_the_unchanged_clauses_and_make_the_changed_ones_anew(repo, session):
    repo.commit("Start", {"spec/rules.md": TWO})
    read(repo, session)
    before = {v.id: v for v in queries.clause_summaries(session, resolve(session, None))}
    repo.commit("Edit", {"spec/rules.md": TWO.replace("Short.", "Shorter.")})
    read(repo, session)
    after = {v.id: v for v in queries.clause_summaries(session, resolve(session, None))}
    assert after["rules"] is before["rules"] and after["be_kind"] is before["be_kind"]
    assert after["be_brief"] is not before["be_brief"] and after["be_brief"].length == before["be_brief"].length + 2


def _footnoted(files: dict) -> list[str]:
    """The clause texts of the spec as the step leaves it that have a footnote reference (one paragraph each)."""
    spec = {"spec/rules.md": TWO, "spec/more.md": "# More {#more}\n\nMore.\n"} | files
    return sorted(p.strip() for text in spec.values() if text for p in text.split("\n\n") if "[^" in p)


def rewrite_to(first, repo, session, monkeypatch):
    """Force-push a commit on `first` and ingest it: what each carry attempt gave, the kept and a fresh read."""
    seen = []
    monkeypatch.setattr(carried, "_carried", lambda *a: seen.append(real(*a)) or seen[-1])
    repo.reset(first)
    repo.commit("Other", {"spec/rules.md": TWO.replace("Kind.", "Kinder.")})
    read(repo, session)
    return (seen, *kept_and_fresh(session))


def test_a_carried_point_is_read_whole_after_a_rewrite_sets_it_aside(repo, session, monkeypatch):
    carried.forget()
    first = repo.commit("Start", {"spec/rules.md": TWO})
    repo.commit("Retitle", {"spec/rules.md": TWO.replace("## Be brief", "## Keep it short")})
    read(repo, session)
    queries.clause_summaries(session, resolve(session, None))  # kept at the commit a rewrite will set aside
    seen, kept, fresh = rewrite_to(first, repo, session, monkeypatch)
    assert seen == [None]  # the kept point's commit is set aside: nothing carried from it
    assert kept == fresh and [v.title for v in kept] == ["Rules", "Be brief", "Be kind"]


def test_a_kept_point_whose_audit_event_this_database_lacks_is_not_carried_from(repo, session, monkeypatch):
    """As after the database was emptied and filled again from the same repo (same seqs and commits)."""
    carried.forget()
    repo.commit("Start", {"spec/rules.md": TWO})
    read(repo, session)
    point = resolve(session, None)
    queries.clause_summaries(session, point)
    [kept] = carried._kept
    stranger = {cid: ("other", *row[1:]) for cid, row in kept.rows.items()}  # another database's rows
    carried.forget()
    carried._keep(replace(kept, event=(kept.event[0], "0" * 64), rows=stranger))
    queries._summaries.clear()
    assert [v.id for v in queries.clause_summaries(session, point)] == ["rules", "be_brief", "be_kind"]
    assert [k.rows for k in carried._kept] != [stranger]  # and it is dropped


def test_after_a_rewrite_sets_the_newest_kept_point_aside_an_older_one_still_carries(repo, session, monkeypatch):
    carried.forget()
    first = repo.commit("Start", {"spec/rules.md": TWO})
    read(repo, session)
    queries.clause_summaries(session, resolve(session, None))  # kept at `first`
    repo.commit("Retitle", {"spec/rules.md": TWO.replace("## Be brief", "## Keep it short")})
    read(repo, session)
    queries.clause_summaries(session, resolve(session, None))  # kept at the commit the rewrite sets aside
    seen, kept, fresh = rewrite_to(first, repo, session, monkeypatch)
    assert len(seen) == 2 and seen[0] is None and seen[1] is not None  # the newest is set aside, `first` holds
    assert kept == fresh

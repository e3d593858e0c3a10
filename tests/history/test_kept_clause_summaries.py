"""The clauses at a point, kept across requests, equal a fresh read after new commits and a rewrite."""
from __future__ import annotations

from registry.gitsource import SpecSource
from registry.history import queries
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

"""Answers every page shares, kept across requests until the audit chain's standing event moves (the
releases of the as-of picker, where governance began, the first commit's date), equal fresh ones after
the ingest that changes them."""
from __future__ import annotations

from registry.gitsource import SpecSource
from registry.history import activity, governance, releases
from registry.history.clause_history import clause_history
from registry.ledger.ingest import ingest
from registry.ledger.refs import resolve

SPEC = "# Rules {#rules}\n\nIntro.\n"


def read(repo, session) -> None:
    with SpecSource(repo.path) as source:
        ingest(session, source)
    session.commit()  # a session that has written gets fresh answers only


def test_the_kept_releases_follow_a_new_tag(repo, session):
    repo.commit("Start", {"spec/rules.md": SPEC}, tag="v1")
    read(repo, session)
    start = releases.list_releases(session)
    assert releases.list_releases(session) is start and [r.name for r in start] == ["v1"]
    repo.commit("More", {"spec/rules.md": SPEC + "\nMore.\n"}, tag="v2")
    read(repo, session)
    kept = releases.list_releases(session)
    releases._releases.clear()
    assert kept == releases.list_releases(session) and [r.name for r in kept] == ["v2", "v1"]


def test_where_governance_began_follows_a_new_policy(repo, session):
    first = repo.commit("Start", {"spec/rules.md": SPEC, "policy.toml": "[defaults]\nmin_approvals = 1\n"})
    read(repo, session)
    assert governance.governance_start(session).seq is None
    repo.commit("Govern", {"policy.toml": f'[governance]\nstart = "{first}"\n\n[defaults]\nmin_approvals = 1\n'})
    read(repo, session)
    kept = governance.governance_start(session)
    governance._starts.clear()
    assert kept == governance.governance_start(session) and kept.commit == first


def test_the_first_commit_date_follows_a_rewrite_of_the_root(repo, session):
    repo.commit("Start", {"spec/rules.md": SPEC})
    repo.commit("More", {"spec/rules.md": SPEC + "\nMore.\n"})
    read(repo, session)
    before = activity.history_activity(session, clause_history(session, "rules"), resolve(session, None))
    root = repo.commit("New root", {"spec/rules.md": SPEC + "\nOther.\n"}, branch="other")
    repo.reset(root)  # a force-push of an unrelated history: every earlier commit is set aside
    read(repo, session)
    point = resolve(session, None)
    kept = activity.history_activity(session, clause_history(session, "rules"), point)
    activity._firsts.clear()
    assert kept == activity.history_activity(session, clause_history(session, "rules"), point)
    assert kept.buckets[0].start > before.buckets[0].start

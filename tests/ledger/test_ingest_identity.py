"""Clause identity across the events that make history hard."""
from __future__ import annotations

import pytest
from ledger_helpers import changes, current_ids, run_ingest
from sqlalchemy import func, select

from registry.errors import UnknownVersion
from registry.history.clause_history import clause_history
from registry.history.queries import find_clause, show_clause
from registry.ledger.refs import resolve
from registry.models import Clause

PRIVACY = "## Respect privacy {#respect_privacy authority=system}\n\nDo not reveal personal data about people.\n"
HONEST = "## Be honest {#be_honest authority=root}\n\nNever state what you believe to be false, and say when unsure.\n"


def doc(*sections: str, title: str = "# Rules {#rules}") -> str:
    return title + "\n\nIntro.\n\n" + "\n".join(sections)


def test_a_first_ingest_records_every_clause_as_added(session, repo):
    repo.commit("init", {"spec/rules.md": doc(PRIVACY, HONEST)})
    report = run_ingest(session, repo)
    assert (report.commits, report.versions) == (1, 3)
    assert current_ids(session) == ["rules", "respect_privacy", "be_honest"]
    assert changes(session, "be_honest") == [["added"]]


def test_a_retitle_and_an_authority_change_keep_the_clause(session, repo):
    repo.commit("init", {"spec/rules.md": doc(PRIVACY)})
    repo.commit("retitle", {"spec/rules.md": doc(PRIVACY.replace("Respect privacy", "Protect privacy"))})
    repo.commit("authority", {"spec/rules.md": doc(
        PRIVACY.replace("Respect privacy", "Protect privacy").replace("system", "root"))})
    run_ingest(session, repo)
    assert changes(session, "respect_privacy") == [["added"], ["title"], ["attributes"]]
    assert session.scalar(select(func.count()).select_from(Clause)) == 2


def test_a_body_edit_is_a_body_change(session, repo):
    repo.commit("init", {"spec/rules.md": doc(PRIVACY)})
    repo.commit("edit", {"spec/rules.md": doc(PRIVACY.replace("personal data", "private details"))})
    run_ingest(session, repo)
    assert changes(session, "respect_privacy") == [["added"], ["body"]]


def test_an_id_rename_with_a_similar_body_continues_the_same_clause(session, repo):
    repo.commit("init", {"spec/rules.md": doc(HONEST)})
    repo.commit("rename", {"spec/rules.md": doc(HONEST.replace("be_honest", "honesty").replace("unsure", "uncertain"))})
    run_ingest(session, repo)
    history = clause_history(session, "honesty")
    assert [e.changes for e in history] == [["added"], ["renamed", "body"]]
    assert history[1].previous_id == "be_honest"
    assert find_clause(session, "be_honest").id == find_clause(session, "honesty").id


def test_a_genuinely_new_clause_is_not_linked_to_a_deleted_one(session, repo):
    repo.commit("init", {"spec/rules.md": doc(HONEST)})
    repo.commit("replace", {"spec/rules.md": doc(
        "## Be brief {#be_brief}\n\nPrefer short answers unless the user asks for depth.\n")})
    run_ingest(session, repo)
    assert changes(session, "be_honest") == [["added"], ["removed"]]
    assert changes(session, "be_brief") == [["added"]]


def test_a_clause_moved_to_another_document_keeps_its_identity(session, repo):
    repo.commit("init", {"spec/rules.md": doc(PRIVACY, HONEST), "spec/other.md": doc(title="# Other {#other}")})
    repo.commit("move", {"spec/rules.md": doc(HONEST), "spec/other.md": doc(PRIVACY, title="# Other {#other}")})
    run_ingest(session, repo)
    history = clause_history(session, "respect_privacy")
    assert [e.changes for e in history] == [["added"], ["moved"]]
    assert [e.document for e in history] == ["spec/rules.md", "spec/other.md"]


def test_a_file_rename_keeps_explicit_and_derived_ids_on_their_clauses(session, repo):
    repo.commit("init", {"spec/rules.md": doc(PRIVACY, "## Scope\n\nApplies to every reply.\n")})
    repo.commit("rename file", renames={"spec/rules.md": "spec/policy.md"})
    run_ingest(session, repo)
    assert changes(session, "respect_privacy") == [["added"], ["moved"]]
    scope = clause_history(session, "spec.policy:rules.scope")
    assert [e.changes for e in scope] == [["added"], ["renamed", "moved"]]
    assert scope[1].previous_id == "spec.rules:rules.scope"


def test_a_deleted_clause_whose_id_comes_back_continues_the_same_clause(session, repo):
    repo.commit("init", {"spec/rules.md": doc(PRIVACY, HONEST)})
    repo.commit("delete", {"spec/rules.md": doc(HONEST)})
    repo.commit("re-add", {"spec/rules.md": doc(HONEST, PRIVACY)})
    run_ingest(session, repo)
    assert changes(session, "respect_privacy") == [["added"], ["removed"], ["added"]]
    with pytest.raises(UnknownVersion):
        show_clause(session, "respect_privacy", resolve(session, "2024-01-03"))


def test_a_merge_commit_is_one_change_on_main(session, repo):
    repo.commit("init", {"spec/rules.md": doc(PRIVACY)})
    repo.commit("side 1", {"spec/rules.md": doc(PRIVACY, HONEST)}, branch="topic", start="main")
    repo.commit("side 2", {"spec/rules.md": doc(PRIVACY, HONEST.replace("unsure", "uncertain"))}, branch="topic")
    repo.commit("merge topic", {"spec/rules.md": doc(PRIVACY, HONEST.replace("unsure", "uncertain"))}, merge="topic")
    report = run_ingest(session, repo)
    assert report.commits == 2
    history = clause_history(session, "be_honest")
    assert [e.changes for e in history] == [["added"]]
    assert history[0].message.startswith("merge topic")


def test_duplicate_ids_in_one_document_warn_and_keep_both_texts(session, repo):
    repo.commit("init", {"spec/rules.md": doc(PRIVACY, PRIVACY.replace("personal data", "secrets"))})
    report = run_ingest(session, repo)
    assert [(w.path, w.line) for w in report.warnings] == [("spec/rules.md", 9)]
    assert "duplicate id 'respect_privacy'" in report.warnings[0].message
    assert report.warnings[0].commit == repo.head()
    assert current_ids(session) == ["rules", "respect_privacy", "respect_privacy~2"]


def test_a_document_of_many_equal_headings_keeps_every_text_but_only_the_first_hundred_warnings(session, repo):
    from registry.models import IngestWarning

    repo.commit("init", {"spec/rules.md": doc(*(f"## Same\n\nbody {i}\n" for i in range(150)))})
    report = run_ingest(session, repo)
    assert len(report.warnings) == 101 and report.warnings[99].line is not None
    assert report.warnings[100].message == "more than 100 warnings for this file in this commit; the rest are not listed"
    assert session.scalar(select(func.count()).select_from(IngestWarning)) == 101
    assert len(current_ids(session)) == 151 and current_ids(session)[-1] == "spec.rules:rules.same~150"


def test_a_heading_inside_a_fence_is_not_a_clause(session, repo):
    body = "## Example {#example}\n\n~~~markdown\n# Not a clause\n~~~\n"
    repo.commit("init", {"spec/rules.md": doc(body)})
    run_ingest(session, repo)
    assert current_ids(session) == ["rules", "example"]
    assert "# Not a clause" in show_clause(session, "example", resolve(session, None)).text


def test_an_id_copied_into_another_document_is_the_duplicate_not_the_original(session, repo):
    repo.commit("init", {"spec/b.md": doc(PRIVACY, title="# B {#b}")})
    repo.commit("copy", {"spec/a.md": doc(PRIVACY.replace("personal data", "secrets"), title="# A {#a}")})
    report = run_ingest(session, repo)
    assert [(w.path, w.message) for w in report.warnings] == [
        ("spec/a.md", "duplicate id 'respect_privacy' (also in spec/b.md); kept here as 'respect_privacy~2'")]
    assert changes(session, "respect_privacy") == [["added"]]
    assert show_clause(session, "respect_privacy", resolve(session, None)).document == "spec/b.md"


def test_a_long_history_of_small_edits_matches_a_fresh_full_parse(session, repo):
    text = doc(PRIVACY, HONEST, "## Scope\n\nEvery reply.\n")
    for n in range(6):
        text = text.replace(f"Every reply{'.' if n == 0 else f' {n - 1}.'}", f"Every reply {n}.")
        repo.commit(f"edit {n}", {"spec/rules.md": text})
    run_ingest(session, repo)
    assert changes(session, "spec.rules:rules.scope") == [["added"]] + [["body"]] * 5
    assert show_clause(session, "spec.rules:rules.scope", resolve(session, None)).text == "Every reply 5."


def test_two_clauses_may_swap_ids_in_one_commit(session, repo):
    a = "## Alpha {#x}\n\nThe first clause says something long about privacy and data.\n"
    b = "## Beta {#y}\n\nThe second clause is about tone, warmth and brevity in replies.\n"
    repo.commit("init", {"spec/rules.md": doc(a, b)})
    repo.commit("swap", {"spec/rules.md": doc(a.replace("{#x}", "{#y}"), b.replace("{#y}", "{#x}"))})
    run_ingest(session, repo)
    assert show_clause(session, "y", resolve(session, None)).title == "Alpha"
    assert show_clause(session, "x", resolve(session, None)).title == "Beta"


def test_an_id_renamed_in_rewritten_away_history_is_the_old_id_again(session, repo):
    first = repo.commit("init", {"spec/rules.md": doc(HONEST)})
    repo.commit("rename", {"spec/rules.md": doc(HONEST.replace("be_honest", "honesty"))})
    run_ingest(session, repo)
    repo.reset(first)
    repo.commit("edit instead", {"spec/rules.md": doc(HONEST.replace("unsure", "not sure"))})
    run_ingest(session, repo)
    assert changes(session, "be_honest") == [["added"], ["body"]]
    assert show_clause(session, "be_honest", resolve(session, None)).text.endswith("not sure.")

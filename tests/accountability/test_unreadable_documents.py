"""A spec document git holds but the registry cannot read is an unapproved change, never a hidden edit."""
from __future__ import annotations

import pytest
from proposal_helpers import RULES, build_world
from repo_builder import GRACE
from sqlalchemy import select

from registry.accountability.unapproved import is_unapproved, unapproved_changes, unapproved_count
from registry.cli import main
from registry.errors import DocumentUnreadable
from registry.evidence.render import render_csv
from registry.evidence.report import evidence_report
from registry.gitsource import SpecSource
from registry.history.clause_detail import clause_detail
from registry.history.clause_history import clause_history
from registry.history.documents import unreadable_since
from registry.history.queries import show_clause
from registry.ledger.refs import head_point
from registry.models import DocumentVersion
from registry.proposals import reviews
from registry.proposals.merge import merge
from registry.proposals.reads import clause_markdown, proposal_detail

HIDDEN = RULES.replace("Prefer short answers.", "Prefer long, rambling answers.").encode() + b"\xff\n"


@pytest.fixture
def world(repo, session):
    return build_world(repo, session)


def sneak(world, content: bytes = HIDDEN, path: str = "spec/rules.md") -> str:
    """The attack: a direct commit that edits clause text and adds one byte that is not UTF-8; ingested."""
    sha = world.repo.commit("Small fix", {path: content}, author=GRACE)
    world.ingest()
    return sha


def test_a_commit_editing_clause_text_with_one_undecodable_byte_is_an_unapproved_change(world):
    sha = sneak(world)
    change = unapproved_changes(world.session)[-1]
    assert (change.commit, change.clauses, change.unreadable) == (sha, [], ["spec/rules.md"])
    assert change.as_dict()["unreadable"] == ["spec/rules.md"] and is_unapproved(world.session, sha)
    assert unapproved_count(world.session) == (2, 2)
    row = world.session.scalars(select(DocumentVersion).where(DocumentVersion.unreadable.is_not(None))).one()
    assert "not UTF-8" in row.unreadable and row.blob_sha is not None


def test_the_clause_page_says_the_document_could_not_be_read_since_that_commit(world):
    sha = sneak(world)
    later = sneak(world, HIDDEN + b"\xfe more\n")  # still unreadable: the notice keeps the first commit
    point = head_point(world.session)
    detail = clause_detail(world.session, "be_brief", point)
    assert detail.unreadable is not None and (detail.unreadable.commit, detail.unreadable.path) == (sha, "spec/rules.md")
    assert detail.as_dict()["unreadable"]["commit"] == sha and later != sha
    assert "could not be read since commit" in detail.unreadable.message
    assert show_clause(world.session, "be_brief", point).text.strip() == "Prefer short answers."  # last read text
    assert clause_detail(world.session, "style", point).unreadable is None  # another document


def test_proposing_on_an_unreadable_document_is_a_conflict_naming_the_commit(world):
    sha = sneak(world)
    with pytest.raises(DocumentUnreadable) as exc:
        world.change("ada", "be_brief", "Prefer tiny answers.")
    assert exc.value.status == 409 and sha[:12] in exc.value.message
    world.change("ada", "tone", "Be kind.", heading="## Tone {#tone}")  # other documents are fine


def test_an_open_proposal_on_the_document_cannot_merge_while_it_is_unreadable(world):
    n = world.change("ada", "be_brief", "Prefer tiny answers.")
    reviews.approve(world.session, world.users["alan"], n)
    sneak(world)
    with pytest.raises(DocumentUnreadable):
        merge(world.session, world.path, "main", world.users["ada"], n)


def test_an_open_proposal_on_the_document_says_why_it_cannot_merge(world):
    n = world.change("ada", "be_brief", "Prefer tiny answers.")
    assert proposal_detail(world.session, n).drift == ()
    sha = sneak(world)
    drift = proposal_detail(world.session, n).drift
    assert len(drift) == 1 and drift[0].startswith(f"spec/rules.md could not be read since commit {sha[:12]}")


def test_the_propose_editor_refuses_an_unreadable_document_with_a_conflict(world):
    sneak(world)
    with SpecSource(world.path) as source, pytest.raises(DocumentUnreadable):
        clause_markdown(world.session, source, "be_brief")


def test_the_unapproved_command_names_the_unreadable_document(repo, json_cli, capsys):
    repo.commit("Spec", {"spec/rules.md": RULES})
    sha = repo.commit("Small fix", {"spec/rules.md": HIDDEN}, author=GRACE)
    json_cli("ingest")
    code, data = json_cli("unapproved")
    assert code == 0 and data[-1]["commit"] == sha and data[-1]["unreadable"] == ["spec/rules.md"]
    assert main(["unapproved"]) == 0
    assert "unreadable documents (edits hidden from the ledger): spec/rules.md" in capsys.readouterr().out


def test_a_push_the_merge_reads_before_ingest_knows_it_is_a_conflict_not_a_crash(world, monkeypatch):
    n = world.change("ada", "be_brief", "Prefer tiny answers.")
    reviews.approve(world.session, world.users["alan"], n)
    world.repo.commit("Small fix", {"spec/rules.md": HIDDEN}, author=GRACE)
    monkeypatch.setattr("registry.proposals.merge.require_readable", lambda *a: None)  # as if the ledger lagged
    with pytest.raises(DocumentUnreadable, match="not UTF-8"):
        merge(world.session, world.path, "main", world.users["ada"], n)


def test_a_later_commit_that_makes_the_file_readable_again_is_read_normally(world):
    sneak(world)
    fixed = world.repo.commit("Fix encoding", {"spec/rules.md": HIDDEN[:-2]}, author=GRACE)
    world.ingest()
    assert clause_history(world.session, "be_brief")[-1].commit == fixed
    assert show_clause(world.session, "be_brief", head_point(world.session)).text.strip() == "Prefer long, rambling answers."
    assert unreadable_since(world.session, "spec/rules.md", head_point(world.session).seq) is None
    world.change("ada", "be_brief", "Prefer tiny answers.")


def test_a_file_readable_again_with_the_same_clauses_is_no_longer_unreadable_even_across_ingest_runs(world):
    sneak(world)
    world.repo.commit("Revert", {"spec/rules.md": RULES}, author=GRACE)  # same text as before: no clause version
    world.ingest()
    assert unreadable_since(world.session, "spec/rules.md", head_point(world.session).seq) is None
    assert unapproved_changes(world.session)[-1].unreadable == ["spec/rules.md"]  # the sneaky commit stays flagged


def test_a_new_document_that_cannot_be_read_is_an_unapproved_change_too(world):
    sha = sneak(world, b"# Secret {#secret}\n\nDo anything.\xff\n", "spec/secret.md")
    assert unapproved_changes(world.session)[-1].unreadable == ["spec/secret.md"]
    assert unreadable_since(world.session, "spec/secret.md", head_point(world.session).seq).commit == sha


def test_the_evidence_report_lists_the_unreadable_document_of_an_unapproved_commit(world):
    sha = sneak(world)
    report = evidence_report(world.session, to_ref=sha)
    item = next(u for u in report.as_dict()["unapproved"] if u["commit"] == sha)
    assert item["unreadable"] == ["spec/rules.md"]
    row = next(line for line in render_csv(report).splitlines() if line.startswith("unapproved,") and sha in line)
    assert "spec/rules.md" in row

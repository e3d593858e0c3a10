"""Unapproved changes: direct pushes are flagged per commit and per clause version; rewrites are listed."""
from __future__ import annotations

import pytest
from proposal_helpers import OWNERS, RULES, build_world
from repo_builder import GRACE
from sqlalchemy import delete, select, update
from sqlalchemy.exc import DBAPIError

from registry.accountability.acknowledge import acknowledge_commit, acknowledge_rewrite
from registry.accountability.unapproved import (
    history_rewrites,
    page_of,
    seq_range,
    unapproved_changes,
    unapproved_count,
    unapproved_page,
)
from registry.db import make_engine, session_scope
from registry.errors import BadRequest, Conflict, Forbidden, NotFound, Unauthorized, UnknownRef
from registry.history.clause_history import clause_history
from registry.models import Acknowledgement, AuditEvent
from registry.proposals import reviews
from registry.proposals.merge import merge


@pytest.fixture
def world(repo, session):
    return build_world(repo, session)


def merged(world, key="respect_privacy", body="Never reveal personal data.") -> str:
    """A proposal by Ada, approved by Grace and merged; the merge commit."""
    n = world.change("ada", key, body)
    reviews.approve(world.session, world.users["grace"], n)
    return merge(world.session, world.path, "main", world.users["ada"], n).commit


def direct(world, old: str, new: str, message: str = "Direct edit") -> str:
    """A commit pushed straight to the branch, ingested."""
    text = (world.path / "spec/rules.md").read_text() if (world.path / "spec/rules.md").exists() else RULES
    sha = world.repo.commit(message, {"spec/rules.md": text.replace(old, new)}, author=GRACE)
    world.ingest()
    return sha


def shas(world, **kw) -> list[str]:
    return [c.commit for c in unapproved_changes(world.session, **kw)]


def test_direct_commits_are_unapproved_and_merged_proposals_are_not(world):
    first = world.repo.head()
    merge_commit = merged(world)
    push = direct(world, "Prefer short answers.", "Prefer very short answers.", "Tweak brevity\n\nNo review.")
    changes = unapproved_changes(world.session)
    assert [c.commit for c in changes] == [first, push]
    assert merge_commit not in shas(world)
    last = changes[-1]
    assert (last.author, last.author_email, last.subject, last.clauses) == (
        "Grace Hopper", "grace@example.org", "Tweak brevity", ["be_brief"])
    assert last.as_dict()["commit"] == push and set(last.as_dict()) >= {"commit", "date", "author", "clauses"}
    assert changes[0].clauses[:2] == ["rules", "be_honest"]  # every clause the first commit added


def test_commits_that_change_no_clause_and_no_governance_file_are_not_unapproved_changes(world):
    first = world.repo.head()
    world.repo.commit("Notes only", {"notes.txt": "hello\n", "examples/a.md": "# A\n\nPrompt.\n"})
    world.ingest()
    assert shas(world) == [first]


def test_each_clause_version_of_a_direct_push_is_flagged_on_the_timeline(world):
    merged(world)
    direct(world, "Never reveal personal data.", "Never reveal anyone's personal data.")
    flags = [(e.proposal is not None, e.as_dict()["unapproved"]) for e in clause_history(world.session, "respect_privacy")]
    assert flags == [(False, True), (True, False), (False, True)]


def test_a_commit_copying_a_merged_proposals_trailer_is_still_unapproved(world):
    merge_commit = merged(world)
    number = clause_history(world.session, "respect_privacy")[-1].proposal
    sneaky = direct(world, "Prefer short answers.", "Prefer long answers.",
                    f"Looks official\n\nProposal-Id: {number}\n")
    assert sneaky in shas(world) and merge_commit not in shas(world)
    assert clause_history(world.session, "be_brief")[-1].as_dict()["unapproved"] is True


def test_ranges_are_after_since_and_up_to_until(world):
    first = world.repo.head()
    a = direct(world, "Prefer short answers.", "Prefer shorter answers.")
    b = direct(world, "Use lists sparingly.", "Use lists rarely.")
    seqs = {c.commit: c.seq for c in unapproved_changes(world.session)}
    assert shas(world, since_seq=seqs[first]) == [a, b]
    assert shas(world, until_seq=seqs[a]) == [first, a]
    assert shas(world, since_seq=seqs[first], until_seq=seqs[a]) == [a]
    assert unapproved_count(world.session) == (3, 3)
    assert unapproved_count(world.session, seqs[a]) == (2, 2)


def test_the_report_pages_newest_first_and_finds_the_page_of_a_commit(world):
    first = world.repo.head()
    a = direct(world, "Prefer short answers.", "Prefer shorter answers.")
    b = direct(world, "Use lists sparingly.", "Use lists rarely.")
    assert [c.commit for c in unapproved_page(world.session, 1, per_page=2)] == [b, a]
    assert [c.commit for c in unapproved_page(world.session, 2, per_page=2)] == [first]
    assert unapproved_page(world.session, 3, per_page=2) == []
    assert [page_of(world.session, sha, per_page=2) for sha in (b, a, first, "0" * 40)] == [1, 1, 2, 1]
    assert seq_range(world.session, first, None) == (unapproved_changes(world.session)[0].seq, None)


def test_the_report_shows_fifty_changes_a_page_as_every_list_does(world):
    text = RULES
    for n in range(50):
        text = text.replace("Prefer short answers.", f"Prefer short answers. ({n})").replace(f" ({n - 1})", "")
        world.repo.commit(f"Push {n}", {"spec/rules.md": text}, author=GRACE)
    world.ingest()
    everything = [c.commit for c in unapproved_changes(world.session)][::-1]
    assert len(everything) == 51
    assert [c.commit for c in unapproved_page(world.session, 1)] == everything[:50]
    assert [c.commit for c in unapproved_page(world.session, 2)] == everything[50:]
    assert page_of(world.session, everything[50]) == 2


def test_an_admin_acknowledges_with_a_reason_which_is_recorded_and_audited_and_the_flag_stays(world):
    push = direct(world, "Prefer short answers.", "Prefer shorter answers.")
    ack = acknowledge_commit(world.session, world.users["root"], push[:8], "  Emergency fix during the outage.  ")
    assert (ack.email, ack.reason) == ("root@example.org", "Emergency fix during the outage.")
    change = next(c for c in unapproved_changes(world.session) if c.commit == push)
    assert change.acknowledged and [a.reason for a in change.acknowledgements] == ["Emergency fix during the outage."]
    assert change.as_dict()["acknowledgements"][0]["name"] == "Root Admin"
    assert clause_history(world.session, "be_brief")[-1].unapproved
    assert unapproved_count(world.session) == (2, 1)
    event = world.session.scalars(select(AuditEvent).where(AuditEvent.action == "unapproved.acknowledge")).one()
    assert (event.actor, event.subject) == ("root@example.org", f"commit:{push}")
    assert event.new["reason"] == "Emergency fix during the outage." and event.new["clauses"] == ["be_brief"]


@pytest.mark.parametrize(("who", "ref", "reason", "error", "says"), [
    ("ada", "PUSH", "why", Forbidden, "admin"),
    (None, "PUSH", "why", Unauthorized, "log in"),
    ("root", "PUSH", "   ", BadRequest, "reason"),
    ("root", "MERGE", "why", Conflict, "merge of proposal"),
    ("root", "deadbeef", "why", UnknownRef, "no ingested commit"),
    ("root", "main", "why", BadRequest, "sha"),
])
def test_acknowledging_is_refused_unless_an_admin_names_an_unapproved_commit_and_a_reason(world, who, ref, reason,
                                                                                           error, says):
    refs = {"MERGE": merged(world), "PUSH": direct(world, "Prefer short answers.", "Prefer less.")}
    with pytest.raises(error, match=says):
        acknowledge_commit(world.session, world.users.get(who), refs.get(ref, ref), reason)
    assert world.session.scalars(select(Acknowledgement)).all() == []


def test_a_history_rewrite_is_listed_with_the_commits_it_set_aside_and_can_be_acknowledged(world):
    base = world.repo.head()
    gone = direct(world, "Prefer short answers.", "Prefer terse answers.", "Will be rewritten")
    world.repo.reset(base)
    world.repo.commit("Replacement", {"spec/rules.md": RULES.replace("Intro.", "Introduction.")})
    world.ingest()
    [rewrite] = history_rewrites(world.session)
    assert (rewrite.old_head, rewrite.fork, rewrite.new_head) == (gone, base, world.repo.head())
    assert [c.commit for c in rewrite.set_aside] == [gone]
    assert gone not in shas(world)  # set aside: it is the rewrite, not a change on the branch
    ack = acknowledge_rewrite(world.session, world.users["root"], rewrite.id, "Force-push to drop a secret.")
    assert history_rewrites(world.session)[0].acknowledgements == [ack]
    assert history_rewrites(world.session, since_seq=rewrite.seq) == []
    assert history_rewrites(world.session, until_seq=rewrite.seq)[0].id == rewrite.id
    with pytest.raises(Conflict, match="rewritten out"):
        acknowledge_commit(world.session, world.users["root"], gone, "why")
    with pytest.raises(NotFound):
        acknowledge_rewrite(world.session, world.users["root"], 999, "why")
    assert world.session.scalars(select(AuditEvent.action).where(AuditEvent.action == "rewrite.acknowledge")).all()


def test_two_rewrites_each_list_only_their_own_set_aside_commits(world):
    base = world.repo.head()
    a = direct(world, "Intro.", "Intro A.", "A")
    world.repo.reset(base)
    b = world.repo.commit("B", {"spec/rules.md": RULES.replace("Intro.", "Intro B.")})
    world.ingest()
    world.repo.reset(base)
    world.repo.commit("C", {"spec/rules.md": RULES.replace("Intro.", "Intro C.")})
    world.ingest()
    assert [[c.commit for c in r.set_aside] for r in history_rewrites(world.session)] == [[a], [b]]


@pytest.mark.parametrize("statement", [update(Acknowledgement).values(reason="nothing to see"),
                                       delete(Acknowledgement)])
def test_the_database_refuses_to_change_or_delete_an_acknowledgement(database_url, repo, statement):
    engine = make_engine(database_url)
    with session_scope(engine, write=True) as s:
        world = build_world(repo, s)
        acknowledge_commit(s, world.users["root"], repo.head(), "The initial import.")
    with pytest.raises(DBAPIError, match="append-only"), session_scope(engine, write=True) as s:
        s.execute(statement)
    engine.dispose()


def test_the_cli_lists_unapproved_changes_and_an_admin_acknowledges_one(repo, json_cli, capsys):
    from registry.cli import main

    run = json_cli
    first = repo.commit("Spec", {"spec/rules.md": RULES, "OWNERS.toml": OWNERS})
    run("ingest")
    run("user", "add", "root@example.org", "--name", "Root Admin", "--role", "admin")
    run("user", "add", "ada@example.org", "--name", "Ada", "--role", "editor", "--as", "root@example.org")
    code, data = run("unapproved")
    assert code == 0 and [c["commit"] for c in data] == [first]
    assert set(data[0]) >= {"commit", "date", "author", "clauses"} and "respect_privacy" in data[0]["clauses"]
    assert run("acknowledge", first[:10], "--reason", "Initial import", "--as", "ada@example.org")[1]["error"] == \
        "forbidden"
    code, data = run("acknowledge", first[:10], "--reason", "Initial import", "--as", "root@example.org")
    assert code == 0 and data["commit"] == first and data["acknowledgement"]["reason"] == "Initial import"
    code, data = run("unapproved")
    assert data[0]["acknowledged"] is True and data[0]["acknowledgements"][0]["email"] == "root@example.org"
    assert run("unapproved", "--rewrites") == (0, [])
    assert run("unapproved", "--since", first) == (0, [])
    assert run("acknowledge", "--reason", "x", "--as", "root@example.org")[1]["error"] == "bad_request"
    assert main(["unapproved"]) == 0
    assert "acknowledged by Root Admin" in capsys.readouterr().out

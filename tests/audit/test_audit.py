"""The audit trail: append-only in the database, hash-chained, anchored in the spec repo's commits."""
from __future__ import annotations

import json

import pytest
from audit_helpers import rechain, tamper
from sqlalchemy import delete, select, update
from sqlalchemy.exc import DBAPIError

from registry.audit import events as audit
from registry.audit.keys import current_key
from registry.cli import main
from registry.db import make_engine, session_scope
from registry.models import AuditEvent

DOC = "# Rules {#rules}\n\nIntro.\n"


def test_events_chain_each_hash_to_the_previous_one(session):
    first = audit.record(session, "ada@example.org", "proposal.create", "proposal:1", new={"title": "T"})
    second = audit.record(session, "grace@example.org", "review.approve", "proposal:1", old=None, new={"ok": 1})
    assert (first.seq, second.seq) == (1, 2)
    assert first.prev_hash == audit.GENESIS and second.prev_hash == first.hash
    assert audit.head(session) == (2, second.hash)
    assert audit.verify_chain(session) == []


@pytest.mark.parametrize("statement", [
    update(AuditEvent).values(actor="mallory@example.org"),
    delete(AuditEvent),
])
def test_the_database_refuses_to_change_or_delete_an_event(database_url, statement):
    engine = make_engine(database_url)
    with session_scope(engine, write=True) as s:
        audit.record(s, "ada@example.org", "user.create", "user:ada@example.org")
    with pytest.raises(DBAPIError, match="append-only"), session_scope(engine, write=True) as s:
        s.execute(statement)
    engine.dispose()


@pytest.fixture
def anchored(repo, database_url, monkeypatch):
    """Five events, a commit anchoring event 4, then the repo ingested (one more event)."""
    monkeypatch.setenv("SPECREG_DATABASE_URL", database_url)
    monkeypatch.setenv("SPECREG_REPO", str(repo.path))
    engine = make_engine(database_url)
    with session_scope(engine, write=True) as s:
        for n in range(4):
            audit.record(s, "ada@example.org", "comment", f"proposal:{n}", new={"text": f"comment {n}"})
        seq, digest = audit.head(s)
    repo.commit("one", {"spec/a.md": DOC})
    repo.commit(f"A registry commit\n\nAudit-Head: {seq}:{digest}\n",
                {"spec/a.md": DOC.replace("Intro", "Introduction")})
    assert main(["ingest", "--json"]) == 0
    yield engine
    engine.dispose()


def verify_json(capsys) -> tuple[int, dict]:
    code = main(["verify", "--json"])
    return code, json.loads(capsys.readouterr().out)


def test_an_untouched_record_verifies(anchored, capsys):
    assert verify_json(capsys) == (0, {"ok": True, "findings": []})


@pytest.mark.parametrize(("statements", "where", "says"), [
    (["UPDATE audit_events SET actor = 'mallory@example.org' WHERE seq = 2"], "event 2", "edited"),
    (["DELETE FROM audit_events WHERE seq = 3"], "event 3", "missing"),
    (["DELETE FROM audit_events WHERE seq >= 3"], "Audit-Head 4", "removed from the end"),
])
def test_tampering_makes_verify_fail_naming_the_place(anchored, capsys, statements, where, says):
    tamper(anchored, *statements)
    code, data = verify_json(capsys)
    assert code == 1 and data["ok"] is False
    assert any(where in f["where"] and says in f["message"] for f in data["findings"]), data


def test_a_chain_recomputed_with_a_stolen_key_is_still_caught_by_the_anchor_in_git(anchored, capsys):
    tamper(anchored, "UPDATE audit_events SET actor = 'mallory@example.org' WHERE seq = 2")
    rechain(anchored, current_key())
    code, data = verify_json(capsys)
    assert code == 1
    assert [f["check"] for f in data["findings"]] == ["anchor"]
    assert "rewritten" in data["findings"][0]["message"] and "Audit-Head 4" in data["findings"][0]["where"]


def test_verify_prints_each_finding_on_its_own_line(anchored, capsys):
    tamper(anchored, "DELETE FROM audit_events WHERE seq = 3")
    assert main(["verify"]) == 1
    assert "FAIL chain: event 3:" in capsys.readouterr().out


def test_ingest_batches_are_audited(anchored):
    with session_scope(anchored) as s:
        events = s.scalars(select(AuditEvent).where(AuditEvent.action == "ingest")).all()
    assert [e.actor for e in events] == ["registry:ingest"]
    assert events[0].new["commits"] == 2


def test_owner_assignments_are_audited(session, repo):
    from ledger_helpers import run_ingest

    from registry.accounts.users import add_user
    from registry.owners.assignments import assign

    repo.commit("one", {"spec/a.md": DOC})
    run_ingest(session, repo)
    admin = add_user(session, None, "ada@example.org", "Ada Byron", "admin", bootstrap=True)
    assign(session, admin, "rules", "ada@example.org", "covering for the team")
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "owner.assign")).one()
    assert (event.actor, event.subject, event.new["reason"]) == ("ada@example.org", "clause:rules", "covering for the team")

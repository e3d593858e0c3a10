"""Reviews and check reports count only as the audit chain recorded them, whatever is done to their rows or
slipped into the chain with SQL: a row no event backs counts nowhere, a recorded request for changes or
failure whose row was deleted still blocks, a deleted approval row takes its approval away, and an event
inserted without the audit key's MAC counts for nothing. The verdict, the policy box on the proposal page,
the API's JSON, `specreg proposal N` and the merge all give the same answer, the listings mark the rows
not in the audit record, and verify names the row (and the event)."""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from proposal_helpers import POLICY, forged_approval
from proposal_web import Gov
from sqlalchemy import select, text
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from registry.accountability.verify import verify
from registry.audit.events import canonical, chain_hash, head
from registry.cli import main as cli
from registry.db import make_engine, session_scope
from registry.ledger.refs import iso
from registry.models import AuditEvent, CheckReport, Proposal, Review, utcnow
from registry.proposals.verdict import verdict

GATED = POLICY + '\n[authority.system]\nrequired_checks = ["evals"]\n'
MARK = "not in the audit record"


def post(gov: Gov, who: str, url: str, data: dict | None = None) -> tuple[int, dict]:
    response = gov.app.test_client().post(url, json=data or {}, headers=gov.api(who))
    return response.status_code, response.get_json()


def sql(gov: Gov, statement: str) -> None:
    """Write the database behind the registry's back."""
    engine = make_engine(gov.app.config["DATABASE_URL"], poolclass=NullPool)
    with engine.begin() as conn:
        conn.execute(text(statement))
    engine.dispose()


def approve(gov: Gov, n: int) -> None:
    assert post(gov, "grace", f"/api/v1/proposals/{n}/reviews", {"kind": "approve"})[0] == 201


def report(gov: Gov, n: int) -> None:
    assert post(gov, "vic", f"/api/v1/proposals/{n}/checks", {"name": "evals", "status": "success",
                                                                "revision": 1})[0] == 201


def request_changes(gov: Gov, n: int) -> int:
    status, veto = post(gov, "barbara", f"/api/v1/proposals/{n}/reviews", {"kind": "request_changes",
                                                                             "comment": "Too strict"})
    assert status == 201, veto
    return int(veto["review"])


def delete_veto_row(gov: Gov, n: int) -> None:
    """Barbara's real request for changes, then its row deleted with SQL (its event stays: the chain is append-only)."""
    sql(gov, f"DELETE FROM reviews WHERE id = {request_changes(gov, n)}")


def delete_approval_row(gov: Gov, n: int) -> None:
    sql(gov, f"DELETE FROM reviews WHERE proposal_id = {n} AND kind = 'approve'")


def report_failure(gov: Gov, n: int) -> None:
    assert post(gov, "vic", f"/api/v1/proposals/{n}/checks", {"name": "evals", "status": "failure",
                                                                "revision": 1})[0] == 201


def delete_failure_row(gov: Gov, n: int) -> None:
    """The latest evals report (a failure) deleted with SQL, so the success before it is the latest row."""
    sql(gov, f"DELETE FROM check_reports WHERE proposal_id = {n} AND status = 'failure'")


def insert_event(gov: Gov, actor: str, action: str, subject: str, new: dict, mac: str | None) -> None:
    """Append an event with SQL as the registry would, its hash chained to the head, but with no MAC the audit
    key made (the append-only triggers refuse UPDATE and DELETE, not INSERT)."""
    engine = make_engine(gov.app.config["DATABASE_URL"], poolclass=NullPool)
    with Session(engine) as s, s.begin():
        seq, prev = head(s)
        at = utcnow()
        digest = chain_hash(prev, canonical(seq + 1, at, actor, action, subject, None, new))
        s.add(AuditEvent(seq=seq + 1, at=at, actor=actor, action=action, subject=subject, old=None, new=new,
                         prev_hash=prev, hash=digest, mac=mac))
    engine.dispose()


def forged_approval_event(mac: str | None) -> Callable[[Gov, int], None]:
    """Grace's approval forged with SQL as a row and the `review.approve` event the registry would write for it."""
    def step(gov: Gov, n: int) -> None:
        forge_approval(gov, n)
        engine = make_engine(gov.app.config["DATABASE_URL"], poolclass=NullPool)
        with session_scope(engine) as s:
            r = s.scalars(select(Review).where(Review.proposal_id == n, Review.kind == "approve")).one()
            new = {"review": r.id, "revision": 1, "digest": r.digest, "meaning": r.meaning,
                   "printed_name": r.printed_name, "at": iso(r.created_at), "classes": None}
        engine.dispose()
        insert_event(gov, "grace@example.org", "review.approve", f"proposal:{n}", new, mac)
    return step


def forged_success_event(gov: Gov, n: int) -> None:
    """A success of evals forged as a row and the `check.report` event the registry would write, MAC made up."""
    forge_success(gov, n)
    engine = make_engine(gov.app.config["DATABASE_URL"], poolclass=NullPool)
    with session_scope(engine) as s:
        c = s.scalars(select(CheckReport).where(CheckReport.proposal_id == n)).one()
        new = {"report": c.id, "name": "evals", "status": "success", "revision": 1, "url": None, "summary": "",
               "at": iso(c.created_at)}
    engine.dispose()
    insert_event(gov, "vic@example.org", "check.report", f"proposal:{n}", new, "ab" * 32)


def forge_approval(gov: Gov, n: int) -> None:
    sql(gov, forged_approval(n))


def forge_success(gov: Gov, n: int) -> None:
    """A success of evals on revision 1, as the registry would write it, with no check.report event."""
    sql(gov, "INSERT INTO check_reports (proposal_id, revision_id, name, status, url, summary, reporter_id, "
             f"created_at) SELECT {n}, r.id, 'evals', 'success', NULL, '', p.id, CURRENT_TIMESTAMP FROM "
             f"proposal_revisions r, people p WHERE r.proposal_id = {n} AND p.email = 'vic@example.org'")


def forge_veto(gov: Gov, n: int) -> None:
    """Alan's request for changes, as the registry would write it, with no review event."""
    sql(gov, "INSERT INTO reviews (proposal_id, revision_id, reviewer_id, printed_name, kind, meaning, digest, "
             f"comment, created_at) SELECT {n}, r.id, p.id, 'Alan Turing', 'request_changes', 'requested changes "
             "as editor', r.digest, 'No.', CURRENT_TIMESTAMP FROM proposal_revisions r, people p "
             f"WHERE r.proposal_id = {n} AND p.email = 'alan@example.org'")


def dismiss_veto_with_sql(gov: Gov, n: int) -> None:
    """Barbara's real request for changes, then marked dismissed in the database only."""
    sql(gov, f"UPDATE reviews SET dismissed_at = CURRENT_TIMESTAMP, dismiss_reason = 'ok' WHERE id = "
             f"{request_changes(gov, n)}")


@dataclass(frozen=True)
class Case:
    """How the proposal's approval and check came to be, and what every answer must then say."""

    steps: tuple[Callable[[Gov, int], None], ...]
    satisfied: bool
    merge_error: str | None  # the merge's error code (None: it merges)
    unrecorded: str | None  # which listing marks a row not in the audit record: "reviews", "checks" or None
    verify_checks: frozenset[str]  # the verify checks that name the proposal's rows or an event
    # The state after the merge: a row deleted with SQL moves no state (the last the registry set stands).
    state: str = "open"


CASES = {
    "real approval and real check (nothing edited)": Case((approve, report), True, None, None, frozenset()),
    "forged approval": Case((forge_approval, report), False, "policy_not_satisfied", "reviews",
                            frozenset({"review"})),
    "forged check": Case((approve, forge_success), False, "checks_not_passed", "checks", frozenset({"check"})),
    "forged veto": Case((approve, report, forge_veto), True, None, "reviews", frozenset({"review"})),
    "veto dismissed with sql": Case((approve, report, dismiss_veto_with_sql), False, "policy_not_satisfied",
                                    "reviews", frozenset({"review"})),
    "veto row deleted": Case((approve, report, delete_veto_row), False, "policy_not_satisfied", None,
                             frozenset({"review"})),
    "approval row deleted": Case((approve, report, delete_approval_row), False, "policy_not_satisfied", None,
                                 frozenset({"review"}), "approved"),
    "approval event inserted with a bad mac": Case((forged_approval_event("cd" * 32), report), False,
                                                   "policy_not_satisfied", "reviews", frozenset({"review", "chain"})),
    "approval event inserted with no mac": Case((forged_approval_event(None), report), False,
                                                "policy_not_satisfied", "reviews", frozenset({"review", "chain"})),
    "check report event inserted with a bad mac": Case((approve, forged_success_event), False, "checks_not_passed",
                                                       "checks", frozenset({"check", "chain"})),
    "failing check report row deleted": Case((approve, report, report_failure, delete_failure_row), False,
                                             "checks_not_passed", None, frozenset({"check"})),
}


@pytest.fixture
def gated(gov: Gov) -> Gov:
    """respect_privacy (authority=system, owned by Grace) needs Grace's approval and a passing evals check."""
    gov.repo.commit("Evals gate system rules", {"policy.toml": GATED})
    gov.ingest()
    return gov


@pytest.mark.parametrize("case", list(CASES.values()), ids=list(CASES))
def test_the_verdict_page_api_cli_merge_and_verify_agree_on_rows_the_audit_chain_does_not_back(
        gated, monkeypatch, capsys, case):
    n = gated.propose()
    for step in case.steps:
        step(gated, n)
    engine = make_engine(gated.app.config["DATABASE_URL"], poolclass=NullPool)
    with session_scope(engine) as s:
        assert verdict(s, s.get_one(Proposal, n)).evaluation.satisfied is case.satisfied
        named = {f.check for f in verify(s) if f.where.startswith(f"proposal {n} ") or f.check == "chain"}
    engine.dispose()
    assert named == case.verify_checks

    page = gated.browser(None).get(f"/proposals/{n}").get_data(as_text=True)
    assert ('class="policy ok"' in page) is case.satisfied
    assert (MARK in page) is (case.unrecorded is not None)

    data = gated.app.test_client().get(f"/api/v1/proposals/{n}").get_json()
    assert data["policy"]["satisfied"] is case.satisfied
    # The timeline shows what the chain recorded: an event inserted with SQL is no action there either.
    assert [t["actor"]["email"] for t in data["timeline"] if t["action"] == "approved"] == (
        ["grace@example.org"] if approve in case.steps else [])
    for listing in ("reviews", "checks"):
        marked = [r for r in data[listing] if not r["recorded"]]
        assert len(marked) == (listing == case.unrecorded), data[listing]
        assert all(r["unrecorded"] for r in marked) and not any(r["unrecorded"] for r in data[listing] if r["recorded"])

    monkeypatch.setenv("SPECREG_DATABASE_URL", gated.app.config["DATABASE_URL"])
    assert cli(["proposal", str(n)]) == 0
    printed = capsys.readouterr().out
    assert ("policy: satisfied" in printed) is case.satisfied
    assert ("NOT IN THE AUDIT RECORD" in printed) is (case.unrecorded is not None)

    status, merged = post(gated, "ada", f"/api/v1/proposals/{n}/merge")
    assert (status, merged.get("state") if status == 200 else merged["error"]) == (
        (200, "merged") if case.merge_error is None else (409, case.merge_error)), merged
    assert cli(["proposal", str(n), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["state"] == ("merged" if case.merge_error is None else case.state)

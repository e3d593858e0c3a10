"""A review or check report row the audit chain does not back counts nowhere: the verdict, the policy box on
the proposal page, the API's JSON, `specreg proposal N` and the merge all give the same answer, the
listings mark the row as not in the audit record, and verify names it."""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from proposal_helpers import POLICY, forged_approval
from proposal_web import Gov
from sqlalchemy import text
from sqlalchemy.pool import NullPool

from registry.accountability.verify import verify
from registry.cli import main as cli
from registry.db import make_engine, session_scope
from registry.models import Proposal
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
    status, veto = post(gov, "barbara", f"/api/v1/proposals/{n}/reviews", {"kind": "request_changes",
                                                                             "comment": "Too strict"})
    assert status == 201, veto
    sql(gov, f"UPDATE reviews SET dismissed_at = CURRENT_TIMESTAMP, dismiss_reason = 'ok' WHERE id = {veto['review']}")


@dataclass(frozen=True)
class Case:
    """How the proposal's approval and check came to be, and what every answer must then say."""

    steps: tuple[Callable[[Gov, int], None], ...]
    satisfied: bool
    merge_error: str | None  # the merge's error code (None: it merges)
    unrecorded: str | None  # which listing marks a row not in the audit record: "reviews", "checks" or None
    verify_check: str | None  # the verify check that names the row


CASES = {
    "real approval and real check": Case((approve, report), True, None, None, None),
    "forged approval": Case((forge_approval, report), False, "policy_not_satisfied", "reviews", "review"),
    "forged check": Case((approve, forge_success), False, "checks_not_passed", "checks", "check"),
    "forged veto": Case((approve, report, forge_veto), True, None, "reviews", "review"),
    "veto dismissed with sql": Case((approve, report, dismiss_veto_with_sql), False, "policy_not_satisfied",
                                    "reviews", "review"),
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
        named = {f.check for f in verify(s) if f.where.startswith(f"proposal {n} ")}
    engine.dispose()
    assert named == ({case.verify_check} if case.verify_check else set())

    page = gated.browser(None).get(f"/proposals/{n}").get_data(as_text=True)
    assert ('class="policy ok"' in page) is case.satisfied
    assert (MARK in page) is (case.unrecorded is not None)

    data = gated.app.test_client().get(f"/api/v1/proposals/{n}").get_json()
    assert data["policy"]["satisfied"] is case.satisfied
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
    assert json.loads(capsys.readouterr().out)["state"] == ("merged" if case.merge_error is None else "open")

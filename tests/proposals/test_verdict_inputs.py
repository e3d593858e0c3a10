"""A list's verdicts, computed on inputs read for the whole list at once (verdict_inputs), equal the
verdicts computed one by one, and reading them costs the same few statements however long the list."""
from __future__ import annotations

import pytest
from proposal_helpers import POLICY, build_world, forged_approval
from sqlalchemy import event, select, text

from registry.models import Proposal
from registry.owners.assignments import assign
from registry.proposals import reviews, verdict_memo
from registry.proposals.authoring import ChangeInput
from registry.proposals.check_reports import report_check
from registry.proposals.verdict import verdict

GATED = POLICY + '\n[authority.system]\nrequired_checks = ["evals"]\n'
FORGED_SUCCESS = ("INSERT INTO check_reports (proposal_id, revision_id, name, status, url, summary, reporter_id, "
                  "created_at) SELECT {n}, r.id, 'evals', 'success', NULL, '', p.id, CURRENT_TIMESTAMP FROM "
                  "proposal_revisions r, people p WHERE r.proposal_id = {n} AND p.email = 'vic@example.org'")


@pytest.fixture
def world(repo, session):
    w = build_world(repo, session)
    w.repo.commit("Evals gate system rules", {"policy.toml": GATED})
    w.ingest()
    session.commit()
    return w


def open_one(w) -> None:
    w.change("ada", "be_brief", "Be very brief.")


def approved(w) -> None:
    reviews.approve(w.session, w.users["alan"], w.change("ada", "lists", "Lists rarely."))


def forged(w) -> None:
    n = w.change("ada", "respect_privacy", "Never reveal anything.")
    w.session.execute(text(forged_approval(n)))


def checked(w) -> None:
    n = w.change("ada", "respect_privacy", "Never reveal personal data at all.")
    reviews.approve(w.session, w.users["grace"], n)
    report_check(w.session, w.users["vic"], n, "evals", "success")


def forged_check(w) -> None:
    n = w.change("ada", "respect_privacy", "Never reveal data.")
    reviews.approve(w.session, w.users["grace"], n)
    w.session.execute(text(FORGED_SUCCESS.format(n=n)))


def withdrawn(w) -> None:
    n = w.change("ada", "be_honest", "Always be honest.")
    reviews.request_changes(w.session, w.users["alan"], n, "No.")
    reviews.withdraw_veto(w.session, w.users["alan"], n)


def assigned(w) -> None:
    assign(w.session, w.users["root"], "tone", "barbara@example.org", "style owner")
    reviews.approve(w.session, w.users["barbara"], w.change("ada", "tone", "Be warmer."))


def added(w) -> None:
    w.propose("ada", [ChangeInput("add", "be_kind", "## Be kind {#be_kind}\n\nKind.\n", after="respect_privacy")])


def governance(w) -> None:
    w.propose("root", [ChangeInput("file", "policy.toml", GATED.replace("min_approvals = 1", "min_approvals = 2"))])


def draft(w) -> None:
    w.propose("ada", [ChangeInput("change", "lists", "### Lists {#lists}\n\nNone.\n")], draft=True)


TABLE = (open_one, approved, forged, checked, forged_check, withdrawn, assigned, added, governance, draft)


def listed(w) -> list[Proposal]:
    return list(w.session.scalars(select(Proposal).order_by(Proposal.id)))


def test_a_lists_verdicts_equal_the_verdicts_computed_one_by_one(world):
    for make in TABLE:
        make(world)
        world.session.commit()
    verdict_memo.forget()
    together = verdict_memo.verdicts(world.session, listed(world))
    world.session.commit()  # end the transaction: nothing read for the list is left to the next verdicts
    alone = {}
    for p in listed(world):
        alone[p.id] = verdict(world.session, p)
        world.session.commit()
    assert together == alone
    assert len(together) == len(TABLE)
    states = {v.evaluation.satisfied for v in alone.values()}
    assert states == {True, False}  # the table holds both answers, so equality says something


def statements(w) -> int:
    """How many statements a list of every proposal runs with no verdict kept."""
    verdict_memo.forget()
    seen: list[str] = []
    engine = w.session.get_bind()
    listen = lambda *args: seen.append(args[2])  # noqa: E731
    proposals = listed(w)
    event.listen(engine, "before_cursor_execute", listen)
    try:
        verdict_memo.verdicts(w.session, proposals)
    finally:
        event.remove(engine, "before_cursor_execute", listen)
    w.session.commit()
    return len(seen)


def test_a_lists_verdicts_cost_the_same_statements_for_three_proposals_as_for_thirty(world):
    for make in (open_one, approved, withdrawn):
        make(world)
        world.session.commit()
    statements(world)  # what the process keeps across requests (OWNERS.toml's rules) is read once here
    few = statements(world)
    for _ in range(9):
        for make in (open_one, approved, withdrawn):
            make(world)
            world.session.commit()
    assert len(listed(world)) == 30
    assert statements(world) == few

"""Use cases for check reports: an external system reports a named check on a proposal's revision.

Every report is kept (a new one of the same name and revision supersedes the older, which stays as
history) and audited as `check.report`; the proposal then follows the policy's verdict, since a
required check passing or failing can approve or unapprove it. Which reports count is the policy's
(registry.proposals.check_rules, through the verdict); who may report is permissions.reporter.
"""
from __future__ import annotations

from sqlalchemy.orm import Session

from registry.accounts.actors import Actor
from registry.audit import events as audit
from registry.errors import BadRequest
from registry.ledger.refs import iso
from registry.models import CheckReport, Proposal, utcnow
from registry.proposals import permissions, store
from registry.proposals.check_rules import (
    CheckInputError,
    check_name,
    check_status,
    check_summary,
    check_url,
    latest,
)
from registry.proposals.read_models import CheckView
from registry.proposals.reevaluation import follow_verdict
from registry.proposals.states import APPROVED, OPEN
from registry.proposals.verdict import standing_checks


def _revision(number: int, current: int, revision: int | None) -> int:
    """The revision the report is for: the one named (a revision of the proposal), else the current one."""
    if revision is None:
        return current
    if isinstance(revision, bool) or not isinstance(revision, int) or not 1 <= revision <= current:
        raise BadRequest(f"revision must be a revision of proposal #{number} (1 to {current}), not {revision!r}")
    return revision


def report_check(session: Session, actor: Actor | None, number: int, name: str, status: str,
                 revision: int | None = None, url: str | None = None, summary: str = "") -> CheckReport:
    """Record a check report on a revision (None: the current one); the latest per name and revision wins."""
    try:
        name, status, url, summary = check_name(name), check_status(status), check_url(url), check_summary(summary)
    except CheckInputError as exc:
        raise BadRequest(str(exc)) from None
    proposal = store.get_proposal(session, number, lock=True)
    actor = permissions.reporter(actor, permissions.load_facts(session, proposal, ()))
    on = _revision(number, proposal.revision, revision)
    row = CheckReport(proposal_id=proposal.id, name=name, status=status, url=url, summary=summary,
                      revision_id=next(r.id for r in store.revisions(session, proposal) if r.number == on),
                      reporter_id=actor.person_id, created_at=utcnow())
    session.add(row)
    session.flush()
    audit.record(session, actor.email, "check.report", f"proposal:{proposal.id}", None,
                 {"report": row.id, "name": name, "status": status, "revision": on, "url": url,
                  "summary": summary, "at": iso(row.created_at)})
    if proposal.state in (OPEN, APPROVED):
        follow_verdict(session, proposal, actor.email)
    return row


def standing_reports(session: Session, proposal: Proposal) -> tuple[CheckView, ...]:
    """The reports that stand on a proposal, the latest recorded one per (name, revision) as its event
    recorded it (registry.proposals.verdict.standing_checks, the one rule), and beside them every row
    that is not what an event recorded (marked, never standing): newest revision first, by name."""
    numbers = store.revision_numbers(session, proposal)
    recorded, wrong = standing_checks(session, proposal, numbers)
    won = {f.id for f in latest(c.facts for c in recorded).values()}
    views = [CheckView(f.name, f.status, f.revision, f.url, str(c.said("summary") or ""), f.at)
             for c in recorded if (f := c.facts).id in won]
    views += [CheckView(r.name, r.status, numbers[r.revision_id], r.url, r.summary, r.created_at, wrong[r.id])
              for r in store.check_reports(session, proposal) if r.id in wrong]
    return tuple(sorted(views, key=lambda v: (-v.revision, v.name, v.unrecorded is not None, v.time)))

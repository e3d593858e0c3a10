"""What a merge commit names besides its approvers: who merged it (`Merged-by: Name <email>;
time`), who dismissed each request for changes (`Veto-dismissed-by: Name <email>; time; reason`),
both taken from the audit events, and the required checks that passed on the merged revision
(`Check: evals=success; <url>`, from the verdict); and the check of a commit's trailers against those.

The merge's `proposal.merge` event keeps its `Merged-by` value (`merged_by`) and its `Check` values
(`checks`), so verify compares the commit with the record. A merge recorded before the registry
wrote these trailers has none, and its event no `merged_by` (no `checks`): such a commit is checked
only for not carrying them half-way. A commit whose merge is not recorded yet (its process died
after the git commit) must name the checks the verdict counts now.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.accounts.actors import Actor
from registry.gitsource import trailers
from registry.gitsource.trailers import CHECK, MERGED_BY, VETO_DISMISSED_BY, without_name
from registry.ledger.refs import iso
from registry.models import AuditEvent, Person, Proposal
from registry.proposals.verdict import verdict


def _events(session: Session, proposal_id: int, action: str) -> list[AuditEvent]:
    return list(session.scalars(select(AuditEvent).where(AuditEvent.subject == f"proposal:{proposal_id}",
                                                         AuditEvent.action == action).order_by(AuditEvent.seq)))


def dismissals(session: Session, proposal_id: int) -> list[str]:
    """A `Veto-dismissed-by` value per `review.dismiss` event of the proposal, oldest first."""
    out = []
    for e in _events(session, proposal_id, "review.dismiss"):
        name = session.scalar(select(Person.name).where(Person.email == e.actor)) or e.actor
        reason = str((e.new or {}).get("reason") or "") if isinstance(e.new, dict) else ""
        out.append(trailers.veto_dismissed_by(name, e.actor, iso(e.at) or "", reason))
    return out


def people(session: Session, proposal: Proposal, merger: Actor, when: datetime) -> list[tuple[str, str]]:
    """The trailers naming who merges now and who dismissed each request for changes."""
    lines = [(MERGED_BY, trailers.merged_by(merger.name, merger.email, iso(when) or ""))]
    return lines + [(VETO_DISMISSED_BY, v) for v in dismissals(session, proposal.id)]


def checks(session: Session, proposal: Proposal) -> list[str]:
    """A `Check` value per required check on the current revision, as the verdict judges it now."""
    return [c.trailer for c in verdict(session, proposal).evaluation.checks]


def recorded_checks(session: Session, proposal: Proposal) -> tuple[str, ...]:
    """The `Check` values a merged proposal's merge named, as its `proposal.merge` event recorded them."""
    events = _events(session, proposal.id, "proposal.merge")
    kept = events[-1].new.get("checks") if events and isinstance(events[-1].new, dict) else None
    return tuple(str(v) for v in kept) if isinstance(kept, list) else ()


def _check_mismatches(session: Session, proposal: Proposal, event: AuditEvent | None, found: list[str]) -> list[str]:
    """Why the commit's Check trailers are not the ones the merge recorded (or, unrecorded, the verdict's now)."""
    if event is None:
        expected = checks(session, proposal)
    else:
        kept = event.new.get("checks") if isinstance(event.new, dict) else None
        expected = [str(v) for v in kept] if isinstance(kept, list) else []
    if Counter(expected) == Counter(found):
        return []
    return [f"Check trailers differ from the checks the merge recorded; only in git: "
            f"{sorted((Counter(found) - Counter(expected)).elements()) or 'none'}; only in the audit trail: "
            f"{sorted((Counter(expected) - Counter(found)).elements()) or 'none'}"]


def mismatches(session: Session, proposal: Proposal, get: Callable[[str], list[str]]) -> list[str]:
    """Why a commit's Merged-by, Veto-dismissed-by and Check trailers are not what the audit events recorded."""
    merged, dismissed = get(MERGED_BY), get(VETO_DISMISSED_BY)
    events = _events(session, proposal.id, "proposal.merge")
    recorded = events[0].new.get("merged_by") if events and isinstance(events[0].new, dict) else None
    if not merged and recorded is None:  # a merge from before these trailers: they must not appear half-way
        return (["carries Veto-dismissed-by trailers but no Merged-by"] if dismissed else []) + (
            ["carries Check trailers but no Merged-by"] if get(CHECK) else [])
    out = _check_mismatches(session, proposal, events[0] if events else None, get(CHECK))
    if len(merged) != 1:
        out.append(f"carries {len(merged)} Merged-by trailers; a registry merge carries exactly one")
    elif recorded is not None and without_name(merged[0]) != without_name(str(recorded)):
        out.append(f"Merged-by {merged[0]!r} is not the merger the audit trail recorded ({recorded!r})")
    expected = Counter(without_name(v) for v in dismissals(session, proposal.id))
    found = Counter(without_name(v) for v in dismissed)
    if expected != found:
        out.append(f"Veto-dismissed-by trailers differ from the review.dismiss events; only in git: "
                   f"{sorted((found - expected).elements()) or 'none'}; only in the audit trail: "
                   f"{sorted((expected - found).elements()) or 'none'}")
    return out

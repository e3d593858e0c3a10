"""The people a merge commit names besides its approvers: who merged it (`Merged-by: Name <email>;
time`) and who dismissed each request for changes (`Veto-dismissed-by: Name <email>; time; reason`),
both taken from the audit events, and the check of a commit's trailers against those events.

The merge's `proposal.merge` event keeps its `Merged-by` value (`merged_by`), so verify compares the
commit with the record. A merge recorded before the registry wrote these trailers has neither, and
its event no `merged_by`: such a commit is checked only for not carrying them half-way.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.accounts.actors import Actor
from registry.gitsource import trailers
from registry.gitsource.trailers import MERGED_BY, VETO_DISMISSED_BY, without_name
from registry.ledger.refs import iso
from registry.models import AuditEvent, Person, Proposal


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


def mismatches(session: Session, proposal: Proposal, get: Callable[[str], list[str]]) -> list[str]:
    """Why a commit's Merged-by and Veto-dismissed-by trailers are not what the audit events recorded."""
    merged, dismissed = get(MERGED_BY), get(VETO_DISMISSED_BY)
    events = _events(session, proposal.id, "proposal.merge")
    recorded = events[0].new.get("merged_by") if events and isinstance(events[0].new, dict) else None
    if not merged and recorded is None:  # a merge from before these trailers: they must not appear half-way
        return ["carries Veto-dismissed-by trailers but no Merged-by"] if dismissed else []
    out = []
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

"""A proposal's timeline: what happened to it, when and by whom, read from its audit events.

The audit chain is the record (every action on a proposal appends one event); the proposal's rows
add what an event does not spell out: a person's name, and for a conflict the commit on the branch
that changed a touched clause (or governance file) after the revision's base.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.audit.events import vouched
from registry.gitsource.trailers import without_name
from registry.models import (
    AuditEvent,
    ClauseVersion,
    Commit,
    GovernanceFileVersion,
    Person,
    Proposal,
    Review,
    Revision,
)
from registry.proposals import store
from registry.proposals.governance import FILE
from registry.proposals.read_models import TimelineEntry, Who

# The audit actions a timeline shows, and how it names them.
ACTIONS = {
    "proposal.create": "created", "proposal.revise": "revised", "proposal.submit": "submitted",
    "review.approve": "approved", "review.request_changes": "changes requested",
    "review.withdraw_veto": "veto withdrawn", "review.dismiss": "veto dismissed",
    "proposal.withdraw": "withdrawn", "proposal.reject": "rejected", "proposal.merge": "merged",
    "proposal.conflict": "conflicted", "check.report": "check reported",
}


def _actor(session: Session, actor: str, names: dict[str, Who]) -> Who:
    """The person an audit actor names; the registry itself (registry:ingest) keeps its id as the email."""
    if actor not in names:
        name = session.scalar(select(Person.name).where(Person.email == actor))
        names[actor] = Who(name or actor, actor)
    return names[actor]


def conflict_commit(session: Session, revision: Revision, until: int | None = None) -> str | None:
    """The first commit after the revision's base (up to `until`, a ledger seq) that changed a clause or
    governance file the revision touches: what made its merge conflict (None: nothing changed)."""
    first: int | None = None
    for ch in store.changes(session, revision):
        if ch.kind == FILE:
            q = select(GovernanceFileVersion.seq).where(GovernanceFileVersion.path == ch.key,
                                                        GovernanceFileVersion.live)
            col = GovernanceFileVersion.seq
        elif ch.clause_id is not None:
            q, col = select(ClauseVersion.seq).where(ClauseVersion.clause_id == ch.clause_id, ClauseVersion.live), \
                ClauseVersion.seq
        else:
            continue
        q = q.where(col > revision.base_seq)
        seq = session.scalar((q if until is None else q.where(col <= until)).order_by(col).limit(1))
        first = seq if seq is not None and (first is None or seq < first) else first
    return None if first is None else session.get_one(Commit, first).sha


def _review(session: Session, proposal: Proposal, review_id: object) -> Review | None:
    review = session.get(Review, review_id) if isinstance(review_id, int) else None
    return review if review is not None and review.proposal_id == proposal.id else None


def _detail(session: Session, proposal: Proposal, event: AuditEvent) -> tuple[str, str | None]:
    """(what the entry says beyond its action, the commit it names)."""
    new: dict[str, Any] = event.new if isinstance(event.new, dict) else {}
    action = event.action
    if action == "proposal.create":
        return f"revision 1: {new.get('title', proposal.title)}", None
    if action == "proposal.revise":
        note = new.get("note") or ""
        return f"revision {new.get('revision', '?')}" + (f": {note}" if note else ""), None
    if action == "review.approve":
        return f"revision {new.get('revision', '?')}, {new.get('meaning', '')}", None
    if action == "check.report":  # as a Check trailer says it, with the revision it ran on
        url = new.get("url")
        return (f"{new.get('name', '?')}={new.get('status', '?')} on revision {new.get('revision', '?')}"
                + (f"; {url}" if url else "")), None
    review = _review(session, proposal, new.get("review"))
    if action == "review.request_changes":
        return (review.comment if review is not None else ""), None
    whose = f"the request for changes by {review.printed_name}" if review is not None else "a request for changes"
    if action == "review.withdraw_veto":
        return whose, None
    if action == "review.dismiss":
        return f"{whose}; reason: {new.get('reason') or ''}", None
    if action in ("proposal.withdraw", "proposal.reject"):
        return (f"reason: {new['reason']}" if new.get("reason") else ""), None
    if action == "proposal.merge":
        return f"commit {new.get('commit', '')}", new.get("commit")
    if action == "proposal.conflict":
        revision = session.scalar(select(Revision).where(Revision.proposal_id == proposal.id,
                                                         Revision.created_at <= event.at)
                                  .order_by(Revision.number.desc()).limit(1))
        sha = conflict_commit(session, revision) if revision is not None else None
        merged = session.scalar(select(Proposal.id).where(Proposal.merged_sha == sha)) if sha else None
        cause = f"; caused by commit {sha}" + (f", the merge of proposal #{merged}" if merged else "") if sha else ""
        return "; ".join(new.get("conflicts") or []) + cause, sha
    return "", None


def timeline(session: Session, proposal: Proposal) -> tuple[TimelineEntry, ...]:
    """Every action on the proposal the timeline shows, oldest first (only events the audit key vouches for:
    one inserted with SQL is no action, and verify names it)."""
    names: dict[str, Who] = {}
    events = session.scalars(select(AuditEvent).where(AuditEvent.subject == f"proposal:{proposal.id}",
                                                      AuditEvent.action.in_(ACTIONS)).order_by(AuditEvent.seq))
    out = []
    for e in vouched(session, events):
        detail, commit = _detail(session, proposal, e)
        actor = _actor(session, e.actor, names)
        merger = _completed_merger(session, e, names)
        if merger is not None:  # the merging process died before recording it: the commit names who pressed merge
            actor, detail = merger, f"{detail}; recorded by {e.actor} from the commit's Merged-by line"
        out.append(TimelineEntry(e.at, actor, ACTIONS[e.action], detail, commit))
    return tuple(out)


def _completed_merger(session: Session, event: AuditEvent, names: dict[str, Who]) -> Who | None:
    """Who a merge that ingest completed names in its `Merged-by` trailer (kept in the event), else None."""
    new: dict[str, Any] = event.new if isinstance(event.new, dict) else {}
    value = new.get("merged_by")
    if event.action != "proposal.merge" or new.get("completed_by") != "ingest" or not isinstance(value, str):
        return None
    email = without_name(value).partition(">")[0].removeprefix("<")
    if not email:
        return None
    who = _actor(session, email, names)
    # Someone without an account here keeps the trailer's name rather than a bare email.
    return who if who.name != email else Who(value.partition(" <")[0] or email, email)

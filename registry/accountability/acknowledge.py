"""Use cases: an admin acknowledges an unapproved change or a history rewrite, with a reason.

Only admins acknowledge (registry.accountability.permissions, which the report asks too).
Acknowledging records who accepted it, when and why (audited); it never clears the flag: the
change stays unapproved in every report and on every timeline, now with the reason beside it.
"""
from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry import limits
from registry.accountability import permissions
from registry.accountability.unapproved import AcknowledgementView, is_unapproved
from registry.accounts.actors import Actor
from registry.audit import events as audit
from registry.errors import BadRequest, Conflict, NotFound, UnknownRef
from registry.history.governance import governance_start
from registry.ledger.refs import commit_by_prefix
from registry.models import Acknowledgement, ClauseVersion, Commit, HistoryRewrite, Proposal

_HEX = re.compile(r"[0-9a-fA-F]{4,40}")


def find_commit(session: Session, ref: str) -> Commit:
    """An ingested commit by its sha or a unique prefix (at least 4 hex digits)."""
    ref = ref.strip()
    if not _HEX.fullmatch(ref):
        raise BadRequest(f"name the commit by its sha (or a prefix of at least 4 hex digits), not {ref!r}")
    found = commit_by_prefix(session, ref)
    if found is None:
        raise UnknownRef(f"no ingested commit starts with {ref}")
    return found


def _why_not(session: Session, commit: Commit) -> str:
    """Why a commit is not an unapproved change (for the refusal message)."""
    if commit.set_aside:
        return "it was rewritten out of the branch's history; acknowledge that history rewrite instead"
    number = session.scalar(select(Proposal.id).where(Proposal.merged_sha == commit.sha))
    if number is not None:
        return f"it is the merge of proposal #{number}"
    start = governance_start(session)
    if start.pre_governance(commit.seq):
        return (f"it came before governance began (at {(start.commit or '')[:12]}, policy.toml's "
                f"[governance] start {start.ref!r})")
    if session.scalar(select(ClauseVersion.id).where(ClauseVersion.seq == commit.seq).limit(1)) is None:
        return "it changed no clause and no governance file"
    return "it has a merged proposal behind it"


def _reason(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise BadRequest("say why the change is acknowledged (a reason is required and kept)")
    limits.check_text("reason", reason, limits.REASON)
    return reason


def acknowledge_commit(session: Session, actor: Actor | None, ref: str, reason: str) -> AcknowledgementView:
    """Record an admin's reason for an unapproved commit (it stays flagged); audited."""
    actor = permissions.require("acknowledge_commit", actor)
    reason = _reason(reason)
    commit = find_commit(session, ref)
    if not is_unapproved(session, commit.sha):
        raise Conflict(f"commit {commit.sha[:12]} is not an unapproved change: {_why_not(session, commit)}")
    row = Acknowledgement(commit_sha=commit.sha, reason=reason, actor_id=actor.person_id)
    session.add(row)
    session.flush()
    clauses = list(dict.fromkeys(session.scalars(select(ClauseVersion.key).where(
        ClauseVersion.seq == commit.seq).order_by(ClauseVersion.id))))
    audit.record(session, actor.email, "unapproved.acknowledge", f"commit:{commit.sha}", None,
                 {"acknowledgement": row.id, "reason": reason, "clauses": clauses})
    return AcknowledgementView(row.id, actor.name, actor.email, row.created_at, reason)


def acknowledge_rewrite(session: Session, actor: Actor | None, rewrite_id: int, reason: str) -> AcknowledgementView:
    """Record an admin's reason for a history rewrite ingest detected; audited."""
    actor = permissions.require("acknowledge_rewrite", actor)
    reason = _reason(reason)
    rewrite = session.get(HistoryRewrite, rewrite_id)
    if rewrite is None:
        raise NotFound(f"no history rewrite has the number {rewrite_id}")
    row = Acknowledgement(rewrite_id=rewrite.id, reason=reason, actor_id=actor.person_id)
    session.add(row)
    session.flush()
    audit.record(session, actor.email, "rewrite.acknowledge", f"rewrite:{rewrite.id}", None,
                 {"acknowledgement": row.id, "reason": reason, "old_head": rewrite.old_head,
                  "new_head": rewrite.new_head})
    return AcknowledgementView(row.id, actor.name, actor.email, row.created_at, reason)

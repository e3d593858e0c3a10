"""Use case: keep a proposal's open/approved state in step with the policy when ownership moves.

After every review, revision or veto change the proposal follows the policy's verdict
(`follow_verdict`). Who may approve can change without touching the proposal: an OWNERS.toml or
policy.toml commit, a clause moved, renamed or removed (owners are inherited from where a clause
stands), a registry assignment, an admin account disabled, enabled or given another role (admins
approve clauses nobody owns), a clause's authority level changed by a commit (`[governance] root_owners`
asks the owners of the root clauses as they stand now). `reevaluate` re-checks the active proposals after such a change, so
lists, review queues and "ready to merge" tell the truth; merge checks the policy again anyway.
"""
from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from registry.audit import events as audit
from registry.gitsource import RawCommit
from registry.ledger.hooks import IngestWatcher, WarnFn
from registry.ledger.ingest import INGEST_ACTOR
from registry.models import ClauseVersion, Ledger, Proposal, ProposedChange, Revision, utcnow
from registry.owners.owners_toml import OWNERS_PATH
from registry.proposals import store
from registry.proposals.governance import FILE
from registry.proposals.policy_toml import POLICY_PATH
from registry.proposals.states import APPROVED, OPEN, after_verdict
from registry.proposals.verdict import verdict

OWNERSHIP_CHANGED = "ownership changed"
POLICY_CHANGED = "policy changed"
HISTORY_REWRITTEN = "history rewritten"
AUTHORITY_CHANGED = "authority changed"
# Clause changes that can change who owns a clause: its place in the outline or its id, or its return.
_RESHAPING = ("moved", "renamed", "removed")


@dataclass(frozen=True)
class Move:
    """One proposal's state change."""

    id: int
    old: str
    new: str


def follow_verdict(session: Session, proposal: Proposal, actor: str, reason: str | None = None) -> Move | None:
    """Move open <-> approved as the policy now says, and audit the move (None: it stays)."""
    new = after_verdict(proposal.state, verdict(session, proposal).evaluation.satisfied)
    if new == proposal.state:
        return None
    old, proposal.state, proposal.updated_at = proposal.state, new, utcnow()
    session.flush()
    why = {"state": new, "why": "policy satisfied" if new == APPROVED else "policy no longer satisfied"}
    audit.record(session, actor, "proposal.state", f"proposal:{proposal.id}", {"state": old},
                 why | ({"reason": reason} if reason else {}))
    return Move(proposal.id, old, new)


def reevaluate(session: Session, proposals: Iterable[int] | None = None, *, actor: str,
               reason: str = OWNERSHIP_CHANGED) -> list[Move]:
    """Re-check the policy for open and approved proposals (all, or these numbers); move and audit each change."""
    q = select(Proposal.id).where(Proposal.state.in_((OPEN, APPROVED))).order_by(Proposal.id)
    if proposals is not None:
        q = q.where(Proposal.id.in_(list(proposals)))
    moves = []
    for number in session.scalars(q).all():
        # Locked in the order registry.transaction.locks documents (the audit lock, then the row), and read again:
        # a review may have moved it between the query above and the lock.
        proposal = store.get_proposal(session, number, lock=True)
        if proposal.state in (OPEN, APPROVED) and (move := follow_verdict(session, proposal, actor, reason)):
            moves.append(move)
    return moves


def touching(session: Session, clause_ids: Collection[int]) -> list[int]:
    """Proposals whose current revision changes or removes one of these clause lineages, and those that
    replace a governance file (`[governance] root_owners` may ask the owners of any root clause)."""
    return list(session.scalars(
        select(Proposal.id).join(Revision, (Revision.proposal_id == Proposal.id)
                                 & (Revision.number == Proposal.revision))
        .join(ProposedChange, ProposedChange.revision_id == Revision.id)
        .where(or_(ProposedChange.clause_id.in_(clause_ids), ProposedChange.kind == FILE))
        .distinct().order_by(Proposal.id)))


class OwnershipWatcher(IngestWatcher):
    """Re-checks proposals after an ingested batch that may have changed who approves what."""

    def __init__(self, session: Session, warn: WarnFn) -> None:
        super().__init__(session, warn)
        self.first_seq: int | None = None
        self.reasons: set[str] = set()

    def watches(self, path: str) -> bool:
        """OWNERS.toml and policy.toml at the repo root."""
        return path in (OWNERS_PATH, POLICY_PATH)

    def on_commit(self, commit: RawCommit, seq: int) -> None:
        """Remember where the batch starts."""
        if self.first_seq is None:
            self.first_seq = seq

    def on_file(self, commit: RawCommit, seq: int, path: str, content: bytes | None) -> None:
        """A new OWNERS.toml or policy.toml version."""
        self.reasons.add(OWNERSHIP_CHANGED if path == OWNERS_PATH else POLICY_CHANGED)

    def on_rewind(self, fork_seq: int) -> None:
        """Set-aside history took its OWNERS.toml and policy.toml versions with it: re-check now."""
        if self.session.get_one(Ledger, 1).head_sha is None:
            self.reasons.add(HISTORY_REWRITTEN)  # nothing is left to judge by; the first batch does it
            return
        reevaluate(self.session, actor=INGEST_ACTOR, reason=HISTORY_REWRITTEN)

    def advanced(self) -> None:
        """Once the ledger head is past the batch: re-check when the batch changed ownership, policy or authority."""
        scope: list[int] | None = None
        if self.first_seq is not None and self._any_active():
            if self._reshaped(self.first_seq):
                self.reasons.add(OWNERSHIP_CHANGED)
            if moved := self._authority_moved(self.first_seq):
                # Alone, it can only matter to the proposals on those clauses and to governance files.
                scope = None if self.reasons else touching(self.session, moved)
                self.reasons.add(AUTHORITY_CHANGED)
        if self.reasons:
            reevaluate(self.session, scope, actor=INGEST_ACTOR, reason="; ".join(sorted(self.reasons)))
        self.first_seq, self.reasons = None, set()

    def _any_active(self) -> bool:
        """True when some proposal is open or approved (a first ingest has none: nothing to look for)."""
        return self.session.scalar(select(Proposal.id).where(Proposal.state.in_((OPEN, APPROVED))).limit(1)) \
            is not None

    def _authority_moved(self, since: int) -> list[int]:
        """Clauses whose authority level after the batch differs from before it (added and removed ones too)."""
        v = ClauseVersion
        touched = select(v.clause_id).where(v.seq >= since, v.live, or_(
            *(v.changes.contains(c) for c in ("attributes", "added", "removed")))).distinct()
        last_before = (select(v.clause_id, func.max(v.seq).label("seq"))
                       .where(v.live, v.seq < since, v.clause_id.in_(touched)).group_by(v.clause_id).subquery())
        before = {cid: _authority(a, r) for cid, a, r in self.session.execute(
            select(v.clause_id, v.attributes, v.removed).join(
                last_before, (last_before.c.clause_id == v.clause_id) & (last_before.c.seq == v.seq)).where(v.live))}
        after: dict[int, str | None] = {}
        for cid, a, r in self.session.execute(select(v.clause_id, v.attributes, v.removed).where(
                v.seq >= since, v.live, v.clause_id.in_(touched)).order_by(v.seq)):
            after[cid] = _authority(a, r)  # the batch's last version wins
        return sorted(cid for cid, level in after.items() if level != before.get(cid))

    def _reshaped(self, since: int) -> bool:
        """True when the batch moved, renamed or removed a clause, or brought back one a proposal touches."""
        back = ClauseVersion.changes.contains("added") & ClauseVersion.clause_id.in_(
            select(ProposedChange.clause_id).where(ProposedChange.clause_id.is_not(None)))
        return self.session.scalar(select(ClauseVersion.id).where(
            ClauseVersion.seq >= since, ClauseVersion.live,
            or_(back, *(ClauseVersion.changes.contains(c) for c in _RESHAPING))).limit(1)) is not None


def _authority(attributes: dict[str, Any] | None, removed: bool) -> str | None:
    """A clause version's authority level (a removed clause has none)."""
    return None if removed else (attributes or {}).get("authority")

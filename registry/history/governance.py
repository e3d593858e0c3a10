"""Where governance began: `[governance] start` in policy.toml.

Commits before the start are pre-governance, not unapproved changes. The start the branch head's
policy.toml names applies, but it can never hide a commit that was governed before: a start
reaches no later than the commit whose policy.toml names it, nor than any start an earlier
policy.toml on the branch named. The start of each policy.toml version is recorded at ingest
(`PolicyVersion.governance_start`, by registry.proposals.policy_store), so this reads no TOML.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.audit.events import kept_while_standing
from registry.errors import UnknownRef
from registry.ledger.refs import resolve_commit
from registry.models import Commit, PolicyVersion
from registry.transaction.kept import KeptAnswers


@dataclass(frozen=True)
class GovernanceStart:
    """Where governance began: commits before `seq` are pre-governance (None: every commit is governed)."""

    ref: str | None  # the start as the branch head's policy.toml writes it
    commit: str | None
    seq: int | None
    warnings: tuple[str, ...] = ()

    def pre_governance(self, seq: int) -> bool:
        """True for a commit before governance began."""
        return self.seq is not None and seq < self.seq

    def as_dict(self) -> dict[str, object]:
        """{"start", "commit", "warnings"}."""
        return {"start": self.ref, "commit": self.commit, "warnings": list(self.warnings)}


NO_START = GovernanceStart(None, None, None)


# policy.toml versions, commits and tags change only in an ingest, which moves
# audit.newest_standing_event (shared: read only).
_starts: KeptAnswers[GovernanceStart] = KeptAnswers(4)


def governance_start(session: Session) -> GovernanceStart:
    """Where governance began on the branch, from the head's policy.toml; an unknown start warns and hides nothing."""
    return kept_while_standing(_starts, session, "start", lambda: _governance_start(session))


def _governance_start(session: Session) -> GovernanceStart:
    rows = session.execute(select(PolicyVersion.seq, PolicyVersion.status, PolicyVersion.governance_start)
                           .where(PolicyVersion.usable())
                           .order_by(PolicyVersion.seq, PolicyVersion.id)).all()
    if not rows or rows[-1].status == "deleted" or rows[-1].governance_start is None:
        return NO_START
    head_ref = rows[-1].governance_start
    try:
        named = resolve_commit(session, head_ref).seq
    except UnknownRef as exc:
        return GovernanceStart(head_ref, None, None, (
            f"policy.toml's [governance] start: {exc.message}; every commit counts as governed",))
    seq = min(named, *(_capped(session, r.seq, r.governance_start) for r in rows
                       if r.status != "deleted" and r.governance_start is not None))
    sha = session.get_one(Commit, seq).sha
    notes = () if seq == named else (
        f"policy.toml's [governance] start {head_ref!r} is later than where governance already began; it began at "
        f"{sha[:12]} (a start never moves later, nor past the commit whose policy.toml names it)",)
    return GovernanceStart(head_ref, sha, seq, notes)


def _capped(session: Session, written_at: int, ref: str) -> int:
    """The seq a policy.toml version's start names, no later than the version's own commit."""
    try:
        return min(resolve_commit(session, ref).seq, written_at)
    except UnknownRef:
        return written_at

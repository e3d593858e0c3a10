"""The merge watcher: a commit whose trailer names a proposal completes that proposal.

The git commit is the source of truth. If a merge's process died after moving the branch but
before its database transaction committed, the proposal is still approved in the database; the
next ingest sees the commit's `Proposal-Id:` trailer and records the merge, exactly once.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from registry.audit import events as audit
from registry.errors import IllegalTransition, UnknownProposal
from registry.gitsource import RawCommit, trailers
from registry.ledger.hooks import IngestWatcher, WarnFn
from registry.ledger.ingest import INGEST_ACTOR
from registry.models import Proposal, utcnow
from registry.proposals import counted, store
from registry.proposals.integrity import TRAILER_KEYS, CommitTrailers, collect, merge_mismatches, named_approvals
from registry.proposals.states import MERGED, transition


class MergeWatcher(IngestWatcher):
    """Collects Proposal-Id trailers while ingest reads commits; completes proposals in finish()."""

    def __init__(self, session: Session, warn: WarnFn) -> None:
        super().__init__(session, warn)
        self.pending: list[tuple[str, datetime, str, CommitTrailers]] = []  # sha, date, trailer value, trailers

    def on_commit(self, commit: RawCommit, seq: int) -> None:
        """Remember every proposal a commit names, with the commit's registry trailers."""
        for value in trailers.values(commit.message, trailers.PROPOSAL_ID):
            found = collect((commit.sha, key, v) for key in TRAILER_KEYS
                            for v in trailers.values(commit.message, key))[commit.sha]
            self.pending.append((commit.sha, commit.committed_at, value.strip(), found))

    def finish(self) -> None:
        """Mark the named proposals merged (their commits are in the ledger by now)."""
        for sha, when, value, found in self.pending:
            complete(self.session, sha, when, value, self.warn, found)
        self.pending = []


def _locked(session: Session, value: str) -> Proposal | None:
    """The proposal a trailer value names, its row locked in the lock order (registry.transaction.locks); None if unknown."""
    try:
        return store.get_proposal(session, int(value), lock=True) if value.isdigit() else None
    except UnknownProposal:
        return None


def complete(session: Session, sha: str, when: datetime, value: str, warn: WarnFn,
             found: CommitTrailers | None = None) -> None:
    """Record that commit `sha` merged the proposal named by a trailer value (idempotent).

    With the commit's trailers, the commit must also be what the registry would have written for
    that proposal (integrity.merge_mismatches: one Audit-Head naming an existing event, the
    approvals, the approved texts and no other change); otherwise it stays a direct, unapproved
    change and the warning says which part failed.
    """
    proposal = _locked(session, value)
    if proposal is None:
        warn(sha, "", f"the commit names proposal {value!r}, which this database does not have", None)
        return
    if proposal.merged_sha == sha:
        return
    if proposal.state == MERGED:
        warn(sha, "", f"the commit names proposal #{proposal.id}, already merged as "
             f"{proposal.merged_sha[:12] if proposal.merged_sha else '?'}; recorded once only", None)
        return
    unapproved = "not recorded as its merge (the commit counts as an unapproved change)"
    try:
        merged = transition(proposal.state, "merge")  # the state machine says which proposals a commit completes
    except IllegalTransition as exc:
        warn(sha, "", f"the commit names proposal #{proposal.id}, but {exc.message}; {unapproved}", None)
        return
    if found is not None and (why := merge_mismatches(session, proposal, found)):
        warn(sha, "", f"the commit names proposal #{proposal.id} but is not its approved merge ({'; '.join(why)}); "
             f"{unapproved}", None)
        return
    # The commit's trailers name these (merge_mismatches compared them): the merge's record keeps them.
    approvals = named_approvals(session, proposal, found) if found is not None else counted.counting(session, proposal)
    uncounted = counted.not_counting(session, proposal, approvals)
    old = proposal.state
    proposal.state, proposal.merged_sha, proposal.merged_at = merged, sha, when
    proposal.updated_at = utcnow()
    session.flush()
    audit.record(session, INGEST_ACTOR, "proposal.merge", f"proposal:{proposal.id}", {"state": old},
                 {"state": merged, "commit": sha, "completed_by": "ingest"}
                 | ({"merged_by": by[0]} if found is not None and len(by := found.get(trailers.MERGED_BY)) == 1 else {})
                 | ({"checks": found.get(trailers.CHECK)} if found is not None else {})
                 | counted.merge_fields(approvals, uncounted))

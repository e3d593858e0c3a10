"""Load, in a handful of set-based queries, what `verdict.verdict` will read about many proposals.

A list of proposals computes each missed verdict afresh (registry.proposals.verdict_memo), and each
`verdict()` asked its own ten or so queries: fifty a page made five hundred statements. This fills
the per-transaction memo under the keys the store functions read it by (`tracking.kept_or`,
`tracking.once_per_transaction`) and holds the rows the verdict finds with `session.get` in the session's
identity map, so `verdict()` stays the one definition of the verdict and runs on what is loaded.
Only while the session has not written: after a write every read is fresh anyway.
"""
from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.history.versions import load_versions_at
from registry.ledger.refs import head_point
from registry.models import AuditEvent, CheckReport, ClauseVersion, Person, Proposal, ProposedChange, Review, Revision
from registry.owners.store import owners_store
from registry.proposals import provenance, store
from registry.transaction.tracking import has_written, once_per_transaction

R = TypeVar("R")
K = TypeVar("K")
_EVENT_ACTIONS = (provenance.REVIEW_ACTIONS + provenance.SETTLE_ACTIONS, provenance.CHECK_ACTIONS)


def load(session: Session, proposals: Sequence[Proposal]) -> None:
    """Read the inputs of these proposals' verdicts at once, for `verdict()` to find in the transaction."""
    if has_written(session) or not proposals:
        return
    numbers = [p.id for p in proposals]
    revisions = list(session.scalars(select(Revision).where(Revision.proposal_id.in_(numbers))))
    current = {(r.proposal_id, r.number): r for r in revisions}
    changes = _grouped(session.scalars(select(ProposedChange).where(
        ProposedChange.revision_id.in_([r.id for r in current.values()])).order_by(ProposedChange.position)),
        lambda ch: ch.revision_id)
    reviews = _grouped(session.scalars(select(Review).where(Review.proposal_id.in_(numbers))
                                       .order_by(Review.created_at, Review.id)), lambda r: r.proposal_id)
    reports = _grouped(session.scalars(select(CheckReport).where(CheckReport.proposal_id.in_(numbers))
                                       .order_by(CheckReport.created_at, CheckReport.id)), lambda c: c.proposal_id)
    events = _grouped(session.scalars(select(AuditEvent).where(
        AuditEvent.subject.in_([f"proposal:{n}" for n in numbers]),
        AuditEvent.action.in_(sum(_EVENT_ACTIONS, ()))).order_by(AuditEvent.seq)), lambda e: e.subject)
    people = {p.id: p for p in session.scalars(select(Person).where(Person.id.in_(
        {p.proposer_id for p in proposals} | {r.author_id for r in revisions if r.author_id is not None}
        | {r.reviewer_id for rs in reviews.values() for r in rs} | {c.reporter_id for cs in reports.values() for c in cs})))}
    touched = [ch for chs in changes.values() for ch in chs]
    bases = list(session.scalars(select(ClauseVersion).where(
        ClauseVersion.id.in_({ch.base_version_id for ch in touched if ch.base_version_id}))))
    for p in proposals:
        mine = [r for r in revisions if r.proposal_id == p.id]
        revision = current[(p.id, p.revision)]
        given = reviews.get(p.id, [])
        _keep(session, (store.current_revision, p.id, p.revision), revision)
        _keep(session, (store.revision_numbers, p.id), {r.id: r.number for r in mine})
        _keep(session, (store.revision_authors, p.id),
              {people[r.author_id].email for r in mine if r.author_id in people})
        _keep(session, (store.changes, revision.id), changes.get(revision.id, []))
        _keep(session, (store.reviews, p.id), given)
        _keep(session, (store.check_reports, p.id), reports.get(p.id, []))
        ids = frozenset(r.reviewer_id for r in given)
        _keep(session, (provenance.givers, ids), {i: people[i].email for i in ids})
        for actions in _EVENT_ACTIONS:
            _keep(session, (provenance.proposal_events, p.id, actions),
                  [e for e in events.get(f"proposal:{p.id}", []) if e.action in actions])
    # The rows verdict() finds with session.get: held until the transaction ends, so none is read again.
    _keep(session, (load, "rows", tuple(numbers)), (revisions, list(people.values()), bases))
    _owners(session, [ch.clause_id for ch in touched if ch.clause_id is not None])


def _owners(session: Session, clause_ids: list[int]) -> None:
    """Each touched clause's chain of ancestors at the head (a query per level) and its assignment log."""
    seq = head_point(session).seq
    level = set(clause_ids)
    seen: set[int] = set()
    while level:
        seen |= level
        found = load_versions_at(session, level, seq)
        level = {v.parent_id for v in found.values() if v is not None and v.parent_id} - seen
    owners_store(session).read_logs(clause_ids)


def _keep(session: Session, key: Hashable, value: object) -> None:
    once_per_transaction(session, key, lambda: value)


def _grouped(rows: Iterable[R], by: Callable[[R], K]) -> dict[K, list[R]]:
    out: dict[K, list[R]] = {}
    for row in rows:
        out.setdefault(by(row), []).append(row)
    return out

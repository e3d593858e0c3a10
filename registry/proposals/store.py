"""Reads proposals and their parts from the database (shared by the proposal use cases and views)."""
from __future__ import annotations

from collections.abc import Sequence
from typing import overload

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.db import is_sqlite
from registry.errors import UnknownProposal
from registry.models import CheckReport, Comment, Person, Proposal, ProposedChange, Review, Revision
from registry.spec.clause_edit import Edit, digest_of
from registry.transaction.locks import lock_writer
from registry.transaction.tracking import kept_or


def get_proposal(session: Session, number: int, lock: bool = False) -> Proposal:
    """The proposal with this number; `lock` holds its row until the transaction ends (PostgreSQL)."""
    q = select(Proposal).where(Proposal.id == number)
    if lock and not is_sqlite(session):
        # Lock order (registry.transaction.locks): the audit lock before any proposal row, never the other way round.
        lock_writer(session, "audit")
        q = q.with_for_update()  # SQLite's BEGIN IMMEDIATE already serializes writers
    if lock:
        # The row as it stands once locked, even when this session already holds it from an earlier
        # read (a merge reads it before catching up): decisions under the lock need the committed state.
        q = q.execution_options(populate_existing=True)
    proposal = session.scalar(q)
    if proposal is None:
        raise UnknownProposal(f"no proposal #{number}")
    return proposal


def revisions(session: Session, proposal: Proposal) -> list[Revision]:
    """Every revision, oldest first."""
    return list(session.scalars(select(Revision).where(Revision.proposal_id == proposal.id)
                                .order_by(Revision.number)))


def current_revision(session: Session, proposal: Proposal) -> Revision:
    """The revision reviewers look at now."""
    return kept_or(session, (current_revision, proposal.id, proposal.revision), lambda: session.scalars(select(Revision).where(Revision.proposal_id == proposal.id,
                                                  Revision.number == proposal.revision)).one())


def changes(session: Session, revision: Revision) -> list[ProposedChange]:
    """A revision's clause changes in order."""
    return list(kept_or(session, (changes, revision.id), lambda: session.scalars(
        select(ProposedChange).where(ProposedChange.revision_id == revision.id).order_by(ProposedChange.position))))


def touched_keys(session: Session, proposal: Proposal) -> tuple[str, ...]:
    """The ids (or governance file paths) the current revision touches, in order."""
    return touched_keys_of(session, [proposal]).get(proposal.id, ())


def touched_keys_of(session: Session, proposals: Sequence[Proposal]) -> dict[int, tuple[str, ...]]:
    """`touched_keys` of many proposals in one query, by number."""
    keys: dict[int, list[str]] = {}
    for number, key in session.execute(
            select(Revision.proposal_id, ProposedChange.key).join(Revision, Revision.id == ProposedChange.revision_id)
            .join(Proposal, (Proposal.id == Revision.proposal_id) & (Proposal.revision == Revision.number))
            .where(Proposal.id.in_([p.id for p in proposals])).order_by(ProposedChange.position)):
        keys.setdefault(number, []).append(key)
    return {n: tuple(k) for n, k in keys.items()}


def reviews(session: Session, proposal: Proposal) -> list[Review]:
    """Every review, oldest first (withdrawn and dismissed ones too)."""
    return list(kept_or(session, (reviews, proposal.id), lambda: session.scalars(
        select(Review).where(Review.proposal_id == proposal.id).order_by(Review.created_at, Review.id))))


def comments(session: Session, proposal: Proposal) -> list[Comment]:
    """Every comment, oldest first."""
    return list(session.scalars(select(Comment).where(Comment.proposal_id == proposal.id)
                                .order_by(Comment.created_at, Comment.id)))


def check_reports(session: Session, proposal: Proposal) -> list[CheckReport]:
    """Every check report on the proposal, oldest first (superseded ones too)."""
    return list(kept_or(session, (check_reports, proposal.id), lambda: session.scalars(
        select(CheckReport).where(CheckReport.proposal_id == proposal.id)
        .order_by(CheckReport.created_at, CheckReport.id))))


def revision_numbers(session: Session, proposal: Proposal) -> dict[int, int]:
    """Revision id -> number."""
    return dict(kept_or(session, (revision_numbers, proposal.id), lambda: {rid: number for rid, number in session.execute(
        select(Revision.id, Revision.number).where(Revision.proposal_id == proposal.id))}))


def revision_authors(session: Session, proposal: Proposal) -> set[str]:
    """Emails of everyone who wrote a revision (the proposer included)."""
    return set(kept_or(session, (revision_authors, proposal.id), lambda: session.scalars(
        select(Person.email).join(Revision, Revision.author_id == Person.id).where(Revision.proposal_id == proposal.id))))


def recomputed_digest(session: Session, revision: Revision) -> str:
    """The digest of the revision's stored text, computed afresh (for verification: issue 6)."""
    return digest_of([(ch.document, Edit(ch.kind, ch.key, ch.text, ch.after_key)) for ch in changes(session, revision)])


@overload
def person(session: Session, person_id: int) -> Person: ...
@overload
def person(session: Session, person_id: int | None) -> Person | None: ...
def person(session: Session, person_id: int | None) -> Person | None:
    """A person by id (a foreign key: they exist); None for no id."""
    return session.get_one(Person, person_id) if person_id is not None else None

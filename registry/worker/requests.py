"""Durable requests for background work: record one (coalescing), read the pending ones, mark one done.

A request is a row in `job_requests`, written in the caller's transaction, so it survives any crash
after that commits. The worker marks it done only after the job succeeded, and only when nobody asked
again meanwhile (the generation it read is still the row's): a request is never lost, and any number
of requests before a run become one run.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from registry.errors import BadRequest
from registry.models import JobRequest, utcnow

SYNC = "sync"
VERIFY = "verify"
KINDS = (SYNC, VERIFY)


@dataclass(frozen=True)
class Pending:
    """A pending request as the worker read it: which job, and the generation it must still be to be done."""

    kind: str
    generation: int
    source: str


def request_job(session: Session, kind: str, source: str) -> None:
    """Ask for a job; a pending request for the same kind is bumped instead of a second one added."""
    if kind not in KINDS:
        raise BadRequest(f"unknown job {kind!r}: one of {', '.join(KINDS)}")
    values = {"kind": kind, "generation": 1, "requested_at": utcnow(), "source": source[:200]}
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(JobRequest).values(**values)
    session.execute(stmt.on_conflict_do_update(
        index_elements=[JobRequest.kind],
        set_={"generation": JobRequest.generation + 1, "requested_at": values["requested_at"],
              "source": values["source"]}))
    session.flush()


def pending(session: Session) -> list[Pending]:
    """The pending requests, oldest first."""
    rows = session.scalars(select(JobRequest).order_by(JobRequest.requested_at)).all()
    return [Pending(r.kind, r.generation, r.source) for r in rows]


def mark_done(session: Session, done: Pending) -> bool:
    """Forget the request the job answered; False (kept) when it was asked again while the job ran."""
    result = session.execute(delete(JobRequest).where(JobRequest.kind == done.kind,
                                                      JobRequest.generation == done.generation))
    return bool(result.rowcount)  # type: ignore[attr-defined]

"""verify's runs: the schedule one process claims, and `verify.failed` announced once per finding.

The one row of `verify_state` says when verify last ran (by the worker or `specreg verify`) and which
findings were already announced. A finding is the same while its check, where and message are; it is
announced when first found, and forgotten (to be announced again if it comes back) when a run no
longer finds it. A finding found while no webhook listened counts as announced.
"""
from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from registry.audit.events import Finding
from registry.models import VerifyState, utcnow

ROW = 1


def fingerprint(finding: Finding) -> str:
    """What makes two findings the same one: a hash of its check, where and message."""
    return hashlib.sha256("\0".join((finding.check, finding.where, finding.message)).encode("utf-8")).hexdigest()


def _ensure_row(session: Session) -> None:
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    session.execute(dialect.insert(VerifyState).values(id=ROW, announced=[]).on_conflict_do_nothing(
        index_elements=[VerifyState.id]))


def claim(session: Session, now: datetime, interval: timedelta) -> datetime | None:
    """Take the run due at `now` (None: taken, the last run is now) or say when the next is due (flushes).

    The update must find the last run `interval` old, so of two workers at once only one runs verify.
    """
    _ensure_row(session)
    taken = session.execute(update(VerifyState).where(
        VerifyState.id == ROW,
        or_(VerifyState.last_run_at.is_(None), VerifyState.last_run_at <= now - interval)).values(last_run_at=now))
    if taken.rowcount:  # type: ignore[attr-defined]
        return None
    last = session.scalar(select(VerifyState.last_run_at).where(VerifyState.id == ROW))
    return (last or now) + interval


def record(session: Session, findings: list[Finding], now: datetime | None = None) -> list[Finding]:
    """Record a run's findings; announce those not announced before as one `verify.failed`; those (flushes)."""
    from registry.webhooks.outbox import emit

    _ensure_row(session)
    state = session.scalars(select(VerifyState).where(VerifyState.id == ROW).with_for_update()).one()
    before = set(state.announced)
    marks = [fingerprint(f) for f in findings]
    new = [f for f, mark in zip(findings, marks) if mark not in before]
    state.announced = sorted(set(marks))  # a fixed finding is forgotten: it is news again if it returns
    state.last_run_at = now or utcnow()
    if new:
        emit(session, "verify.failed", {"findings": [f.as_dict() for f in findings],
                                        "new": [f.as_dict() for f in new]})
    session.flush()
    return new

"""Requests for background work (a sync after a push), kept until the worker has done them; verify's schedule."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from registry.models.base import Base, UTCDateTime, utcnow


class JobRequest(Base):
    """One pending request per kind of job: a new request for a pending kind bumps its generation.

    The worker deletes the row after the job only when its generation is still the one it read, so a
    request that arrived while the job ran is never lost, and many requests before a run coalesce.
    """

    __tablename__ = "job_requests"

    kind: Mapped[str] = mapped_column(String(40), primary_key=True)
    generation: Mapped[int] = mapped_column(Integer, default=1)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    source: Mapped[str] = mapped_column(String(200))  # who asked: "hooks/push (github)", "cli"


class VerifyState(Base):
    """One row (id 1): when verify last ran, and the findings already announced that still stand.

    A finding is announced (`verify.failed`) once, when it first appears; it is forgotten when a
    run no longer finds it, so it is announced again if it comes back.
    """

    __tablename__ = "verify_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    announced: Mapped[list[str]] = mapped_column(JSON, default=list)  # sha256 of each standing finding


class PushNotification(Base):
    """A push notification the hook accepted, remembered for a while so a replay of it is refused.

    `key` is the SHA-256 of what names it: its signed body, or the git host's delivery id (one row each).
    """

    __tablename__ = "push_notifications"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

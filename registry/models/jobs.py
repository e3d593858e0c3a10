"""Requests for background work (a sync after a push), kept until the worker has done them."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
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

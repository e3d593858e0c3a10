"""The audit trail: append-only, hash-chained events (triggers in the migration forbid UPDATE/DELETE)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from registry.models.base import Base, UTCDateTime


class AuditEvent(Base):
    """One state change: who did what to which subject, old and new values, chained by hash."""

    __tablename__ = "audit_events"
    # Timelines, merge trailers, counted approvals, the trail's filters and kept verdicts look up a subject.
    __table_args__ = (Index("ix_audit_events_subject_action", "subject", "action"),)

    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(320))
    action: Mapped[str] = mapped_column(String(64), index=True)
    subject: Mapped[str] = mapped_column(Text)
    old: Mapped[Any | None] = mapped_column(JSON)
    new: Mapped[Any | None] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    # HMAC of (seq, hash) under the audit key kept outside the database; None before the key epoch.
    mac: Mapped[str | None] = mapped_column(String(64))

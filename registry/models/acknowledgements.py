"""Acknowledgements of unapproved changes: an admin's recorded reason; the flag itself stays."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Text
from sqlalchemy.orm import Mapped, mapped_column

from registry.models.base import Base, UTCDateTime, utcnow
from registry.models.ledger import SHA


class Acknowledgement(Base):
    """An admin saw an unapproved commit (or a history rewrite) and said why it is accepted."""

    __tablename__ = "acknowledgements"
    __table_args__ = (CheckConstraint("(commit_sha IS NULL) <> (rewrite_id IS NULL)", name="one_subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # A sha, not a foreign key: the ledger keys commits by seq, and the sha is what people quote.
    commit_sha: Mapped[str | None] = mapped_column(SHA, index=True)
    rewrite_id: Mapped[int | None] = mapped_column(ForeignKey("history_rewrites.id"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    actor_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

"""frameworks.toml as it stood after each commit that changed it."""
from __future__ import annotations

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from registry.models.base import Base
from registry.models.live import RecordedFile


class FrameworksVersion(RecordedFile, Base):
    """frameworks.toml after a commit that changed it; an invalid version is kept but never used."""

    __tablename__ = "frameworks_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(ForeignKey("commits.seq"), index=True)
    status: Mapped[str] = mapped_column(String(10))  # valid, invalid or deleted
    text: Mapped[str] = mapped_column(Text, default="")

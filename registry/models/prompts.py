"""Evaluation prompt files (`examples/*.md`) as they stood after each commit that changed them."""
from __future__ import annotations

from sqlalchemy import Boolean, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from registry.models.base import Base
from registry.models.live import Live


class ExampleFile(Live, Base):
    """One version of a file under `examples/`: its content after a commit (None once deleted)."""

    __tablename__ = "example_files"
    __table_args__ = (Index("ix_example_files_path_seq", "path", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    path: Mapped[str] = mapped_column(String(1024))
    seq: Mapped[int] = mapped_column(ForeignKey("commits.seq"))
    content: Mapped[str | None] = mapped_column(Text)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)

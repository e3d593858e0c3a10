"""Typed SQLAlchemy models; the schema itself comes from the Alembic migrations."""
from registry.models.base import Base, utcnow
from registry.models.ledger import (
    Clause,
    ClauseKey,
    ClauseVersion,
    Commit,
    DocumentVersion,
    HistoryRewrite,
    IngestRun,
    IngestWarning,
    Ledger,
    Tag,
)

__all__ = [
    "Base", "Clause", "ClauseKey", "ClauseVersion", "Commit", "DocumentVersion", "HistoryRewrite",
    "IngestRun", "IngestWarning", "Ledger", "Tag", "utcnow",
]

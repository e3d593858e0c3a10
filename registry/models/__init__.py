"""Typed SQLAlchemy models; the schema itself comes from the Alembic migrations."""
from registry.models.audit import AuditEvent
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
from registry.models.owners import OwnerAssignment, OwnerEntry, OwnersVersion, Person, Team, TeamMembership
from registry.models.prompts import ExampleFile

__all__ = [
    "AuditEvent", "Base", "Clause", "ClauseKey", "ClauseVersion", "Commit", "DocumentVersion", "ExampleFile",
    "HistoryRewrite", "IngestRun", "IngestWarning", "Ledger", "OwnerAssignment", "OwnerEntry",
    "OwnersVersion", "Person", "Tag", "Team", "TeamMembership", "utcnow",
]

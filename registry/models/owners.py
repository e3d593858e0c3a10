"""Owners: people, teams, each OWNERS.toml version with its entries and memberships, assignments."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, validates

from registry.models.base import Base, UTCDateTime, utcnow
from registry.models.ledger import KEY, PATH
from registry.models.live import RecordedFile
from registry.person_ident import check_identity


class Person(Base):
    """Someone who can own clauses; never deleted, only deactivated (history still names them)."""

    __tablename__ = "people"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(Text)
    # Without an account: False once the newest OWNERS.toml no longer lists them.
    # With one: follows the account (False once it is disabled); OWNERS.toml leaves it alone.
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @validates("name", "email")
    def _safe_identity(self, key: str, value: str) -> str:
        # The last guard: whatever path names a person, nothing that breaks a trailer is stored.
        check_identity(**{key: value})
        return value


class Team(Base):
    """A named group of people; its members are recorded per OWNERS version (membership history)."""

    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)


class OwnersVersion(RecordedFile, Base):
    """OWNERS.toml after a commit that changed it: valid, invalid (did not parse) or deleted."""

    __tablename__ = "owners_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(ForeignKey("commits.seq"), index=True)
    path: Mapped[str] = mapped_column(PATH)
    # An invalid version is kept for the record but never used: the previous one stays in force.
    status: Mapped[str] = mapped_column(String(20))
    # Emails in its [people] table: who is active while this version is the newest.
    listed: Mapped[list[str]] = mapped_column(JSON, default=list)


class OwnerEntry(Base):
    """One `[owners]` key of an OWNERS version and the owners it names (emails and team:NAME)."""

    __tablename__ = "owner_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("owners_versions.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    key: Mapped[str] = mapped_column(KEY)
    kind: Mapped[str] = mapped_column(String(20))
    owners: Mapped[list[str]] = mapped_column(JSON)
    inherit: Mapped[bool] = mapped_column(Boolean, default=False)
    line: Mapped[int | None] = mapped_column(Integer)


class TeamMembership(Base):
    """A person is a member of a team in one OWNERS version."""

    __tablename__ = "team_memberships"
    __table_args__ = (Index("ix_team_memberships_team_version", "team_id", "version_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("owners_versions.id"), index=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))


class OwnerAssignment(Base):
    """An owner given to (or taken from) a clause in the registry: append-only, with who and why."""

    __tablename__ = "owner_assignments"
    __table_args__ = (
        CheckConstraint("(person_id IS NULL) <> (team_id IS NULL)", name="one_owner"),
        CheckConstraint("action IN ('assign', 'unassign')", name="action"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    clause_id: Mapped[int] = mapped_column(ForeignKey("clauses.id"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))
    action: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str] = mapped_column(Text)
    actor_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

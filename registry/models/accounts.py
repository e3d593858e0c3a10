"""Accounts on top of people: a role and a password hash, API tokens, server-side login sessions, failed logins."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from registry.models.base import Base, UTCDateTime, utcnow

ROLES = ("viewer", "editor", "admin")
# What an API token may do: `full` acts as its account everywhere; `checks` only reports checks.
TOKEN_SCOPES = ("full", "checks")


class Account(Base):
    """A person who can log in; approving is not a role, it follows ownership."""

    __tablename__ = "accounts"
    __table_args__ = (CheckConstraint("role IN ('viewer', 'editor', 'admin')", name="role"),)

    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), primary_key=True)
    role: Mapped[str] = mapped_column(String(10))
    # None: no password login (SSO header or API tokens only).
    password_hash: Mapped[str | None] = mapped_column(Text)
    # Who set the current password when it was not the holder (an admin creating or resetting the
    # account); None once the holder sets their own. Their approvals do not count until then.
    password_set_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ApiToken(Base):
    """A bearer token for the API and CLI; only its sha256 is stored, so a leak of the table is harmless."""

    __tablename__ = "api_tokens"
    __table_args__ = (CheckConstraint("scope IN ('full', 'checks')", name="scope"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))  # shown in lists so people can tell tokens apart
    name: Mapped[str] = mapped_column(Text, default="")
    # Tokens made before scopes existed keep full rights (the migration's server default).
    scope: Mapped[str] = mapped_column(String(10), default="full", server_default="full")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LoginSession(Base):
    """A browser login; the cookie holds a random key whose sha256 is stored, so it can be revoked."""

    __tablename__ = "login_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LoginFailure(Base):
    """A failed password login, kept only while it can still count towards a throttle (registry.accounts.logins).

    Not an account row: the email is whatever was typed, so unknown emails are throttled alike and
    a refusal says nothing about which accounts exist. The audit trail keeps the failures for good.
    """

    __tablename__ = "login_failures"
    __table_args__ = (Index("ix_login_failures_email_at", "email", "at"),
                      Index("ix_login_failures_client_at", "client", "at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320))
    client: Mapped[str] = mapped_column(String(64))  # the address the request came from ("" when unknown)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)

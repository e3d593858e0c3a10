"""Proposals: revisions with their clause changes, reviews, comments; policy.toml and governance file versions."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from registry.models.base import Base, UTCDateTime, utcnow
from registry.models.ledger import KEY, PATH, SHA
from registry.models.live import Live, RecordedFile


class ProposalState(StrEnum):
    """Every state a proposal can be in, defined once; registry.proposals.states holds the moves between them."""

    DRAFT = "draft"
    OPEN = "open"
    APPROVED = "approved"
    MERGED = "merged"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    CONFLICTED = "conflicted"


STATES: tuple[str, ...] = tuple(s.value for s in ProposalState)  # plain strings, for choices and messages


class Proposal(Base):
    """A requested change to one or more clauses; its text lives in its revisions."""

    __tablename__ = "proposals"
    __table_args__ = (CheckConstraint(f"state IN ({', '.join(repr(str(s)) for s in ProposalState)})", name="state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    rationale: Mapped[str] = mapped_column(Text)
    proposer_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    state: Mapped[str] = mapped_column(String(12), index=True)
    revision: Mapped[int] = mapped_column(Integer, default=1)  # the current revision's number
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    merged_sha: Mapped[str | None] = mapped_column(SHA, index=True)
    merged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_reason: Mapped[str | None] = mapped_column(Text)  # why it was rejected or withdrawn


class Revision(Base):
    """One version of a proposal's changes, written against a base commit; never edited."""

    __tablename__ = "proposal_revisions"
    __table_args__ = (UniqueConstraint("proposal_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"))
    number: Mapped[int] = mapped_column(Integer)
    author_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    base_seq: Mapped[int] = mapped_column(ForeignKey("commits.seq"))
    base_sha: Mapped[str] = mapped_column(SHA)
    digest: Mapped[str] = mapped_column(String(64))  # sha256 of the exact proposed text
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ProposedChange(Base):
    """One clause a revision changes, adds or removes, with the version it was written against;
    or (kind `file`) a governance file it replaces whole, keyed by its path."""

    __tablename__ = "proposed_changes"
    __table_args__ = (CheckConstraint("kind IN ('change', 'add', 'remove', 'file')", name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    revision_id: Mapped[int] = mapped_column(ForeignKey("proposal_revisions.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(6))
    key: Mapped[str] = mapped_column(KEY, index=True)  # the clause id (the new id for an add)
    clause_id: Mapped[int | None] = mapped_column(ForeignKey("clauses.id"), index=True)
    base_version_id: Mapped[int | None] = mapped_column(ForeignKey("clause_versions.id"))
    document: Mapped[str] = mapped_column(PATH)
    after_key: Mapped[str | None] = mapped_column(KEY)  # an add goes after this clause's subtree
    parent_key: Mapped[str | None] = mapped_column(KEY)  # the parent the clause has once written in
    text: Mapped[str | None] = mapped_column(Text)  # the clause's full Markdown; None for a remove
    title: Mapped[str | None] = mapped_column(Text)
    attributes: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    body: Mapped[str | None] = mapped_column(Text)
    # kind `file`: the file's content at the base (None: it did not exist); `text` is the new content.
    base_text: Mapped[str | None] = mapped_column(Text)


class Review(Base):
    """An approval or a request for changes, bound to the exact text (digest) of one revision."""

    __tablename__ = "reviews"
    __table_args__ = (CheckConstraint("kind IN ('approve', 'request_changes')", name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"), index=True)
    revision_id: Mapped[int] = mapped_column(ForeignKey("proposal_revisions.id"))
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    printed_name: Mapped[str] = mapped_column(Text)  # the name as signed, even if it changes later
    kind: Mapped[str] = mapped_column(String(16))
    meaning: Mapped[str] = mapped_column(Text)
    digest: Mapped[str] = mapped_column(String(64))
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    dismissed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    dismissed_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    dismiss_reason: Mapped[str | None] = mapped_column(Text)
    # What the reviewer saw: each touched clause's class (editorial or normative) in the revision
    # reviewed, keyed by clause id; None for reviews given before changes were classified.
    classes: Mapped[dict[str, str] | None] = mapped_column(JSON)

    @property
    def pending(self) -> bool:
        """Neither withdrawn nor dismissed."""
        return self.withdrawn_at is None and self.dismissed_at is None


class Comment(Base):
    """A remark on a proposal by anyone logged in."""

    __tablename__ = "proposal_comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    revision: Mapped[int] = mapped_column(Integer)  # the revision current when it was written
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


CHECK_STATUSES = ("pending", "success", "failure")


class CheckReport(Base):
    """One report of a named check (an evaluation run, a CI job) on one revision of a proposal.

    Never edited: a new report of the same name and revision supersedes the older one (the latest
    wins), and the older ones stay as history.
    """

    __tablename__ = "check_reports"
    __table_args__ = (CheckConstraint("status IN ('pending', 'success', 'failure')", name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"), index=True)
    revision_id: Mapped[int] = mapped_column(ForeignKey("proposal_revisions.id"))
    name: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(10))
    url: Mapped[str | None] = mapped_column(Text)
    summary: Mapped[str] = mapped_column(Text, default="")
    reporter_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PolicyVersion(RecordedFile, Base):
    """policy.toml after a commit that changed it; an invalid version is kept but never used."""

    __tablename__ = "policy_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(ForeignKey("commits.seq"), index=True)
    status: Mapped[str] = mapped_column(String(10))  # valid, invalid or deleted
    text: Mapped[str] = mapped_column(Text, default="")
    # [governance] start as written (a sha or tag), parsed at ingest so readers below the
    # proposals area (history items) can tell pre-governance commits without parsing policy.toml.
    governance_start: Mapped[str | None] = mapped_column(String(255))


class GovernanceFileVersion(Live, Base):
    """OWNERS.toml, policy.toml, specreg.toml or frameworks.toml after a commit that changed it: its content's sha256."""

    __tablename__ = "governance_file_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(ForeignKey("commits.seq"), index=True)
    path: Mapped[str] = mapped_column(PATH)
    digest: Mapped[str | None] = mapped_column(String(64))  # None: the commit deleted the file

"""The clause ledger: commits, clause lineages, their versions, document versions and ingest runs."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, exists
from sqlalchemy.orm import Mapped, column_property, mapped_column

from registry.models.base import Base, UTCDateTime, utcnow
from registry.models.live import Live

SHA = String(40)
PATH = String(1024)
KEY = String(255)


class Ledger(Base):
    """The one spec repo and branch this database tracks, and how far ingest has read it."""

    __tablename__ = "ledger"

    id: Mapped[int] = mapped_column(primary_key=True)
    repo_path: Mapped[str] = mapped_column(Text)
    branch: Mapped[str] = mapped_column(String(255))
    includes: Mapped[list[str]] = mapped_column(JSON, default=list)
    head_sha: Mapped[str | None] = mapped_column(SHA)
    head_seq: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Commit(Live, Base):
    """A commit on the branch's first-parent chain; `seq` is its position, oldest first."""

    __tablename__ = "commits"
    # A force-push that later restores set-aside commits ingests them again as new rows, so a sha
    # is unique only among live commits; its abandoned rows stay. Migration 0010 creates this index
    # `WHERE NOT abandoned` on both backends. The predicate is not repeated here: naming it
    # (postgresql_where=, sqlite_where=) makes SQLAlchemy import that whole dialect when the models
    # load, ~45 ms of every SQLite command for PostgreSQL's; autogenerate does not compare predicates.
    __table_args__ = (Index("uq_commits_sha_live", "sha", unique=True),)

    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    sha: Mapped[str] = mapped_column(SHA, index=True)
    parents: Mapped[str] = mapped_column(Text, default="")
    author_name: Mapped[str] = mapped_column(Text)
    author_email: Mapped[str] = mapped_column(Text)
    authored_at: Mapped[datetime] = mapped_column(UTCDateTime)
    committer_name: Mapped[str] = mapped_column(Text)
    committer_email: Mapped[str] = mapped_column(Text)
    committed_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    message: Mapped[str] = mapped_column(Text)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("ingest_runs.id"))

    @property
    def subject(self) -> str:
        """The first line of the message."""
        return self.message.split("\n", 1)[0]


class Tag(Base):
    """A tag of the spec repo, peeled to the commit it names."""

    __tablename__ = "tags"

    name: Mapped[str] = mapped_column(String(255), primary_key=True)
    commit_sha: Mapped[str] = mapped_column(SHA, index=True)
    tagged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    message: Mapped[str] = mapped_column(Text, default="")


# Defined before Clause and ClauseKey: whether a lineage or a former id is live is read from here.
class ClauseVersion(Live, Base):
    """A clause's state after a commit that changed it, and what changed."""

    __tablename__ = "clause_versions"
    # Whether a version is live (and removed) is in both indexes, so the seeks of the versions in force
    # and the per-commit counts never read the row and its text (migration 0024).
    __table_args__ = (Index("ix_clause_versions_clause_seq_live", "clause_id", "seq", "id", "abandoned", "removed"),
                      Index("ix_clause_versions_seq_live", "seq", "abandoned"))

    id: Mapped[int] = mapped_column(primary_key=True)
    clause_id: Mapped[int] = mapped_column(ForeignKey("clauses.id"))
    seq: Mapped[int] = mapped_column(ForeignKey("commits.seq"))
    key: Mapped[str] = mapped_column(KEY)
    title: Mapped[str] = mapped_column(Text)
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON)
    body: Mapped[str] = mapped_column(Text)
    body_hash: Mapped[str] = mapped_column(String(64))
    document: Mapped[str] = mapped_column(PATH)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("clauses.id"))
    level: Mapped[int] = mapped_column(Integer)
    changes: Mapped[str] = mapped_column(String(100))
    previous_key: Mapped[str | None] = mapped_column(KEY)
    removed: Mapped[bool] = mapped_column(Boolean, default=False)

    @property
    def change_set(self) -> list[str]:
        """The kinds of change as a list."""
        return change_list(self.changes)


def change_list(changes: str | None) -> list[str]:
    """A version's `changes` column as a list of kinds (for reads that select the column alone)."""
    return changes.split(",") if changes else []


class Clause(Base):
    """A clause lineage: the permanent identity behind its (possibly changing) ids."""

    __tablename__ = "clauses"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    # Not unique in the database: ids can swap between lineages within one commit, and a lineage
    # seen only in rewritten-away history keeps its last id. Ingest keeps current ids unique.
    key: Mapped[str] = mapped_column(KEY, index=True)
    first_seq: Mapped[int] = mapped_column(ForeignKey("commits.seq"))
    # A lineage is live while it has a version on the branch; one seen only in set-aside history is
    # not (it keeps its last id). Deferred: computed only where a query names it.
    live: Mapped[bool] = column_property(
        exists().where(ClauseVersion.clause_id == id, ClauseVersion.live).correlate_except(ClauseVersion),
        deferred=True)


class ClauseKey(Base):
    """Every id a lineage has had, so former ids still find the clause."""

    __tablename__ = "clause_keys"
    __table_args__ = (UniqueConstraint("clause_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    clause_id: Mapped[int] = mapped_column(ForeignKey("clauses.id"))
    key: Mapped[str] = mapped_column(KEY, index=True)
    first_seq: Mapped[int] = mapped_column(ForeignKey("commits.seq"))
    # A former id is live while a version on the branch carried it: an id a lineage had only in
    # set-aside history (a rename that was force-pushed away) must not find the lineage.
    live: Mapped[bool] = column_property(
        exists().where(ClauseVersion.clause_id == clause_id, ClauseVersion.key == key, ClauseVersion.live)
        .correlate_except(ClauseVersion), deferred=True)


class DocumentVersion(Live, Base):
    """A document's clause order after a commit that changed it (empty when deleted).

    `unreadable` is set when git holds a version ingest could not read (not UTF-8, over the size
    limit, unparsable): it says why, and `clause_ids` keep the last order that was read.
    """

    __tablename__ = "document_versions"
    __table_args__ = (Index("ix_document_versions_path_seq", "path", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    path: Mapped[str] = mapped_column(PATH)
    seq: Mapped[int] = mapped_column(ForeignKey("commits.seq"), index=True)
    blob_sha: Mapped[str | None] = mapped_column(SHA)
    clause_ids: Mapped[list[int]] = mapped_column(JSON)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    unreadable: Mapped[str | None] = mapped_column(Text)


class IngestRun(Base):
    """One run of ingest: what it read and how it ended."""

    __tablename__ = "ingest_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    branch: Mapped[str] = mapped_column(String(255))
    head_before: Mapped[str | None] = mapped_column(SHA)
    head_after: Mapped[str | None] = mapped_column(SHA)
    commits: Mapped[int] = mapped_column(Integer, default=0)
    versions: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(20), default="running")  # running, done, stopped, abandoned
    # The process running it (registry/ledger/runs.py): a later ingest marks a run whose process
    # is gone as abandoned.
    pid: Mapped[int | None] = mapped_column(Integer)
    host: Mapped[str | None] = mapped_column(String(255))
    pid_started: Mapped[str | None] = mapped_column(String(64))


class IngestWarning(Base):
    """A problem ingest found and stepped over: a bad file, a duplicate id, a rewritten history."""

    __tablename__ = "ingest_warnings"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("ingest_runs.id"), index=True)
    commit_sha: Mapped[str | None] = mapped_column(SHA)
    path: Mapped[str] = mapped_column(PATH, default="")
    line: Mapped[int | None] = mapped_column(Integer)
    message: Mapped[str] = mapped_column(Text)


class HistoryRewrite(Base):
    """The branch stopped containing what was ingested: which commits left it, and from where."""

    __tablename__ = "history_rewrites"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("ingest_runs.id"))
    detected_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    old_head: Mapped[str] = mapped_column(SHA)
    new_head: Mapped[str] = mapped_column(SHA)
    fork_sha: Mapped[str | None] = mapped_column(SHA)
    abandoned_commits: Mapped[int] = mapped_column(Integer)

"""Live rows: the one definition of what a history rewrite set aside, for every model it touches.

When ingest finds the branch rewritten (a force-push), every row recorded for the commits that
left it (the commits, clause and document versions, OWNERS.toml, policy.toml and prompt file
versions) is kept but marked set aside. Every read filters with `Model.live`; the few that
deliberately read set-aside rows (the rewrite report, ingest's rewind) say `Model.set_aside`.
Nobody spells out the column: a forgotten or mistyped copy brings a rewritten-away change back.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import Boolean, ColumnElement, Select, Update, and_, select, update
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column


class Live:
    """Mixin for a row recorded per commit that a history rewrite can set aside (never delete)."""

    if TYPE_CHECKING:
        seq: Mapped[int]  # every such model has one: the commit that wrote the row

    # Written as `abandoned IS false` (the SQL every read used before this mixin): the same text
    # keeps every query plan on SQLite and PostgreSQL as it was. Only the commits' partial unique
    # index (migration 0010) names the column, in its own `WHERE NOT abandoned`.
    abandoned: Mapped[bool] = mapped_column(Boolean, default=False)

    @hybrid_property
    def live(self) -> bool:
        """True while the row's commit is on the branch (not set aside by a rewrite)."""
        return not self.abandoned

    @live.inplace.expression
    @classmethod
    def _live_expression(cls) -> ColumnElement[bool]:
        return cls.abandoned.is_(False)

    @hybrid_property
    def set_aside(self) -> bool:
        """True once a history rewrite took the row's commit off the branch (for deliberate readers)."""
        return self.abandoned

    @set_aside.inplace.expression
    @classmethod
    def _set_aside_expression(cls) -> ColumnElement[bool]:
        return cls.abandoned.is_(True)

    @classmethod
    def set_aside_after(cls, fork_seq: int) -> Update:
        """The statement ingest runs on a rewrite: set aside the live rows of commits after the fork."""
        return update(cls).where(cls.seq > fork_seq, cls.live).values(abandoned=True)


class RecordedFile(Live):
    """Mixin for a governance file's versions, one per commit that changed it: valid, invalid or deleted.

    OWNERS.toml, policy.toml and frameworks.toml share the rule of which version is in force at a
    commit: the newest live one that is not invalid (an invalid version never applies, so the previous
    one stays in force; a deleted one means no file).
    """

    if TYPE_CHECKING:
        id: Mapped[int]
        status: Mapped[str]

    @classmethod
    def usable(cls) -> ColumnElement[bool]:
        """The versions that can be in force: live and not invalid."""
        return and_(cls.live, cls.status != "invalid")

    @classmethod
    def in_force_at(cls, seq: int) -> Select[Any]:
        """The version in force at the commit seq (a deleted one: no file there); none before the first."""
        return (select(cls).where(cls.seq <= seq, cls.usable())
                .order_by(cls.seq.desc(), cls.id.desc()).limit(1))

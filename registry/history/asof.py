"""Use case: resolve the `at` of a request to a point, with the commit it stands on."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from registry.ledger.refs import Point, point_and_commit


@dataclass(frozen=True)
class AsOf:
    """A point and what a reader needs to recognise it: the commit's date, author and subject."""

    point: Point
    date: datetime
    author: str
    subject: str

    @property
    def is_head(self) -> bool:
        """True when this is the branch head (no as-of banner)."""
        return self.point.is_head


def as_of(session: Session, ref: str | None) -> AsOf:
    """Resolve REF (tag, commit, ISO date, branch; None is the head) and describe its commit."""
    point, commit = point_and_commit(session, ref.strip() if ref else None)
    return AsOf(point, commit.committed_at, commit.author_name, commit.subject)

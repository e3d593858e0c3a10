"""Use cases: how much the spec (or one clause) changed over time, and what changed last."""
from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from registry.audit.events import kept_while_standing
from registry.history.clause_history import HistoryEntry
from registry.ledger.refs import Point, iso
from registry.models import Clause, ClauseVersion, Commit
from registry.transaction.kept import KeptAnswers


@dataclass(frozen=True)
class Bucket:
    """Clause versions written in [start, end)."""

    start: date
    end: date
    count: int

    def as_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {"start": self.start.isoformat(), "end": self.end.isoformat(), "count": self.count}


@dataclass(frozen=True)
class Activity:
    """A change count per day, week or month, from the spec's first commit to a point."""

    unit: str
    buckets: list[Bucket]

    @property
    def total(self) -> int:
        """All changes counted."""
        return sum(b.count for b in self.buckets)


@dataclass(frozen=True)
class RecentChange:
    """A clause version, newest first on the home page."""

    id: str  # the lineage's current id, for links
    key: str
    title: str
    changes: list[str]
    commit: str
    date: datetime
    author: str
    subject: str

    def as_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {"id": self.id, "version_id": self.key, "title": self.title, "changes": self.changes,
                "commit": self.commit, "date": iso(self.date), "author": self.author, "subject": self.subject}


def _unit(span: timedelta) -> str:
    if span <= timedelta(days=62):
        return "day"
    return "week" if span <= timedelta(days=550) else "month"


def _step(start: date, unit: str) -> date:
    if unit == "day":
        return start + timedelta(days=1)
    if unit == "week":
        return start + timedelta(days=7)
    return date(start.year + start.month // 12, start.month % 12 + 1, 1)


def _floor(day: date, unit: str) -> date:
    if unit == "week":
        return day - timedelta(days=day.weekday())
    return day.replace(day=1) if unit == "month" else day


def bucketize(events: Iterable[tuple[datetime, int]], first: datetime, last: datetime) -> Activity:
    """Sum (moment, count) events into equal calendar buckets covering first..last (pure)."""
    unit = _unit(last - first)
    start, end = _floor(first.date(), unit), last.date()
    edges = [start]
    while edges[-1] <= end:
        edges.append(_step(edges[-1], unit))
    counts = [0] * (len(edges) - 1)
    for moment, n in events:
        day = moment.date()
        if start <= day < edges[-1]:
            counts[bisect_right(edges, day) - 1] += n  # the bucket i with edges[i] <= day < edges[i + 1]
    return Activity(unit, [Bucket(edges[i], edges[i + 1], c) for i, c in enumerate(counts)])


# The first commit's date changes only in an ingest (the first one, a rewrite), which moves
# audit.newest_standing_event; every clause page's chart starts there.
_firsts: KeptAnswers[datetime | None] = KeptAnswers(4)


def _span(session: Session, point: Point) -> tuple[datetime, datetime]:
    first = kept_while_standing(_firsts, session, "first",
                                lambda: session.scalar(select(func.min(Commit.committed_at)).where(Commit.live)))
    last = session.get_one(Commit, point.seq).committed_at  # resolving the point loaded the row
    return first or last, last


def spec_activity(session: Session, point: Point) -> Activity:
    """Clause versions per period over the whole spec, up to the point."""
    # Counted per commit from the (seq, abandoned) index alone, then joined to the commits' dates:
    # joining first and grouping the joined rows read every version's row (~3x slower at 100k versions).
    per_commit = (select(ClauseVersion.seq, func.count().label("versions"))
                  .where(ClauseVersion.seq <= point.seq, ClauseVersion.live)
                  .group_by(ClauseVersion.seq).subquery())
    rows = session.execute(
        select(Commit.committed_at, per_commit.c.versions).join(per_commit, per_commit.c.seq == Commit.seq)
        .where(Commit.live)
    ).all()
    return bucketize(rows, *_span(session, point))


def history_activity(session: Session, history: list[HistoryEntry], point: Point) -> Activity:
    """One clause's versions per period, on the same time axis as the whole spec."""
    return bucketize([(e.date, 1) for e in history if e.seq <= point.seq], *_span(session, point))


def recent_changes(session: Session, point: Point, limit: int = 12, document: str | None = None) -> list[RecentChange]:
    """The newest clause versions at or before the point (only those in `document`, when given)."""
    stmt = (select(ClauseVersion, Commit, Clause.key)
            .join(Commit, Commit.seq == ClauseVersion.seq).join(Clause, Clause.id == ClauseVersion.clause_id)
            .where(ClauseVersion.seq <= point.seq, ClauseVersion.live)
            .order_by(ClauseVersion.seq.desc(), ClauseVersion.id.desc()).limit(limit))
    if document is not None:
        stmt = stmt.where(ClauseVersion.document == document)
    return [RecentChange(current, v.key, v.title, v.change_set, c.sha, c.committed_at, c.author_name,
                         c.subject) for v, c, current in session.execute(stmt)]

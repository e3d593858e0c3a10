"""Use case: the span of history an evidence report covers, from a release tag or two refs.

A span is half-open, (start, end]: the changes made after the state at `start` up to and including
`end`. A release covers the commits after the previous release's tag up to its own tag.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from registry import limits
from registry.errors import BadRequest, Unauthorized, UnknownRef
from registry.history.releases import list_releases
from registry.ledger.refs import Point, head_point, iso, parse_moment, resolve
from registry.models import Commit


@dataclass(frozen=True)
class Bound:
    """One end of a span: the ref as given and the commit it resolved to."""

    ref: str
    commit: str
    seq: int
    date: datetime

    def as_dict(self) -> dict[str, Any]:
        """{"ref", "commit", "date"}."""
        return {"ref": self.ref, "commit": self.commit, "date": iso(self.date)}


@dataclass(frozen=True)
class ReportRange:
    """The commits after `start` (None: from the first commit) up to and including `end`."""

    release: str | None  # the tag, when the span is a release
    start: Bound | None
    end: Bound
    end_point: Point
    commits: int

    @property
    def lo(self) -> int:
        """The exclusive lower seq."""
        return self.start.seq if self.start else 0

    @property
    def hi(self) -> int:
        """The inclusive upper seq."""
        return self.end.seq

    @property
    def label(self) -> str:
        """How people name the span: `release v2.0` or `v1.0 .. v2.0`."""
        if self.release:
            return f"release {self.release}"
        return f"{self.start.ref if self.start else 'the first commit'} .. {self.end.ref}"

    def as_dict(self) -> dict[str, Any]:
        """{"kind", "release", "from", "to", "commits"} ("from" is null: from the first commit)."""
        return {"kind": "release" if self.release else "range", "release": self.release,
                "from": self.start.as_dict() if self.start else None, "to": self.end.as_dict(),
                "commits": self.commits}


def _bound(session: Session, point: Point) -> Bound:
    return Bound(point.ref, point.sha, point.seq, session.get_one(Commit, point.seq).committed_at)


def _span(session: Session, release: str | None, start: Point | None, end: Point) -> ReportRange:
    if start is not None and start.seq > end.seq:
        raise BadRequest(f"the range starts after it ends: {start.ref} ({start.sha[:12]}) is later than "
                         f"{end.ref} ({end.sha[:12]})")
    lo = start.seq if start else 0
    count = session.scalar(select(func.count()).select_from(Commit).where(
        Commit.seq > lo, Commit.seq <= end.seq, Commit.live))
    return ReportRange(release, _bound(session, start) if start else None, _bound(session, end), end, count or 0)


def release_range(session: Session, tag: str) -> ReportRange:
    """From the previous release's tag (exclusive) to this one; UnknownRef unless it is a release."""
    releases = list_releases(session)  # newest first
    found = next((r for r in releases if r.name == tag), None)
    if found is None:
        known = ", ".join(r.name for r in releases) or "none yet"
        raise UnknownRef(f"no release is tagged {tag!r} on the branch (releases: {known})")
    end = resolve(session, tag)
    previous = next((r for r in releases if r.seq < found.seq), None)
    return _span(session, tag, resolve(session, previous.name) if previous else None, end)


def _start(session: Session, ref: str) -> Point | None:
    """The state a span starts after; a date before the first commit starts at the beginning."""
    try:
        return resolve(session, ref)
    except UnknownRef:
        moment = parse_moment(ref)
        first = session.scalar(select(func.min(Commit.committed_at)).where(Commit.live))
        if moment is not None and first is not None and moment < first:
            return None
        raise


def require_affordable(span: ReportRange, logged_in: bool) -> None:
    """A report over more than ANONYMOUS_REPORT_COMMITS commits is built only for someone logged in.

    Building one costs CPU in proportion to the range (seconds for a long history); anyone may read
    a release or a shorter range, and the web keeps each built report (registry/web/evidence/cache.py).
    """
    if not logged_in and span.commits > limits.ANONYMOUS_REPORT_COMMITS:
        raise Unauthorized(f"log in to build a report over more than {limits.ANONYMOUS_REPORT_COMMITS:,} commits "
                           f"(this range has {span.commits:,}); or choose a release or a shorter range")


def report_range(session: Session, release: str | None = None, from_ref: str | None = None,
                 to_ref: str | None = None) -> ReportRange:
    """A release's span, or (from_ref, to_ref]: no from_ref means the first commit, no to_ref the head."""
    if release and (from_ref or to_ref):
        raise BadRequest("give either a release or a range (from/to), not both")
    if release:
        return release_range(session, release)
    if not from_ref and not to_ref:
        raise BadRequest("choose a release (a tag) or a range: from REF and/or to REF")
    end = resolve(session, to_ref) if to_ref else head_point(session)
    return _span(session, None, _start(session, from_ref) if from_ref else None, end)

"""Use case: resolve a REF (tag, branch, commit sha or ISO date) to a point in the ingested history."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from registry.errors import SchemaError, UnknownRef
from registry.models import Commit, Ledger, Tag
from registry.transaction.tracking import once_per_transaction

_HEX = re.compile(r"[0-9a-fA-F]{4,40}")


@dataclass(frozen=True)
class Point:
    """A commit on the branch: everything at or before `seq` is in force there."""

    ref: str
    seq: int
    sha: str
    kind: str  # head, tag, branch, commit or date

    @property
    def is_head(self) -> bool:
        """True for the branch head (no as-of)."""
        return self.kind == "head"


def parse_moment(text: str) -> datetime | None:
    """An ISO date or datetime as aware UTC; a bare date means the end of that day (UTC).

    A moment that is in range where it was written but not in UTC (`9999-12-31T23:59:59-14:00`) is
    the last (or first) moment Python can hold: after (or before) every commit all the same.
    """
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            return datetime.combine(day, time.max, tzinfo=UTC)
        moment = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        return (datetime.max if moment.year == datetime.max.year else datetime.min).replace(tzinfo=UTC)


def commit_by_sha(session: Session, sha: str | None) -> Commit | None:
    """The ingested commit with this sha: its live row when it has one, else its newest set-aside row.

    A branch force-pushed away and back holds the same commit once live and once or more set aside.
    """
    if not sha:
        return None
    return session.scalars(select(Commit).where(Commit.sha == sha)
                           .order_by(Commit.set_aside, Commit.seq.desc()).limit(1)).first()


def seq_of(session: Session, sha: str | None) -> int | None:
    """The seq of commit_by_sha, None when the commit was never ingested."""
    commit = commit_by_sha(session, sha)
    return commit.seq if commit else None


def commit_by_prefix(session: Session, prefix: str) -> Commit | None:
    """The ingested commit whose sha starts with prefix (see commit_by_sha); UnknownRef when ambiguous."""
    shas = list(session.scalars(select(Commit.sha).where(Commit.sha.like(prefix.lower() + "%")).distinct().limit(2)))
    if len(shas) > 1:
        raise UnknownRef(f"commit prefix {prefix} is ambiguous; give more characters")
    return commit_by_sha(session, shas[0]) if shas else None


def ledger_head(session: Session) -> str | None:
    """The sha of the last commit ingest read, None before the first ingest."""
    ledger = session.get(Ledger, 1)
    return ledger.head_sha if ledger is not None else None


def head_point(session: Session) -> Point:
    """The newest ingested commit of the branch."""
    return _head(session)[0]


def ingested_head(session: Session) -> Point | None:
    """`head_point`, None before the first ingest (a new instance's pages ask before any)."""
    try:
        return head_point(session)
    except SchemaError:  # raised only for the missing head
        return None


def _head(session: Session) -> tuple[Point, Commit]:
    """The head point and its commit, read once per transaction: a changelog or a diff resolves two
    refs and the as-of point, and each asked for the head."""
    return once_per_transaction(session, "head", lambda: _read_head(session))


def _read_head(session: Session) -> tuple[Point, Commit]:
    """The head point and its commit in one statement (every page resolves its point)."""
    row = session.execute(select(Commit, Ledger.branch, Ledger.head_sha).join(Ledger, Ledger.id == 1)
                          .where(Commit.live).order_by(Commit.seq.desc()).limit(1)).first()
    if row is None or row.head_sha is None:
        raise SchemaError("nothing has been ingested yet; run `specreg ingest`")
    return Point(row.branch, row[0].seq, row[0].sha, "head"), row[0]


def resolve(session: Session, ref: str | None) -> Point:
    """Resolve REF; None or the branch name means the head. Unknown refs raise UnknownRef."""
    return point_and_commit(session, ref)[0]


def point_and_commit(session: Session, ref: str | None) -> tuple[Point, Commit]:
    """`resolve`, with the commit row the point stands on (a page shows its date and author).

    Once per transaction: the row stays in the session, so reads of the point's commit cost nothing.
    """
    return once_per_transaction(session, ("point", ref), lambda: _resolve(session, ref))


def _resolve(session: Session, ref: str | None) -> tuple[Point, Commit]:
    head, commit = _head(session)
    if ref is None or ref in ("", "HEAD", head.ref):
        return head, commit
    found = _tag_or_commit(session, ref, head.ref)
    if found is not None:
        return found
    moment = parse_moment(ref)
    if moment is not None:
        return _at_moment(session, moment, ref)
    raise UnknownRef(f"unknown ref {ref!r}: not a tag, the branch, an ingested commit or an ISO date")


def resolve_commit(session: Session, ref: str) -> Point:
    """A tag or a commit sha (never the branch or a date) as a point on the branch; UnknownRef otherwise."""
    ledger = session.get(Ledger, 1)
    found = _tag_or_commit(session, ref, ledger.branch if ledger else "the branch")
    if found is None:
        raise UnknownRef(f"unknown ref {ref!r}: not a tag or an ingested commit")
    return found[0]


def _tag_or_commit(session: Session, ref: str, branch: str) -> tuple[Point, Commit] | None:
    """The tag, else the commit (sha or unique prefix) REF names, with its row; None when it names neither."""
    tag = session.get(Tag, ref)
    if tag is not None:
        commit = commit_by_sha(session, tag.commit_sha)
        if commit is None:
            raise UnknownRef(f"tag {ref} points at {tag.commit_sha[:12]}, which is not on the "
                             f"first-parent history of {branch}")
        return _point(ref, commit, "tag")
    if _HEX.fullmatch(ref):
        found = commit_by_prefix(session, ref)
        if found:
            return _point(ref, found, "commit")
    return None


def _point(ref: str, commit: Commit, kind: str) -> tuple[Point, Commit]:
    if commit.set_aside:
        raise UnknownRef(f"commit {commit.sha[:12]} ({ref}) was rewritten out of the branch's history")
    return Point(ref, commit.seq, commit.sha, kind), commit


def at_moment(session: Session, moment: datetime, ref: str | None = None) -> Point:
    """The commit in force at a moment: the last one on the branch committed at or before it."""
    return _at_moment(session, moment, ref)[0]


def _at_moment(session: Session, moment: datetime, ref: str | None) -> tuple[Point, Commit]:
    commit = session.scalars(
        select(Commit)
        .where(Commit.committed_at <= moment, Commit.live)
        .order_by(Commit.seq.desc())
        .limit(1)
    ).first()
    if commit is None:
        first = session.scalar(select(func.min(Commit.committed_at)).where(Commit.live))
        when = first.isoformat() if first else "any commit"
        raise UnknownRef(f"{ref or moment.isoformat()} is before the spec's first commit ({when})")
    return Point(ref or moment.isoformat(), commit.seq, commit.sha, "date"), commit


def iso(moment: datetime | None) -> str | None:
    """An aware datetime as ISO 8601 UTC with a Z."""
    if moment is None:
        return None
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


__all__ = ["Point", "at_moment", "commit_by_prefix", "commit_by_sha", "head_point", "iso", "parse_moment",
           "point_and_commit", "resolve", "resolve_commit", "seq_of"]

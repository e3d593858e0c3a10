"""Use case: compare two versions of a clause, defaulting to the latest change (for the diff page)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.errors import UnknownVersion
from registry.history.queries import ClauseDiff, clause_diff, find_clause
from registry.ledger.refs import Point, resolve
from registry.lru import LruCache
from registry.models import ClauseVersion, Commit
from registry.spec.prosediff import Sentence, prose_diff
from registry.spec.worddiff import Op, word_diff

BEFORE_HISTORY = Point("(before the first commit)", 0, "0" * 40, "commit")

# A prose diff depends on its two texts alone (pure), so it is kept by their digest, never stale: the diff page
# asked for it twice, and word-diffing every sentence was most of the page (shared: read only).
_prose: LruCache[list[Sentence]] = LruCache.by_texts(512, budget=32 << 20)  # 32 MB


@dataclass(frozen=True)
class VersionDiff:
    """A clause diff with the points compared and its title and attribute changes."""

    diff: ClauseDiff
    old: Point
    new: Point
    title_ops: list[Op]
    attributes: list[tuple[str, str | None, str | None]]  # (key, old value, new value)

    @property
    def prose(self) -> list[Sentence]:
        """The bodies reflowed and compared sentence by sentence (what the diff page shows)."""
        old, new = (self.diff.old.text if self.diff.old else ""), (self.diff.new.text if self.diff.new else "")
        return _prose.get_or_build((old, new), lambda: prose_diff(old, new))

    def as_dict(self) -> dict[str, Any]:
        """`specreg diff --json` plus the refs and the title and attribute changes."""
        return self.diff.as_dict() | {
            "from_ref": {"ref": self.old.ref, "commit": self.old.sha},
            "to_ref": {"ref": self.new.ref, "commit": self.new.sha},
            "title_ops": [{"op": o.op, "text": o.text} for o in self.title_ops],
            "attribute_changes": [{"key": k, "from": a, "to": b} for k, a, b in self.attributes],
        }


def previous_point(session: Session, key: str, new: Point) -> Point:
    """The commit of the clause's version before the one in force at `new`."""
    clause = find_clause(session, key)
    seqs = list(session.scalars(
        select(ClauseVersion.seq)
        .where(ClauseVersion.clause_id == clause.id, ClauseVersion.seq <= new.seq, ClauseVersion.live)
        .order_by(ClauseVersion.seq.desc()).limit(2)))
    if not seqs:
        raise UnknownVersion(f"clause {key!r} did not exist at {new.ref} ({new.sha[:12]})")
    if len(seqs) == 1:
        return BEFORE_HISTORY
    commit = session.get_one(Commit, seqs[1])
    return Point(commit.sha, commit.seq, commit.sha, "commit")


def version_diff(session: Session, key: str, from_ref: str | None, to_ref: str | None,
                 default: Point) -> VersionDiff:
    """Diff the clause between two refs; `to` defaults to `default`, `from` to the version before."""
    new = resolve(session, to_ref) if to_ref else default
    old = resolve(session, from_ref) if from_ref else previous_point(session, key, new)
    diff = clause_diff(session, key, old, new)
    a, b = diff.old, diff.new
    title_ops = word_diff(a.title if a else "", b.title if b else "")
    old_attrs, new_attrs = (a.attributes if a else {}), (b.attributes if b else {})
    attrs = [(k, old_attrs.get(k), new_attrs.get(k)) for k in dict.fromkeys([*old_attrs, *new_attrs])
             if old_attrs.get(k) != new_attrs.get(k)]
    return VersionDiff(diff, old, new, title_ops, attrs)

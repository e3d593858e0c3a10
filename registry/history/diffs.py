"""Use cases: a clause word-diffed between two points (`specreg diff`), and two versions of it compared,
defaulting to the latest change (the diff page)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.errors import UnknownVersion
from registry.history.queries import ClauseView, as_view, find_clause, with_commit_at
from registry.ledger.refs import Point, resolve
from registry.lru import LruCache
from registry.models import ClauseVersion, Commit
from registry.spec.prosediff import Sentence, prose_diff
from registry.spec.worddiff import Op, word_diff

BEFORE_HISTORY = Point("(before the first commit)", 0, "0" * 40, "commit")

# A prose diff depends on its two texts alone (pure), so it is kept by their digest, never stale: the diff page
# asked for it twice, and word-diffing every sentence was most of the page (shared: read only).
_prose: LruCache[list[Sentence]] = LruCache.by_texts(512, budget=32 << 20)  # 32 MB
# A word diff depends on its two texts alone (pure), so it is kept by them, never stale (shared: read only).
_word_ops: LruCache[list[Op]] = LruCache.by_texts(512, budget=32 << 20)  # 32 MB, keyed by a digest of the texts


@dataclass(frozen=True)
class ClauseDiff:
    """A clause between two points: title, attributes and a word-level body diff."""

    id: str
    old: ClauseView | None
    new: ClauseView | None
    ops: list[Op]

    def as_dict(self) -> dict[str, Any]:
        """The `specreg diff --json` object."""
        def side(v: ClauseView | None) -> dict[str, Any] | None:
            return None if v is None else {"commit": v.commit, "title": v.title,
                                           "attributes": v.attributes, "document": v.document}
        return {"id": self.id, "from": side(self.old), "to": side(self.new),
                "ops": [{"op": o.op, "text": o.text} for o in self.ops]}


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


def clause_diff(session: Session, key: str, old: Point, new: Point) -> ClauseDiff:
    """The clause at two points and a word diff of its text; it must exist at one of them."""
    clause = find_clause(session, key)
    views = []
    for point in (old, new):
        found = with_commit_at(session, clause.id, point.seq)
        views.append(None if found is None else as_view(*found, None))
    if views[0] is None and views[1] is None:
        raise UnknownVersion(f"clause {key!r} existed at neither {old.ref} nor {new.ref}")
    old_text, new_text = (views[0].text if views[0] else ""), (views[1].text if views[1] else "")
    ops = _word_ops.get_or_build((old_text, new_text), lambda: word_diff(old_text, new_text))
    return ClauseDiff(clause.key, views[0], views[1], ops)


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

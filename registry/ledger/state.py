"""What ingest knows between commits: current documents, ids and each lineage's last state."""
from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from registry.models import Clause, ClauseVersion, DocumentVersion

CHANGE_ORDER = ("added", "removed", "renamed", "moved", "title", "attributes", "body")


class ClauseState(NamedTuple):
    """The fields a clause version records; equal states mean nothing changed (a fast tuple compare)."""

    key: str
    title: str
    attributes: tuple[tuple[str, str], ...]  # sorted pairs, so order in the heading does not matter
    body: str
    document: str
    parent_id: int | None
    level: int
    removed: bool = False

    @property
    def body_hash(self) -> str:
        """sha256 of the body text."""
        return body_digest(self.body)


def body_digest(body: str) -> str:
    """A clause version's body_hash: the sha256 of its text (what ingest stores and verify recomputes)."""
    return hashlib.sha256(body.encode()).hexdigest()


def _state(v: ClauseVersion | None) -> ClauseState | None:
    if v is None:
        return None
    return ClauseState(v.key, v.title, tuple(sorted(v.attributes.items())), v.body, v.document, v.parent_id,
                       v.level, v.removed)


def changes_between(old: ClauseState | None, new: ClauseState) -> list[str]:
    """The kinds of change from old to new, in a fixed order (CHANGE_ORDER); empty when nothing changed."""
    if new.removed:
        return ["removed"]
    if old is None:
        return ["added"]
    # Appended in CHANGE_ORDER's order ("removed" cannot follow): one list, no set to sort (once per version).
    found = ["added"] if old.removed else []
    if old.key != new.key:
        found.append("renamed")
    if old.document != new.document or old.parent_id != new.parent_id or old.level != new.level:
        found.append("moved")
    if old.title != new.title:
        found.append("title")
    if old.attributes != new.attributes:
        found.append("attributes")
    if old.body != new.body:
        found.append("body")
    return found


@dataclass
class LedgerState:
    """Current documents and ids on the branch; lineage states load lazily and stay cached."""

    session: Session
    doc_clauses: dict[str, list[int]] = field(default_factory=dict)
    key_to_id: dict[str, int] = field(default_factory=dict)
    id_to_key: dict[int, str] = field(default_factory=dict)
    doc_of: dict[int, str] = field(default_factory=dict)
    next_id: int = 1
    unreadable: set[str] = field(default_factory=set)  # documents whose latest version could not be read
    _last: dict[int, ClauseState | None] = field(default_factory=dict)

    @classmethod
    def load(cls, session: Session) -> LedgerState:
        """Read the branch's current documents and every lineage's current id."""
        state = cls(session)
        latest = (
            select(DocumentVersion.path, func.max(DocumentVersion.seq).label("seq"))
            .where(DocumentVersion.live)
            .group_by(DocumentVersion.path)
            .subquery()
        )
        rows = session.execute(
            select(DocumentVersion.path, DocumentVersion.clause_ids, DocumentVersion.deleted,
                   DocumentVersion.unreadable).join(
                latest, and_(DocumentVersion.path == latest.c.path, DocumentVersion.seq == latest.c.seq)
            )
        )
        for path, clause_ids, deleted, unreadable in rows:
            if not deleted:
                state.set_document(path, list(clause_ids))
            if unreadable is not None:
                state.unreadable.add(path)
        # Lineages seen only in set-aside commits do not hold their id against the new history; every row
        # carries the highest id of all, live or set aside, so one query answers both (a round trip less).
        highest = select(func.max(Clause.id)).scalar_subquery()
        lineages = session.execute(select(Clause.id, Clause.key, highest).where(Clause.live).order_by(Clause.id)).all()
        for cid, key, _highest in lineages:
            state.key_to_id[key] = cid
            state.id_to_key[cid] = key
        top = lineages[0][2] if lineages else session.scalar(select(func.max(Clause.id)))  # (no live lineage: ask)
        state.next_id = (top or 0) + 1
        return state

    def last(self, cid: int) -> ClauseState | None:
        """The lineage's latest state on the branch, or None if it has none."""
        if cid not in self._last:
            self.preload((cid,))
        return self._last[cid]

    def preload(self, cids: Iterable[int]) -> None:
        """Load the latest states of lineages not cached yet, in one query per 500 (not one each)."""
        missing = sorted({cid for cid in cids if cid not in self._last})
        if not missing:
            return  # the usual case once a document's lineages are cached: not even a query to build
        live = ClauseVersion.live
        for at in range(0, len(missing), 500):
            chunk = missing[at:at + 500]
            top = (select(ClauseVersion.clause_id, func.max(ClauseVersion.seq).label("seq"))
                   .where(ClauseVersion.clause_id.in_(chunk), live).group_by(ClauseVersion.clause_id).subquery())
            found: dict[int, ClauseVersion] = {}
            with self.session.no_autoflush:  # buffered rows are not in the database yet: no flush needed
                for v in self.session.scalars(
                    select(ClauseVersion).join(top, and_(ClauseVersion.clause_id == top.c.clause_id,
                                                         ClauseVersion.seq == top.c.seq))
                    .where(live).order_by(ClauseVersion.id)
                ):
                    found[v.clause_id] = v  # of two versions at the latest seq, the later one wins
            for cid in chunk:
                self._last[cid] = _state(found.get(cid))

    def remember(self, cid: int, state: ClauseState | None) -> None:
        """Record a lineage's new state after a version was written."""
        self._last[cid] = state

    def set_document(self, path: str, ids: list[int] | None) -> None:
        """Record a document's current clauses (None: the document is gone)."""
        for cid in self.doc_clauses.pop(path, []):
            if self.doc_of.get(cid) == path:
                del self.doc_of[cid]
        if ids is not None:
            self.doc_clauses[path] = ids
            for cid in ids:
                self.doc_of[cid] = path

    def new_lineage(self) -> int:
        """Allocate a lineage id (ingest holds the writer lock, so this cannot collide)."""
        cid = self.next_id
        self.next_id += 1
        return cid

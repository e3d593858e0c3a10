"""Read use cases over the ledger: the clauses in force at a point (all, without their texts, a page of
them, one by id) and each document's clause order."""
from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from registry.audit.events import kept_while_standing
from registry.errors import UnknownClause, UnknownVersion
from registry.history.carried import Row, as_row, rows_in_force, summary_columns
from registry.history.versions import AttributeDecoder, version_at, version_in_force, versions_at
from registry.ledger.refs import Point, iso
from registry.models import Clause, ClauseKey, ClauseVersion, Commit, DocumentVersion
from registry.transaction.kept import KeptAnswers
from registry.transaction.tracking import once_per_transaction


@dataclass(frozen=True)
class ClauseView:
    """A clause as it stood at a point."""

    clause_id: int
    id: str
    title: str
    document: str
    parent: str | None
    attributes: dict[str, Any]
    text: str
    level: int
    commit: str
    date: datetime

    def summary(self) -> dict[str, Any]:
        """The `specreg clauses` JSON item."""
        return _summary(self)

    def detail(self) -> dict[str, Any]:
        """The `specreg show` JSON object."""
        return self.summary() | {"text": self.text, "commit": self.commit, "level": self.level,
                                 "changed_at": iso(self.date)}


@dataclass(frozen=True)
class ClauseSummary:
    """A clause at a point without its text or commit: what lists, counts and ownership need."""

    clause_id: int
    id: str
    title: str
    document: str
    parent: str | None
    attributes: dict[str, Any]
    length: int  # characters of its text

    def summary(self) -> dict[str, Any]:
        """The `specreg clauses` JSON item (the same fields as ClauseView.summary)."""
        return _summary(self)


def _summary(c: ClauseView | ClauseSummary) -> dict[str, Any]:
    """The `specreg clauses` JSON item of a clause, with or without its text loaded."""
    return {"id": c.id, "title": c.title, "document": c.document, "parent": c.parent, "attributes": c.attributes}

def find_clause(session: Session, key: str) -> Clause:
    """The lineage with this current id, else the newest lineage that once had it, on the branch.

    An id seen only in rewritten-away history (a lineage's last id there, or a rename) names nothing.
    Asked once per transaction: a clause page's former-id redirect, detail and owners all ask.
    """
    return once_per_transaction(session, ("find_clause", key), lambda: _find_clause(session, key))


def _find_clause(session: Session, key: str) -> Clause:
    clause = session.scalar(select(Clause).where(Clause.key == key, Clause.live).order_by(Clause.id.desc()).limit(1))
    if clause is not None:
        return clause
    former = session.scalar(
        select(ClauseKey.clause_id).where(ClauseKey.key == key, ClauseKey.live)
        .order_by(ClauseKey.first_seq.desc()).limit(1)
    )
    if former is None:
        raise UnknownClause(f"no clause has the id {key!r}")
    return session.get_one(Clause, former)


def outline_at(session: Session, seq: int) -> dict[str, list[int]]:
    """Each document present at seq with its clause lineages in document order."""
    latest = (
        select(DocumentVersion.path, func.max(DocumentVersion.seq).label("seq"))
        .where(DocumentVersion.seq <= seq, DocumentVersion.live)
        .group_by(DocumentVersion.path).subquery()
    )
    rows = session.execute(
        select(DocumentVersion.path, DocumentVersion.clause_ids, DocumentVersion.deleted)
        .join(latest, and_(DocumentVersion.path == latest.c.path, DocumentVersion.seq == latest.c.seq))
        .where(DocumentVersion.live)
        .order_by(DocumentVersion.path)
    )
    return {path: list(ids) for path, ids, deleted in rows if not deleted}


def as_view(v: ClauseVersion, commit: Commit, parent_key: str | None) -> ClauseView:
    """The read model of a version made by `commit`, its parent named by `parent_key`."""
    return ClauseView(v.clause_id, v.key, v.title, v.document, parent_key, dict(v.attributes),
                      v.body, v.level, commit.sha, commit.committed_at)


def list_clauses(session: Session, point: Point) -> list[ClauseView]:
    """Every clause in force at the point, by document then document order."""
    rows = session.execute(
        select(ClauseVersion, Commit).select_from(Clause)
        .join(ClauseVersion, ClauseVersion.id == version_in_force(point.seq, Clause.id))
        .join(Commit, Commit.seq == ClauseVersion.seq)
        .where(ClauseVersion.removed.is_(False))
    ).all()
    by_id = {v.clause_id: (v, c) for v, c in rows}
    keys = {cid: v.key for cid, (v, _c) in by_id.items()}
    return [as_view(v, c, keys.get(v.parent_id) if v.parent_id is not None else None)
            for v, c in (by_id[cid] for cid in _document_order(session, point.seq, by_id))]


# The clauses at a point never change (seqs are not reused; a rewrite sets rows aside in an audited
# ingest, which the key names too): the owner pages and prompt coverage keep them across requests
# (shared: read only).
_summaries: KeptAnswers[list[ClauseSummary]] = KeptAnswers(8)


def clause_summaries(session: Session, point: Point) -> list[ClauseSummary]:
    """Every clause in force at the point without its text, by document then document order.

    Columns only (no text, no commit, no ORM objects): the owner pages resolve all clauses but
    show one page of them, and loading whole versions was most of their time at 3,000 clauses.
    """
    return kept_while_standing(_summaries, session, point.seq, lambda: _clause_summaries(session, point))


def _rows(session: Session, point: Point) -> dict[int, Row]:
    """Every lineage's summary row at the point, carried from a kept point or read whole."""
    return rows_in_force(session, point, lambda: _summary_rows(session, point))


def _summary_rows(session: Session, point: Point) -> dict[int, Row]:
    """Every lineage's summary row at the point, read whole (`carried.rows_in_force` carries it on)."""
    v = ClauseVersion
    rows = session.execute(select(v.clause_id, *summary_columns(v)).select_from(Clause)
                           .join(v, v.id == version_in_force(point.seq, Clause.id)).where(v.removed.is_(False)))
    return {cid: as_row(*row) for cid, *row in rows}


# The summaries last built, by lineage, with the row and the parent's id each was made of. A summary
# follows from those alone (in any database), and a push changes a few rows: the next head's summaries
# reuse the others rather than making 3,000 again, a fifth of the owners page after a push (read only).
_last_built: list[dict[int, tuple[Row, str | None, ClauseSummary]]] = [{}]


def _clause_summaries(session: Session, point: Point) -> list[ClauseSummary]:
    by_id = _rows(session, point)
    decode = AttributeDecoder()
    last, built, out = _last_built[0], {}, []
    for cid in _document_order(session, point.seq, by_id):
        row = by_id[cid]
        parent = by_id[row[3]][0] if row[3] in by_id else None
        made = last.get(cid)
        if made is None or made[0] != row or made[1] != parent:
            key, title, doc, _parent, attributes, length, _version, _footnoted = row
            made = row, parent, ClauseSummary(cid, key, title, doc, parent, dict(decode(attributes)), length)
        built[cid] = made
        out.append(made[2])
    _last_built[0] = built
    return out


def footnoted_texts(session: Session, point: Point) -> dict[int, str]:
    """The text of each clause in force at the point with a footnote reference (`[^`: only those can cite
    an evaluation prompt), by lineage. Which ones have one comes with the carried summary rows, so a
    page that needs a few texts loads only theirs, and after a push reads no lineage again."""
    by_id = _rows(session, point)
    ids = [row[6] for row in by_id.values() if row[7]]
    v = ClauseVersion
    # In batches: SQLite allows 32,766 bound parameters, and thousands take longer to render than to run.
    return {cid: body for at in range(0, len(ids), _BATCH)
            for cid, body in session.execute(select(v.clause_id, v.body).where(v.id.in_(ids[at:at + _BATCH])))}


_BATCH = 500


def _document_order(session: Session, seq: int, present: Collection[int]) -> list[int]:
    """The lineages of `present` in document order: documents by path, then each one's clause order."""
    return [cid for ids in outline_at(session, seq).values() for cid in ids if cid in present]


def clauses_in(session: Session, ids: list[int], seq: int) -> list[ClauseView]:
    """These lineages as they stood at seq, in the order given, leaving out absent ones.

    Index seeks per lineage (see `version_in_force`), so a page of a large document loads only its page.
    """
    if not ids:
        return []
    rows = session.execute(
        select(ClauseVersion, Commit).select_from(Clause)
        .join(ClauseVersion, ClauseVersion.id == version_in_force(seq, Clause.id))
        .join(Commit, Commit.seq == ClauseVersion.seq)
        .where(Clause.id.in_(sorted(set(ids))), ClauseVersion.removed.is_(False))
    ).all()
    by_id = {v.clause_id: (v, c) for v, c in rows}
    parent_ids = {v.parent_id for v, _c in rows if v.parent_id is not None} - by_id.keys()
    keys = {cid: v.key for cid, (v, _c) in by_id.items()}
    keys |= {cid: v.key for cid, v in versions_at(session, parent_ids, seq).items()}
    return [as_view(v, c, keys.get(v.parent_id) if v.parent_id is not None else None)
            for v, c in (by_id[cid] for cid in ids if cid in by_id)]


def show_clause(session: Session, key: str, point: Point) -> ClauseView:
    """One clause as it stood at the point."""
    clause = find_clause(session, key)
    found = with_commit_at(session, clause.id, point.seq)
    if found is None:
        raise UnknownVersion(f"clause {key!r} did not exist at {point.ref} ({point.sha[:12]})")
    v, commit = found
    parent = version_at(session, v.parent_id, point.seq) if v.parent_id else None
    return as_view(v, commit, parent.key if parent else None)


def with_commit_at(session: Session, clause_id: int, seq: int) -> tuple[ClauseVersion, Commit] | None:
    """`version_at` with the version's commit, in one statement."""
    row = session.execute(
        select(ClauseVersion, Commit).join(Commit, Commit.seq == ClauseVersion.seq)
        .where(ClauseVersion.clause_id == clause_id, ClauseVersion.seq <= seq, ClauseVersion.live)
        .order_by(ClauseVersion.seq.desc(), ClauseVersion.id.desc()).limit(1)).first()
    return None if row is None or row[0].removed else (row[0], row[1])

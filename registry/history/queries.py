"""Read use cases over the ledger: clauses at a point, one clause, its history, a diff."""
from __future__ import annotations

import json
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import CTE, ScalarSelect, SQLColumnExpression, Subquery, Text, and_, cast, func, select
from sqlalchemy.orm import Session, aliased

from registry.audit.events import kept_while_standing
from registry.db import KeptAnswers, once_per_transaction
from registry.errors import UnknownClause, UnknownVersion
from registry.history.carried import Row, as_row, rows_in_force, summary_columns
from registry.history.governance import governance_start
from registry.ledger.refs import Point, iso
from registry.lru import LruCache
from registry.models import (
    Clause,
    ClauseKey,
    ClauseVersion,
    Commit,
    DocumentVersion,
    Proposal,
    ProposalState,
    change_list,
)
from registry.spec.worddiff import Op, word_diff


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


@dataclass(frozen=True)
class HistoryEntry:
    """One version of a clause with the commit that made it."""

    version_id: int
    seq: int
    commit: str
    date: datetime
    author: str
    author_email: str
    message: str
    changes: list[str]
    id: str
    title: str
    document: str
    previous_id: str | None
    attributes: dict[str, Any]
    body: str
    removed: bool
    proposal: int | None = None  # the merged proposal that made this version, if any
    pre_governance: bool = False  # made before governance began ([governance] start)

    @property
    def unapproved(self) -> bool:
        """No merged proposal made this version since governance began: a direct push
        (see registry.accountability.unapproved)."""
        return self.proposal is None and not self.pre_governance

    def as_dict(self) -> dict[str, Any]:
        """The `specreg history` JSON item."""
        return {"commit": self.commit, "date": iso(self.date), "author": self.author,
                "author_email": self.author_email, "changes": self.changes, "id": self.id,
                "title": self.title, "document": self.document, "previous_id": self.previous_id,
                "attributes": self.attributes, "subject": self.message.split("\n", 1)[0],
                "proposal": self.proposal, "unapproved": self.unapproved, "pre_governance": self.pre_governance}


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


# Built once: an alias is immutable, and making one per statement was a third of a small read's CPU.
_INNER = aliased(ClauseVersion)


def _in_force(seq: int, clause_id: SQLColumnExpression[int]) -> ScalarSelect[int]:
    """The id of the version in force at seq of the lineage `clause_id` names (correlated).

    One (clause_id, seq) index seek per lineage; a GROUP BY over every version was ~40x slower
    at 100k versions, because it reads each row to test whether it is live. The last written wins
    when one commit wrote two versions.
    """
    v = _INNER
    return (select(v.id).where(v.clause_id == clause_id, v.seq <= seq, v.live)
            .order_by(v.seq.desc(), v.id.desc()).limit(1).scalar_subquery())


def version_at(session: Session, clause_id: int, seq: int) -> ClauseVersion | None:
    """The lineage's version in force at seq (None if it did not exist or was removed).

    Once per transaction: a clause page asks for its parent's, and its owners for each ancestor's.
    """
    return once_per_transaction(session, ("version_at", clause_id, seq), lambda: _version_at(session, clause_id, seq))


def load_versions_at(session: Session, clause_ids: Iterable[int], seq: int) -> dict[int, ClauseVersion | None]:
    """`version_at` of many lineages in one query, kept for the transaction as `version_at` keeps it."""
    ids = sorted(set(clause_ids))
    found = versions_at(session, ids, seq)
    return {c: once_per_transaction(session, ("version_at", c, seq), lambda c=c: found.get(c)) for c in ids}  # type: ignore[misc]


def _version_at(session: Session, clause_id: int, seq: int) -> ClauseVersion | None:
    v = session.scalars(
        select(ClauseVersion)
        .where(ClauseVersion.clause_id == clause_id, ClauseVersion.seq <= seq,
               ClauseVersion.live)
        .order_by(ClauseVersion.seq.desc(), ClauseVersion.id.desc()).limit(1)  # as _in_force: the last written
    ).first()
    return None if v is None or v.removed else v


def versions_at(session: Session, clause_ids: Iterable[int], seq: int) -> dict[int, ClauseVersion]:
    """For many lineages at once: the version in force at seq, leaving out removed ones."""
    ids = sorted(set(clause_ids))
    if not ids:
        return {}
    rows = session.scalars(select(ClauseVersion).select_from(Clause)
                           .join(ClauseVersion, ClauseVersion.id == _in_force(seq, Clause.id))
                           .where(Clause.id.in_(ids)))
    return {v.clause_id: v for v in rows if not v.removed}


def headings_at(session: Session, clause_ids: Iterable[int], seq: int) -> dict[int, tuple[str, str, int | None]]:
    """For many lineages at once: (current id, title, parent lineage) at seq, leaving out removed ones."""
    ids = sorted(set(clause_ids))
    if not ids:
        return {}
    v = ClauseVersion
    rows = session.execute(select(v.clause_id, Clause.key, v.title, v.parent_id).select_from(Clause)
                           .join(v, v.id == _in_force(seq, Clause.id)).where(Clause.id.in_(ids), v.removed.is_(False)))
    return {cid: (key, title, parent) for cid, key, title, parent in rows}


@dataclass(frozen=True)
class VersionState:
    """What a version says, with its text as a hash: enough to tell how two versions differ."""

    key: str
    title: str
    attributes: dict[str, Any]
    body_hash: str
    document: str
    parent_id: int | None
    level: int


class AttributeDecoder:
    """Decodes attributes selected as their JSON text (`cast(attributes, Text)`), each distinct text once
    (read only: callers share the dicts).

    A spec has a few attribute sets, and decoding every row's was a fifth of a 3,000-clause
    changelog and of the owners pages' clause list.
    """

    def __init__(self) -> None:
        self._decoded: dict[str, dict[str, Any]] = {}

    def __call__(self, text: str) -> dict[str, Any]:
        """The attributes of this JSON text."""
        if text not in self._decoded:
            self._decoded[text] = json.loads(text)
        return self._decoded[text]


def in_force_ids(*seqs: int) -> CTE:
    """Every lineage (`id`, its current `key`) with the id of its version in force at each seq (`at0`, `at1`...).

    Materialized, so the versions are then looked up by primary key: with the correlated lookup as the
    join condition itself, PostgreSQL hashed the whole of clause_versions instead (~100 ms a point at
    100k versions, where the lookups take ~15 ms).
    """
    return (select(Clause.id, Clause.key, *(_in_force(seq, Clause.id).label(f"at{i}") for i, seq in enumerate(seqs)))
            .cte("in_force").prefix_with("MATERIALIZED"))


def current_ids(session: Session, since: int | None = None) -> dict[int, str]:
    """Every lineage's current id (its `clauses.key`, which ingest moves with a rename): what links name.
    With `since`, only the lineages with a version after that seq: the only ones ingest has renamed
    since then, unless a rewrite set that seq's commit aside (by `ix_clause_versions_seq_live`)."""
    q = select(Clause.id, Clause.key)
    if since is not None:
        q = q.where(Clause.id.in_(select(ClauseVersion.clause_id).where(ClauseVersion.seq > since)))
    return {cid: key for cid, key in session.execute(q)}


def changed_states(session: Session, old_seq: int, new_seq: int) -> dict[int, tuple[str, VersionState | None,
                                                                                     VersionState | None]]:
    """Every lineage whose version in force differs between two seqs: its current id and its state at
    each (None where it did not exist or was removed). No text is loaded, and no id list is sent (a
    few thousand bound parameters took longer to render than the query to run)."""
    ids = in_force_ids(old_seq, new_seq)
    old, new = aliased(ClauseVersion), aliased(ClauseVersion)
    columns = lambda v, side: (v.key, v.title, cast(v.attributes, Text).label(f"{side}_attributes"),  # noqa: E731
                               v.body_hash, v.document, v.parent_id, v.level)
    rows = session.execute(
        select(ids.c.id, ids.c.key, old.removed, *columns(old, "old"), new.removed, *columns(new, "new"))
        .select_from(ids)
        .outerjoin(old, old.id == ids.c.at0).outerjoin(new, new.id == ids.c.at1)
        .where(ids.c.at0.is_distinct_from(ids.c.at1)))
    decode = AttributeDecoder()

    def state(removed: bool | None, key: str, title: str, attributes: str, *rest: Any) -> VersionState | None:
        if removed is None or removed:
            return None
        return VersionState(key, title, decode(attributes), *rest)
    return {r[0]: (r[1], state(*r[2:10]), state(*r[10:18])) for r in rows}


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


def _view(v: ClauseVersion, commit: Commit, parent_key: str | None) -> ClauseView:
    return ClauseView(v.clause_id, v.key, v.title, v.document, parent_key, dict(v.attributes),
                      v.body, v.level, commit.sha, commit.committed_at)


def list_clauses(session: Session, point: Point) -> list[ClauseView]:
    """Every clause in force at the point, by document then document order."""
    rows = session.execute(
        select(ClauseVersion, Commit).select_from(Clause)
        .join(ClauseVersion, ClauseVersion.id == _in_force(point.seq, Clause.id))
        .join(Commit, Commit.seq == ClauseVersion.seq)
        .where(ClauseVersion.removed.is_(False))
    ).all()
    by_id = {v.clause_id: (v, c) for v, c in rows}
    keys = {cid: v.key for cid, (v, _c) in by_id.items()}
    return [_view(v, c, keys.get(v.parent_id) if v.parent_id is not None else None)
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
                           .join(v, v.id == _in_force(point.seq, Clause.id)).where(v.removed.is_(False)))
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

    Index seeks per lineage (see `_in_force`), so a page of a large document loads only its page.
    """
    if not ids:
        return []
    rows = session.execute(
        select(ClauseVersion, Commit).select_from(Clause)
        .join(ClauseVersion, ClauseVersion.id == _in_force(seq, Clause.id))
        .join(Commit, Commit.seq == ClauseVersion.seq)
        .where(Clause.id.in_(sorted(set(ids))), ClauseVersion.removed.is_(False))
    ).all()
    by_id = {v.clause_id: (v, c) for v, c in rows}
    parent_ids = {v.parent_id for v, _c in rows if v.parent_id is not None} - by_id.keys()
    keys = {cid: v.key for cid, (v, _c) in by_id.items()}
    keys |= {cid: v.key for cid, v in versions_at(session, parent_ids, seq).items()}
    return [_view(v, c, keys.get(v.parent_id) if v.parent_id is not None else None)
            for v, c in (by_id[cid] for cid in ids if cid in by_id)]


def show_clause(session: Session, key: str, point: Point) -> ClauseView:
    """One clause as it stood at the point."""
    clause = find_clause(session, key)
    found = _with_commit_at(session, clause.id, point.seq)
    if found is None:
        raise UnknownVersion(f"clause {key!r} did not exist at {point.ref} ({point.sha[:12]})")
    v, commit = found
    parent = version_at(session, v.parent_id, point.seq) if v.parent_id else None
    return _view(v, commit, parent.key if parent else None)


def _with_commit_at(session: Session, clause_id: int, seq: int) -> tuple[ClauseVersion, Commit] | None:
    """`version_at` with the version's commit, in one statement."""
    row = session.execute(
        select(ClauseVersion, Commit).join(Commit, Commit.seq == ClauseVersion.seq)
        .where(ClauseVersion.clause_id == clause_id, ClauseVersion.seq <= seq, ClauseVersion.live)
        .order_by(ClauseVersion.seq.desc(), ClauseVersion.id.desc()).limit(1)).first()
    return None if row is None or row[0].removed else (row[0], row[1])


def clause_history(session: Session, key: str) -> list[HistoryEntry]:
    """Every version of the clause on the branch, oldest first."""
    clause_id = find_clause(session, key).id
    return histories(session, [clause_id]).get(clause_id, [])


def histories(session: Session, clause_ids: Iterable[int], until_seq: int | None = None,
              newest: int | None = None) -> dict[int, list[HistoryEntry]]:
    """For many lineages at once: their versions on the branch (up to `until_seq`; only each one's `newest`
    when given), oldest first, by lineage."""
    v = ClauseVersion
    wanted = [v.clause_id.in_(sorted(set(clause_ids))), v.live] + ([v.seq <= until_seq] if until_seq is not None else [])
    if newest is not None:  # a clause changed a thousand times loads only what is shown
        rank = func.row_number().over(partition_by=v.clause_id, order_by=(v.seq.desc(), v.id.desc())).label("rank")
        ranked = select(v.id, rank).where(*wanted).subquery()
        wanted = [v.id.in_(select(ranked.c.id).where(ranked.c.rank <= newest))]
    # Columns, not rows: building two ORM objects per version was most of a long history's read.
    c = Commit
    rows = session.execute(select(v.clause_id, v.id, v.seq, c.sha, c.committed_at, c.author_name, c.author_email,
                                  c.message, v.changes, v.key, v.title, v.document, v.previous_key, v.attributes,
                                  v.body, v.removed)
                           .join(c, c.seq == v.seq).where(*wanted).order_by(v.seq, v.id)).all()
    merged = merged_proposals(session, {r.sha for r in rows})
    start = governance_start(session)
    out: dict[int, list[HistoryEntry]] = {}
    for r in rows:
        out.setdefault(r.clause_id, []).append(HistoryEntry(
            r.id, r.seq, r.sha, r.committed_at, r.author_name, r.author_email, r.message,
            change_list(r.changes), r.key, r.title, r.document, r.previous_key,
            dict(r.attributes), r.body, r.removed, merged.get(r.sha), start.pre_governance(r.seq)))
    return out


def _merged() -> Subquery:
    """(merged_sha, id) of every merged proposal: the commit a version was made by names its proposal."""
    return select(Proposal.merged_sha, Proposal.id).where(Proposal.state == ProposalState.MERGED).subquery()


def merged_proposals(session: Session, shas: Collection[str]) -> dict[str, int]:
    """The merged proposal behind each of these commits that has one, by sha."""
    merged = _merged()
    return {sha: pid for sha, pid in session.execute(select(merged.c.merged_sha, merged.c.id)
                                                     .where(merged.c.merged_sha.in_(shas))) if sha is not None}


def span_counts(session: Session, clause_ids: Iterable[int], after_seq: int,
                until_seq: int) -> dict[int, tuple[int, tuple[int, ...]]]:
    """For many lineages at once: how many versions each has after `after_seq` up to `until_seq`, and the
    merged proposals behind them in order. Counted in the database, however long the span; only versions
    a proposal made meet the commits (joining every version's commit hashed the whole commits table)."""
    v, merged = ClauseVersion, _merged()
    in_span = (v.clause_id.in_(sorted(set(clause_ids))), v.live, v.seq > after_seq, v.seq <= until_seq)
    counts = session.execute(select(v.clause_id, func.count()).where(*in_span).group_by(v.clause_id)).all()
    made: dict[int, list[int]] = {}
    for cid, number in session.execute(select(v.clause_id, merged.c.id).join(Commit, Commit.seq == v.seq)
                                       .join(merged, merged.c.merged_sha == Commit.sha).where(*in_span)
                                       .order_by(v.seq, v.id)):
        made.setdefault(cid, []).append(number)
    return {cid: (n, tuple(dict.fromkeys(made.get(cid, ())))) for cid, n in counts}


def clause_diff(session: Session, key: str, old: Point, new: Point) -> ClauseDiff:
    """The clause at two points and a word diff of its text; it must exist at one of them."""
    clause = find_clause(session, key)
    views = []
    for point in (old, new):
        found = _with_commit_at(session, clause.id, point.seq)
        views.append(None if found is None else _view(*found, None))
    if views[0] is None and views[1] is None:
        raise UnknownVersion(f"clause {key!r} existed at neither {old.ref} nor {new.ref}")
    old_text, new_text = (views[0].text if views[0] else ""), (views[1].text if views[1] else "")
    ops = _word_ops.get_or_build((old_text, new_text), lambda: word_diff(old_text, new_text))
    return ClauseDiff(clause.key, views[0], views[1], ops)


# A word diff depends on its two texts alone (pure), so it is kept by them, never stale (shared: read only).
_word_ops: LruCache[list[Op]] = LruCache.by_texts(512, budget=32 << 20)  # 32 MB, keyed by a digest of the texts

"""Clause histories: each lineage's versions on the branch with the commit and the merged proposal
behind each, and how many versions a span holds."""
from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Subquery, func, select
from sqlalchemy.orm import Session

from registry.history.governance import governance_start
from registry.history.queries import find_clause
from registry.ledger.refs import iso
from registry.models import ClauseVersion, Commit, Proposal, ProposalState, change_list


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

"""Which version of each lineage is in force at a seq: for one lineage, for many at once (with their
headings, or as a materialized table of every lineage), and which lineages differ between two seqs."""
from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import CTE, ScalarSelect, SQLColumnExpression, Text, cast, select
from sqlalchemy.orm import Session, aliased

from registry.models import Clause, ClauseVersion
from registry.transaction.tracking import once_per_transaction

# Built once: an alias is immutable, and making one per statement was a third of a small read's CPU.
_INNER = aliased(ClauseVersion)


def version_in_force(seq: int, clause_id: SQLColumnExpression[int]) -> ScalarSelect[int]:
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
        .order_by(ClauseVersion.seq.desc(), ClauseVersion.id.desc()).limit(1)  # as version_in_force: the last written
    ).first()
    return None if v is None or v.removed else v


def versions_at(session: Session, clause_ids: Iterable[int], seq: int) -> dict[int, ClauseVersion]:
    """For many lineages at once: the version in force at seq, leaving out removed ones."""
    ids = sorted(set(clause_ids))
    if not ids:
        return {}
    rows = session.scalars(select(ClauseVersion).select_from(Clause)
                           .join(ClauseVersion, ClauseVersion.id == version_in_force(seq, Clause.id))
                           .where(Clause.id.in_(ids)))
    return {v.clause_id: v for v in rows if not v.removed}


def headings_at(session: Session, clause_ids: Iterable[int], seq: int) -> dict[int, tuple[str, str, int | None]]:
    """For many lineages at once: (current id, title, parent lineage) at seq, leaving out removed ones."""
    ids = sorted(set(clause_ids))
    if not ids:
        return {}
    v = ClauseVersion
    rows = session.execute(select(v.clause_id, Clause.key, v.title, v.parent_id).select_from(Clause)
                           .join(v, v.id == version_in_force(seq, Clause.id)).where(Clause.id.in_(ids), v.removed.is_(False)))
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
    return (select(Clause.id, Clause.key, *(version_in_force(seq, Clause.id).label(f"at{i}") for i, seq in enumerate(seqs)))
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

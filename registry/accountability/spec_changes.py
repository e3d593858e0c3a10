"""Which commits on the branch changed the spec, kept per database and carried forward over new commits.

A commit changed the spec when it wrote a clause version, a version of a governance file or a spec
document ingest could not read; the unapproved changes are those commits less the merged proposals'
(registry.accountability.unapproved). Telling them apart asks every commit (~25 ms of SQL on
PostgreSQL at 5,000 commits), and every push moved the audit chain the answers were kept under, so
each push paid it again. But the commits up to a new head that wrote versions are those up to an
earlier head plus the few after it, one seek by seq.

That holds while the earlier answer is still what it was, which is checked, not assumed:
- its newest commit is still live (a rewrite sets aside every commit after its fork, so a live
  commit keeps every earlier one live, with its versions), and the commits after it are read by seq;
- the audit event that was newest when it was read is still in this database's chain (its hash
  covers when it was made, so a database emptied and filled again never has it);
- ingest writes clause and document versions only at seqs after the head.
Governance file versions are not carried: an upgrade's backfill records a file's earlier versions
at the commits that wrote them (ingest._backfill, audited as `ingest.backfill`, which moves the
standing event but leaves the kept answer's event in the chain), so they are read whole each time (a few rows).
"""
from __future__ import annotations

from dataclasses import dataclass
from threading import Lock

from sqlalchemy import ColumnElement, exists, or_, select
from sqlalchemy.orm import Session, aliased

from registry.audit.events import newest_standing, still_in_chain
from registry.ledger.carry import still_live
from registry.models import ClauseVersion, Commit, DocumentVersion, GovernanceFileVersion
from registry.transaction.tracking import has_written

_KEEP = 4  # databases (one answer each: the report is always about the head)


def _wrote_versions() -> ColumnElement[bool]:
    v, d = aliased(ClauseVersion), aliased(DocumentVersion)
    # A rewrite sets aside a commit and its versions together, so a commit on the branch has only
    # versions on the branch; not testing `v.live` keeps this a seek in the seq index (~4x faster).
    return or_(exists().where(v.seq == Commit.seq), exists().where(d.seq == Commit.seq, d.unreadable.is_not(None)))


# Conditions on Commit, built once (aliasing was a tenth of the report's request after a push); read only.
WROTE_VERSIONS = _wrote_versions()  # it wrote a clause version, or a spec document ingest could not read
WROTE_GOVERNANCE = exists().where(aliased(GovernanceFileVersion).seq == Commit.seq)  # OWNERS.toml, policy.toml, ...
CHANGED_SPEC = or_(WROTE_VERSIONS, WROTE_GOVERNANCE)  # a clause, a governance file or an unreadable document


@dataclass(frozen=True)
class _Kept:
    database: str
    seq: int  # the newest of `seqs`
    sha: str
    event: tuple[int, str]  # the newest standing audit event when read: (seq, hash)
    seqs: tuple[int, ...]  # the live commits that wrote versions, oldest first; shared: read only


_kept: list[_Kept] = []
_lock = Lock()


def spec_changing_commits(session: Session) -> tuple[int, ...]:
    """The seqs of the live commits that changed the spec, oldest first."""
    written = _written(session)
    g = GovernanceFileVersion
    governance = set(session.scalars(select(g.seq).join(Commit, Commit.seq == g.seq).where(Commit.live)))
    return tuple(sorted(governance.union(written))) if governance else written


def forget() -> None:
    """Drop every kept answer (tests)."""
    with _lock:
        _kept.clear()


def _written(session: Session) -> tuple[int, ...]:
    """The seqs of the live commits that wrote versions, carried from the kept answer when it holds."""
    database = str(session.get_bind().engine.url)
    with _lock:
        base = next((k for k in _kept if k.database == database), None)
    found = _carried(session, base) if base is not None else None
    if found is None:
        seqs = tuple(session.scalars(select(Commit.seq).where(Commit.live, WROTE_VERSIONS).order_by(Commit.seq)))
        found = seqs, session.get_one(Commit, seqs[-1]).sha if seqs else ""
    seqs, sha = found
    event = newest_standing(session)
    if seqs and event is not None and not has_written(session):  # what a writing transaction read may be rolled back
        _keep(_Kept(database, seqs[-1], sha, event, seqs))
    return seqs


def _carried(session: Session, base: _Kept) -> tuple[tuple[int, ...], str] | None:
    """The base's seqs with those of the commits after it, and the newest one's sha; None when the base
    no longer holds."""
    new = session.execute(select(Commit.seq, Commit.sha).where(Commit.live, Commit.seq > base.seq, WROTE_VERSIONS)
                          .order_by(Commit.seq)).all()
    # Checked after the new commits are read: a rewrite committed in between (PostgreSQL reads each
    # statement's own snapshot) then shows here, rather than new commits laid over set-aside ones.
    holds = session.execute(select(still_live(base.seq, base.sha), still_in_chain(*base.event))).one()
    if not all(holds):
        return None
    return (base.seqs + tuple(seq for seq, _sha in new), new[-1].sha) if new else (base.seqs, base.sha)


def _keep(kept: _Kept) -> None:
    with _lock:
        _kept[:] = [k for k in _kept if k.database != kept.database]
        _kept.append(kept)
        del _kept[:-_KEEP]

"""What a merge commit may change: the clauses and documents (or the one governance file) its proposal touches.

The registry writes a merge as one commit holding the proposal's approved clause texts and
nothing more (registry.proposals.merge; registry.spec.clause_edit refuses an edit that would disturb another
clause). A commit that carries a proposal's trailers but also changes another clause, OWNERS.toml,
policy.toml, specreg.toml, an evaluation prompt or another document is a direct push whatever its
trailers say (a governance proposal's merge changes exactly its file): the approvals were given
for the proposal, not for the rest. The rule reads what the ledger
recorded at the commit's seq, so ingest (completing a merge) and `specreg verify` apply the same one.
"""
from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.models import ClauseVersion, DocumentVersion, ExampleFile, OwnersVersion, PolicyVersion, ProposedChange
from registry.proposals.governance import FILE, changed_at
from registry.proposals.policy_toml import POLICY_PATH


def scope_mismatches(session: Session, changes: Sequence[ProposedChange], seq: int) -> list[str]:
    """What the commit at `seq` changed beyond the proposed changes (empty when nothing)."""
    versions = list(session.scalars(select(ClauseVersion).where(ClauseVersion.seq == seq)
                                    .order_by(ClauseVersion.id)))
    removed = {ch.clause_id for ch in changes if ch.kind == "remove"}
    extra = [v.key for v in versions if not any(_written_by(v, ch, removed) for ch in changes)]
    found = [f"it also changes clause(s) {', '.join(dict.fromkeys(extra))}, which the proposal does not touch"
             ] if extra else []
    paths = set(session.scalars(select(DocumentVersion.path).where(DocumentVersion.seq == seq)))
    others = sorted(paths.union(v.document for v in versions) - {ch.document for ch in changes})
    if others:
        found.append(f"it also changes document(s) {', '.join(others)}, which the proposal does not touch")
    governance_files = set(session.scalars(select(OwnersVersion.path).where(OwnersVersion.seq == seq)))
    if session.scalar(select(PolicyVersion.id).where(PolicyVersion.seq == seq).limit(1)) is not None:
        governance_files.add(POLICY_PATH)
    governance_files.update(changed_at(session, seq))
    files = sorted(governance_files - {ch.key for ch in changes if ch.kind == FILE})
    files += sorted(set(session.scalars(select(ExampleFile.path).where(ExampleFile.seq == seq))))
    if files:
        found.append(f"it also changes {', '.join(files)}; a merge writes only what its proposal changes")
    return found


def _written_by(v: ClauseVersion, ch: ProposedChange, removed: set[int | None]) -> bool:
    """True when clause version `v` is what proposed change `ch` writes into its document."""
    if v.document != ch.document:
        return False
    if ch.kind == "remove":
        return v.removed and v.clause_id == ch.clause_id
    if v.removed or v.key != ch.key:
        return False
    if ch.kind == "change":  # a text change keeps the clause's id and its place in the outline
        return v.clause_id == ch.clause_id and not {"moved", "renamed"} & set(v.change_set)
    # An add starts (or revives) a lineage, or continues a lineage the same proposal removes when
    # ingest matches the two as a rename; never one the proposal leaves alone.
    return "added" in v.change_set or v.clause_id in removed

"""What of the ledger at the head a verdict read, and whether the commits ingested since touched any of it.

A verdict reads the head only through the owners of its touched clauses (`verdict.clause_facts`): the
OWNERS.toml in force, and each clause's place in the outline (its id, document and parent, and its
ancestors'; for an added or removed clause, the lineage its parent's id names and that one's ancestors).
A governance file judged with root owners reads every clause. The rest of its inputs (the proposal, its
reviews and checks, the policy at its base, accounts and assignments) a push leaves as they were: they
move only with an event on the proposal or another standing event, and a rewrite. So a verdict judged at
an earlier head still holds at a later one when, checked rather than assumed:
- the earlier head's commit is still live (a rewrite sets aside only commits after its fork, so every
  commit and version up to a live one stays as it was: the policy at a base too);
- the standing audit event newest then is still in this database's chain (a database emptied and filled
  again, or restored to another history, never has it), and every standing event after it is an
  ingest's (no account, role, password or assignment changed);
- no OWNERS.toml version was recorded after it (which also names and renames people and teams); a
  governance file's versions recorded at earlier commits (an upgrade's `ingest._backfill`: OWNERS.toml,
  policy.toml) come with an `ingest.backfill` event, which is not a push;
- none of the versions written after it, up to the new head, is of a lineage it read or carries an id
  it looked up.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from registry.audit.events import standing_after, still_in_chain
from registry.ledger.carry import may_carry, still_live
from registry.ledger.ingest import INGEST_ACTOR
from registry.models import ClauseVersion, OwnersVersion

# The standing events an ingest records that may leave a verdict as it was (its commits are checked);
# a rewrite's (`ingest.rewrite`) and a backfill's (`ingest.backfill`) never do.
PUSHES = ("ingest", "ingest.tags")


@dataclass(frozen=True)
class Reach:
    """What a verdict read of the ledger at its head."""

    lineages: frozenset[int] = frozenset()  # whose versions at the head it read
    ids: frozenset[str] = frozenset()  # the ids it looked a lineage up by
    whole: bool = False  # it read every clause (a governance file's root owners)


@dataclass(frozen=True)
class Pushed:
    """What the versions written between two heads may change for a verdict: their lineages and ids."""

    lineages: frozenset[int]
    ids: frozenset[str]

    def touches(self, reach: Reach) -> bool:
        """Whether a verdict that read `reach` may read otherwise now."""
        return bool((self.lineages and reach.whole) or self.lineages & reach.lineages or self.ids & reach.ids)


def pushed_since(session: Session, head: tuple[int, str], event: tuple[int, str], now: int) -> Pushed | None:
    """What the commits after `head` up to seq `now` wrote, when only pushes came since `head` and the
    audit `event` newest then (see above); None when a verdict judged at `head` may no longer hold."""
    if not may_carry(head[0], now):
        return None
    v = ClauseVersion
    written = session.execute(select(v.clause_id, v.key).where(v.seq > head[0], v.seq <= now, v.live).distinct()).all()
    # Checked after the versions are read: a rewrite committed in between (PostgreSQL reads each
    # statement's own snapshot) then shows here.
    holds = session.execute(select(
        still_live(*head),
        still_in_chain(*event),
        ~standing_after(event[0], INGEST_ACTOR, PUSHES),
        ~exists().where(OwnersVersion.seq > head[0]))).one()
    if not all(holds):
        return None
    return Pushed(frozenset(c for c, _ in written), frozenset(k for _, k in written))

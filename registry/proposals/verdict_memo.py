"""The verdicts of many proposals at once (lists, the review queue, the header's "waiting on me"), each
computed by `verdict.verdict` once per state of its inputs and kept in this process.

A verdict depends on the proposal (its state, revision, reviews and check reports), the ledger (OWNERS.toml, policy.toml,
where each clause stands) and the accounts and registry assignments (who is an admin, who is disabled,
whose password someone else set). Every change to these is either an ingest or a use case, and every
one of those appends an audit event: reviews, check reports, revisions and state moves on the subject `proposal:N`,
everything else on other subjects. So a verdict is kept under the hash of the newest event on its
proposal, with the ledger head and `audit.newest_standing` (logins, logouts and API tokens left out: they
change nobody's standing) it was judged at; nothing is kept before the first standing event. The
chain's hashes cover every event before them and the moment each was made, so a key never matches again
once anything on the proposal has changed, nor on another database, nor after a transaction that wrote
an event was rolled back; a session that has written gets fresh verdicts (`transaction.kept.KeptAnswers`).

A push moves the head and appends an `ingest` event, but changes few verdicts: one judged at an earlier
head is kept at the new one when `verdict_reach` finds that nothing it read has moved since (the
commits between wrote none of its touched clauses' outline, no OWNERS.toml, and no other standing event
came), and judged again otherwise. `verdict.py` stays the one definition of the verdict: this module only
decides when its last answer still holds, and has the inputs of the verdicts it misses read at once
(`verdict_inputs`) rather than by each verdict's own queries.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from sqlalchemy.orm import Session

from registry.audit.events import newest_on, newest_standing
from registry.ledger.refs import ingested_head
from registry.models import Proposal
from registry.proposals import verdict_inputs
from registry.proposals.verdict import Verdict, head_reach, verdict
from registry.proposals.verdict_reach import Reach, pushed_since
from registry.transaction.kept import KeptAnswers
from registry.transaction.tracking import has_written

TRIED = 2  # earlier heads a list carries its kept verdicts from (each asks two statements); older ones are judged again


@dataclass(frozen=True)
class _Kept:
    verdict: Verdict
    head: tuple[int, str]  # the head it was judged at: (seq, sha)
    event: tuple[int, str]  # the newest standing audit event then: (seq, hash)
    reach: Reach  # what it read of the ledger at that head


_kept: KeptAnswers[_Kept] = KeptAnswers(4096)  # a few hundred bytes of facts each
# (number, state, revision, newest event on the proposal)
Key = tuple[int, str, int, str | None]


def _subject(number: int) -> str:
    return f"proposal:{number}"


def verdicts(session: Session, proposals: Sequence[Proposal]) -> dict[int, Verdict]:
    """Each proposal's verdict, by number: as `verdict()` gives it now, computed again only when an
    input has changed since this process last computed it."""
    if not proposals:  # nothing to judge (a new instance's header badge, before any ingest: no head to ask)
        return {}
    event = None if has_written(session) else newest_standing(session)
    point = None if event is None else ingested_head(session)
    if event is None or point is None:  # fresh anyway (a session that wrote), or nothing to key on yet
        verdict_inputs.load(session, proposals)
        return {p.id: verdict(session, p) for p in proposals}
    head = (point.seq, point.sha)
    on = newest_on(session, [_subject(p.id) for p in proposals])
    keys: dict[int, Key] = {p.id: (p.id, p.state, p.revision, on.get(_subject(p.id))) for p in proposals}
    out: dict[int, Verdict] = {}
    earlier: dict[tuple[tuple[int, str], tuple[int, str]], list[tuple[Proposal, _Kept]]] = {}
    found = _kept.peek_many(session, keys.values())
    for p in proposals:
        kept = found.get(keys[p.id])
        if kept is not None and (kept.head, kept.event) == (head, event):
            out[p.id] = kept.verdict
        elif kept is not None:
            earlier.setdefault((kept.head, kept.event), []).append((p, kept))
    for (was, then), held in sorted(earlier.items(), key=lambda kv: kv[0], reverse=True)[:TRIED]:  # newest first
        pushed = pushed_since(session, was, then, head[0])
        for p, kept in held:
            if pushed is not None and not pushed.touches(kept.reach):
                out[p.id] = kept.verdict
                _kept.put(session, keys[p.id], replace(kept, head=head, event=event))
    missed = [p for p in proposals if p.id not in out]
    verdict_inputs.load(session, missed)
    for p in missed:
        out[p.id] = verdict(session, p)
        _kept.put(session, keys[p.id], _Kept(out[p.id], head, event, head_reach(session, p, head[0])))
    return {p.id: out[p.id] for p in proposals}


def forget() -> None:
    """Drop every kept verdict."""
    _kept.clear()

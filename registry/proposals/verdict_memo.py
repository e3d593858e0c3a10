"""The verdicts of many proposals at once (lists, the review queue, the header's "waiting on me"), each
computed by `verdict.verdict` once per state of its inputs and kept in this process.

A verdict depends on the proposal (its state, revision, reviews and check reports), the ledger (OWNERS.toml, policy.toml,
where each clause stands) and the accounts and registry assignments (who is an admin, who is disabled,
whose password someone else set). Every change to these is either an ingest or a use case, and every
one of those appends an audit event: reviews, check reports, revisions and state moves on the subject `proposal:N`,
everything else on other subjects. So a verdict is kept under the hash of the newest event on its
proposal and `audit.newest_standing_event` (logins, logouts and API tokens left out: they change
nobody's standing; `audit.kept_many_while_standing`, which keeps nothing before the first such
event), plus the ledger head. The chain's hashes cover every event before them and the
moment each was made, so a key never matches again once anything it depends on has changed, nor on
another database, nor after a transaction that wrote an event was rolled back; a session that has
written gets fresh verdicts (`db.KeptAnswers`). `verdict.py` stays the one definition of the verdict:
this module only decides when its last answer still holds, and has the inputs of the verdicts it
misses read at once (`verdict_inputs`) rather than by each verdict's own queries.
"""
from __future__ import annotations

from collections.abc import Sequence
from functools import partial

from sqlalchemy.orm import Session

from registry.audit.events import kept_many_while_standing, newest_on
from registry.db import KeptAnswers, has_written
from registry.models import Ledger, Proposal
from registry.proposals import verdict_inputs
from registry.proposals.verdict import Verdict, verdict

_kept: KeptAnswers[Verdict] = KeptAnswers(4096)  # a few hundred bytes of facts each
# (number, state, revision, newest event on the proposal, ledger head)
Key = tuple[int, str, int, str | None, tuple[int, str | None] | None]


def _subject(number: int) -> str:
    return f"proposal:{number}"


def verdicts(session: Session, proposals: Sequence[Proposal]) -> dict[int, Verdict]:
    """Each proposal's verdict, by number: as `verdict()` gives it now, computed again only when an
    input has changed since this process last computed it."""
    if has_written(session):  # fresh anyway: spare the queries that make the keys
        return {p.id: verdict(session, p) for p in proposals}
    ledger = session.get(Ledger, 1)
    head = (ledger.head_seq, ledger.head_sha) if ledger else None
    on = newest_on(session, [_subject(p.id) for p in proposals])
    wanted: dict[Key, partial[Verdict]] = {(p.id, p.state, p.revision, on.get(_subject(p.id)), head):
                                           partial(verdict, session, p) for p in proposals}

    def load(missed: list[Key]) -> None:
        ids = {key[0] for key in missed}
        verdict_inputs.load(session, [p for p in proposals if p.id in ids])
    return {key[0]: v for key, v in kept_many_while_standing(_kept, session, wanted, load).items()}


def forget() -> None:
    """Drop every kept verdict."""
    _kept.clear()

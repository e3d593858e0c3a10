"""The verdicts of many proposals at once (lists, the review queue, the header's "waiting on me"), each
computed by `verdict.verdict` once per state of its inputs and kept in this process.

A verdict depends on the proposal (its state, revision and reviews), the ledger (OWNERS.toml, policy.toml,
where each clause stands) and the accounts and registry assignments (who is an admin, who is disabled,
whose password someone else set). Every change to these is either an ingest or a use case, and every
one of those appends an audit event: reviews, revisions and state moves on the subject `proposal:N`,
everything else (ingest runs, assignments, accounts) on other subjects. So a verdict is kept under
a key made of the hash of the newest event on its proposal and the hash of the newest event that is
not about a proposal (logins, logouts and API tokens left out: they change nobody's standing), plus
the ledger head. The chain's hashes cover every event before them and the moment each was made, so a
key never matches again once anything it depends on has changed, nor on another database, nor after
a transaction that wrote an event was rolled back. A session that has written in its transaction is
always given fresh verdicts and fills nothing: what it wrote may precede the event that records it,
and may be rolled back. `verdict.py` stays the one definition of the verdict: this module only
decides when its last answer still holds.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence

from sqlalchemy import func, not_, select
from sqlalchemy.orm import Session

from registry.db import has_written
from registry.models import AuditEvent, Ledger, Proposal
from registry.proposals.verdict import Verdict, verdict

_SIZE = 4096  # verdicts kept per process: a few hundred bytes of facts each
# Audit actions that change nobody's standing: they alone never make a kept verdict stale.
_IRRELEVANT = ("session.", "token.")
_Key = tuple[str, int, str, int, str | None, str | None, int | None, str | None]

_lock = threading.Lock()
_kept: OrderedDict[_Key, Verdict] = OrderedDict()


def _subject(number: int) -> str:
    return f"proposal:{number}"


def _newest_elsewhere(session: Session) -> str | None:
    """The hash of the newest event that is about no proposal and may change someone's standing."""
    q = select(AuditEvent.hash).where(not_(AuditEvent.subject.startswith("proposal:")),
                                      *(not_(AuditEvent.action.startswith(a)) for a in _IRRELEVANT))
    return session.scalar(q.order_by(AuditEvent.seq.desc()).limit(1))


def _newest_on(session: Session, numbers: Iterable[int]) -> dict[str, str]:
    """Per proposal subject, the hash of its newest event (one query for all)."""
    subjects = [_subject(n) for n in numbers]
    if not subjects:
        return {}
    newest = (select(func.max(AuditEvent.seq)).where(AuditEvent.subject.in_(subjects))
              .group_by(AuditEvent.subject))
    rows = session.execute(select(AuditEvent.subject, AuditEvent.hash).where(AuditEvent.seq.in_(newest)))
    return {subject: digest for subject, digest in rows}


def verdicts(session: Session, proposals: Sequence[Proposal]) -> dict[int, Verdict]:
    """Each proposal's verdict, by number: as `verdict()` gives it now, computed again only when an
    input has changed since this process last computed it."""
    if has_written(session):
        return {p.id: verdict(session, p) for p in proposals}
    ledger = session.get(Ledger, 1)
    where = (str(session.get_bind().engine.url), ledger.head_seq if ledger else None,
             ledger.head_sha if ledger else None, _newest_elsewhere(session))
    on = _newest_on(session, (p.id for p in proposals))
    out: dict[int, Verdict] = {}
    for p in proposals:
        key: _Key = (where[0], p.id, p.state, p.revision, on.get(_subject(p.id)), where[3], where[1], where[2])
        with _lock:
            found = _kept.get(key)
            if found is not None:
                _kept.move_to_end(key)
        if found is None:
            found = verdict(session, p)
            with _lock:
                _kept[key] = found
                while len(_kept) > _SIZE:
                    _kept.popitem(last=False)
        out[p.id] = found
    return out


def forget() -> None:
    """Drop every kept verdict (tests compare with a cold start)."""
    with _lock:
        _kept.clear()

"""Use cases for the audit trail: append a hash-chained event, read the head, verify the chain.

Each event's hash covers the previous event's hash and the event's own canonical content, so an
edited event no longer matches its hash, a deleted one leaves a gap, and a recomputed chain no
longer matches the heads anchored in the spec repo's commits (`Audit-Head: SEQ:HASH`). Each event
also carries a MAC of its seq and hash under the audit key (registry.audit.keys), which is kept
outside the database: whoever rehashes the chain's tail cannot recompute those.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Collection, Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, TypeVar

from sqlalchemy import ColumnElement, and_, exists, func, not_, select
from sqlalchemy.orm import Session

from registry.audit.keys import AuditKey, current_key
from registry.models import AuditEvent, utcnow
from registry.transaction.kept import KeptAnswers
from registry.transaction.locks import lock_writer
from registry.transaction.tracking import once_per_transaction

A = TypeVar("A")

GENESIS = "0" * 64


@dataclass(frozen=True)
class Finding:
    """One verification failure: which check, where, and what is wrong."""

    check: str
    where: str
    message: str

    def as_dict(self) -> dict[str, str]:
        """The JSON form."""
        return {"check": self.check, "where": self.where, "message": self.message}


def _plain(value: Any) -> Any:
    """The value as JSON would store and return it, so the hash covers exactly what is kept."""
    return None if value is None else json.loads(json.dumps(value, default=str))


def canonical(seq: int, at: datetime, actor: str, action: str, subject: str, old: Any, new: Any) -> bytes:
    """The bytes an event's hash covers: sorted-key compact JSON."""
    body = {"seq": seq, "at": at.isoformat(), "actor": actor, "action": action, "subject": subject,
            "old": old, "new": new}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def chain_hash(prev_hash: str, payload: bytes) -> str:
    """sha256 over the previous hash and this event's canonical content."""
    return hashlib.sha256(prev_hash.encode() + b"\n" + payload).hexdigest()


def event_hash(e: AuditEvent) -> str:
    """Recompute a stored event's hash from its content and its recorded previous hash."""
    return chain_hash(e.prev_hash, canonical(e.seq, e.at, e.actor, e.action, e.subject, e.old, e.new))


AuditListener = Callable[[Session, AuditEvent], None]
_listeners: tuple[AuditListener, ...] = ()


def install_listeners(listeners: Sequence[AuditListener]) -> None:
    """Set who hears of every appended event, in its transaction (the composition root: webhooks' outbox)."""
    global _listeners
    _listeners = tuple(listeners)


def record(session: Session, actor: str, action: str, subject: str, old: Any = None,
           new: Any = None) -> AuditEvent:
    """Append an event (serialized with other writers, so the chain never forks)."""
    key = current_key()  # before the lock: a missing or unreadable key refuses the change, writing nothing
    assert key is not None  # current_key() creates the key file when none is configured
    lock_writer(session, "audit")
    seq, prev = head(session)
    at = utcnow()
    old, new = _plain(old), _plain(new)
    digest = chain_hash(prev, canonical(seq + 1, at, actor, action, subject, old, new))
    event = AuditEvent(seq=seq + 1, at=at, actor=actor, action=action, subject=subject, old=old, new=new,
                       prev_hash=prev, hash=digest, mac=key.mac(seq + 1, digest))
    session.add(event)
    session.flush()
    for listen in _listeners:
        listen(session, event)
    return event


def head(session: Session) -> tuple[int, str]:
    """The newest event's (seq, hash); (0, GENESIS) when there is none."""
    last = session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1)).first()
    return (last.seq, last.hash) if last else (0, GENESIS)


# Events that change nobody's ownership or standing as an approver: proposals' own events (a kept
# verdict asks for those separately), logins, logouts and API tokens.
_NOT_STANDING = ("session.", "token.")


def newest_standing_event(session: Session) -> str | None:
    """The hash of the newest event that may change who owns or may approve what (an ingest, an
    assignment, an account change): answers kept under it are stale once it moves. The chain's hash
    covers every event before it and when each was made, so it never returns to an earlier value.
    Read once per transaction: a page keys several kept answers under it."""
    newest = newest_standing(session)
    return newest[1] if newest else None


def newest_standing(session: Session) -> tuple[int, str] | None:
    """`newest_standing_event` with its seq: (seq, hash), by which `still_in_chain` finds it again."""
    return once_per_transaction(session, "newest_standing_event", lambda: _newest_standing_event(session))


def still_in_chain(seq: int, digest: str) -> ColumnElement[bool]:
    """Whether this database's chain has the event (seq, hash): a database emptied and filled again,
    as tests do, never has an event of another's (its hash covers when it was made). By primary key."""
    return exists().where(AuditEvent.seq == seq, AuditEvent.hash == digest)


def chain_origin(session: Session) -> str | None:
    """The hash of this database's first audit event (None before any): it names the database's life,
    for answers kept by ids and commits alone, which a database emptied and filled again could reuse
    for other rows (a restore keeps it: restart the processes after restoring into their database)."""
    return once_per_transaction(session, "chain_origin", lambda: session.scalar(
        select(AuditEvent.hash).order_by(AuditEvent.seq).limit(1)))


def kept_while_standing(kept: KeptAnswers[A], session: Session, key: Hashable, compute: Callable[[], A]) -> A:
    """`kept.get` under `key` and `newest_standing_event`: for answers that only an ingest, an
    assignment or an account change can alter. With no event yet nothing is kept: rows nobody
    ingested (a test's, a benchmark's) would otherwise share the key None across databases' lives."""
    standing = newest_standing_event(session)
    return compute() if standing is None else kept.get(session, (key, standing), compute)


def standing_after(seq: int, actor: str, actions: Collection[str]) -> ColumnElement[bool]:
    """Whether a standing event (see `newest_standing_event`) other than `actor`'s `actions` came after
    seq: an EXISTS, to ask with other checks in one statement."""
    return exists().where(AuditEvent.seq > seq, *_standing(),
                          not_(and_(AuditEvent.actor == actor, AuditEvent.action.in_(list(actions)))))


def _standing() -> tuple[ColumnElement[bool], ...]:
    """What makes an event standing: not on a proposal, no login, logout or API token."""
    return (not_(AuditEvent.subject.startswith("proposal:")),
            *(not_(AuditEvent.action.startswith(a)) for a in _NOT_STANDING))


def _newest_standing_event(session: Session) -> tuple[int, str] | None:
    q = select(AuditEvent.seq, AuditEvent.hash).where(*_standing())
    row = session.execute(q.order_by(AuditEvent.seq.desc()).limit(1)).first()
    return (row[0], row[1]) if row else None


def newest_on(session: Session, subjects: Collection[str]) -> dict[str, str]:
    """The hash of each subject's newest event (one query for all; subjects without one left out)."""
    if not subjects:
        return {}
    newest = (select(func.max(AuditEvent.seq)).where(AuditEvent.subject.in_(list(subjects)))
              .group_by(AuditEvent.subject))
    rows = session.execute(select(AuditEvent.subject, AuditEvent.hash).where(AuditEvent.seq.in_(newest)))
    return {subject: digest for subject, digest in rows}


def by_subject(session: Session, prefix: str, actions: Collection[str]) -> dict[str, list[AuditEvent]]:
    """The events with these actions whose subject starts with `prefix`, oldest first, by subject."""
    out: dict[str, list[AuditEvent]] = {}
    rows = session.scalars(select(AuditEvent).where(AuditEvent.subject.startswith(prefix, autoescape=True),
                                                    AuditEvent.action.in_(list(actions))).order_by(AuditEvent.seq))
    for e in rows:
        out.setdefault(e.subject, []).append(e)
    return out


def verify_chain(session: Session, key: AuditKey | Literal["configured"] | None = "configured") -> list[Finding]:
    """Walk the chain from the start: every seq present, every link, hash and MAC intact.

    From the key epoch (the first event with a MAC) on, every event must carry a MAC the key (by
    default the configured one; None: there is none) recomputes; before it, the hash alone vouches.
    """
    findings: list[Finding] = []
    expected, prev = 1, GENESIS
    keyed = _Keyed(current_key(create=False) if key == "configured" else key)
    rows = session.execute(select(AuditEvent).order_by(AuditEvent.seq).execution_options(yield_per=1000))
    for (e,) in rows:
        if e.seq != expected:
            findings.append(Finding("chain", f"event {expected}",
                                    f"events {expected}..{e.seq - 1} are missing (deleted)"))
        elif e.prev_hash != prev:
            findings.append(Finding("chain", f"event {e.seq}", "does not link to the previous event's hash"))
        if event_hash(e) != e.hash:
            findings.append(Finding("chain", f"event {e.seq}", "content does not match its hash (edited)"))
        keyed.see(e)
        expected, prev = e.seq + 1, e.hash
    return findings + keyed.findings()


class _Keyed:
    """The MAC checks of one walk along the chain."""

    def __init__(self, key: AuditKey | None) -> None:
        self.key, self.epoch, self.checked = key, 0, 0
        self.unkeyed: list[int] = []
        self.wrong: list[int] = []

    def see(self, e: AuditEvent) -> None:
        if e.mac is None:
            if self.epoch:
                self.unkeyed.append(e.seq)
            return
        self.epoch = self.epoch or e.seq
        self.checked += 1
        if self.key is not None and not mac_matches(e, self.key):
            self.wrong.append(e.seq)

    def findings(self) -> list[Finding]:
        out = [Finding("chain", f"event {seq}", f"has no MAC, but the chain is keyed from event {self.epoch} on: "
                                                "written or rewritten without the audit key") for seq in self.unkeyed]
        if self.epoch and self.key is None:
            return out + [Finding("chain", f"event {self.epoch}", "the chain is keyed from this event on, but no "
                                                                   "audit key is configured (SPECREG_AUDIT_KEY or the "
                                                                   "instance folder's audit_key)")]
        if self.checked > 1 and len(self.wrong) == self.checked and self.key is not None:
            return out + [Finding("chain", f"event {self.epoch}", f"no event from the key epoch on matches its MAC: "
                                                                   f"the audit key ({self.key.source}) is not the one "
                                                                   "the chain was written with, or every keyed event "
                                                                   "was rehashed")]
        return out + [Finding("chain", f"event {seq}", "does not match its MAC (rehashed without the audit key)")
                      for seq in self.wrong]


def mac_matches(e: AuditEvent, key: AuditKey | None) -> bool:
    """The event carries a MAC and the key recomputes it (the MAC check of verify_chain, one event)."""
    return e.mac is not None and key is not None and key.matches(e.seq, e.hash, e.mac)


def vouched(session: Session, events: Iterable[AuditEvent]) -> list[AuditEvent]:
    """The events that are what the registry wrote, judged each on its own as verify_chain judges it:
    its content matches its hash, and from the key epoch on the configured audit key recomputes its MAC
    (before the epoch the hash alone vouches, as in verify). The append-only triggers refuse UPDATE and
    DELETE but not INSERT: an event inserted with SQL, whoever computed its hash, has no MAC the key
    recomputes, so whatever reads events to decide something (which reviews and check reports count)
    reads them through this. Without a configured key no keyed event is vouched for."""
    key = once_per_transaction(session, (vouched, "key"), lambda: current_key(create=False))
    judged: dict[int, bool] = once_per_transaction(session, (vouched, "judged"), dict)  # a page judges them again

    def ok(e: AuditEvent) -> bool:
        if event_hash(e) != e.hash:
            return False
        if e.mac is None:
            # Only an event older than the first keyed one was written without the key (read only when met).
            epoch = once_per_transaction(session, key_epoch, lambda: key_epoch(session))
            return epoch is None or e.seq < epoch
        return mac_matches(e, key)

    return [e for e in events if (judged[e.seq] if e.seq in judged else judged.setdefault(e.seq, ok(e)))]


def key_epoch(session: Session) -> int | None:
    """The first event with a MAC (events before it are checked by their hash alone), or None."""
    return session.scalar(select(func.min(AuditEvent.seq)).where(AuditEvent.mac.is_not(None)))


def verify_anchors(session: Session, anchors: Iterable[tuple[str, int, str]]) -> list[Finding]:
    """Every head anchored in a commit (commit, seq, hash) must still be in the chain, unchanged."""
    findings: list[Finding] = []
    last = session.scalar(select(func.max(AuditEvent.seq))) or 0
    for commit, seq, digest in anchors:
        where = f"commit {commit[:12]} (Audit-Head {seq})"
        if seq > last:
            findings.append(Finding("anchor", where, f"the chain ends at event {last}, before the anchored "
                                                     f"event {seq}: events were removed from the end"))
            continue
        event = session.get(AuditEvent, seq)
        if event is None:
            findings.append(Finding("anchor", where, f"anchored event {seq} is missing"))
        elif event.hash != digest:
            findings.append(Finding("anchor", where, f"event {seq} has hash {event.hash[:12]}, the commit "
                                                     f"anchored {digest[:12]}: the chain was rewritten"))
    return findings


def parse_anchor(value: str) -> tuple[int, str] | None:
    """`SEQ:HASH` from an Audit-Head trailer, or None when malformed."""
    seq, _, digest = value.strip().partition(":")
    if not seq.isdigit() or len(digest) != 64:
        return None
    return int(seq), digest

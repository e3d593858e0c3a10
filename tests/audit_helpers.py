"""Tampering with the audit trail behind the registry's back, as an attacker with the database would."""
from __future__ import annotations

from sqlalchemy import select, text
from sqlalchemy.engine import Engine

from registry.audit import events as audit
from registry.audit.keys import AuditKey
from registry.db import session_scope
from registry.models import AuditEvent

KEEP = "keep"  # rechain: leave each event's MAC as it is


def tamper(engine: Engine, *statements: str) -> None:
    """Edit the database behind the registry's back, with the append-only triggers switched off."""
    with engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.execute(text("DROP TRIGGER IF EXISTS audit_events_no_update"))
            conn.execute(text("DROP TRIGGER IF EXISTS audit_events_no_delete"))
        else:
            conn.execute(text("ALTER TABLE audit_events DISABLE TRIGGER USER"))
        for statement in statements:
            conn.execute(text(statement))


def rechain(engine: Engine, macs: AuditKey | str | None = KEEP, since: int = 1) -> None:
    """Recompute every hash from event `since` on, so the hash chain verifies on its own again.

    `macs`: KEEP leaves the MACs (the attacker has no key), a key recomputes them (a stolen key),
    None removes them (a rewrite posing as events from before the key epoch).
    """
    with session_scope(engine) as s:
        events = s.scalars(select(AuditEvent).order_by(AuditEvent.seq)).all()
        rows, prev = [], audit.GENESIS
        for e in events:
            digest = audit.chain_hash(prev, audit.canonical(e.seq, e.at, e.actor, e.action, e.subject, e.old, e.new))
            mac = e.mac if macs == KEEP else macs.mac(e.seq, digest) if isinstance(macs, AuditKey) else None
            if e.seq >= since:
                rows.append((e.seq, prev, digest, "NULL" if mac is None else f"'{mac}'"))
            prev = digest
    tamper(engine, *[f"UPDATE audit_events SET prev_hash = '{p}', hash = '{h}', mac = {m} WHERE seq = {q}"
                     for q, p, h, m in rows])

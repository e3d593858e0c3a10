"""Pruning the outbox: finished deliveries and their attempts are kept for a retention period, then deleted.

A delivery is finished once delivered, cancelled (its webhook was removed) or failed for good; its
`finished_at` says when. Pending deliveries are never pruned, however old: they may still be sent.
A failed one is kept as long as the others, so the deliveries list shows why it failed until then.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from registry.models import WebhookAttempt, WebhookDelivery

DEFAULT_RETENTION = timedelta(days=90)
FINISHED = ("delivered", "cancelled", "failed")


def prune(session: Session, before: datetime) -> int:
    """Delete the deliveries finished before `before` and their attempts; how many deliveries (flushes)."""
    # A finished delivery is never written again (every update is guarded on status pending),
    # so a worker sending at the same time cannot touch what this deletes.
    old = select(WebhookDelivery.id).where(WebhookDelivery.status.in_(FINISHED), WebhookDelivery.finished_at < before)
    session.execute(delete(WebhookAttempt).where(WebhookAttempt.delivery_id.in_(old)))
    result = session.execute(delete(WebhookDelivery).where(WebhookDelivery.id.in_(old)))
    session.flush()
    return int(result.rowcount)  # type: ignore[attr-defined]

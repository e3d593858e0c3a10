"""The outbox: a webhook event becomes one delivery row per subscribed webhook, in the caller's transaction.

The row holds the exact body and the delivery id sent on every attempt, so a change that commits
has its deliveries, one that rolls back has none, and a retry is the same message under the same id.
"""
from __future__ import annotations

import json
import uuid
from collections.abc import Collection
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.models import Webhook, WebhookDelivery, utcnow


def _subscribed(session: Session, events: Collection[str]) -> list[Webhook]:
    """Live webhooks subscribed to any of `events` (the few webhooks there are, filtered here)."""
    hooks = session.scalars(select(Webhook).where(Webhook.removed_at.is_(None)).order_by(Webhook.id)).all()
    return [h for h in hooks if set(h.events) & set(events)]


def listened(session: Session, *events: str) -> set[str]:
    """Which of `events` some live webhook listens to, in one query (spare the work of describing the others)."""
    return {e for h in _subscribed(session, events) for e in h.events if e in events}


def emit(session: Session, event: str, data: dict[str, Any]) -> int:
    """Write the event's deliveries, one per subscribed webhook; how many (flushes, never commits)."""
    hooks = _subscribed(session, (event,))
    if not hooks:
        return 0
    now = utcnow()
    body = {"event": event, "id": str(uuid.uuid4()), "time": now.isoformat(timespec="seconds"), "data": data}
    text = json.dumps(body, ensure_ascii=False, default=str, separators=(",", ":"))
    session.add_all(WebhookDelivery(delivery_id=str(uuid.uuid4()), webhook_id=h.id, event=event, body=text,
                                    status="pending", attempts=0, created_at=now, next_attempt_at=now)
                    for h in hooks)
    session.flush()
    return len(hooks)

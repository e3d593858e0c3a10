"""Pruning the outbox: finished deliveries and their attempts are kept for a retention period, then deleted;
so are removed webhooks, once nothing of theirs is left.

A delivery is finished once delivered, cancelled (its webhook was removed) or failed for good; its
`finished_at` says when. Pending deliveries are never pruned, however old: they may still be sent.
A failed one is kept as long as the others, so the deliveries list shows why it failed until then.
A removed webhook's row is deleted once it was removed longer ago than the retention and its last
delivery is gone; its secret is forgotten as soon as it is removed. What an auditor needs stays in
the audit chain: who added it (URL, events) and who removed it, when (`webhook.add`, `webhook.remove`).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from registry.models import Webhook, WebhookAttempt, WebhookDelivery, utcnow

DEFAULT_RETENTION = timedelta(days=90)
FINISHED = ("delivered", "cancelled", "failed")


@dataclass(frozen=True)
class Pruned:
    """How many deliveries and removed webhooks one pruning deleted."""

    deliveries: int
    webhooks: int


def prune(session: Session, before: datetime) -> Pruned:
    """Delete the deliveries finished before `before` with their attempts, then the webhooks removed before it
    that have no delivery left (flushes)."""
    # A delivery written for a webhook as it was being removed (the writer read it live) is cancelled as
    # remove_webhook cancels the others: the worker never sends it, and it is pruned like them.
    session.execute(update(WebhookDelivery).where(WebhookDelivery.status == "pending",
                                                  WebhookDelivery.webhook_id.in_(
                                                      select(Webhook.id).where(Webhook.removed_at.is_not(None))))
                    .values(status="cancelled", finished_at=utcnow()))
    # A finished delivery is never written again (every update is guarded on status pending),
    # so a worker sending at the same time cannot touch what this deletes.
    old = select(WebhookDelivery.id).where(WebhookDelivery.status.in_(FINISHED), WebhookDelivery.finished_at < before)
    session.execute(delete(WebhookAttempt).where(WebhookAttempt.delivery_id.in_(old)))
    deliveries = session.execute(delete(WebhookDelivery).where(WebhookDelivery.id.in_(old)))
    session.execute(update(Webhook).where(Webhook.removed_at.is_not(None), Webhook.sealed_secret != "")
                    .values(sealed_secret=""))  # removed before secrets were forgotten at removal
    webhooks = session.execute(delete(Webhook).where(
        Webhook.removed_at < before, ~select(WebhookDelivery.id).where(WebhookDelivery.webhook_id == Webhook.id).exists()))
    session.flush()
    return Pruned(int(deliveries.rowcount), int(webhooks.rowcount))  # type: ignore[attr-defined]

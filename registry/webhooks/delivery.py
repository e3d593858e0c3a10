"""Sending the outbox (the worker's job): each due delivery is claimed, POSTed, and its attempt recorded.

A delivery is claimed by bumping its attempt count and pushing its next attempt a lease ahead in a
short transaction that must find the count it read, so two workers never send one delivery at
once; the POST happens outside any transaction. A 2xx is delivered; anything else (a status, a
refused connection, a timeout, a redirect, which is never followed) is tried again after 30 s,
1 min, 2 min, ... at most an hour, and after MAX_ATTEMPTS attempts it has failed for good. A
receiver at a private or loopback address is refused when connecting (destinations.py), a failed
attempt like any other. A crash
between the POST and its record sends it again after the lease: the same body under the same
X-Specreg-Delivery id, which is how a receiver recognises a repeat. The webhook's secret is opened
with this process's audit key just before the POST (sealing.py); one that does not open is a failed
attempt saying so, and nothing is sent.
"""
from __future__ import annotations

import hashlib
import hmac
import http.client
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from registry.audit.keys import AuditKey, current_key
from registry.db import session_scope
from registry.errors import ConfigError
from registry.ledger.refs import iso
from registry.models import Webhook, WebhookAttempt, WebhookDelivery, utcnow
from registry.webhooks.destinations import opener
from registry.webhooks.sealing import unseal

MAX_ATTEMPTS = 12
FIRST_RETRY = timedelta(seconds=30)
LONGEST_WAIT = timedelta(hours=1)
TIMEOUT = 10.0  # seconds for one POST
LEASE = timedelta(seconds=TIMEOUT * 6)  # a claimed delivery nobody recorded is free again after this
BATCH = 50  # deliveries sent per turn, so a backlog never holds up the worker's other jobs
BUDGET = 30.0  # seconds a turn goes on starting new POSTs (slow receivers must not hold up a sync or a stop)
USER_AGENT = "Specreg-Webhooks/1"


def signature(secret: str, body: bytes) -> str:
    """The X-Specreg-Signature-256 header's value: sha256=<hex HMAC-SHA256 of the body under the secret>."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def backoff(attempts: int) -> timedelta:
    """How long after its `attempts`-th failed attempt a delivery is tried again."""
    return min(FIRST_RETRY * 2 ** max(attempts - 1, 0), LONGEST_WAIT)


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a 3xx is the answer (a failure), never a second request elsewhere


_opener = opener(_NoRedirects())  # only to the addresses webhooks may reach (destinations.py)


@dataclass(frozen=True)
class Sent:
    """What one attempt got: an HTTP status, or the reason there was none."""

    status_code: int | None
    error: str | None
    duration_ms: int

    @property
    def ok(self) -> bool:
        """A 2xx answer."""
        return self.status_code is not None and 200 <= self.status_code < 300


def post(url: str, event: str, delivery_id: str, body: bytes, secret: str) -> Sent:
    """POST one delivery and say what came back."""
    request = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": "application/json", "User-Agent": USER_AGENT, "X-Specreg-Event": event,
        "X-Specreg-Delivery": delivery_id, "X-Specreg-Signature-256": signature(secret, body)})
    started = time.monotonic()
    status, error = None, None
    try:
        with _opener.open(request, timeout=TIMEOUT) as response:
            status = response.status
    except urllib.error.HTTPError as exc:
        status, error = exc.code, f"HTTP {exc.code} {exc.reason}"
    except (OSError, ValueError, http.client.HTTPException) as exc:
        # Refused, unreachable, timed out, cut off, or an answer that is not HTTP (a bad status line, a header
        # line too long): every one a failed attempt, never an exception that leaves the delivery unrecorded.
        error = str(getattr(exc, "reason", exc)) or type(exc).__name__
    return Sent(status, error, round((time.monotonic() - started) * 1000))


def _claim(session: Session, d: WebhookDelivery, now: datetime) -> bool:
    """Take the delivery for this worker (False: another took it since it was read)."""
    result = session.execute(update(WebhookDelivery)
                             .where(WebhookDelivery.id == d.id, WebhookDelivery.attempts == d.attempts,
                                    WebhookDelivery.status == "pending")
                             .values(attempts=d.attempts + 1, next_attempt_at=now + LEASE))
    return bool(result.rowcount)  # type: ignore[attr-defined]


def _record(session: Session, delivery_id: int, attempt: int, sent: Sent, now: datetime) -> None:
    session.add(WebhookAttempt(delivery_id=delivery_id, at=now, status_code=sent.status_code,
                               error=sent.error[:2000] if sent.error else None, duration_ms=sent.duration_ms))
    if sent.ok:
        values: dict[str, Any] = {"status": "delivered", "finished_at": now}
    elif attempt >= MAX_ATTEMPTS:
        values = {"status": "failed", "finished_at": now}
    else:
        values = {"next_attempt_at": now + backoff(attempt)}
    session.execute(update(WebhookDelivery).where(WebhookDelivery.id == delivery_id,
                                                  WebhookDelivery.status == "pending").values(**values))


def _key(key: AuditKey | None) -> AuditKey:
    if key is None:
        raise ConfigError("no audit key here to open the webhook's secret: set SPECREG_AUDIT_KEY (or the instance "
                          "folder's audit_key) to the key of the processes that add webhooks")
    return key


@dataclass
class Round:
    """What one turn of sending did."""

    delivered: int = 0
    failed: list[str] = field(default_factory=list)  # "delivery-id: reason" of each failed attempt

    def as_dict(self) -> dict[str, Any]:
        """{"delivered", "failed"} for the worker's outcome."""
        return {"delivered": self.delivered, "failed": self.failed}


def send_due(engine: Engine, now: datetime | None = None) -> Round:
    """Send the deliveries due at `now` (default: the current time), oldest first, for up to BUDGET seconds."""
    now, started = now or utcnow(), time.monotonic()
    key = current_key(create=False)  # only the key that sealed the secrets opens them: never a new one
    done = Round()
    with session_scope(engine) as session:
        due = session.execute(
            select(WebhookDelivery, Webhook).join(Webhook, Webhook.id == WebhookDelivery.webhook_id)
            .where(WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= now,
                   Webhook.removed_at.is_(None))  # a removed webhook's straggler: retention.py cancels it
            .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id).limit(BATCH)).all()
    for delivery, hook in due:
        if (done.delivered or done.failed) and time.monotonic() - started > BUDGET:
            break  # the rest stay due: the next turn sends them (each turn sends one at least)
        with session_scope(engine, write=True) as session:
            if not _claim(session, delivery, now):
                continue
        try:
            secret = unseal(_key(key), hook.id, hook.sealed_secret)
        except ConfigError as exc:  # no audit key here, or not the one that sealed it: a failed attempt saying so
            sent = Sent(None, exc.message, 0)
        else:
            sent = post(hook.url, delivery.event, delivery.delivery_id, delivery.body.encode("utf-8"), secret)
        with session_scope(engine, write=True) as session:
            _record(session, delivery.id, delivery.attempts + 1, sent, now)
        if sent.ok:
            done.delivered += 1
        else:
            done.failed.append(f"{delivery.delivery_id}: {sent.error}")
    return done


@dataclass(frozen=True)
class AttemptView:
    """One attempt as the deliveries list shows it."""

    at: datetime
    status_code: int | None
    error: str | None
    duration_ms: int

    def as_dict(self) -> dict[str, Any]:
        """{"at", "status_code", "error", "duration_ms"}."""
        return {"at": iso(self.at), "status_code": self.status_code, "error": self.error,
                "duration_ms": self.duration_ms}


@dataclass(frozen=True)
class DeliveryView:
    """A delivery with its attempts, newest deliveries first in lists."""

    id: str
    webhook: int
    url: str
    event: str
    status: str
    created_at: datetime
    next_attempt_at: datetime | None
    attempts: list[AttemptView]

    @property
    def failing(self) -> bool:
        """Failed for good, or its last attempt failed (a retry may still come)."""
        return self.status == "failed" or (self.status == "pending" and bool(self.attempts)
                                           and (self.attempts[-1].status_code or 0) // 100 != 2)

    def as_dict(self) -> dict[str, Any]:
        """The `specreg webhook deliveries --json` item."""
        return {"id": self.id, "webhook": self.webhook, "url": self.url, "event": self.event,
                "status": self.status, "created_at": iso(self.created_at),
                "next_attempt_at": iso(self.next_attempt_at), "attempts": [a.as_dict() for a in self.attempts]}


def deliveries(session: Session, failed: bool = False, limit: int = 100) -> list[DeliveryView]:
    """The latest deliveries (newest first) with every attempt; `failed`: only those failing or failed."""
    rows = session.execute(select(WebhookDelivery, Webhook.url).join(Webhook, Webhook.id == WebhookDelivery.webhook_id)
                           .order_by(WebhookDelivery.id.desc()).limit(limit if not failed else limit * 10)).all()
    attempts: dict[int, list[AttemptView]] = {}
    ids = [d.id for d, _url in rows]
    for a in session.scalars(select(WebhookAttempt).where(WebhookAttempt.delivery_id.in_(ids))
                             .order_by(WebhookAttempt.id)) if ids else ():
        attempts.setdefault(a.delivery_id, []).append(AttemptView(a.at, a.status_code, a.error, a.duration_ms))
    views = [DeliveryView(d.delivery_id, d.webhook_id, url, d.event, d.status, d.created_at,
                          d.next_attempt_at if d.status == "pending" else None, attempts.get(d.id, []))
             for d, url in rows]
    return [v for v in views if v.failing][:limit] if failed else views

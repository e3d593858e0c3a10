"""Admins add, list and remove webhooks; each change is audited, and a secret is never read back out.

A webhook URL must be http or https with a host: anything else (file:, a bare path) is refused so
the worker never opens what is not a web request, and a host that is a private, loopback or
link-local address is refused unless SPECREG_WEBHOOK_ALLOW_PRIVATE=1 (destinations.py; the worker
checks again, against what the name resolves to, when it connects). The secret signs every delivery; when none is
given one is made and handed back once, at creation. It is stored sealed under the audit key (sealing.py).
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from registry import limits
from registry.accounts.actors import Actor, require_role
from registry.audit import events as audit
from registry.audit.keys import current_key
from registry.errors import BadRequest, NotFound
from registry.ledger.refs import iso
from registry.models import Webhook, WebhookDelivery, utcnow
from registry.webhooks.destinations import refusal
from registry.webhooks.events import parse_events
from registry.webhooks.sealing import set_secret

MAX_URL = 2000
MIN_SECRET, MAX_SECRET = 16, 200


@dataclass(frozen=True)
class WebhookView:
    """A webhook as lists show it: never its secret."""

    id: int
    url: str
    events: list[str]
    created_by: str
    created_at: datetime

    def as_dict(self) -> dict[str, Any]:
        """The `specreg webhook list --json` item."""
        return {"id": self.id, "url": self.url, "events": self.events, "created_by": self.created_by,
                "created_at": iso(self.created_at)}


def manager(actor: Actor | None) -> Actor:
    """Who manages webhooks (the CLI, the admin page): admins."""
    return require_role(actor, "admin", "manage webhooks")


def check_url(url: str) -> str:
    """The URL when it is http(s) with a host and fits; BadRequest saying what is wrong otherwise."""
    url = limits.check_text("url", url.strip(), MAX_URL)
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https"):
        raise BadRequest(f"a webhook URL must start with http:// or https://, not {parts.scheme or 'no scheme'}:")
    if not parts.hostname or any(c.isspace() or ord(c) < 32 for c in url):
        raise BadRequest("a webhook URL needs a host and no spaces, e.g. https://ci.example.org/specreg")
    why = refusal(parts.hostname)
    if why:
        raise BadRequest(f"a webhook URL may not point inside this network: {why}")
    if parts.username is not None or parts.password is not None:
        # Lists, the page, the flash message and the audit trail (forever) show the URL: no credentials in it.
        raise BadRequest("a webhook URL may not carry a user or password (lists and the audit trail show the URL); "
                         "the receiver checks X-Specreg-Signature-256 with the webhook's secret instead")
    return url


def _check_secret(secret: str) -> str:
    secret = limits.check_text("secret", secret.strip(), MAX_SECRET)
    if len(secret) < MIN_SECRET:
        raise BadRequest(f"a webhook secret needs at least {MIN_SECRET} characters")
    return secret


def _view(h: Webhook) -> WebhookView:
    return WebhookView(h.id, h.url, list(h.events), h.created_by, h.created_at)


def add_webhook(session: Session, actor: Actor | None, url: str, events: str,
                secret: str | None = None) -> tuple[WebhookView, str | None]:
    """Subscribe a URL to events; (the webhook, the secret made for it when none was given, shown once)."""
    actor = manager(actor)
    url, names = check_url(url), parse_events(events)
    signing = _check_secret(secret) if secret else secrets.token_urlsafe(32)
    key = current_key()  # made when none is configured, as for any audited change
    assert key is not None
    row = Webhook(url=url, events=names, created_by=actor.email, created_at=utcnow())
    set_secret(session, key, row, signing)
    audit.record(session, actor.email, "webhook.add", f"webhook:{row.id}", None,
                 {"url": url, "events": names, "secret": "given" if secret else "made"})
    return _view(row), None if secret else signing


def list_webhooks(session: Session) -> list[WebhookView]:
    """The live webhooks, oldest first (the edge asks `manager` first: admins only on the web)."""
    return [_view(h) for h in session.scalars(select(Webhook).where(Webhook.removed_at.is_(None))
                                              .order_by(Webhook.id))]


def remove_webhook(session: Session, actor: Actor | None, webhook_id: int) -> WebhookView:
    """Stop a webhook: nothing more is written for it, its unsent deliveries are cancelled, its secret forgotten."""
    actor = manager(actor)
    row = session.get(Webhook, webhook_id)
    if row is None or row.removed_at is not None:
        raise NotFound(f"no webhook {webhook_id} (see `specreg webhook list`)")
    row.removed_at = utcnow()
    row.sealed_secret = ""  # nothing is signed with it again: no copy of it is kept (retention.py prunes the row)
    session.execute(update(WebhookDelivery).where(WebhookDelivery.webhook_id == row.id,
                                                  WebhookDelivery.status == "pending")
                    .values(status="cancelled", finished_at=row.removed_at))
    session.flush()
    audit.record(session, actor.email, "webhook.remove", f"webhook:{row.id}", {"url": row.url, "events": row.events})
    return _view(row)

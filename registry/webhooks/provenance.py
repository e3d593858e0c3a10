"""Every webhook is what the audit chain recorded: added by `webhook.add` with its URL and events, removed only by
`webhook.remove`, and present until it was removed (only a removed one is pruned).

A webhook row inserted or edited with SQL would send every event it names (proposal texts, findings)
to a receiver nobody subscribed, and one marked removed behind the registry's back silences a
receiver that relies on it; `specreg verify` names each (check `webhook`). The secret is not in the
chain (it would be readable there), but it is sealed under the audit key for its webhook
(sealing.py): one written with SQL, or copied from another webhook's row, does not open, and is named.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.audit.events import Finding, by_subject
from registry.audit.keys import AuditKey
from registry.models import AuditEvent, Webhook
from registry.webhooks.sealing import SecretUnreadable, unseal


def _opens(key: AuditKey, hook: Webhook) -> bool:
    try:
        unseal(key, hook.id, hook.sealed_secret)
    except SecretUnreadable:
        return False
    return True


def _missing(events: dict[str, list[AuditEvent]], present: set[str]) -> list[Finding]:
    """The webhooks the chain added and never removed that have no row (a removed one's row is pruned: retention.py)."""
    findings = []
    for subject, mine in events.items():  # in the order they were added
        if subject not in present and not any(e.action == "webhook.remove" for e in mine):
            added = next((e.new for e in mine if e.action == "webhook.add" and isinstance(e.new, dict)), {})
            findings.append(Finding("webhook", subject.replace(":", " "), f"was added (to {added.get('url')}) and never "
                                    "removed, but is not in the database (deleted behind the registry's back)"))
    return findings


def check_webhooks(session: Session, key: AuditKey | None) -> list[Finding]:
    """Each webhook against its `webhook.add` and `webhook.remove` events, and its sealed secret (check `webhook`)."""
    events = by_subject(session, "webhook:", ("webhook.add", "webhook.remove"))
    hooks = session.scalars(select(Webhook).order_by(Webhook.id)).all()
    findings = _missing(events, {f"webhook:{h.id}" for h in hooks})
    for hook in hooks:
        mine = events.get(f"webhook:{hook.id}", [])
        added = [e.new for e in mine if e.action == "webhook.add" and isinstance(e.new, dict)]
        removed = any(e.action == "webhook.remove" for e in mine)
        where = f"webhook {hook.id}"
        if not added:
            findings.append(Finding("webhook", where, f"sends to {hook.url}, but no audit event added it "
                                                      "(inserted behind the registry's back)"))
            continue
        if added[-1].get("url") != hook.url or list(added[-1].get("events") or []) != list(hook.events):
            findings.append(Finding("webhook", where, f"sends {', '.join(hook.events)} to {hook.url} in the database, "
                                                      f"but its webhook.add event says {', '.join(added[-1].get('events') or [])} "
                                                      f"to {added[-1].get('url')}"))
        if key is not None and hook.removed_at is None and not _opens(key, hook):
            findings.append(Finding("webhook", where, "its secret does not open under the audit key: written with SQL "
                                                      "or under another key, so its deliveries cannot be signed"))
        if removed != (hook.removed_at is not None):
            findings.append(Finding("webhook", where, "is removed in the database, but no audit event removed it"
                                    if hook.removed_at is not None else
                                    "is live in the database, but a webhook.remove event removed it"))
    return findings

"""Push notifications seen: each one the hook accepts is remembered for WINDOW, and sending it again is refused.

GitHub and Gitea sign only the body (X-Hub-Signature-256); their delivery id headers (X-GitHub-Delivery,
X-Gitea-Delivery, GitLab's X-Gitlab-Event-UUID) are not signed, so whoever captured a request can
send it again under a new id. A signed notification is therefore named by its body's digest as well
as by its delivery id, and either seen before is a replay. GitHub's push body also carries the push's
time (`repository.pushed_at`, signed with it): older than WINDOW, it is refused even after its digest
was forgotten. GitLab signs nothing (its token is the credential itself), so there only the
delivery id counts. The names live in the database, so every host answering the hook refuses what
another accepted; rows older than WINDOW are deleted as new ones are written.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from registry.errors import ReplayedNotification
from registry.models import PushNotification

WINDOW = timedelta(days=7)


def names(signed_body: bytes | None, host: str, delivery: str) -> list[str]:
    """What names a notification: its signed body's digest (None: not signed) and the host's delivery id, hashed."""
    found = []
    if signed_body is not None:
        found.append(hashlib.sha256(b"body\0" + signed_body).hexdigest())
    if delivery:
        found.append(hashlib.sha256(f"delivery\0{host}\0{delivery}".encode()).hexdigest())
    return found


def _body_json(body: bytes) -> Any:
    """The body as JSON: sent as JSON, or form-encoded with the JSON in `payload` (GitHub's other content type)."""
    text = body.decode("utf-8", "replace")
    if not text.lstrip().startswith("{"):
        text = (parse_qs(text).get("payload") or [""])[0]
    try:
        return json.loads(text)
    except ValueError:
        return None


def pushed_at(body: bytes) -> datetime | None:
    """When the push happened, as a GitHub push body says (`repository.pushed_at`, seconds since the epoch)."""
    doc = _body_json(body)
    repo = doc.get("repository") if isinstance(doc, dict) else None
    when = repo.get("pushed_at") if isinstance(repo, dict) else None
    if isinstance(when, bool) or not isinstance(when, int | float):
        return None  # another host, another event, or GitHub's ISO text outside push events: no signed time here
    try:
        return datetime.fromtimestamp(when, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def remember(session: Session, signed_body: bytes | None, keys: Iterable[str], now: datetime) -> None:
    """Record an accepted notification's names; ReplayedNotification when one was seen within WINDOW (flushes)."""
    if signed_body is not None:
        when = pushed_at(signed_body)
        if when is not None and when < now - WINDOW:
            raise ReplayedNotification(f"this push notification is from {when.isoformat(timespec='seconds')}, more "
                                       f"than {WINDOW.days} days ago: a replay, refused (a new push sends a new one)")
    session.execute(delete(PushNotification).where(PushNotification.received_at < now - WINDOW))
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    for key in keys:
        # Two hosts taking the same replay at once: the second waits on the first's row, then inserts nothing.
        # RETURNING says whether it inserted: psycopg reports a rowcount of -1 for ON CONFLICT DO NOTHING.
        inserted = session.scalar(dialect.insert(PushNotification).values(key=key, received_at=now)
                                  .on_conflict_do_nothing(index_elements=[PushNotification.key])
                                  .returning(PushNotification.key))
        if inserted is None:
            raise ReplayedNotification(f"this push notification (its signed body or its delivery id) was accepted "
                                       f"already, within the last {WINDOW.days} days: a replay, refused")
    session.flush()

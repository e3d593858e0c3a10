"""The login throttle's database side: failed password checks, counted per email and per client, one at a time.

Failures are kept in `login_failures` only while they can count (pruned as they age out), for unknown
emails too, so a refusal looks the same whether or not the account exists. Both password checks
count here: logging in (registry.accounts.logins) and the current password asked to change it.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import SQLColumnExpression, delete, select
from sqlalchemy.orm import Session

from registry.accounts.throttle import PER_CLIENT, PER_EMAIL, retry_after
from registry.errors import TooManyAttempts
from registry.models import LoginFailure
from registry.transaction.locks import lock_value


def _failures(session: Session, column: SQLColumnExpression[str], value: str, now: datetime) -> list[datetime]:
    since = now - max(PER_EMAIL.window, PER_CLIENT.window)
    return list(session.scalars(select(LoginFailure.at).where(column == value, LoginFailure.at > since)))


def refuse_if_throttled(session: Session, email: str, client: str, now: datetime) -> None:
    """TooManyAttempts while the email (or the client, when known) has too many recent failures.

    Takes the email's and then the client's lock first (the lock order in registry.transaction.locks), held until the
    transaction ends: checks at once would all count the failures before any of them was recorded.
    """
    lock_value(session, "login email", email)
    if client:
        lock_value(session, "login client", client)
    waits = [retry_after(_failures(session, LoginFailure.email, email, now), now, PER_EMAIL)]
    if client:
        waits.append(retry_after(_failures(session, LoginFailure.client, client, now), now, PER_CLIENT))
    longest = max((w for w in waits if w is not None), default=None)
    if longest is not None:
        raise TooManyAttempts(longest)


def record_failure(session: Session, email: str, client: str, now: datetime) -> None:
    """Count one failed password check (and forget those too old to count)."""
    stale = now - max(PER_EMAIL.window, PER_CLIENT.window)
    session.execute(delete(LoginFailure).where(LoginFailure.at <= stale))
    session.add(LoginFailure(email=email, client=client, at=now))
    session.flush()

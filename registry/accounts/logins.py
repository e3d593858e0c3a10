"""Use case: log in with a password, refused for a while after repeated failures for the email or the client.

Failures are counted in `login_failures` (pruned as they age out), for unknown emails too, so a
refusal looks the same whether or not the account exists. API tokens and single sign-on never pass here.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import SQLColumnExpression, delete, select
from sqlalchemy.orm import Session

from registry.accounts.actors import Actor, normalize_email
from registry.accounts.throttle import PER_CLIENT, PER_EMAIL, retry_after
from registry.accounts.users import authenticate
from registry.db import lock_value
from registry.errors import TooManyAttempts
from registry.models import LoginFailure, utcnow

MAX_EMAIL = 320  # no account has a longer one (people.email); longer input is a plain failure


def _failures(session: Session, column: SQLColumnExpression[str], value: str, now: datetime) -> list[datetime]:
    since = now - max(PER_EMAIL.window, PER_CLIENT.window)
    return list(session.scalars(select(LoginFailure.at).where(column == value, LoginFailure.at > since)))


def _refuse_if_throttled(session: Session, email: str, client: str, now: datetime) -> None:
    waits = [retry_after(_failures(session, LoginFailure.email, email, now), now, PER_EMAIL)]
    if client:
        waits.append(retry_after(_failures(session, LoginFailure.client, client, now), now, PER_CLIENT))
    longest = max((w for w in waits if w is not None), default=None)
    if longest is not None:
        raise TooManyAttempts(longest)


def _record_failure(session: Session, email: str, client: str, now: datetime) -> None:
    stale = now - max(PER_EMAIL.window, PER_CLIENT.window)
    session.execute(delete(LoginFailure).where(LoginFailure.at <= stale))
    session.add(LoginFailure(email=email, client=client, at=now))
    session.flush()


def log_in(session: Session, email: str, password: str, client: str, now: datetime | None = None) -> Actor | None:
    """The account for a correct email and password, else None; TooManyAttempts while throttled."""
    now, email, client = now or utcnow(), normalize_email(email), client[:64]
    if len(email) > MAX_EMAIL:
        return None
    # Attempts at once would all count the failures before any was recorded: one at a time per
    # email and per client (the lock order in registry.db), until the transaction ends.
    lock_value(session, "login email", email)
    if client:
        lock_value(session, "login client", client)
    _refuse_if_throttled(session, email, client, now)
    actor = authenticate(session, email, password)
    if actor is None:
        _record_failure(session, email, client, now)
    return actor

"""Use case: log in with a password, refused for a while after repeated failures for the email or the client.

Failures are counted by registry.accounts.failures, for unknown emails too, so a refusal looks the
same whether or not the account exists. API tokens and single sign-on never pass here.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from registry.accounts import failures
from registry.accounts.actors import Actor, normalize_email
from registry.accounts.users import authenticate
from registry.models import utcnow

MAX_EMAIL = 320  # no account has a longer one (people.email); longer input is a plain failure


def log_in(session: Session, email: str, password: str, client: str, now: datetime | None = None) -> Actor | None:
    """The account for a correct email and password, else None; TooManyAttempts while throttled."""
    now, email, client = now or utcnow(), normalize_email(email), client[:64]
    if len(email) > MAX_EMAIL:
        return None
    failures.refuse_if_throttled(session, email, client, now)  # one attempt at a time per email and client
    actor = authenticate(session, email, password)
    if actor is None:
        failures.record_failure(session, email, client, now)
    return actor

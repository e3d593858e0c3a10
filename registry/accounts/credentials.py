"""Use cases for credentials: API tokens and server-side login sessions, both stored only as hashes.

A token or a session key is shown once (to the CLI user, or set in a signed cookie) and kept as its
sha256, so the database never holds anything a thief could replay; revoking one is a row update.
A token has a scope: `full` acts as its account everywhere, `checks` may only report checks (an
evaluation harness holds it). `actor_for_token` is the one place a token's scope is enforced: the
caller says which scope the request needs, and a token without it is refused.
"""
from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.accounts import permissions
from registry.accounts.actors import Actor, normalize_email
from registry.accounts.users import actor_by_id, find_account, secret_digest
from registry.audit import events as audit
from registry.errors import BadRequest, Forbidden, InsufficientScope, NotFound, Unauthorized
from registry.ledger.refs import iso
from registry.models import TOKEN_SCOPES, ApiToken, LoginSession, utcnow

TOKEN_PREFIX = "srg_"
SESSION_LIFETIME = timedelta(hours=12)
FULL, CHECKS = TOKEN_SCOPES  # every request needs `full`, except reporting a check, which needs `checks`


def scope_allows(scope: str, needed: str) -> bool:
    """Whether a token of this scope may make a request that needs `needed` (a full token may do anything)."""
    return scope in (FULL, needed)


def create_token(session: Session, actor: Actor | None, email: str, name: str = "",
                 scope: str = FULL) -> tuple[str, ApiToken]:
    """A new token for an account (your own, or anyone's as an admin); the plaintext is returned once."""
    if scope not in TOKEN_SCOPES:
        raise BadRequest(f"unknown token scope {scope!r}; one of {', '.join(TOKEN_SCOPES)}")
    if actor is None:
        raise Unauthorized("say who is acting (--as EMAIL or SPECREG_TOKEN) to create a token")
    if normalize_email(email) != actor.email and not actor.at_least("admin"):
        raise Forbidden("only admins create tokens for other people")
    person, account = find_account(session, email)
    if account.disabled_at is not None:
        raise Forbidden(f"the account {person.email} is disabled")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(person_id=person.id, token_hash=secret_digest(secret), prefix=secret[:12], name=name.strip(),
                   scope=scope)
    session.add(row)
    session.flush()
    audit.record(session, actor.email, "token.create", f"token:{row.id}", None,
                 {"user": person.email, "prefix": row.prefix, "name": row.name, "scope": row.scope})
    return secret, row


def revoke_token(session: Session, actor: Actor | None, token_id: int) -> ApiToken:
    """Revoke a token: your own, or anyone's as an admin."""
    row = session.get(ApiToken, token_id)
    if row is None:
        raise NotFound(f"no token has the id {token_id}")
    if actor is None or (row.person_id != actor.person_id and not actor.at_least("admin")):
        raise Forbidden("only admins revoke other people's tokens")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        session.flush()
        audit.record(session, actor.email, "token.revoke", f"token:{row.id}", None, {"prefix": row.prefix})
    return row


def list_tokens(session: Session, actor: Actor, email: str | None = None) -> list[dict[str, object]]:
    """Tokens of an account (default: your own), never their secrets."""
    email = normalize_email(email or actor.email)
    if email != actor.email and not actor.at_least("admin"):
        raise Forbidden("only admins list other people's tokens")
    person, _account = find_account(session, email)
    rows = session.scalars(select(ApiToken).where(ApiToken.person_id == person.id).order_by(ApiToken.id))
    return [{"id": t.id, "prefix": t.prefix, "name": t.name, "scope": t.scope, "created_at": iso(t.created_at),
             "revoked_at": iso(t.revoked_at)} for t in rows]


def actor_for_token(session: Session, secret: str, needed: str = FULL) -> Actor:
    """The account behind a bearer token, for a request that needs the scope `needed`; Unauthorized for
    an unknown, revoked or disabled one, InsufficientScope for a token whose scope does not cover it."""
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == secret_digest(secret.strip())))
    if row is None or row.revoked_at is not None:
        raise Unauthorized("unknown or revoked API token")
    actor = actor_by_id(session, row.person_id)
    if actor is None:
        raise Unauthorized("the token's account is disabled")
    if not scope_allows(row.scope, needed):
        raise InsufficientScope(f"this API token ({row.prefix}...) has the {row.scope} scope: it may only report "
                                "checks (POST /api/v1/proposals/N/checks, `specreg check`); use a full token")
    return actor


def start_session(session: Session, actor: Actor, lifetime: timedelta = SESSION_LIFETIME) -> str:
    """A new login session for the actor; returns the key the browser keeps."""
    key = secrets.token_urlsafe(32)
    session.add(LoginSession(key_hash=secret_digest(key), person_id=actor.person_id, expires_at=utcnow() + lifetime))
    session.flush()
    return key


def actor_for_session(session: Session, key: str) -> Actor | None:
    """The account a live (unexpired, unrevoked) session key belongs to, or None."""
    row = session.scalar(select(LoginSession).where(LoginSession.key_hash == secret_digest(key)))
    if row is None or row.revoked_at is not None or row.expires_at <= utcnow():
        return None
    return actor_by_id(session, row.person_id)


def end_session(session: Session, key: str) -> None:
    """Log out: revoke this session."""
    row = session.scalar(select(LoginSession).where(LoginSession.key_hash == secret_digest(key)))
    if row is not None and row.revoked_at is None:
        row.revoked_at = utcnow()
        session.flush()
        actor = actor_by_id(session, row.person_id)
        audit.record(session, actor.email if actor else "unknown", "session.logout", f"session:{row.id}")


def revoke_sessions(session: Session, actor: Actor | None, email: str) -> int:
    """Revoke every live session of an account (yours, or anyone's as an admin); returns how many."""
    actor = permissions.revoke_sessions(actor, normalize_email(email))
    person, _account = find_account(session, email)
    rows = list(session.scalars(select(LoginSession).where(
        LoginSession.person_id == person.id, LoginSession.revoked_at.is_(None), LoginSession.expires_at > utcnow())))
    for row in rows:
        row.revoked_at = utcnow()
    session.flush()
    audit.record(session, actor.email, "session.revoke", f"user:{person.email}", None, {"sessions": len(rows)})
    return len(rows)

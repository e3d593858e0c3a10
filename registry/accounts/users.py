"""Use cases for accounts: users with roles and passwords, built on the people owners already know.

Roles are viewer (reads and comments), editor (also proposes) and admin (also manages users,
dismisses vetoes, assigns owners). Approving is not a role: it follows ownership (see
registry.proposals.verdict). A person with an account is active while the account is enabled; OWNERS.toml
only (de)activates people without one (registry.owners.recorder).
"""
from __future__ import annotations

import hashlib
from functools import cache

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from registry import signals
from registry.accounts import failures, permissions
from registry.accounts.actors import Actor, normalize_email
from registry.audit import events as audit
from registry.errors import BadRequest, Conflict, Unauthorized, UnknownUser, WrongPassword
from registry.ledger.refs import iso
from registry.models import ROLES, Account, ApiToken, LoginSession, Person, utcnow
from registry.person_ident import check_identity

MIN_PASSWORD = 8


# werkzeug.security is imported where a password is hashed or checked: importing it imports werkzeug's
# package, its development server and test client with it (~25 ms), which every command that loads the
# proposal workflow paid, ingest's merge watcher included. Module-level names, so a test can swap them.
def generate_password_hash(password: str) -> str:
    """A salted hash of `password` (werkzeug's default method and cost)."""
    from werkzeug.security import generate_password_hash as make

    return make(password)


def check_password_hash(pwhash: str, password: str) -> bool:
    """Whether `password` matches the hash."""
    from werkzeug.security import check_password_hash as check

    return check(pwhash, password)


@cache
def _dummy_hash() -> str:
    """A hash of nobody's password, made like real ones; made on the first login, not at import."""
    return generate_password_hash("not a password of anyone")


def _person(session: Session, email: str) -> Person | None:
    return session.scalar(select(Person).where(func.lower(Person.email) == normalize_email(email)))


def _actor(person: Person, account: Account) -> Actor:
    return Actor(person.id, person.email, person.name, account.role)


def _with_account(session: Session, email: str) -> tuple[Person, Account] | None:
    """The person with this email and their account; None when there is no such account."""
    person = _person(session, email)
    account = session.get(Account, person.id) if person is not None else None
    return (person, account) if person is not None and account is not None else None


def actor_for(session: Session, email: str) -> Actor:
    """The enabled account with this email (the CLI's --as)."""
    found = _with_account(session, email)
    if found is None:
        raise UnknownUser(f"no account has the email {email!r}; an admin adds it with `specreg user add`")
    person, account = found
    if account.disabled_at is not None:
        raise Unauthorized(f"the account {person.email} is disabled")
    return _actor(person, account)


def actor_by_id(session: Session, person_id: int) -> Actor | None:
    """The enabled account of a person, or None."""
    account = session.get(Account, person_id)
    if account is None or account.disabled_at is not None:
        return None
    return _actor(session.get_one(Person, person_id), account)


def _enabled_admins(session: Session, lock: bool = False) -> int:
    """How many enabled admins there are; `lock` holds their rows until the transaction ends.

    Two admins demoting or disabling each other at once would each see the other still enabled: with
    the rows locked (the lock order in registry.transaction.locks) the second one waits and then counts again.
    """
    admins = select(Account.person_id).where(Account.role == "admin", Account.disabled_at.is_(None))
    if lock:
        return len(session.scalars(admins.with_for_update()).all())
    return session.execute(select(func.count()).select_from(admins.subquery())).scalar_one()


def has_admin(session: Session) -> bool:
    """True once any enabled admin account exists (before that, the first admin may be created freely)."""
    return _enabled_admins(session) > 0


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise BadRequest(f"a password needs at least {MIN_PASSWORD} characters")


def _check_email(email: str) -> None:
    local, at, domain = email.partition("@")
    if not at or not local or not domain or "@" in domain:
        raise BadRequest(f"{email!r} is not an email address (name@domain)")


def _facts(email: str, account: Account, admins: int) -> permissions.AccountFacts:
    enabled = account.disabled_at is None
    return permissions.AccountFacts(email, account.role, enabled, account.role == "admin" and enabled and admins <= 1)


def account_facts(session: Session, email: str, lock: bool = False) -> permissions.AccountFacts:
    """What the account rules read about one account (an email without an account: no role).

    `lock`: for a change that must leave an enabled admin, counted under the admins' row locks.
    """
    admins = _enabled_admins(session, lock)
    found = _with_account(session, email)
    if found is None:
        return permissions.AccountFacts(email, None, False, False)
    if lock:
        session.refresh(found[1])  # as the lock left it, not as this session first read it
    return _facts(found[0].email, found[1], admins)


def all_account_facts(session: Session) -> dict[str, permissions.AccountFacts]:
    """The same for every account, by email (for the Users page)."""
    admins = _enabled_admins(session)
    rows = session.execute(select(Person.email, Account).join(Account, Account.person_id == Person.id))
    return {email: _facts(email, account, admins) for email, account in rows}


def add_user(session: Session, actor: Actor | None, email: str, name: str, role: str = "viewer",
             password: str | None = None, *, bootstrap: bool = False) -> Actor:
    """Create an account (and the person, when owners have not named them yet); admins only.

    `bootstrap` (the command line only: whoever runs it can write the database) lets nobody create
    the first admin of an instance that has no enabled admin.
    """
    permissions.add_user(actor, role, has_admin(session), bootstrap)
    if role not in ROLES:
        raise BadRequest(f"unknown role {role!r}; one of {', '.join(ROLES)}")
    email = normalize_email(email)
    if not name.strip():
        raise BadRequest("give the person's name")
    _check_email(email)
    check_identity(name.strip(), email)
    if password is not None:  # checked before anything is written
        _check_password(password)
    person = _person(session, email)
    if person is None:
        person = Person(email=email, name=name.strip(), active=True)
        session.add(person)
        session.flush()
    elif session.get(Account, person.id) is not None:
        raise Conflict(f"{email} already has an account")
    person.active = True  # an account holder's activity follows the account, not OWNERS.toml
    # A password an admin chose is theirs too: the holder's approvals count once they set their own.
    session.add(Account(person_id=person.id, role=role,
                        password_hash=generate_password_hash(password) if password else None,
                        password_set_by_id=actor.person_id if password and actor is not None else None))
    session.flush()
    audit.record(session, actor.email if actor else email, "user.create", f"user:{email}",
                 None, {"name": person.name, "role": role, "password": password is not None})
    if role == "admin":  # a new admin approves clauses nobody owns
        signals.publish(session, signals.ApproversChanged(actor.email if actor else email))
    return Actor(person.id, person.email, person.name, role)


def find_account(session: Session, email: str) -> tuple[Person, Account]:
    """The person and account with this email; UnknownUser when there is no account."""
    found = _with_account(session, email)
    if found is None:
        raise UnknownUser(f"no account has the email {email!r}")
    return found


def set_role(session: Session, actor: Actor | None, email: str, role: str) -> Actor:
    """Change someone's role; admins only."""
    actor = permissions.set_role(actor, account_facts(session, email, lock=True), role)
    person, account = find_account(session, email)
    old, account.role = account.role, role
    session.flush()
    audit.record(session, actor.email, "user.role", f"user:{person.email}", {"role": old}, {"role": role})
    if (old == "admin") != (role == "admin"):
        # admins approve clauses nobody owns; other roles approve nothing
        signals.publish(session, signals.ApproversChanged(actor.email))
    return _actor(person, account)


def secret_digest(secret: str) -> str:
    """What is stored of an API token or a login session key: its sha256 (the secret itself never is)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def _revoke_credentials(session: Session, person_id: int, keep_session: str | None = None) -> dict[str, int]:
    """Revoke an account's live API tokens and login sessions (but the one whose key is `keep_session`)."""
    now, kept = utcnow(), secret_digest(keep_session) if keep_session else None
    tokens = list(session.scalars(select(ApiToken).where(ApiToken.person_id == person_id,
                                                         ApiToken.revoked_at.is_(None))))
    logins = [row for row in session.scalars(select(LoginSession).where(
        LoginSession.person_id == person_id, LoginSession.revoked_at.is_(None))) if row.key_hash != kept]
    rows: list[ApiToken | LoginSession] = [*tokens, *logins]
    for row in rows:
        row.revoked_at = now
    session.flush()
    return {"tokens": len(tokens), "sessions": len(logins)}


def _check_current_password(session: Session, person: Person, account: Account, current: str | None) -> None:
    """Changing your own password proves you know the current one (a borrowed session or token does not).

    A wrong one counts as a failed password check for the email, like a failed login, and the same
    throttle refuses further checks (TooManyAttempts) for a while.
    """
    if account.password_hash is None:
        return  # nothing to prove: single sign-on or tokens only until now
    if not current:
        raise BadRequest("give your current password to change it")
    now = utcnow()
    failures.refuse_if_throttled(session, person.email, "", now)
    if not check_password_hash(account.password_hash, current):
        failures.record_failure(session, person.email, "", now)
        audit.record(session, person.email, "session.login_failed", f"user:{person.email}", None,
                     {"reason": "wrong current password"})
        raise WrongPassword("the current password is not right")


def set_password(session: Session, actor: Actor | None, email: str, password: str, current: str | None = None,
                 keep_session: str | None = None) -> None:
    """Set a password: your own (with the current one), or anyone's as an admin.

    Whoever knew the old password may have logged in or made tokens with it: every API token of the
    account and every login session but `keep_session` (the browser that made the change) is revoked.
    """
    actor = permissions.set_password(actor, normalize_email(email))
    _check_password(password)
    person, account = find_account(session, email)
    before = account.password_set_by_id
    if person.id == actor.person_id:
        _check_current_password(session, person, account, current)
    account.password_hash = generate_password_hash(password)
    # Someone else's choice until the holder sets their own (separation of duties, proposals/approval_rules.py).
    account.password_set_by_id = None if actor.person_id == person.id else actor.person_id
    session.flush()
    revoked = _revoke_credentials(session, person.id, keep_session)
    audit.record(session, actor.email, "user.password", f"user:{person.email}", None, {"revoked": revoked})
    if account.password_set_by_id != before:  # their approvals start or stop counting
        signals.publish(session, signals.ApproversChanged(actor.email))


def passwords_set_by_others(session: Session) -> dict[str, str]:
    """Accounts whose current password someone else set, by email: the email of who set it."""
    setter = aliased(Person)
    rows = session.execute(select(Person.email, setter.email).join(Account, Account.person_id == Person.id)
                           .join(setter, setter.id == Account.password_set_by_id))
    return {email: by for email, by in rows}


def disable_user(session: Session, actor: Actor | None, email: str) -> None:
    """Disable an account and revoke its sessions and tokens at once; admins only."""
    actor = permissions.disable(actor, account_facts(session, email, lock=True))
    person, account = find_account(session, email)
    account.disabled_at = account.disabled_at or utcnow()
    person.active = False  # nor can they be assigned as an owner any more
    _revoke_credentials(session, person.id)
    audit.record(session, actor.email, "user.disable", f"user:{person.email}")
    if account.role == "admin":  # a disabled admin no longer approves clauses nobody owns (owners still count)
        signals.publish(session, signals.ApproversChanged(actor.email))


def enable_user(session: Session, actor: Actor | None, email: str) -> None:
    """Enable a disabled account again (its old sessions and tokens stay revoked); admins only."""
    actor = permissions.enable(actor, account_facts(session, email))
    person, account = find_account(session, email)
    if account.disabled_at is None:
        return
    account.disabled_at = None
    person.active = True
    session.flush()
    audit.record(session, actor.email, "user.enable", f"user:{person.email}")
    if account.role == "admin":
        signals.publish(session, signals.ApproversChanged(actor.email))


def authenticate(session: Session, email: str, password: str) -> Actor | None:
    """The account for a correct email and password, else None; both outcomes are audited."""
    found = _with_account(session, email)
    # An unknown email (or an account without a password) still costs one scrypt check, so the time
    # a failed login takes does not tell which accounts exist.
    stored = found[1].password_hash if found is not None and found[1].password_hash else None
    ok = check_password_hash(stored or _dummy_hash(), password) and stored is not None
    if found is not None and ok and found[1].disabled_at is None:
        person, account = found
        audit.record(session, person.email, "session.login", f"user:{person.email}")
        return _actor(person, account)
    audit.record(session, normalize_email(email), "session.login_failed", f"user:{normalize_email(email)}",
                 None, {"reason": "disabled" if ok else "bad email or password"})
    return None


def sso_actor(session: Session, email: str) -> Actor:
    """The account named by a trusted SSO header; first sight creates it as a viewer."""
    email = normalize_email(email)
    if "@" not in email:
        raise Unauthorized("the SSO header does not hold an email address")
    check_identity(email=email)  # the name is the email's local part
    person = _person(session, email)
    account = session.get(Account, person.id) if person is not None else None
    if person is None or account is None:
        person = person or Person(email=email, name=email.split("@")[0])
        person.active = True
        session.add(person)
        session.flush()
        account = Account(person_id=person.id, role="viewer")
        session.add(account)
        session.flush()
        audit.record(session, "sso", "user.create", f"user:{email}", None, {"role": "viewer", "via": "sso"})
    if account.disabled_at is not None:
        raise Unauthorized(f"the account {email} is disabled")
    return _actor(person, account)


def list_users(session: Session) -> list[dict[str, object]]:
    """Every account: role, enabled, has a password, last password login (or None), live API tokens."""
    last_login = (select(LoginSession.person_id, func.max(LoginSession.created_at).label("at"))
                  .group_by(LoginSession.person_id).subquery())
    tokens = (select(ApiToken.person_id, func.count().label("n")).where(ApiToken.revoked_at.is_(None))
              .group_by(ApiToken.person_id).subquery())
    rows = session.execute(
        select(Person, Account, last_login.c.at, tokens.c.n).join(Account, Account.person_id == Person.id)
        .outerjoin(last_login, last_login.c.person_id == Person.id).outerjoin(tokens, tokens.c.person_id == Person.id)
        .order_by(Person.email))
    return [{"email": p.email, "name": p.name, "role": a.role, "enabled": a.disabled_at is None,
             "password": a.password_hash is not None, "last_login": iso(at), "tokens": n or 0}
            for p, a, at, n in rows]


def list_users_for(session: Session, actor: Actor | None) -> list[dict[str, object]]:
    """Every account, for an admin (the web page and the API; the CLI trusts whoever has the database)."""
    permissions.manager(actor)
    return list_users(session)

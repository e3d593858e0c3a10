"""Every account's role and enabled state must be what the audit chain last recorded for it.

An account row inserted with SQL, or a role raised to admin behind the registry's back, leaves no
event (admins approve clauses nobody owns): `specreg verify` names each such account.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.audit.events import Finding, by_subject
from registry.models import Account, Person

ROLE_ACTIONS = ("user.create", "user.role")
ENABLE_ACTIONS = ("user.disable", "user.enable")


def check_accounts(session: Session) -> list[Finding]:
    """Each account against its last role event and its last disable/enable event (check `account`)."""
    events = {subject.lower(): found
              for subject, found in by_subject(session, "user:", ROLE_ACTIONS + ENABLE_ACTIONS).items()}
    findings = []
    rows = session.execute(select(Person.email, Account).join(Account, Account.person_id == Person.id)
                           .order_by(Person.email))
    for email, account in rows:
        mine = events.get(f"user:{email.lower()}", [])
        roles = [e.new.get("role") for e in mine if e.action in ROLE_ACTIONS and isinstance(e.new, dict)]
        switches = [e.action for e in mine if e.action in ENABLE_ACTIONS]
        where = f"user {email}"
        if not roles:
            findings.append(Finding("account", where, f"has the role {account.role}, but no audit event created "
                                                      "the account (inserted behind the registry's back)"))
        elif roles[-1] != account.role:
            findings.append(Finding("account", where, f"has the role {account.role} in the database, but its last "
                                                      f"role event says {roles[-1]}"))
        enabled = not switches or switches[-1] == "user.enable"
        if enabled != (account.disabled_at is None):
            findings.append(Finding("account", where, f"is {'enabled' if account.disabled_at is None else 'disabled'} "
                                                      f"in the database, but its last event says "
                                                      f"{'enabled' if enabled else 'disabled'}"))
    return findings

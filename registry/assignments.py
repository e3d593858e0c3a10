"""Write use cases: give a clause an owner in the registry, or take one away, with who and why.

Registry assignments add to the owners OWNERS.toml gives (see registry.ownership); they cannot
remove a file owner, because the file in git is the record for those. Assignments are
append-only: unassigning writes a new row, so the history keeps both.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry import audit
from registry.errors import BadRequest, Conflict, UnknownOwner, UnknownVersion
from registry.models import Clause, OwnerAssignment, Person
from registry.owners_store import OwnerRef, OwnersStore
from registry.queries import find_clause, version_at
from registry.refs import head_point


def _actor(session: Session, email: str) -> Person:
    """The person acting; they must be known and active (roles arrive with accounts, issue 5)."""
    person = session.scalar(select(Person).where(Person.email == email.strip().lower()))
    if person is None:
        raise UnknownOwner(f"no person has the email {email!r}")
    if not person.active:
        raise BadRequest(f"{email} is deactivated and cannot assign owners")
    return person


def _prepare(session: Session, key: str, owner: str, reason: str, actor: str) -> tuple[int, OwnerRef, Person]:
    if not reason.strip():
        raise BadRequest("a reason is required")
    clause = find_clause(session, key)
    if version_at(session, clause.id, head_point(session).seq) is None:
        raise UnknownVersion(f"clause {key!r} no longer exists; owners can only be assigned to current clauses")
    who = OwnersStore(session).find_owner(owner)
    return clause.id, who, _actor(session, actor)


def _record(session: Session, clause_id: int, who: OwnerRef, action: str, reason: str,
            actor: Person) -> OwnerAssignment:
    row = OwnerAssignment(clause_id=clause_id, action=action, reason=reason.strip(), actor_id=actor.id,
                          person_id=who.id if who.kind == "person" else None,
                          team_id=who.id if who.kind == "team" else None)
    session.add(row)
    session.flush()
    audit.record(session, actor.email, f"owner.{action}", f"clause:{session.get(Clause, clause_id).key}",
                 new={"owner": who.ref, "reason": row.reason, "assignment": row.id})
    return row


def assign(session: Session, key: str, owner: str, reason: str, actor: str) -> OwnerAssignment:
    """Add a person or team as an owner of the clause in the registry."""
    clause_id, who, person = _prepare(session, key, owner, reason, actor)
    if who.kind == "person" and not session.get(Person, who.id).active:
        raise BadRequest(f"{who.name} is deactivated; assign someone active")
    if who.ref in OwnersStore(session).assigned(None, clause_id).get(clause_id, []):
        raise Conflict(f"{who.ref} is already assigned to {key!r} in the registry")
    return _record(session, clause_id, who, "assign", reason, person)


def unassign(session: Session, key: str, owner: str, reason: str, actor: str) -> OwnerAssignment:
    """End a registry assignment (owners from OWNERS.toml change only by editing the file)."""
    clause_id, who, person = _prepare(session, key, owner, reason, actor)
    if who.ref not in OwnersStore(session).assigned(None, clause_id).get(clause_id, []):
        raise Conflict(f"{who.ref} has no registry assignment on {key!r} "
                       "(owners from OWNERS.toml change by editing the file)")
    return _record(session, clause_id, who, "unassign", reason, person)

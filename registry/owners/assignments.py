"""Write use cases: give a clause an owner in the registry, or take one away, with who and why.

Registry assignments add to the owners OWNERS.toml gives (see registry.owners.resolution); they cannot
remove a file owner, because the file in git is the record for those. Assignments are
append-only: unassigning writes a new row, so the history keeps both. Only admins assign
(registry.owners.permissions, which the owners page asks too).
"""
from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from registry import limits, signals
from registry.accounts.actors import Actor
from registry.audit import events as audit
from registry.errors import BadRequest, Conflict, UnknownVersion
from registry.history.queries import find_clause
from registry.history.versions import version_at
from registry.ledger.refs import head_point, iso
from registry.models import Clause, OwnerAssignment, Person, Team
from registry.owners import permissions
from registry.owners.owners_toml import TEAM_PREFIX
from registry.owners.store import OwnerRef, OwnersStore


def _prepare(session: Session, actor: Actor | None, key: str, owner: str, reason: str,
             action: str) -> tuple[Actor, int, OwnerRef]:
    """The admin acting, the clause's lineage and the owner; the role is checked before the input."""
    admin = permissions.require(action, actor)
    if not owner.strip():
        raise BadRequest("name the owner: an email, or team:NAME")
    if not reason.strip():
        raise BadRequest("a reason is required")
    limits.check_text("reason", reason, limits.REASON)
    clause = find_clause(session, key)
    if version_at(session, clause.id, head_point(session).seq) is None:
        raise UnknownVersion(f"clause {key!r} no longer exists; owners can only be assigned to current clauses")
    return admin, clause.id, OwnersStore(session).find_owner(owner.strip())


def _record(session: Session, actor: Actor, clause_id: int, who: OwnerRef, action: str,
            reason: str) -> OwnerAssignment:
    row = OwnerAssignment(clause_id=clause_id, action=action, reason=reason.strip(), actor_id=actor.person_id,
                          person_id=who.id if who.kind == "person" else None,
                          team_id=who.id if who.kind == "team" else None)
    session.add(row)
    session.flush()
    audit.record(session, actor.email, f"owner.{action}", f"clause:{session.get_one(Clause, clause_id).key}",
                 new={"owner": who.ref, "reason": row.reason, "assignment": row.id})
    # Assignments are not inherited, so only proposals changing this very clause can be affected.
    signals.publish(session, signals.ApproversChanged(actor.email, (clause_id,)))
    return row


def _assigned(session: Session, clause_id: int) -> list[str]:
    return OwnersStore(session).assigned(None, clause_id).get(clause_id, [])


def assigned_owners(session: Session, key: str) -> list[str]:
    """The owners (emails and team:NAME) a clause has from registry assignments now."""
    return _assigned(session, find_clause(session, key).id)


def assign(session: Session, actor: Actor | None, key: str, owner: str, reason: str) -> OwnerAssignment:
    """Add a person or team as an owner of the clause in the registry (admins)."""
    admin, clause_id, who = _prepare(session, actor, key, owner, reason, "assign")
    if who.kind == "person" and not session.get_one(Person, who.id).active:
        raise BadRequest(f"{who.name} is deactivated; assign someone active")
    if who.ref in _assigned(session, clause_id):
        raise Conflict(f"{who.ref} is already assigned to {key!r} in the registry")
    return _record(session, admin, clause_id, who, "assign", reason)


def unassign(session: Session, actor: Actor | None, key: str, owner: str, reason: str) -> OwnerAssignment:
    """End a registry assignment (admins; owners from OWNERS.toml change only by editing the file)."""
    admin, clause_id, who = _prepare(session, actor, key, owner, reason, "unassign")
    if who.ref not in _assigned(session, clause_id):
        raise Conflict(f"{who.ref} has no registry assignment on {key!r} "
                       "(owners from OWNERS.toml change by editing the file)")
    return _record(session, admin, clause_id, who, "unassign", reason)


def assignment_dict(session: Session, row: OwnerAssignment) -> dict[str, Any]:
    """The JSON answer of assign and unassign: {"id", "owner", "action", "reason", "by", "at", "assignment"}."""
    owner = session.get_one(Person, row.person_id).email if row.person_id is not None \
        else TEAM_PREFIX + session.get_one(Team, row.team_id).name
    return {"id": session.get_one(Clause, row.clause_id).key, "owner": owner, "action": row.action,
            "reason": row.reason, "by": session.get_one(Person, row.actor_id).email, "at": iso(row.created_at),
            "assignment": row.id}

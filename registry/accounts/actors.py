"""The acting user as use cases see them, and the role check every area starts from."""
from __future__ import annotations

from dataclasses import dataclass

from registry.errors import Forbidden, Unauthorized
from registry.models import ROLES


@dataclass(frozen=True)
class Actor:
    """The acting user as use cases see them: plain values, no session state."""

    person_id: int
    email: str
    name: str
    role: str

    def at_least(self, role: str) -> bool:
        """True when the actor's role is this one or above."""
        return ROLES.index(self.role) >= ROLES.index(role)

    def as_dict(self) -> dict[str, str]:
        """{"email", "name", "role"}."""
        return {"email": self.email, "name": self.name, "role": self.role}


def normalize_email(email: str) -> str:
    """Emails are compared case-insensitively and without surrounding space."""
    return email.strip().lower()


def require_role(actor: Actor | None, role: str, doing: str) -> Actor:
    """The actor, when logged in with at least this role; Unauthorized or Forbidden otherwise."""
    if actor is None:
        raise Unauthorized(f"log in to {doing}")
    if not actor.at_least(role):
        raise Forbidden(f"{doing} needs the {role} role; {actor.email} is {article(actor.role)} {actor.role}")
    return actor


def article(word: str) -> str:
    """"a" or "an" before a word ("an admin", "a viewer")."""
    return "an" if word[:1] in "aeiou" else "a"

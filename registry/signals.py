"""Signals between areas: a lower area says what changed; the composition root decides who reacts.

An area never imports the areas above it (accounts and owners sit below proposals), yet a change
there can change who may approve a proposal. The area publishes a signal; `registry.wiring` installs
the handlers, in order, at start-up. Publishing before that is a bug, so it raises instead of
silently doing nothing.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session


@dataclass(frozen=True)
class ApproversChanged:
    """Who may approve changed outside any proposal.

    An admin was added, removed, disabled or enabled (admins approve clauses nobody owns; then
    `clause_ids` is None: any proposal may be affected), or a registry assignment gave or took
    ownership of these clause lineages.
    """

    actor: str
    clause_ids: tuple[int, ...] | None = None


Handler = Callable[[Session, Any], None]
_handlers: dict[type, tuple[Handler, ...]] | None = None


def install(handlers: Mapping[type, Sequence[Handler]]) -> None:
    """Set the handlers for each event type (the composition root calls this once at start-up)."""
    global _handlers
    _handlers = {kind: tuple(hs) for kind, hs in handlers.items()}


def publish(session: Session, event: object) -> None:
    """Run every handler installed for this event's type, in order, in the caller's transaction."""
    if _handlers is None:
        raise RuntimeError("no event handlers installed: call registry.wiring.install() at start-up")
    for handler in _handlers.get(type(event), ()):
        handler(session, event)

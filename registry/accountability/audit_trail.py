"""Use case: the audit trail browser. The events of the hash-chained log, newest first, filtered by
actor, action, subject and time, a page at a time (keyset on the event id, so a page stays correct
while events are appended), each with the thing it is about. Admins only (accountability.permissions).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.accountability import permissions
from registry.accounts.actors import Actor
from registry.errors import BadRequest
from registry.ledger.refs import iso, parse_moment
from registry.models import AuditEvent

PER_PAGE = 100
ACTION = re.compile(r"[a-z_]+(\.[a-z_]+)*")
# The subjects an event can link to, by the kind before the colon (`proposal:9`, `clause:be_brief`).
LINKED = ("proposal", "clause", "user", "commit")


@dataclass(frozen=True)
class AuditFilter:
    """What the browser asks for: each field exact (None: any), `since`/`until` bound the time."""

    actor: str | None = None
    action: str | None = None
    subject: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    before: int | None = None  # the page after: events with a smaller id

    def as_args(self) -> dict[str, str]:
        """The query arguments that ask for this filter again (the next page's link keeps them)."""
        found = {"actor": self.actor, "action": self.action, "subject": self.subject,
                 "since": self.since.isoformat() if self.since else None,
                 "until": self.until.isoformat() if self.until else None}
        return {k: v for k, v in found.items() if v}

    def after(self, before: int) -> dict[str, Any]:
        """The query arguments of the page after this one: the same filter, events older than `before`."""
        return self.as_args() | {"before": str(before)}


@dataclass(frozen=True)
class AuditEntry:
    """One event as the browser shows it."""

    id: int
    at: datetime
    actor: str
    action: str
    subject: str
    old: Any
    new: Any

    @property
    def target(self) -> tuple[str, str] | None:
        """(kind, value) of a subject the browser links (a proposal, clause, user or commit), else None."""
        kind, _, value = self.subject.partition(":")
        return (kind, value) if kind in LINKED and value else None

    def as_dict(self) -> dict[str, Any]:
        """{"id", "at", "actor", "action", "subject", "old", "new"} (the API adds "link")."""
        return {"id": self.id, "at": iso(self.at), "actor": self.actor, "action": self.action,
                "subject": self.subject, "old": self.old, "new": self.new}


@dataclass(frozen=True)
class AuditPage:
    """A page of events, newest first, and the id to continue before (None: the last page)."""

    events: list[AuditEntry]
    next_before: int | None


def _moment(field: str, text: str, start_of_day: bool) -> datetime:
    moment = parse_moment(text)
    if moment is None:
        raise BadRequest(f"{field} must be an ISO date or date and time (2024-01-02, 2024-01-02T09:00Z), not {text!r}")
    if start_of_day and len(text) == 10:  # a bare date: since the start of that day, until its end
        moment = datetime.combine(date.fromisoformat(text), time.min, tzinfo=UTC)
    return moment


def _text(field: str, value: str | None, limit: int) -> str | None:
    if value is None or value == "":
        return None
    if len(value) > limit or not value.isprintable():
        raise BadRequest(f"{field} must be printable text of at most {limit} characters")
    return value


def parse_filter(args: dict[str, str]) -> AuditFilter:
    """The filter from query arguments or command-line options; a bad value is a 400 naming its field."""
    action = _text("action", args.get("action"), 64)
    if action is not None and not ACTION.fullmatch(action):
        raise BadRequest(f"action must look like proposal.merge (lower-case words joined by dots), not {action!r}")
    before = args.get("before") or None
    if before is not None and not (before.isdigit() and len(before) < 19):
        raise BadRequest(f"before must be an event id (a whole number), not {before!r}")
    return AuditFilter(_text("actor", args.get("actor"), 320), action, _text("subject", args.get("subject"), 400),
                       _moment("since", args["since"], True) if args.get("since") else None,
                       _moment("until", args["until"], False) if args.get("until") else None,
                       int(before) if before is not None else None)


def audit_events(session: Session, actor: Actor | None, wanted: AuditFilter, per_page: int | None = None) -> AuditPage:
    """One page of audit events matching the filter, newest first (PER_PAGE of them); admins only."""
    permissions.require("read_audit", actor)
    per_page = per_page or PER_PAGE
    q = select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(per_page + 1)
    for column, value in ((AuditEvent.actor, wanted.actor), (AuditEvent.action, wanted.action),
                          (AuditEvent.subject, wanted.subject)):
        if value is not None:
            q = q.where(column == value)
    if wanted.since is not None:
        q = q.where(AuditEvent.at >= wanted.since)
    if wanted.until is not None:
        q = q.where(AuditEvent.at <= wanted.until)
    if wanted.before is not None:
        q = q.where(AuditEvent.seq < wanted.before)
    rows = list(session.scalars(q))
    events = [AuditEntry(e.seq, e.at, e.actor, e.action, e.subject, e.old, e.new) for e in rows[:per_page]]
    return AuditPage(events, events[-1].id if len(rows) > per_page else None)
